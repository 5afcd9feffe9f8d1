"""The Snakemake pipeline: DAG shape at paper scale, lint, config errors, and the whole DAG end to end."""

import json

import pytest

from repro.config import load_profile
from repro.plots import FIGURES, evaluated_runs
from tests.conftest import ROOT, job_counts, repro_cli, snakemake


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

