"""Curve figures (Fig 3, 4, 8, Adam study, GAN baseline) drawn from real tiny runs; captions checked against numbers
recomputed here from log.csv."""

import dataclasses
import json
import math
import shutil

import matplotlib
import numpy as np
import pandas as pd
import pytest
import scipy.signal
from PIL import Image

from repro.config import load_profile, resolve
from repro.errors import DataError
from repro.plots import draw, runs_for
from repro.plots.curves import stage_iterations
from repro.plots.style import grid_images, medfilt, medfilt_kernel, nearest_sample
from repro.train import train
from tests.conftest import TINY

ITERS = 12
FIGURES = ["wgan-fig3", "wgan-fig4", "wgan-fig8", "wgan-adam", "wgan-gan-baseline"]
THREE_PANELS = {"wgan-fig3", "wgan-fig4", "wgan-fig8"}
RUNS = sorted({run for figure in FIGURES for run in runs_for(figure)} | {"gan-dcgan-alg1"})


@pytest.fixture(scope="module")
def profile():
    return load_profile(TINY)


@pytest.fixture(scope="module")
def results(tmp_path_factory, profile):
    """Every run the five figures read, 12 generator iterations each (samples at 10 and 12)."""
    root = tmp_path_factory.mktemp("results") / "tiny"
    for run in RUNS:
        cfg = dataclasses.replace(resolve(run, profile, 0, iters=ITERS), warmup=None)
        assert train(cfg, root / "runs" / run / "seed0", "cpu", quiet=True) == 0
    return root


