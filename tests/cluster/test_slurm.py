"""profiles/slurm against a real (private, single-node) SLURM cluster: a training job submitted by Snakemake's
SLURM executor, and a training job that gets SIGTERM from SLURM, checkpoints, fails, and is resubmitted
(`retries` in the profile) to resume from its checkpoint."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "profiles" / "tiny.yaml"
RUN = "toy-8gaussians-gp"
RUN_DIR = f"results/tiny/runs/{RUN}/seed0"
TRAIN_LOG = f"results/tiny/logs/train/{RUN}/seed0.log"
SLURM_LOGS = f".snakemake/slurm_logs/rule_train/{RUN}_0"
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+)")

pytestmark = pytest.mark.cluster


def overlay(tmp_path: Path, iters: int, checkpoint_every: int = 5) -> Path:
    """Laid over tests/profiles/tiny.yaml: this run's length (iters_per_run also beats the Snakefile's
    configs/default.yaml, which Snakemake merges under every --configfile) and job sizes the test node has."""
    path = tmp_path / "cluster.yaml"
    path.write_text(f"train:\n  iters_per_run: {{{RUN}: {iters}}}\n  checkpoint_every: {checkpoint_every}\n"
                    f"resources:\n  train: {{runtime: 10, mem_mb: 1000}}\n")
    return path


def snakemake(workdir: Path, *configfiles: Path, verbose=False) -> list[str]:
    return [sys.executable, "-m", "snakemake", f"{RUN_DIR}/meta.json",
            "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
            "--workflow-profile", str(ROOT / "profiles" / "slurm"),
            "--configfile", str(TINY), *map(str, configfiles),
            # the test cluster has no accounting (see profiles/slurm/config.yaml); first status check after 1 s
            "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1",
            "--slurm-keep-successful-logs", *(["--verbose"] if verbose else [])]


def read_rows(path: Path, drop=()) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


def wait_for(condition, timeout: float, what: str, proc: subprocess.Popen, output: Path):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"snakemake exited ({proc.returncode}) before {what}:\n{output.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout} s:\n{output.read_text()[-4000:]}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    """Snakemake (its own process group) cancels its SLURM jobs on SIGTERM; SIGKILL if it hangs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.slow(seconds=45)
def test_train_job_runs_through_slurm(slurm_cluster, tmp_path):
    done = subprocess.run(snakemake(tmp_path, overlay(tmp_path, iters=40), verbose=True), cwd=tmp_path,
                          env=slurm_cluster.env, capture_output=True, text=True, timeout=240)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]

    # submitted with sbatch, with the profile's signal and requeue, and finished as a SLURM job
    job_ids = SUBMITTED.findall(out)
    assert len(job_ids) == 1, out[-4000:]
    sbatch = next(line for line in out.splitlines() if line.startswith("sbatch call:"))
    assert "--signal=TERM@120" in sbatch and "--requeue" in sbatch and "--gpus" not in sbatch, sbatch
    assert " -t 10 " in sbatch and " --mem 1000 " in sbatch, sbatch  # resources.train of the overlay
    assert slurm_cluster.queue("--states=all", f"--jobs={job_ids[0]}", "--format=%T") == ["COMPLETED"]
    slurm_log = tmp_path / SLURM_LOGS / f"{job_ids[0]}.log"
    assert slurm_log.exists() and "rule train:" in slurm_log.read_text()

    meta = json.loads((tmp_path / RUN_DIR / "meta.json").read_text())
    assert (meta["status"], meta["gen_iter"], meta["device"], meta["resumed_from"]) == ("completed", 40, "cpu", None)
    assert (tmp_path / RUN_DIR / "final.pt").exists()
    assert [int(r["gen_iter"]) for r in read_rows(tmp_path / RUN_DIR / "log.csv")] == list(range(1, 41))


@pytest.mark.slow(seconds=140)
def test_sigterm_checkpoints_and_the_retried_job_resumes(slurm_cluster, tmp_path):
    iters = 600  # ~20 s of training on one core: long enough to be interrupted after its first checkpoints
    output = tmp_path / "snakemake.out"
    run_dir, train_log = tmp_path / RUN_DIR, tmp_path / TRAIN_LOG
    with open(output, "w") as out:
        proc = subprocess.Popen(snakemake(tmp_path, overlay(tmp_path, iters, checkpoint_every=10)), cwd=tmp_path,
                                env=slurm_cluster.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: list(run_dir.glob("ckpt/iter_*.pt")) and len(read_rows(run_dir / "log.csv")) > 10,
                 150, "checkpoint of the first job", proc, output)
        running = slurm_cluster.queue("--states=RUNNING", "--format=%i")
        assert len(running) == 1, running
        first_job = running[0]
        # Without --full only the job steps are signalled, as SLURM does for `--signal=TERM@120` at the time limit
        slurm_cluster.cmd("scancel", "--signal=TERM", first_job)
        # the retry truncates the train log, so read the interrupted run's last line now
        stopped_at = wait_for(
            lambda: train_log.exists() and re.search(r"SIGTERM at generator iteration (\d+)", train_log.read_text()),
            60, "SIGTERM line in the train log", proc, output)
        stopped_at = int(stopped_at.group(1))
        returncode = proc.wait(240)
    finally:
        stop(proc)
    out = output.read_text()
    assert returncode == 0, out[-4000:]

    job_ids = SUBMITTED.findall(out)
    assert job_ids[0] == first_job and len(job_ids) == 2, out[-4000:]
    assert "Trying to restart job" in out
    assert slurm_cluster.queue("--states=all", f"--jobs={first_job}", "--format=%T") == ["FAILED"]
    assert slurm_cluster.queue("--states=all", f"--jobs={job_ids[1]}", "--format=%T") == ["COMPLETED"]

    meta = json.loads((run_dir / "meta.json").read_text())
    assert 0 < stopped_at < iters
    assert (meta["status"], meta["gen_iter"], meta["resumed_from"]) == ("completed", iters, stopped_at)
    assert [int(r["gen_iter"]) for r in read_rows(run_dir / "log.csv")] == list(range(1, iters + 1))

    # the resumed run is the uninterrupted one: the same command line as the job's (its resolved profile, one
    # thread as on the test node's CPU), every logged number but the wall clock identical
    reference = tmp_path / "uninterrupted"
    subprocess.run([sys.executable, "-m", "repro", "train", RUN, "--config", "results/tiny/profile.yaml", "--seed", "0",
                    "--out", str(reference), "--quiet"], cwd=tmp_path, env={**os.environ, "OMP_NUM_THREADS": "1"},
                   check=True, capture_output=True, timeout=240)
    assert read_rows(run_dir / "log.csv", drop=("wall_s",)) == read_rows(reference / "log.csv", drop=("wall_s",))
