"""WGAN-GP Figure 2, Appendix H, Table 3 and Figure 5a/5b drawn from real tiny runs; numbers recomputed here."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from repro.config import resolve
from repro.metrics.evaluate import evaluate
from repro.plots import draw, runs_for
from repro.registry import RUNS, ZOO_ARCHITECTURES, ZOO_METHODS
from repro.tables import table3
from repro.train import train

pytestmark = pytest.mark.usefixtures("one_thread")
FIGURES = ["wgangp-fig2", "wgangp-appH", "wgangp-table3", "wgangp-fig5a", "wgangp-fig5b"]
ITERS = {"mnist-gp": 8, "mnist-clip": 8, "lsun-dcgan-wgan-gp": 4}  # 4 validation points at every 2


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Every run the five figures read: 2 generator iterations (Fig 2's 64×64 nets at the tiny profile's batch 8),
    more where a validation curve is drawn; the Table 3 runs evaluated."""
    from repro.config import load_profile
    from tests.conftest import TINY

    profile = dataclasses.replace(load_profile(TINY), validation_every=2)
    root = tmp_path_factory.mktemp("wgangp")
    results = root / "results"
    for run in dict.fromkeys(r for name in FIGURES for r in runs_for(name)):
        cfg = resolve(run, profile, 0, iters=ITERS.get(run, 2))  # the tiny profile: Fig 2's nets at batch 8
        assert train(cfg, results / "runs" / run / "seed0", "cpu", quiet=True) == 0
        if "wgangp-table3" in RUNS[run].figures:
            evaluate(results / "runs" / run / "seed0", results / "metrics" / run / "seed0.csv", profile.metrics,
                     "cpu", quiet=True)
    return profile, results, {name: draw(name, profile, results=results, out_dir=root / "figures")
                              for name in FIGURES}


def test_fig2_has_every_architecture_and_method_and_the_samples_shown(drawn):
    _, results, paths = drawn
    caption = paths["wgangp-fig2"][2].read_text()
    rows = [line for line in caption.splitlines() if line.startswith("| ") and "`lsun-" in line]
    assert len(rows) == len(ZOO_ARCHITECTURES) * len(ZOO_METHODS) == 28
    assert "only WGAN-GP trained every architecture" in caption and "reduced-scale" in caption
    grid = np.asarray(Image.open(results / "runs/lsun-tanh-lsgan/seed0/samples/gen_000000002.png"))[..., 0]
    tiles = [grid[2 + r * 66:][:64, 2 + c * 66:][:, :64] for r in range(2) for c in range(8)][:9]  # 3×3 shown
    spread = (np.stack(tiles) / 255.0).std(axis=0).mean()
    row = next(line for line in rows if "`lsun-tanh-lsgan`" in line)
    assert row.endswith(f"| {spread:.4f} |") and "| completed | 2 | 2 |" in row


def test_fig2_names_the_runs_a_profile_leaves_out_and_draws_the_others(drawn, tmp_path):
    profile, results, _ = drawn
    lighter = dataclasses.replace(profile, leave_out=("lsun-tanh-*", "lsun-dcgan-dcgan"))
    caption = draw("wgangp-fig2", lighter, results=results, out_dir=tmp_path)[2].read_text()
    rows = {line.split(" | ")[2]: line for line in caption.splitlines() if line.startswith("| ") and "`lsun-" in line}
    left_out = {"`lsun-dcgan-dcgan`", *(f"`lsun-tanh-{m}`" for m in ZOO_METHODS)}
    assert len(rows) == 28 and {run for run, row in rows.items() if "| not trained (the profile's train.leave_out) |"
                                in row} == left_out
    assert "| completed | 2 | 2 |" in rows["`lsun-dcgan-lsgan`"] and "5 runs left out by train.leave_out" in caption


def test_appendix_h_shows_all_64_samples_per_cell(drawn):
    _, _, paths = drawn
    fig2, app_h = (Image.open(paths[name][0]) for name in ("wgangp-fig2", "wgangp-appH"))
    assert app_h.height > fig2.height and "all 64" in paths["wgangp-appH"][2].read_text()


def test_table3_puts_our_number_beside_the_papers(drawn):
    profile, results, paths = drawn
    table = table3(profile, results).set_index("run")
    assert list(table["paper_is"]) == [7.86, 8.42]
    metrics = pd.read_csv(results / "metrics/cifar-resnet-acgan/seed0.csv")
    assert table.loc["cifar-resnet-acgan", "metric"] == "swd_64"  # the tiny profile measures no IS
    assert table.loc["cifar-resnet-acgan", "ours"] == pytest.approx(metrics["swd_64"].iloc[-1])
    caption = paths["wgangp-table3"][2].read_text()
    assert "7.86 ± 0.07" in caption and "cannot be compared with the paper's" in caption


@pytest.mark.parametrize("name, runs", [("wgangp-fig5a", ["lsun-dcgan-wgan-gp"]),
                                        ("wgangp-fig5b", ["mnist-gp", "mnist-clip"])])
def test_fig5_caption_reports_each_runs_gap(drawn, name, runs):
    _, results, paths = drawn
    caption = paths[name][2].read_text()
    for run in runs:
        log = pd.read_csv(results / "runs" / run / "seed0/log.csv")
        assert log["val_w_estimate"].notna().sum() == ITERS[run] // 2
        assert f"`{run}` seed 0: train − validation gap" in caption
