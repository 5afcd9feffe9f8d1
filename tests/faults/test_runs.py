"""Faults of `train` and `evaluate`: two writers, an extension that fails, another run's checkpoint, corrupt
files, bad command-line values, a read-only or full disk. Processes are stopped at known points, never raced."""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest
import torch

from repro.cli import main
from repro.config import load_profile, resolve
from repro.errors import ResumeError
from repro.train import train
from tests.conftest import ROOT, TINY, read_log, repro_cli
from tests.test_train import stopped_at_call

TOY = "toy-swissroll-gp"
TRAIN = ("train", TOY, "--config", str(TINY), "--quiet")


@pytest.fixture(autouse=True)
def one_thread_children(one_thread, monkeypatch):
    """Runs here and in `python -m repro` children on one thread each: toy nets are 10x faster so on a loaded
    machine, and the children's floats are this process's (a run's floats depend on the thread count)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def _train(run_dir, iters, **changes):
    cfg = dataclasses.replace(resolve(TOY, load_profile(TINY), 0, iters=iters), **changes)
    return train(cfg, run_dir, "cpu", quiet=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, one_thread):
    """A finished 10-iteration toy run: checkpoints at 5 and 10, snapshots every 5."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    assert _train(run_dir, 10) == 0
    return run_dir


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, one_thread):
    """The same run trained to 20 iterations in one go."""
    run_dir = tmp_path_factory.mktemp("uninterrupted") / "run"
    assert _train(run_dir, 20) == 0
    return read_log(run_dir / "log.csv")


@pytest.fixture
def run_dir(finished, tmp_path):
    """A copy of the finished run to break."""
    return shutil.copytree(finished, tmp_path / "run")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def _corrupt(path, how):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if how == "truncated" else os.urandom(len(data)))


def _bytes(run_dir, *names):
    return {name: (run_dir / name).read_bytes() for name in names}


def test_a_second_train_of_one_run_directory_exits_2_naming_it_and_the_holder(tmp_path):
    out = tmp_path / "run"
    with stopped_at_call("repro.train:_save_checkpoint", 1, *TRAIN, "--iters", 5, "--out", out) as first:
        second = repro_cli(*TRAIN, "--iters", 5, "--out", out)
        assert second.returncode == 2, second.stderr
        assert second.stderr.strip() == f"error: {out}: another process (PID {first.pid}) trains this run; wait " \
                                        f"for it to finish or use another --out"
        first.send_signal(signal.SIGCONT)
        assert first.wait(timeout=120) == 0
    assert json.loads((out / "meta.json").read_text())["gen_iter"] == len(read_log(out / "log.csv")) == 5


def test_a_second_evaluate_into_one_table_exits_2_and_another_seeds_table_beside_it_is_written(finished, tmp_path):
    table, beside = tmp_path / "metrics" / "seed0.csv", tmp_path / "metrics" / "seed1.csv"
    evaluate = ("evaluate", finished, "--config", TINY, "--quiet", "--out")
    with stopped_at_call("repro.metrics.evaluate:Evaluator.measure", 1, *evaluate, table) as first:
        second = repro_cli(*evaluate, table)
        assert second.returncode == 2, second.stderr
        assert second.stderr.strip() == f"error: {table}: another process (PID {first.pid}) evaluates into it; " \
                                        f"wait for it to finish or use another --out"
        assert repro_cli(*evaluate, beside).returncode == 0
        first.send_signal(signal.SIGCONT)
        assert first.wait(timeout=120) == 0
    pd.testing.assert_frame_equal(pd.read_csv(table), pd.read_csv(beside))


@pytest.mark.parametrize("fault", ["missing device", "corrupt only checkpoint", "SIGTERM"])
def test_a_finished_runs_result_stays_until_its_extension_completes(run_dir, fault, capsys):
    before = _bytes(run_dir, "final.pt", "meta.json")
    extend = [*TRAIN, "--iters", "20", "--out", str(run_dir)]
    if fault == "missing device":
        if torch.cuda.is_available():
            pytest.skip("needs a machine without CUDA")
        assert main([*extend, "--device", "cuda"]) == 2
        assert "--device cuda" in _one_error_line(capsys)
    elif fault == "corrupt only checkpoint":
        (run_dir / "ckpt" / "iter_000000005.pt").unlink()
        _corrupt(run_dir / "ckpt" / "iter_000000010.pt", "truncated")
        assert main(extend) == 2
        assert "iter_000000010.pt" in _one_error_line(capsys)
    else:
        with stopped_at_call("repro.engine:Engine.iteration", 3, *extend) as proc:
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGCONT)
            assert proc.wait(timeout=120) == 128 + signal.SIGTERM
        assert len(read_log(run_dir / "log.csv")) == 13
    assert _bytes(run_dir, "final.pt", "meta.json") == before


