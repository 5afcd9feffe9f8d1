"""The runs table from real tiny runs: every run × seed listed, statuses and estimates recomputed from the files."""

import csv
import dataclasses
import json

import pandas as pd
import pytest

from repro.cli import main
from repro.config import load_profile, resolve
from repro.optim import OptimSpec
from repro.registry import RUNS
from repro.tables import write_tables
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
    paths = write_tables(profile, results=results, out=root / "tables")
    table = pd.read_csv(root / "tables/runs.csv", keep_default_na=False).set_index(["run", "seed"])
    return profile, results, paths, table


def _log_column(results, run, column):
    with open(results / "runs" / run / "seed0/log.csv", newline="") as f:
        return [float(row[column]) for row in csv.DictReader(f)]


def test_three_files_and_one_row_per_run_and_seed(tables):
    _, _, paths, table = tables
    assert [p.name for p in paths] == ["runs.csv", "runs.md", "runs.html"] and all(p.stat().st_size for p in paths)
    assert sorted(table.index) == sorted((run, seed) for run in RUNS for seed in (0, 1))


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
    assert table.loc[("toy-swissroll-gp", 1), "optimizer"] == "adam 0.0001 betas (0.5, 0.9)"  # registry, missing
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
    _, results, _, _ = tables
    assert main(["table", "--config", str(TINY), "--results", str(results), "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / f"runs.{ext}") for ext in ("csv", "md", "html")]
    assert len(pd.read_csv(tmp_path / "runs.csv")) == len(RUNS)  # the tiny profile's one seed
