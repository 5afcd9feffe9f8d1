"""The run directory contract: determinism, crash and signal resume, divergence as a result, config errors."""

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from repro.cli import main
from repro.config import resolve
from repro.errors import ResumeError
from repro.registry import OptimSpec
from repro.train import LOG_COLUMNS, train
from tests.conftest import ROOT, TINY, read_log, repro_cli


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted 40-iteration WGAN run (warm-up included) in this process."""
    from repro.config import load_profile

    out = tmp_path_factory.mktemp("reference")
    assert train(resolve("wgan-dcgan", load_profile(TINY), 0), out, "cpu", quiet=True) == 0
    return out


def test_run_directory_contents(reference):
    meta = json.loads((reference / "meta.json").read_text())
    assert meta["status"] == "completed" and meta["gen_iter"] == 40 and meta["seed"] == 0
    assert meta["versions"]["torch"] == torch.__version__
    rows = read_log(reference / "log.csv", drop=())
    assert list(rows[0]) == list(LOG_COLUMNS) and [int(r["gen_iter"]) for r in rows] == list(range(1, 41))
    assert sum(int(r["critic_iters"]) for r in rows) == 25 * 100 + 15 * 5
    assert all(float(r["w_estimate"]) == -float(r["loss_d"]) for r in rows)
    assert rows[0]["js_estimate"] == "" and rows[0]["adam_cos"] == ""  # not applicable to WGAN + RMSProp
    assert sorted(p.name for p in (reference / "samples").iterdir()) == [f"gen_{i:09d}.png" for i in (10, 20, 30, 40)]
    assert len(list((reference / "ckpt").glob("iter_*.pt"))) == 2  # rolling
    final = torch.load(reference / "final.pt", weights_only=True)
    assert final["status"] == "completed" and set(final) >= {"G", "D", "config"}


def test_same_seed_same_log_other_seed_other_log(tmp_path, tiny_profile):
    logs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        cfg = resolve("gan-dcgan", tiny_profile, seed, iters=15)
        train(cfg, tmp_path / name, "cpu", quiet=True)
        logs.append(read_log(tmp_path / name / "log.csv"))
    assert logs[0] == logs[1]
    assert logs[0] != logs[2]


def test_adam_run_logs_the_cosine_diagnostic(tmp_path, tiny_profile):
    train(resolve("wgan-dcgan-adam", tiny_profile, 0, iters=2), tmp_path, "cpu", quiet=True)
    cosines = [float(r["adam_cos"]) for r in read_log(tmp_path / "log.csv")]
    assert len(cosines) == 2 and all(-1 <= c <= 1 for c in cosines)
    assert cosines[0] > 0  # a stable start: Adam's steps point along the gradient (WGAN §4.2)


STOP_AT_CALL = """
import importlib, os, signal, sys

module, name, stop_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
owner = importlib.import_module(module)
*outer, attribute = name.split(".")
for part in outer:
    owner = getattr(owner, part)
original, calls = getattr(owner, attribute), 0


def stop_then_call(*args, **kwargs):
    global calls
    calls += 1
    if calls == stop_at:
        os.kill(os.getpid(), signal.SIGSTOP)
    return original(*args, **kwargs)


setattr(owner, attribute, stop_then_call)
from repro.cli import main

