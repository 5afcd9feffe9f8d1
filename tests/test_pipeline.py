"""The Snakemake pipeline: DAG shape at paper scale, lint, config errors, and the whole DAG end to end."""

import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro.config import load_profile, resolve
from repro.nets import PAPER_WIDTH, get_arch
from repro.plots import FIGURES, evaluated_runs
from repro.registry import RUNS
from tests.conftest import ROOT, repro_cli
from tests.paper_fixtures import paper_data

PAPER, SMOKE = ROOT / "configs/paper.yaml", ROOT / "tests/profiles/paper-smoke.yaml"


def snakemake(*args, cwd: Path, timeout=900, env=None) -> subprocess.CompletedProcess:
    """`snakemake` on the repository's Snakefile, working in `cwd`, with this venv's `python` on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    return subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                           "--directory", str(cwd), *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def merged_smoke_profile(tmp_path: Path) -> Path:
    """The smoke profile merged over the paper profile as Snakemake merges two --configfile files."""
    from snakemake.utils import update_config

    config = yaml.safe_load(PAPER.read_text())
    update_config(config, yaml.safe_load(SMOKE.read_text()))
    path = tmp_path / "paper-smoke.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def job_counts(output: str) -> dict[str, int]:
    table = output[output.index("Job stats:"):]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_paper_dag_trains_every_registered_run_for_every_seed(tmp_path):
    result = snakemake("-n", "figures", "--configfile", ROOT / "configs/paper.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = json.loads(repro_cli("runs", "--json", check=True).stdout)
    counts = job_counts(result.stdout)
    assert counts["train"] == len(runs) * 3  # configs/paper.yaml: seeds [0, 1, 2]
    assert {"lsun-resnet101-wgan-gp", "cifar-resnet-acgan", "mnist-clip"} <= set(runs)  # WGAN-GP Fig 2, Tab 3, Fig 5b
    evaluated = evaluated_runs()  # only what a metrics figure reads: WGAN-GP Fig 2's sample grids are not measured
    assert counts["evaluate"] == len(evaluated) * 3
    assert "cifar-resnet" in evaluated and "lsun-dcgan-gan" not in evaluated
    assert counts["figure"] == len(FIGURES)
    assert counts["prepare_lsun_bedroom"] == 1 and counts["prepare_mnist"] == 1  # LSUN train + val, MNIST splits
    assert counts["prepare_imagenet32"] == 1
    assert {f"randarch-{i:03d}-{m}" for i in (0, 199) for m in ("gan", "wgan-gp")} <= set(runs)  # Tables 1-2
    assert "randarch-173-wgan-gp-one-sided" in runs and "randarch-174-wgan-gp-one-sided" not in runs  # App. C
    written = (tmp_path / "results/paper/profile.yaml").read_text()
    assert "iters:" not in written  # the embedded default is replaced, not merged: paper runs keep 600k


def test_lint_is_clean(tmp_path):
    result = snakemake("--lint", cwd=tmp_path)
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_a_mistyped_config_key_fails_before_any_job(tmp_path):
    result = snakemake("-n", "figures", "--config", "trian=3", cwd=tmp_path)
    assert result.returncode != 0
    assert "unknown key 'trian' = 3 (did you mean 'train'?)" in result.stdout + result.stderr
    assert "Job stats" not in result.stdout


@pytest.mark.slow
def test_the_whole_dag_end_to_end(tmp_path):
    profile = ROOT / "tests/profiles/pipeline.yaml"
    result = snakemake("--cores", 2, "all", "report", "--configfile", profile, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Figures (PNG, PDF, caption .md): figures/tiny/" in result.stdout + result.stderr
    for name in FIGURES:
        for ext in ("png", "pdf", "md"):
            assert (tmp_path / "figures/tiny" / f"{name}.{ext}").stat().st_size > 0
    for table in ("runs", "summary", "meaningful-loss", "wgangp-table3", "wgangp-sweep", "wgangp-table2",
                  "wgangp-appC"):
        for ext in ("csv", "md", "html"):
            assert (tmp_path / "results/tiny/tables" / f"{table}.{ext}").stat().st_size > 0
    evaluated = list((tmp_path / "results/tiny/metrics").glob("*/seed0.csv"))
    trained = load_profile(profile)
    assert len(evaluated) == len(evaluated_runs(trained))  # the runs a metrics figure reads, no more
    assert (tmp_path / "results/tiny/data/mnist-16/manifest.json").exists()  # prepare ran first
    assert (tmp_path / "results/tiny/report.html").stat().st_size > 10_000
    logs = list((tmp_path / "results/tiny/logs/train").rglob("*.log"))
    assert len(logs) == len(trained.runs)  # every registry run but the sweep's architectures beyond the first 2
    bench = repro_cli("bench", "dag", "--results", tmp_path / "results/tiny", "--out", tmp_path / "dag.json")
    assert bench.returncode == 0, bench.stderr
    dag = json.loads((tmp_path / "dag.json").read_text())
    assert sum(e["jobs"] for e in dag["experiments"]) == len(dag["jobs"]) > len(logs)  # every job, each once
    assert {"wgan: image runs (Figs 3-8)", "wgangp: wgangp-table3", "data, figures, tables"} <= \
        {e["experiment"] for e in dag["experiments"]}
    rerun = snakemake("--cores", 2, "all", "--configfile", profile, "-n", cwd=tmp_path)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr  # everything up to date


def test_the_paper_smoke_profile_changes_only_scale(tmp_path):
    """Every run the smoke profile trains resolves as the paper profile's but for its name, generator iterations,
    batch and validation cadence; the metric protocol keeps its metric set and cadence; the toys, their steps."""
    paper, smoke = load_profile(PAPER), load_profile(merged_smoke_profile(tmp_path))
    assert set(smoke.runs) < set(paper.runs) and {r for r in paper.runs if r not in smoke.runs} == {
        r for r in paper.runs if r.startswith("randarch-") and int(r.split("-")[1]) >= 2}
    for run in smoke.runs:
        ours, theirs = dataclasses.asdict(resolve(run, smoke, 0)), dataclasses.asdict(resolve(run, paper, 0))
        assert {k for k in ours if ours[k] != theirs[k]} <= {"profile", "iters", "batch_size", "validation_every"}
        assert ours["width_g"] == PAPER_WIDTH[get_arch(ours["generator"]).family] and ours["iters"] == 2
    metrics, paper_metrics = dataclasses.asdict(smoke.metrics), dataclasses.asdict(paper.metrics)
    assert {k for k in metrics if metrics[k] != paper_metrics[k]} == {
        "samples", "final_samples", "toy_samples", "extractor", "extractor_per_run", "extractor_module"}
    assert smoke.metrics.image == ("swd", "fid", "kid", "is") and smoke.metrics.every == paper.metrics.every
    assert dataclasses.replace(smoke.toys, scale={}) == paper.toys and smoke.sweep.architectures == 2
    assert (smoke.image_size, smoke.widths, smoke.sampling) == (paper.image_size, paper.widths, paper.sampling)
    assert paper.departures == [] and smoke.departures == [
        "fewer generator iterations", "smaller batches", "2 of the 200 random architectures"]
    assert {name: entry for name, entry in smoke.data.items() if name != "cifar10"} == \
        {name: entry for name, entry in paper.data.items() if name != "cifar10"}


@pytest.mark.slow
def test_the_paper_dag_at_smoke_scale(tmp_path, record_property):
    """Every job of `snakemake all report` on configs/paper.yaml, at smoke scale, on raw data in the formats users
    feed in: prepare for every dataset, train every registered run family at paper width, evaluate with SWD, FID,
    KID and IS through torch-fidelity (one job on the real Inception-v3 graph at random weights), every figure,
    table and the report."""
    paper_data(tmp_path)
    profile = load_profile(merged_smoke_profile(tmp_path))
    tick = time.monotonic()
    result = snakemake("--cores", 2, "all", "report", "--configfile", PAPER, SMOKE, cwd=tmp_path, timeout=1800,
                       env={"PYTHONPATH": str(ROOT)})  # tests.fidelity_extractor, the profile's extractor module
    seconds = time.monotonic() - tick
    assert result.returncode == 0, result.stderr[-4000:]
    counts = job_counts(result.stdout + result.stderr)
    record_property("summary", f"paper smoke DAG: {counts['total']} jobs in {seconds:.0f} s; per rule: "
                    + ", ".join(f"{rule} {n}" for rule, n in counts.items() if rule != "total"))
    evaluated = evaluated_runs(profile)
    assert counts == {"figure": len(FIGURES), "prepare_cifar10": 1, "prepare_imagenet32": 1, "prepare_lsun_bedroom": 1,
                      "prepare_mnist": 1, "toy": 3, "train": len(profile.runs), "evaluate": len(evaluated),
                      "table": 1, "all": 1, "report": 1, "total": counts["total"]}
    families = {run.split("-")[0] for run in profile.runs}
    assert families == {"wgan", "gan", "cifar", "toy", "lsun", "mnist", "randarch"}  # the zoo is lsun-*
    results = tmp_path / "results/paper-smoke"
    for run in profile.runs:  # trained as configured: paper width and image size, finished
        config = yaml.safe_load((results / "runs" / run / "seed0/config.yaml").read_text())
        assert config["width_g"] == PAPER_WIDTH[get_arch(config["generator"]).family]
        assert config["width_d"] == PAPER_WIDTH[get_arch(config["critic"]).family]
        assert json.loads((results / "runs" / run / "seed0/meta.json").read_text())["gen_iter"] == 2
    extractors = set()
    for run in evaluated:  # the paper protocol's every column at the last snapshot, all finite
        metrics = pd.read_csv(results / "metrics" / run / "seed0.csv")
        protocol = json.loads((results / "metrics" / run / "seed0.csv.json").read_text())
        extractors.add(protocol.get("extractor"))
        expected = {"w1_64", "modes_64"} if run.startswith("toy-") and "swissroll" not in run else {"w1_64"} \
            if run.startswith("toy-") else {"swd_40", "fid_40_train", "kid_40_train", "is_40_10split",
                                            "fid_48_train", "kid_48_train", "is_48_10split"}
        if RUNS[run].inception_every:
            expected.add("is_1k_10split")  # WGAN-GP Fig 3's own curve
        last = metrics.iloc[-1]
        assert expected <= set(metrics.columns) and list(metrics["gen_iter"]) == [0, 2], run
        assert all(math.isfinite(last[c]) for c in metrics.columns), (run, last)
        assert all(math.isfinite(v) for v in metrics.to_numpy().ravel() if not pd.isna(v)), run
    assert extractors == {None, "repro-test-stats", "inception-v3-random"}  # None: the toys' exact W1
    for name in FIGURES:
        for ext in ("png", "pdf", "md"):
            assert (tmp_path / "figures/paper-smoke" / f"{name}.{ext}").stat().st_size > 0
    for path in (results / "tables").glob("*.csv"):
        for ext in ("md", "html"):
            assert path.with_suffix(f".{ext}").stat().st_size > 0
    assert len(list((results / "tables").glob("*.csv"))) == 7 and (results / "report.html").stat().st_size > 10_000
    summary = snakemake("--summary", "all", "report", "--configfile", PAPER, SMOKE, cwd=tmp_path)
    rows = [line.split("\t") for line in summary.stdout.splitlines()[1:] if line.strip()]
    assert rows and all(row[-2] == "ok" for row in rows), [row for row in rows if row[-2] != "ok"][:5]
    rerun = snakemake("-n", "all", "report", "--configfile", PAPER, SMOKE, cwd=tmp_path)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr  # every declared output exists and is up to date