@pytest.mark.parametrize("iters", [10, 20], ids=["finished", "extended"])
@pytest.mark.parametrize("other", ["run", "seed", "config"])
def test_a_checkpoint_or_result_of_another_run_seed_or_config_is_refused_naming_both(run_dir, other, iters):
    """config.yaml deleted, the directory's checkpoints (or, for a finished target, final.pt) still say whose
    they are."""
    (run_dir / "config.yaml").unlink()
    before = _bytes(run_dir, "log.csv", "ckpt/iter_000000010.pt", "final.pt")
    profile = load_profile(TINY)
    mine, cfg = resolve(TOY, profile, 0, iters=iters), {
        "run": resolve("toy-8gaussians-gp", profile, 0, iters=iters),
        "seed": resolve(TOY, profile, 1, iters=iters),
        "config": dataclasses.replace(resolve(TOY, profile, 0, iters=iters), gp_lambda=1.0),
    }[other]
    with pytest.raises(ResumeError) as refused:
        train(cfg, run_dir, "cpu", quiet=True)
    message = str(refused.value)
    if iters == 20:
        from repro.train import config_sha256

        assert f"run {TOY} seed 0 (config {config_sha256(mine)[:12]})" in message
        assert f"run {cfg.run} seed {cfg.seed} (config {config_sha256(cfg)[:12]})" in message
    else:
        assert f"run {TOY} seed 0, not of {cfg.run} seed {cfg.seed}" in message
    assert _bytes(run_dir, "log.csv", "ckpt/iter_000000010.pt", "final.pt") == before
    assert not (run_dir / "config.yaml").exists()


def test_a_finished_run_without_config_yaml_gets_it_back_from_final_pt(run_dir, finished):
    (run_dir / "config.yaml").unlink()
    assert _train(run_dir, 10) == 0
    assert (run_dir / "config.yaml").read_bytes() == (finished / "config.yaml").read_bytes()


def test_a_checkpoint_from_before_run_identity_resumes_beside_config_yaml_and_is_refused_without(run_dir,
                                                                                                  uninterrupted):
    for path in (run_dir / "ckpt").glob("*.pt"):
        state = torch.load(path, weights_only=True)
        torch.save({k: v for k, v in state.items() if k not in ("run", "seed", "config_sha256")}, path)
    saved = (run_dir / "config.yaml").read_bytes()
    (run_dir / "config.yaml").unlink()
    with pytest.raises(ResumeError, match="records no run and .*config.yaml is missing"):
        _train(run_dir, 20)
    (run_dir / "config.yaml").write_bytes(saved)
    assert _train(run_dir, 20) == 0
    assert read_log(run_dir / "log.csv") == uninterrupted


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_a_corrupt_newest_checkpoint_is_named_and_the_run_resumes_identically_from_the_one_before(
        run_dir, uninterrupted, how, capsys):
    _corrupt(run_dir / "ckpt" / "iter_000000010.pt", how)
    assert _train(run_dir, 20) == 0
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [line for line in err.splitlines() if "iter_000000010.pt" in line]
    assert len(err.splitlines()) == 1 and "iter_000000005.pt" in err
    assert json.loads((run_dir / "meta.json").read_text())["resumed_from"] == 5
    assert read_log(run_dir / "log.csv") == uninterrupted


def test_no_readable_checkpoint_exits_2_naming_every_file(run_dir, capsys):
    for name, how in (("iter_000000005.pt", "truncated"), ("iter_000000010.pt", "garbage")):
        _corrupt(run_dir / "ckpt" / name, how)
    assert main([*TRAIN, "--iters", "20", "--out", str(run_dir)]) == 2
    err = _one_error_line(capsys)
    assert "iter_000000005.pt" in err and "iter_000000010.pt" in err


