"""The runs table from real tiny runs: every run × seed listed, statuses and estimates recomputed from the files."""

import csv
import dataclasses
import json

import pandas as pd
import pytest

from repro.cli import main
from repro.config import load_profile, resolve
from repro.metrics.evaluate import evaluate
from repro.registry import OptimSpec
from repro.plots import runs_for
from repro.registry import RUNS
from repro.tables import mean_ci, write_tables
from repro.train import train
from tests.conftest import TINY


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """Seeds 0 and 1; only seed 0 of five runs is trained: completed WGAN and GAN, a long-enough toy run for the
    100-row window, a diverged GAN, and an unfinished run (its meta.json and final.pt removed, as after a crash)."""
    profile = dataclasses.replace(load_profile(TINY), seeds=[0, 1])
    root = tmp_path_factory.mktemp("tables")
    results = root / "results"
    huge = OptimSpec("rmsprop", 1e30)
    for run, iters, changes in [("wgan-dcgan", 12, {}), ("gan-dcgan", 12, {}), ("toy-8gaussians-wgan", 110, {}),
                                ("gan-mlp", 12, {"opt_g": huge, "opt_d": huge}), ("toy-swissroll-gp", 3, {})]:
        cfg = dataclasses.replace(resolve(run, profile, 0, iters=iters), warmup=None, **changes)
        train(cfg, results / "runs" / run / "seed0", "cpu", quiet=True)
    for declared in ("meta.json", "final.pt"):
        (results / "runs/toy-swissroll-gp/seed0" / declared).unlink()
    for run in ("wgan-dcgan", "gan-dcgan", "toy-8gaussians-wgan"):
        evaluate(results / "runs" / run / "seed0", results / "metrics" / run / "seed0.csv", profile.metrics, "cpu",
                 quiet=True)
    paths = write_tables(profile, results=results, out=root / "tables")
    table = pd.read_csv(root / "tables/runs.csv", keep_default_na=False).set_index(["run", "seed"])
    return profile, results, paths, table


def _log_column(results, run, column):
    with open(results / "runs" / run / "seed0/log.csv", newline="") as f:
        return [float(row[column]) for row in csv.DictReader(f)]


def test_four_tables_of_three_files_and_one_row_per_run_and_seed(tables):
    profile, _, paths, table = tables
    assert [p.name for p in paths] == [f"{t}.{ext}" for t in ("runs", "summary", "meaningful-loss", "wgangp-table3")
                                       for ext in ("csv", "md", "html")]
    assert all(p.stat().st_size for p in paths)
    assert sorted(table.index) == sorted((run, seed) for run in profile.runs for seed in (0, 1))


def test_statuses_completed_diverged_and_missing(tables):
    _, results, _, table = tables
    diverged_at = json.loads((results / "runs/gan-mlp/seed0/meta.json").read_text())["diverged_at"]
    assert table.loc[("wgan-dcgan", 0), "status"] == "completed"
    assert table.loc[("gan-mlp", 0), "status"] == f"diverged at {diverged_at}"
    assert table.loc[("toy-swissroll-gp", 0), "status"] == "missing"  # unfinished: a log but no meta.json
    assert table.loc[("gan-dcgan-alg1", 0), "status"] == "missing"  # never started
    assert set(table.xs(1, level="seed")["status"]) == {"missing"}
    assert table.loc[("toy-swissroll-gp", 0), "gen_iters"] == ""


def test_optimizer_and_architecture_strings(tables):
    _, _, _, table = tables
    assert table.loc[("wgan-dcgan", 0), "optimizer"] == "rmsprop 5e-05"
    assert table.loc[("gan-dcgan", 0), "optimizer"] == "adam 0.0002 betas (0.5, 0.999)"
    assert table.loc[("gan-mlp", 0), "optimizer"] == "rmsprop 1e+30"  # what was trained, from config.yaml
    assert table.loc[("toy-swissroll-gp", 1), "optimizer"] == "adam_tf 0.0001 betas (0.5, 0.9)"  # registry, missing
    row = table.loc[("wgan-dcgan", 0)]
    assert (row["objective"], row["generator"], row["critic"], row["n_critic"]) == ("wgan", "dcgan_g", "dcgan_d", 5)


def test_final_estimates_are_means_over_the_last_100_logged_iterations(tables):
    _, results, _, table = tables
    toy_w = _log_column(results, "toy-8gaussians-wgan", "w_estimate")
    assert len(toy_w) == 110
    assert float(table.loc[("toy-8gaussians-wgan", 0), "final_w_estimate"]) == pytest.approx(
        sum(toy_w[-100:]) / 100, rel=1e-12)
    dcgan_w = _log_column(results, "wgan-dcgan", "w_estimate")
    assert float(table.loc[("wgan-dcgan", 0), "final_w_estimate"]) == pytest.approx(sum(dcgan_w) / 12, rel=1e-12)
    js = _log_column(results, "gan-dcgan", "js_estimate")
    assert float(table.loc[("gan-dcgan", 0), "final_js_estimate"]) == pytest.approx(sum(js) / 12, rel=1e-12)
    assert sum(toy_w[-100:]) / 100 != pytest.approx(sum(toy_w) / 110, rel=1e-9)  # the window really matters
    assert table.loc[("gan-dcgan", 0), "final_w_estimate"] == ""  # GAN has no W estimate, WGAN no JS estimate
    assert table.loc[("wgan-dcgan", 0), "final_js_estimate"] == ""
    meta = json.loads((results / "runs/wgan-dcgan/seed0/meta.json").read_text())
    assert table.loc[("wgan-dcgan", 0), "gen_iters"] == "12"  # a column with empty cells is read as text
    assert float(table.loc[("wgan-dcgan", 0), "gen_iters_per_s"]) == meta["gen_iters_per_s"]


