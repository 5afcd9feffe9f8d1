"""The loss-vs-quality figure from real tiny runs and their evaluated snapshots; caption numbers match the table."""

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from repro.config import load_profile, resolve
from repro.errors import DataError
from repro.metrics.evaluate import evaluate
from repro.plots import draw, runs_for
from repro.registry import RUNS
from repro.tables import meaningful_loss_table
from repro.train import train
from tests.conftest import TINY

NAME = "wgan-meaningful-loss"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every run with an estimate (the four Fig 3 runs among them), 20 generator iterations (4 snapshots with a
    log row), evaluated."""
    profile = load_profile(TINY)
    root = tmp_path_factory.mktemp("results") / "tiny"
    for run in runs_for(NAME):
        run_dir = root / "runs" / run / "seed0"
        train(dataclasses.replace(resolve(run, profile, 0, iters=20), warmup=None), run_dir, "cpu", quiet=True)
        evaluate(run_dir, root / "metrics" / run / "seed0.csv", profile.metrics, "cpu", quiet=True)
    return profile, root


def test_every_run_with_an_estimate_feeds_the_figure():
    runs = runs_for(NAME)
    assert "wgan-dcgan" in runs and "gan-mlp" in runs and "toy-swissroll-gp" in runs and "cifar-dcgan" in runs
    assert runs == [n for n, r in RUNS.items() if r.objective != "lsgan" and (r.paper == "wgan" or any(
        f in ("wgangp-toy", "wgangp-fig3", "wgangp-table3") for f in r.figures))]
    assert "cifar-resnet" in runs and not any(n.startswith(("lsun-", "mnist-")) for n in runs)  # no evaluation added


def test_figure_files_and_caption_rows_match_the_table(results, tmp_path):
    profile, root = results
    paths = draw(NAME, profile, results=root, out_dir=tmp_path)
    assert [p.name for p in paths] == [f"{NAME}.png", f"{NAME}.pdf", f"{NAME}.md", f"{NAME}.html"]
    assert Image.open(paths[0]).size[0] > 1000
    caption = paths[2].read_text()
    table = meaningful_loss_table(profile, root).set_index("run")
    for run in runs_for(NAME):
        row = table.loc[run]
        assert row["snapshots"] == 4
        line = next(line for line in caption.splitlines() if line.startswith(f"| `{run}` |"))
        # a constant estimate (e.g. a deep clipped critic whose gradients vanished) has no rank correlation
        interval = (f"{row['rho']:.4g} [{row['ci95_low']:.4g}, {row['ci95_high']:.4g}]" if np.isfinite(row["rho"])
                    else "ρ undefined")
        assert line.endswith(f"| {interval} |")  # no verdict of the caption's own: it quotes the claims rows
    assert "reduced-scale" in caption and "Spearman" in caption
    assert "| wgan-fig3-tracks-quality | > 0 |" in caption  # its claims' rows, as claims.md has them


def test_an_unevaluated_run_is_named(results, tmp_path):
    profile, root = results
    copy = tmp_path / "tiny"
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "runs/gan-nobn")
    with pytest.raises(DataError, match="gan-nobn"):
        draw(NAME, profile, results=copy, out_dir=tmp_path / "out")


def test_wgangp_fig3_draws_gan_cifar_py_inception_curve_before_the_profiles_sparser_score():
    from repro.plots.quality import _fig3_metric

    nan = float("nan")
    metrics = pd.DataFrame({"gen_iter": [0, 1000, 2000], "swd_2k": [3.0, nan, 2.0],
                            "is_10k_10split": [1.1, nan, 2.2], "is_1k_10split": [1.0, 1.5, 2.0]})
    assert _fig3_metric("cifar-gp-adam", metrics)[0] == "is_1k_10split"
    assert _fig3_metric("cifar-gp-adam", metrics.drop(columns="is_1k_10split"))[0] == "is_10k_10split"
    assert _fig3_metric("cifar-gp-adam", metrics[["gen_iter", "swd_2k"]])[0] == "swd_2k"


def test_wgangp_fig3_plots_each_runs_metric_against_iterations_and_wall_clock(results, tmp_path):
    profile, root = results
    paths = draw("wgangp-fig3", profile, results=root, out_dir=tmp_path)
    caption = paths[2].read_text()
    assert runs_for("wgangp-fig3") == ["cifar-clip-rmsprop", "cifar-gp-rmsprop", "cifar-gp-adam", "cifar-dcgan"]
    for run in runs_for("wgangp-fig3"):
        metrics = pd.read_csv(root / "metrics" / run / "seed0.csv")
        last = metrics.iloc[-1]
        line = next(line for line in caption.splitlines() if line.startswith(f"- `{run}`"))
        assert f"swd_64 {metrics['swd_64'].iloc[0]:.4g} at iteration 0 → {last['swd_64']:.4g} at 20" in line
        assert f"({last['wall_s']:.4g} s of training); best {metrics['swd_64'].min():.4g}." in line
    assert "stand-in for CIFAR-10" in caption and "Gradient Penalty (Adam)" in caption
