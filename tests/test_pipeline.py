"""The Snakemake pipeline: DAG shape at paper scale, lint, config errors, and a default-shaped DAG end to end."""

import json

import pytest

from repro.config import load_profile
from repro.plots import FIGURES, evaluated_runs, runs_for
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


@pytest.mark.slow(seconds=130)
def test_a_default_shaped_dag_end_to_end(tmp_path):
    """The embedded default's wiring (tests/test_paper_smoke.py runs every job of the paper DAG): a store prepared
    from the bundled digits and shared by runs, the bundled digits as a stand-in with a held-out part, evaluation
    jobs only where a metrics figure reads them, the figures' captions also as HTML, and a rerun with nothing to
    do."""
    profile = ROOT / "tests/profiles/pipeline.yaml"
    figures = ["wgan-fig3", "wgangp-fig5a"]  # the prepared store, evaluated; the bundled digits with a hold-out
    targets = [f"figures/tiny/{name}.{ext}" for name in figures for ext in ("png", "pdf", "md", "html")]
    result = snakemake("--cores", 2, *targets, "--configfile", profile, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    for target in targets:
        assert (tmp_path / target).stat().st_size > 0
    trained = load_profile(profile)
    runs = {run for name in figures for run in runs_for(name, trained)}
    assert {p.parent.name for p in (tmp_path / "results/tiny/logs/train").rglob("*.log")} == runs
    evaluated = {p.parent.name for p in (tmp_path / "results/tiny/metrics").glob("*/seed0.csv")}
    # the metrics figure's runs, no more (wgan-fig3 reads its runs' metrics for its claims' rows; Fig 5a none)
    assert evaluated == set(runs_for("wgan-fig3")) <= set(evaluated_runs(trained))
    manifest = json.loads((tmp_path / "results/tiny/data/mnist-16/manifest.json").read_text())  # prepare ran first
    assert manifest["count"] == 10_000
    for run in runs_for("wgan-fig3"):
        config = (tmp_path / f"results/tiny/runs/{run}/seed0/config.yaml").read_text()
        assert "data_source: results/tiny/data/mnist-16" in config
    fig5a = (tmp_path / "results/tiny/runs/lsun-dcgan-wgan-gp/seed0/config.yaml").read_text()
    assert "data_source: mnist-bundled" in fig5a and "hold_out: 1000" in fig5a
    rerun = snakemake("--cores", 2, *targets, "--configfile", profile, "-n", cwd=tmp_path)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr  # everything up to date
