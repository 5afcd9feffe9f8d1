"""Watching a run: TensorBoard events (read back, a resumed run's steps once each), plain progress lines in a job's
log, and `python -m repro status` on a results tree with a run in every state."""

import dataclasses
import re
import shutil

import pandas as pd
import pytest

from repro import lock
from repro.config import load_profile, resolve
from repro.registry import OptimSpec
from repro.train import train
from tests.conftest import TINY, repro_cli

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def test_tensorboard_events_of_a_resumed_run_hold_every_step_once(tmp_path):
    """12 iterations with checkpoints at 5 and 10; then what a kill -9 just before the last checkpoint leaves
    (events of 11 and 12 written, checkpoint 12 not), resumed: TensorBoard shows steps 1…12 once, as log.csv."""
    cfg = dataclasses.replace(resolve("gan-mlp", load_profile(TINY), 0, iters=12), sample_every=5)
    run = tmp_path / "run"
    assert train(cfg, run, "cpu", quiet=True, tensorboard=True) == 0
    for path in (run / "meta.json", run / "final.pt", run / "ckpt/iter_000000012.pt"):
        path.unlink()
    assert train(cfg, run, "cpu", quiet=True, tensorboard=True) == 0
    assert len(list((run / "tb").glob("events.out.tfevents.*"))) == 2
    events = event_accumulator.EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    log = pd.read_csv(run / "log.csv")
    for column in ("loss_d", "loss_g", "js_estimate", "wall_s", "critic_iters"):
        scalars = events.Scalars(column)
        assert [s.step for s in scalars] == list(range(1, 13)), column
        assert [s.value for s in scalars] == pytest.approx(log[column].tolist(), rel=1e-6), column
    assert "val_w_estimate" not in events.Tags()["scalars"]  # never measured here: no empty series
    assert [image.step for image in events.Images("samples")] == [5, 10, 12]


def test_a_job_log_gets_plain_progress_lines(tmp_path):
    result = repro_cli("train", "gan-mlp", "--config", TINY, "--iters", 40, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    lines = re.findall(r"gan-mlp seed0: generator iteration (\d+) of 40, 1 critic steps, js_estimate [-\d.e]+, "
                       r"[\d.]+ it/s, ETA \d+:\d\d:\d\d", result.stdout)
    assert len(lines) >= 4 and [int(i) for i in lines] == sorted({int(i) for i in lines}) and lines[-1] == "40"


def test_status_reads_each_runs_state_from_its_directory_and_lock(tmp_path):
    profile_path = tmp_path / "p.yaml"
    profile_path.write_text(TINY.read_text().replace("  iters: 40\n", "  iters: 3\n"))
    profile = load_profile(profile_path)
    runs = tmp_path / "results/tiny/runs"
    assert train(resolve("gan-mlp", profile, 0), runs / "gan-mlp/seed0", "cpu", quiet=True) == 0
    huge = OptimSpec("rmsprop", 1e30)
    diverging = dataclasses.replace(resolve("gan-mlpg", profile, 0), opt_g=huge, opt_d=huge)
    assert train(diverging, runs / "gan-mlpg/seed0", "cpu", quiet=True) == 0
    shutil.copytree(runs / "gan-mlp/seed0", runs / "gan-dcgan/seed0")  # what a stopped run leaves: no result yet
    (runs / "gan-dcgan/seed0/meta.json").unlink()
    shutil.copytree(runs / "gan-dcgan/seed0", runs / "gan-nobn/seed0")
    with lock.exclusive(runs / "gan-nobn/seed0", "trains this run"):  # held as a training process holds it
        result = repro_cli("status", "--config", profile_path, "--results", tmp_path / "results/tiny")
    assert result.returncode == 0, result.stderr
    states = dict(re.findall(r"^(\S+)\s+seed0  (.+)$", result.stdout, re.M))
    diverged_at = pd.read_csv(runs / "gan-mlpg/seed0/log.csv")["gen_iter"].iloc[-1]
    assert states["gan-mlp"] == "completed" and states["gan-mlpg"] == f"diverged at iteration {diverged_at}"
    assert states["gan-nobn"] == "running at iteration 3 of 3"
    assert states["gan-dcgan"] == "stopped at iteration 3 of 3 (rerun its command to continue)"
    assert states["wgan-dcgan"] == "not started" and len(states) == len(profile.runs)
    summary = set(result.stdout.splitlines()[-1].split(", "))
    assert summary == {"1 completed", "1 diverged", "1 running", "1 stopped", f"{len(profile.runs) - 4} not started"}