@pytest.fixture(scope="module")
def drawn(results, profile, tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return {name: draw(name, profile, results=results, out_dir=out) for name in FIGURES}


def log(results, run) -> pd.DataFrame:
    return pd.read_csv(results / "runs" / run / "seed0" / "log.csv")


def truncated_medians(values, kernel: int) -> np.ndarray:
    """The running median over the points that exist, written out as a loop."""
    half, values = kernel // 2, np.asarray(values, dtype="float64")
    return np.array([np.median(values[max(0, i - half):i + half + 1]) for i in range(len(values))])


def first_last(values) -> list[str]:
    filtered = truncated_medians(values, 11)  # 101 shrunk to 12 rows
    return [f"{filtered[0]:.4g}", f"{filtered[-1]:.4g}"]


def test_medfilt_is_scipys_with_kernel_101_away_from_the_ends():
    values = np.random.default_rng(0).normal(size=500).astype("float32")
    interior = slice(50, -50)
    np.testing.assert_array_equal(medfilt(values)[interior],
                                  scipy.signal.medfilt(values.astype("float64"), 101)[interior])


def test_medfilt_ends_are_medians_of_the_points_that_exist():
    """A constant series stays flat to its last point. A noisy one around 0.127: scipy's zero padding makes up to
    half the window zeros at the ends, so its median sinks to a low quantile of the noise there."""
    constant = np.full(600, 0.127)
    np.testing.assert_array_equal(medfilt(constant), constant)
    noisy = 0.127 + 0.01 * np.random.default_rng(1).normal(size=600)
    ours, padded = medfilt(noisy), scipy.signal.medfilt(noisy, 101)
    np.testing.assert_allclose(ours, truncated_medians(noisy, 101), rtol=0, atol=1e-12)
    assert abs(ours[-1] - 0.127) < 0.005 and padded[-1] < 0.127 - 0.01  # ours flat; scipy's bent down


@pytest.mark.parametrize("length, kernel", [(1, 1), (2, 1), (12, 11), (100, 99), (101, 101), (5000, 101)])
def test_medfilt_kernel_shrinks_to_the_log(length, kernel):
    values = np.arange(length)[::-1] % 7
    assert medfilt_kernel(length) == kernel
    np.testing.assert_allclose(medfilt(values), truncated_medians(values, kernel), rtol=0, atol=1e-12)


def test_fig3_thumbnails_sit_at_the_papers_iterations_scaled_to_the_run(tmp_path):
    """The paper joins its thumbnails to about 0, 10k, 50k, 100k, 300k, 500k and 600k of 600k generator iterations;
    a 600-iteration run with a grid every 10 shows 0 (nearest saved: 10), 10, 50, 100, 300, 500 and 600, a
    6,000-iteration one with a grid every 100 shows 100, 500, 1,000, 3,000, 5,000 and 6,000."""
    for iters, every, expected in ((600, 10, [10, 50, 100, 300, 500, 600]),
                                   (6000, 100, [100, 500, 1000, 3000, 5000, 6000])):
        (tmp_path / str(iters) / "samples").mkdir(parents=True)
        for gen_iter in range(every, iters + 1, every):
            (tmp_path / str(iters) / "samples" / f"gen_{gen_iter:09d}.png").touch()
        assert stage_iterations(tmp_path / str(iters), iters, paper_iters=600_000) == expected


def test_thumbnails_crop_the_first_grid_image(results):
    run_dir = results / "runs" / "wgan-dcgan" / "seed0"
    assert nearest_sample(run_dir, 0) == 10 and nearest_sample(run_dir, 11) == 10
    assert stage_iterations(run_dir, ITERS, paper_iters=600_000) == [10, 12]
    grid = np.asarray(Image.open(run_dir / "samples" / "gen_000000012.png").convert("RGB"))
    first, second = grid_images(run_dir, 12, count=2)
    assert first.shape == (16, 16)  # MNIST: one channel, drawn with cmap gray
    np.testing.assert_array_equal(first, grid[2:18, 2:18, 0])
    np.testing.assert_array_equal(second, grid[2:18, 20:36, 0])


@pytest.mark.parametrize("name", FIGURES)
def test_figure_files_and_caption(drawn, results, profile, name):
    paths = drawn[name]
    assert [p.suffix for p in paths] == [".png", ".pdf", ".md", ".html"] and all(p.stat().st_size > 0 for p in paths)
    with Image.open(paths[0]) as png:
        width, height = png.size
    if name in THREE_PANELS:
        assert width > 2 * height
    text = paths[2].read_text()
    runs = runs_for(name) or ["gan-dcgan", "gan-dcgan-alg1"]
    for run in runs:
        assert f"`{run}`" in text
    assert f"Profile `{profile.name}`" in text and "reduced-scale" in text and "Paper claim:" in text
    assert f"{ITERS} generator iterations" in text and "kernel 11 (shrunk from 101" in text

    column = {"wgan-fig3": "w_estimate", "wgan-fig8": "loss_g", "wgan-adam": "w_estimate"}.get(name, "js_estimate")
    for run in runs:
        first, last = first_last(log(results, run)[column])
        assert f"{first} at iteration 1 → {last} at {ITERS}" in text, (run, first, last)
        if column == "js_estimate":
            share = (log(results, run)[column] >= 0.9 * math.log(2)).mean()
            assert f"{share:.1%} of the logged iterations" in text
    if name == "wgan-fig3":
        assert text.count("at iterations 10, 12") == 3
    if name == "wgan-adam":
        negative = (log(results, "wgan-dcgan-adam")["adam_cos"] < 0).mean()
        assert f"negative in {negative:.1%} of the {ITERS} logged iterations" in text
        assert "seed 0 did not diverge (completed)" in text
    if name == "wgan-gan-baseline":
        assert "Adam 2e-4, 1 D step" in text and "RMSProp 5e-5, 5 D steps" in text and "§6.3" in text


def test_diverged_adam_run_is_reported(results, profile, tmp_path):
    """A NaN last row (how train() ends a diverged run) is left out of the curves; the caption names the iteration."""
    copy = tmp_path / "tiny"
    for run in ("wgan-dcgan", "wgan-dcgan-adam"):
        shutil.copytree(results / "runs" / run, copy / "runs" / run)
    run_dir = copy / "runs" / "wgan-dcgan-adam" / "seed0"
    with open(run_dir / "log.csv", "a") as f:
        f.write(f"{ITERS + 1},5,1.0,nan,nan,nan,nan,nan,,,nan,nan\n")
    meta = json.loads((run_dir / "meta.json").read_text())
    (run_dir / "meta.json").write_text(json.dumps({**meta, "status": "diverged", "diverged_at": ITERS + 1,
                                                   "gen_iter": ITERS + 1}))
    text = draw("wgan-adam", profile, results=copy, out_dir=tmp_path / "figures")[2].read_text()
    assert f"seed 0 diverged (NaN/Inf loss) at generator iteration {ITERS + 1}" in text
    assert f"of the {ITERS} logged iterations" in text


def test_missing_run_names_its_directory(results, profile, tmp_path):
    partial = tmp_path / "tiny"
    shutil.copytree(results / "runs" / "gan-dcgan", partial / "runs" / "gan-dcgan")
    with pytest.raises(DataError, match=str(partial / "runs" / "gan-mlpg" / "seed0")):
        draw("wgan-fig4", profile, results=partial, out_dir=tmp_path / "figures")


def test_style_leaves_global_rcparams_alone(results, profile, tmp_path):
    with matplotlib.rc_context({"lines.linewidth": 3.25}):
        draw("wgan-fig8", profile, results=results, out_dir=tmp_path)
        assert matplotlib.rcParams["lines.linewidth"] == 3.25