def test_markdown_and_html_carry_the_header_and_every_row(tables):
    _, _, paths, table = tables
    markdown, page = paths[1].read_text(), paths[2].read_text()
    assert "Profile `tiny`" in markdown and "min(100, n)" in markdown and "reduced-scale" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(table)
    assert "| gan-mlp | 0 | gan | mlp_g | mlp_d | rmsprop 1e+30 | 1 | diverged at " in markdown
    assert page.startswith("<!DOCTYPE html>") and "<title>Runs, profile tiny</title>" in page
    assert page.count("<tr") == 1 + len(table) and "diverged at " in page


def test_table_command_writes_the_files(tables, tmp_path, capsys):
    profile, results, _, _ = tables
    assert main(["table", "--config", str(TINY), "--results", str(results), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[:3] == [str(tmp_path / f"runs.{ext}") for ext in ("csv", "md", "html")]
    sweep_tables = {f"{t}.csv" for t in ("wgangp-sweep", "wgangp-table2", "wgangp-appC", "wgangp-appD")}
    assert {p.rsplit("/", 1)[1] for p in printed} >= sweep_tables
    assert len(pd.read_csv(tmp_path / "runs.csv")) == len(profile.runs) < len(RUNS)  # two of the 200 architectures


def test_runs_table_carries_the_last_snapshots_metrics(tables):
    _, results, _, table = tables
    toy = pd.read_csv(results / "metrics/toy-8gaussians-wgan/seed0.csv").iloc[-1]
    assert float(table.loc[("toy-8gaussians-wgan", 0), "w1_64"]) == pytest.approx(toy["w1_64"], rel=1e-12)
    assert float(table.loc[("toy-8gaussians-wgan", 0), "modes_64"]) == toy["modes_64"]
    image = pd.read_csv(results / "metrics/wgan-dcgan/seed0.csv").iloc[-1]
    assert float(table.loc[("wgan-dcgan", 0), "swd_64"]) == pytest.approx(image["swd_64"], rel=1e-12)
    assert "swd_64_16px" not in table.columns  # per-level values stay in the metrics file
    assert table.loc[("gan-mlp", 0), "swd_64"] == ""  # finished but not evaluated


def test_mean_and_student_t_interval_over_seeds():
    mean, half, n = mean_ci([1.0, 2.0, 3.0, float("nan")])
    assert (mean, n) == (2.0, 3) and half == pytest.approx(4.302653 * 1 / 3 ** 0.5, rel=1e-6)
    assert mean_ci([5.0])[:2] == (5.0, pytest.approx(float("nan"), nan_ok=True))


def test_summary_has_one_row_per_run_with_mean_and_interval(tables):
    profile, _, paths, table = tables
    summary = pd.read_csv(paths[3]).set_index("run")
    assert list(summary.index) == profile.runs
    row = summary.loc["toy-8gaussians-wgan"]
    assert row["seeds"] == 1 and row["diverged"] == 0
    assert row["w1_64_mean"] == pytest.approx(float(table.loc[("toy-8gaussians-wgan", 0), "w1_64"]))
    assert pd.isna(row["w1_64_ci95"])  # one seed: no interval
    assert summary.loc["gan-mlp", "diverged"] == 1 and summary.loc["gan-dcgan-alg1", "seeds"] == 0
    markdown = paths[4].read_text()
    assert "mean over its finished seeds" in markdown and "| toy-8gaussians-wgan | 1 | 0 |" in markdown


def test_meaningful_loss_table_rows_rho_and_no_verdict_of_its_own(tables):
    _, results, paths, _ = tables
    loss = pd.read_csv(paths[6]).set_index("run")
    assert list(loss.index) == runs_for("wgan-meaningful-loss")
    toy = loss.loc["toy-8gaussians-wgan"]
    assert (toy["estimate"], toy["quality"], toy["seeds"]) == ("w_estimate", "w1_64", 1)
    assert toy["snapshots"] == 22 and -1 <= toy["rho"] <= 1 and toy["ci95_low"] <= toy["rho"] <= toy["ci95_high"]
    assert "verdict" not in loss.columns  # the claims table judges (repro.claims)
    assert loss.loc["gan-dcgan", "estimate"] == "js_estimate"
    assert loss.loc["gan-mlp", "seeds"] == 0 and pd.isna(loss.loc["gan-mlp", "rho"])  # not finished


def test_table3_rows_are_missing_until_the_resnets_are_trained(tables):
    _, _, paths, _ = tables
    table3 = pd.read_csv(paths[9]).set_index("run")
    assert list(table3.index) == ["cifar-resnet", "cifar-resnet-acgan"] and table3["ours"].isna().all()
    assert "| Unsupervised | cifar-resnet | 7.86 | 0.07 |" in paths[10].read_text()