@pytest.mark.parametrize("command,name,text", [
    *[("train", "meta.json", text) for text in ('{"status": "compl', "[]")],
    *[(command, "config.yaml", text) for command in ("train", "evaluate") for text in ("run: [toy", "", "- a list\n")],
])
def test_a_corrupt_meta_json_or_config_yaml_exits_2_naming_it(run_dir, tmp_path, command, name, text, capsys):
    (run_dir / name).write_text(text)
    argv = [*TRAIN, "--iters", "20", "--out", str(run_dir)] if command == "train" else \
        ["evaluate", str(run_dir), "--config", str(TINY), "--quiet", "--out", str(tmp_path / "m.csv")]
    assert main(argv) == 2
    err = _one_error_line(capsys)
    assert f"error: {run_dir / name}: not a run" in err and "delete it" in err


def test_evaluate_a_corrupt_snapshot_exits_2_naming_it(run_dir, tmp_path, capsys):
    _corrupt(run_dir / "snapshots" / "G_000000005.pt", "truncated")
    assert main(["evaluate", str(run_dir), "--config", str(TINY), "--quiet", "--out", str(tmp_path / "m.csv")]) == 2
    assert _one_error_line(capsys).startswith(f"error: {run_dir / 'snapshots' / 'G_000000005.pt'}: truncated or "
                                              f"corrupt")


def test_a_negative_seed_exits_2_with_one_line(tmp_path, capsys):
    assert main([*TRAIN, "--seed", "-1", "--out", str(tmp_path / "run")]) == 2
    assert "--seed -1" in _one_error_line(capsys)


def _in_own_mount_namespace(script: str, *args) -> subprocess.CompletedProcess:
    """`sh -c script ARGS` as root of its own user and mount namespaces, where it may mount a small or read-only
    tmpfs without privileges (the mounts vanish with it); skipped where the kernel allows no such namespace."""
    namespace = ["unshare", "--user", "--map-root-user", "--mount"]
    if not shutil.which("unshare") or subprocess.run([*namespace, "true"], capture_output=True).returncode:
        pytest.skip("no unprivileged user and mount namespaces here")
    return subprocess.run([*namespace, "sh", "-c", script, "sh", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_a_read_only_out_exits_2_naming_it(finished, tmp_path):
    mount = tmp_path / "read-only"
    mount.mkdir()
    done = _in_own_mount_namespace('mount -t tmpfs tmpfs "$1" && cp -a "$2" "$1/run" && mount -o remount,ro "$1" '
                                   '&& exec "$3" -m repro train "$4" --config "$5" --iters 20 --quiet --out "$1/run"',
                                   mount, finished, sys.executable, TOY, TINY)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"error: {mount / 'run' / '.lock'}: cannot write there (Read-only file system); " \
                                  f"train into a directory you can write (--out)"


FULL_DISK = """
mount -t tmpfs -o size=4m tmpfs "$1" && cp -a "$2" "$1/run" || exit 99
dd if=/dev/zero of="$1/filler" bs=4096 2>/dev/null  # the disk is full...
truncate -s -64K "$1/filler"  # ...but for room for a snapshot, not for a checkpoint
"$3" -m repro train "$4" --config "$5" --iters 20 --quiet --out "$1/run" 2>"$6/full.err"
echo $? >"$6/full.rc"
cp -a "$1/run" "$6/after-full"
rm "$1/filler"
"$3" -m repro train "$4" --config "$5" --iters 20 --quiet --out "$1/run" 2>"$6/resumed.err"
echo $? >"$6/resumed.rc"
cp -a "$1/run" "$6/resumed"
"""


def test_a_full_disk_exits_2_saying_no_space_left_and_the_resumed_run_is_the_uninterrupted_one(finished, tmp_path,
                                                                                              uninterrupted):
    mount, out = tmp_path / "small", tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    done = _in_own_mount_namespace(FULL_DISK, mount, finished, sys.executable, TOY, TINY, out)
    assert done.returncode == 0, done.stderr
    assert (out / "full.rc").read_text().strip() == "2", (out / "full.err").read_text()
    assert (out / "full.err").read_text().strip() == (
        f"error: {mount / 'run' / 'ckpt' / 'iter_000000015.pt'}: no space left on the device (No space left on "
        f"device); the older checkpoints (iter_000000005.pt, iter_000000010.pt) are intact: free some space and "
        f"rerun the same command to resume")
    for name in ("iter_000000005.pt", "iter_000000010.pt"):
        assert (out / "after-full" / "ckpt" / name).read_bytes() == (finished / "ckpt" / name).read_bytes()
    assert _bytes(out / "after-full", "final.pt", "meta.json") == _bytes(finished, "final.pt", "meta.json")
    assert (out / "resumed.rc").read_text().strip() == "0", (out / "resumed.err").read_text()
    assert read_log(out / "resumed" / "log.csv") == uninterrupted
