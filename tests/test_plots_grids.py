"""Sample figures (WGAN Figs 5-7 and Appendix F) drawn from real tiny runs; numbers recomputed here."""

import dataclasses
import re
import shutil

import matplotlib.axes
import numpy as np
import pytest
from PIL import Image

from repro.config import load_profile, resolve
from repro.errors import DataError
from repro.registry import OptimSpec
from repro.plots import draw
from repro.train import train
from tests.conftest import TINY

IMAGE_FIGURES = {"wgan-fig5": ("wgan-dcgan", "gan-dcgan"), "wgan-fig6": ("wgan-nobn", "gan-nobn"),
                 "wgan-fig7": ("wgan-mlpg", "gan-mlpg")}
SIZE = 16  # the tiny profile's image_size; grid tiles are SIZE + 2 apart


def _train(results, run, profile, **changes):
    cfg = dataclasses.replace(resolve(run, profile, 0, iters=12), warmup=None, **changes)
    train(cfg, results / "runs" / run / "seed0", "cpu", quiet=True)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Every run the three figures need (12 generator iterations each) and the figures drawn from them."""
    profile, root = load_profile(TINY), tmp_path_factory.mktemp("grids")
    for run in [r for pair in IMAGE_FIGURES.values() for r in pair]:
        _train(root / "results", run, profile)
    for name in [*IMAGE_FIGURES, "wgan-appF"]:
        draw(name, profile, results=root / "results", out_dir=root / "figures")
    return profile, root


def _grid(root, run):
    return np.asarray(Image.open(root / "results/runs" / run / "seed0/samples/gen_000000012.png"))


def _spread_recomputed(grid, rows=2):
    """Independent arithmetic: tiles (r, c) at 2 + r·18, 2 + c·18; one channel, since MNIST is gray."""
    tiles = [grid[2 + r * (SIZE + 2):][:SIZE, 2 + c * (SIZE + 2):][:, :SIZE, 0] for r in range(rows) for c in range(8)]
    return (np.stack(tiles) / 255.0).std(axis=0).mean()


@pytest.mark.parametrize("name", IMAGE_FIGURES)
def test_figure_files_exist_and_png_opens(drawn, name):
    _, root = drawn
    for ext in ("png", "pdf", "md"):
        assert (root / "figures" / f"{name}.{ext}").stat().st_size > 0
    with Image.open(root / "figures" / f"{name}.png") as png:
        assert png.width > 600 and png.height > 200


@pytest.mark.parametrize("name", IMAGE_FIGURES)
def test_caption_states_claim_scale_status_and_recomputed_spread(drawn, name):
    _, root = drawn
    caption = (root / "figures" / f"{name}.md").read_text()
    assert "Paper's claim" in caption and "reduced-scale reproduction (" in caption \
        and "stand-in data (the bundled MNIST digits)" in caption
    assert "mnist-bundled" in caption
    for side, run in zip(("WGAN", "Standard GAN"), IMAGE_FIGURES[name]):
        spread = _spread_recomputed(_grid(root, run))
        assert f"| {side} | `{run}` | 0 | completed | 12 | 12 | {spread:.4f} |" in caption


def test_panels_show_the_grids_first_16_tiles_in_gray(drawn, tmp_path, monkeypatch):
    profile, root = drawn
    shown = []
    original = matplotlib.axes.Axes.imshow
    monkeypatch.setattr(matplotlib.axes.Axes, "imshow",
                        lambda ax, data, **kw: shown.append((np.asarray(data), kw)) or original(ax, data, **kw))
    draw("wgan-fig5", profile, results=root / "results", out_dir=tmp_path)
    for (image, kwargs), run in zip(shown, IMAGE_FIGURES["wgan-fig5"]):
        grid = _grid(root, run)
        assert kwargs["cmap"] == "gray" and image.shape == (2 * (SIZE + 2) + 2, 8 * (SIZE + 2) + 2)
        np.testing.assert_array_equal(image, grid[:2 * (SIZE + 2) + 2, :, 0])
        y, x = 2 + SIZE + 2, 2 + 7 * (SIZE + 2)  # tile 16 (row 1, column 7), read straight from the PNG grid
        np.testing.assert_array_equal(image[y:y + SIZE, x:x + SIZE], grid[y:y + SIZE, x:x + SIZE, 0])
    assert len(shown) == 2


def test_diverged_gan_without_samples_is_drawn_and_named(drawn, tmp_path):
    """A GAN that blows up before its first saved grid: an empty panel naming the divergence, no crash."""
    profile, root = drawn
    results = tmp_path / "results"
    shutil.copytree(root / "results/runs/wgan-nobn", results / "runs/wgan-nobn")
    huge = OptimSpec("rmsprop", 1e30)
    _train(results, "gan-nobn", profile, opt_g=huge, opt_d=huge)
    draw("wgan-fig6", profile, results=results, out_dir=tmp_path / "figures")
    caption = (tmp_path / "figures/wgan-fig6.md").read_text()
    row = next(line for line in caption.splitlines() if "`gan-nobn`" in line)
    assert "diverged at " in row and row.endswith("| — | — |")


def test_missing_run_is_an_error_naming_it(drawn, tmp_path):
    profile, root = drawn
    shutil.copytree(root / "results/runs/wgan-mlpg", tmp_path / "runs/wgan-mlpg")
    with pytest.raises(DataError, match="gan-mlpg/seed0: run not finished"):
        draw("wgan-fig7", profile, results=tmp_path, out_dir=tmp_path / "figures")


def test_appendix_f_has_a_page_per_run_with_all_64_samples(drawn):
    """Six PDF pages, one per run of Figs 5-7; the caption's spread is over all 64 samples of each last grid."""
    _, root = drawn
    pdf = (root / "figures/wgan-appF.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 6  # page objects, not the /Pages tree
    caption = (root / "figures/wgan-appF.md").read_text()
    runs = [run for pair in IMAGE_FIGURES.values() for run in pair]
    for run in runs:
        row = next(line for line in caption.splitlines() if f"| `{run}` |" in line)
        assert row.endswith(f"| 12 | 12 | {_spread_recomputed(_grid(root, run), rows=8):.4f} |")
        assert _spread_recomputed(_grid(root, run), rows=8) != pytest.approx(_spread_recomputed(_grid(root, run)))
    with Image.open(root / "figures/wgan-appF.png") as png:
        assert png.height > png.width  # three rows of generators, two columns of methods


def test_figure_6_shows_both_resnets_full_10_by_10_sheets(tmp_path, monkeypatch):
    """WGAN-GP Fig 6: each side the 100 samples of the last 10-wide sheet (32-px CIFAR-sized tiles 34 px apart);
    the caption's spread is over those 100 tiles, recomputed here from the PNG."""
    profile = load_profile(TINY)
    for run in ("cifar-resnet", "cifar-resnet-acgan"):
        _train(tmp_path / "results", run, profile, iters=2)
    shown = []
    original = matplotlib.axes.Axes.imshow
    monkeypatch.setattr(matplotlib.axes.Axes, "imshow",
                        lambda ax, data, **kw: shown.append(np.asarray(data)) or original(ax, data, **kw))
    draw("wgangp-fig6", profile, results=tmp_path / "results", out_dir=tmp_path / "figures")
    caption = (tmp_path / "figures/wgangp-fig6.md").read_text()
    for image, (model, run) in zip(shown, (("Unsupervised", "cifar-resnet"), ("Conditional (AC-GAN)",
                                                                              "cifar-resnet-acgan"))):
        grid = np.asarray(Image.open(tmp_path / "results/runs" / run / "seed0/samples/gen_000000002.png"))
        assert image.shape[:2] == grid.shape[:2] == (10 * 34 + 2, 10 * 34 + 2)
        tiles = [grid[2 + r * 34:][:32, 2 + c * 34:][:, :32] for r in range(10) for c in range(10)]
        spread = (np.stack(tiles) / 255.0).std(axis=0).mean()
        assert f"| {model} | `{run}` | 0 | completed | 2 | 2 | {spread:.4f} |" in caption
    assert len(shown) == 2 and "one class per column" in caption


def test_figure_4_shows_the_128_pixel_resnets_whole_sheet(tmp_path):
    """WGAN-GP Fig 4: all 64 samples of the last sheet, 128-px tiles 130 px apart, the spread over all of them."""
    profile = load_profile(TINY)
    _train(tmp_path / "results", "lsun128-resnet", profile, iters=2)
    draw("wgangp-fig4", profile, results=tmp_path / "results", out_dir=tmp_path / "figures")
    grid = np.asarray(Image.open(tmp_path / "results/runs/lsun128-resnet/seed0/samples/gen_000000002.png"))
    assert grid.shape[:2] == (8 * 130 + 2, 8 * 130 + 2)
    tiles = [grid[2 + r * 130:][:128, 2 + c * 130:][:, :128, 0] for r in range(8) for c in range(8)]
    spread = (np.stack(tiles) / 255.0).std(axis=0).mean()
    caption = (tmp_path / "figures/wgangp-fig4.md").read_text()
    assert f"| `lsun128-resnet` | 0 | completed | 2 | 2 | {spread:.4f} |" in caption
    assert "mnist-bundled at 128×128" in caption and "(the paper: 128×128 LSUN bedrooms, 200,000)" in caption