sys.exit(main(sys.argv[4:]))
"""


@contextlib.contextmanager
def stopped_at_call(target: str, call: int, *args):
    """`python -m repro ARGS`, stopped (SIGSTOP, sent by itself) as it enters call number `call` of `target`
    ("module:function" or "module:Class.method"): a known point rather than a timing window. Killed at the end,
    however the test ends."""
    module, name = target.split(":")
    proc = subprocess.Popen([sys.executable, "-c", STOP_AT_CALL, module, name, str(call), *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            proc.returncode = os.waitstatus_to_exitcode(status)
            raise AssertionError(f"ended before call {call} of {target}: {proc.stderr.read()}")
        yield proc
    finally:
        proc.kill()
        proc.communicate()


TRAIN = ("train", "wgan-dcgan", "--config", TINY, "--quiet")  # tiny: checkpoints every 5 iterations


@pytest.mark.slow(seconds=25)
def test_kill_9_then_rerun_gives_the_uninterrupted_log(tmp_path, reference):
    """Killed where iteration 10's rows are in log.csv but not yet its checkpoint: the rerun resumes from 5's and
    cuts the log back to it. 15 iterations, all in the warm-up (100 critic steps each): the uninterrupted run's
    first 15 rows (a run's rows do not depend on its length)."""
    with stopped_at_call("repro.train:_save_checkpoint", 2, *TRAIN, "--iters", 15, "--out", tmp_path) as proc:
        assert len(read_log(tmp_path / "log.csv")) == 10
        assert sorted(p.name for p in (tmp_path / "ckpt").glob("*.pt"))[-1] == "iter_000000005.pt"
        proc.kill()
        proc.wait()
    assert not (tmp_path / "final.pt").exists()
    assert repro_cli(*TRAIN, "--iters", 15, "--out", tmp_path).returncode == 0
    assert json.loads((tmp_path / "meta.json").read_text())["resumed_from"] == 5
    assert read_log(tmp_path / "log.csv") == read_log(reference / "log.csv")[:15]


@pytest.mark.slow(seconds=20)
def test_sigterm_checkpoints_exits_nonzero_and_resumes(tmp_path, reference):
    """SIGTERM arrives as generator iteration 3 starts (no checkpoint due): the run checkpoints at its end, and
    its 10-iteration rerun gives the uninterrupted run's first 10 rows."""
    with stopped_at_call("repro.engine:Engine.iteration", 3, *TRAIN, "--iters", 10, "--out", tmp_path) as proc:
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGCONT)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
        assert "SIGTERM at generator iteration 3" in proc.stderr.read()
    assert len(read_log(tmp_path / "log.csv")) == 3 and (tmp_path / "ckpt" / "iter_000000003.pt").exists()
    assert repro_cli(*TRAIN, "--iters", 10, "--out", tmp_path).returncode == 0
    assert read_log(tmp_path / "log.csv") == read_log(reference / "log.csv")[:10]


def test_extending_the_iteration_target_continues_the_same_run(tmp_path, tiny_profile):
    train(resolve("toy-swissroll-gp", tiny_profile, 0, iters=6), tmp_path / "long", "cpu", quiet=True)
    train(resolve("toy-swissroll-gp", tiny_profile, 0, iters=3), tmp_path / "ext", "cpu", quiet=True)
    train(resolve("toy-swissroll-gp", tiny_profile, 0, iters=6), tmp_path / "ext", "cpu", quiet=True)
    assert read_log(tmp_path / "ext" / "log.csv") == read_log(tmp_path / "long" / "log.csv")
    assert json.loads((tmp_path / "ext" / "meta.json").read_text())["gen_iter"] == 6


def test_a_channels_last_run_resumes_to_the_uninterrupted_log(tmp_path, tiny_profile):
    """The checkpoint's optimizer state (standard layout) meets channels-last parameters on resume."""
    cfg = dataclasses.replace(resolve("wgan-dcgan", tiny_profile, 0, iters=8), channels_last=True)
    train(cfg, tmp_path / "long", "cpu", quiet=True)
    train(dataclasses.replace(cfg, iters=4), tmp_path / "ext", "cpu", quiet=True)
    train(cfg, tmp_path / "ext", "cpu", quiet=True)
    assert read_log(tmp_path / "ext" / "log.csv") == read_log(tmp_path / "long" / "log.csv")
    assert json.loads((tmp_path / "ext" / "meta.json").read_text())["channels_last"] == ["dcgan_g", "dcgan_d"]


def test_resuming_with_another_config_names_the_keys(tmp_path, tiny_profile):
    cfg = resolve("toy-8gaussians-gp", tiny_profile, 0, iters=2)
    train(cfg, tmp_path, "cpu", quiet=True)
    with pytest.raises(ResumeError, match="gp_lambda, seed"):
        train(dataclasses.replace(cfg, seed=1, gp_lambda=10.0), tmp_path, "cpu", quiet=True)


def test_a_config_from_before_a_run_setting_existed_resumes_with_its_default(tmp_path, tiny_profile):
    """A run directory from before `bn_groups`, `eval_batch` and the other new run settings extends: a key its
    config.yaml lacks counts as that setting's default. One that is not the default still differs."""
    cfg = resolve("toy-8gaussians-gp", tiny_profile, 0, iters=2)
    train(cfg, tmp_path, "cpu", quiet=True)
    older = yaml.safe_load((tmp_path / "config.yaml").read_text())
    for key in ("bn_groups", "eval_batch", "dequantize", "gan_loss_halved", "inception_every", "inception_samples"):
        del older[key]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(older))
    assert train(dataclasses.replace(cfg, iters=4), tmp_path, "cpu", quiet=True) == 0
    assert json.loads((tmp_path / "meta.json").read_text())["gen_iter"] == 4
    assert cfg.differing_keys(older) == [] and dataclasses.replace(cfg, bn_groups=2).differing_keys(older) == \
        ["bn_groups"]


def test_a_huge_learning_rate_diverges_as_a_result(tmp_path, tiny_profile):
    cfg = dataclasses.replace(resolve("gan-mlp", tiny_profile, 0, iters=40),
                              opt_g=OptimSpec("rmsprop", 1e30), opt_d=OptimSpec("rmsprop", 1e30))
    assert train(cfg, tmp_path, "cpu", quiet=True) == 0
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["status"] == "diverged" and 1 <= meta["diverged_at"] < 40
    rows = read_log(tmp_path / "log.csv")
    assert len(rows) == meta["diverged_at"]
    assert {rows[-1]["loss_d"], rows[-1]["loss_g"]} & {"nan", "inf", "-inf"}
    assert torch.load(tmp_path / "final.pt", weights_only=True)["status"] == "diverged"
    assert train(cfg, tmp_path, "cpu", quiet=True) == 0  # rerun: already a result, nothing to do


def test_mistyped_profile_key_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("sample_every", "sample_evry"))
    assert main(["train", "wgan-dcgan", "--config", str(bad), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(bad) in err and "train.sample_evry" in err and "sample_every" in err and "10" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args,fragment", [
    (["train", "wgan-dcgn", "--config", str(TINY)], "did you mean 'wgan-dcgan'"),
    (["train", "wgan-dcgan", "--config", "nowhere.yaml"], "nowhere.yaml: profile not found"),
])
def test_bad_command_line_values_exit_2(args, fragment, capsys):
    assert main(args) == 2
    assert fragment in capsys.readouterr().err


def test_bad_value_names_the_allowed_values(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("image_size: 16", "image_size: 48"))
    result = repro_cli("train", "wgan-dcgan", "--config", bad)
    assert result.returncode == 2
    expected = f"error: {bad}: train.image_size = 48 is not allowed; allowed values: 16, 32, 64, 128"
    assert result.stderr.strip() == expected


@pytest.mark.parametrize("shape", [(64, 1, 16, 16), (64, 3, 32, 32), (10, 3, 8, 8)])
def test_sample_grids_are_torchvisions_save_image_pixel_for_pixel(shape):
    import io

    import torchvision.utils
    from PIL import Image

    from repro.train import sample_grid

    images = torch.rand(*shape, generator=torch.Generator().manual_seed(0)) * 1.2 - 0.1  # out of range clamps
    buffer = io.BytesIO()
    torchvision.utils.save_image(images, buffer, nrow=8, padding=2, format="png")
    assert np.array_equal(sample_grid(images), np.asarray(Image.open(buffer)))
