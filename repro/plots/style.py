"""The shared look of every figure and the readers the figures share: run logs, median filter, sample thumbnails.

The papers' figures are plain matplotlib line plots (sans-serif, thin lines, light grid); `styled` applies that
look to one figure function only, so drawing a figure never changes matplotlib's global state.
"""

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from PIL import Image

from repro import tables
from repro.errors import DataError

MEDFILT_KERNEL = 101  # the official README: medfilt(-Loss_D, 101)
GRID_PADDING = 2  # torchvision save_image's default, used by repro.train
GRID_COLUMNS = 8

STYLE = {
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.5,
    "lines.linewidth": 0.9,
    "legend.fontsize": 8,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.formatter.limits": (-3, 5),
    "figure.dpi": 100,
}
ITER_LABEL = "Generator iterations"


def styled(figure_function):
    """Runs a figure function inside the paper style (rc_context), leaving global rcParams untouched."""
    import matplotlib

    @functools.wraps(figure_function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return figure_function(*args, **kwargs)

    return wrapper


def medfilt_kernel(length: int, kernel: int = MEDFILT_KERNEL) -> int:
    """The kernel medfilt really uses: `kernel`, shrunk to the largest odd number ≤ `length` for short logs."""
    if length < 1:
        raise ValueError("cannot median-filter an empty series")
    return min(kernel, length if length % 2 else length - 1)


def medfilt(values, kernel: int = MEDFILT_KERNEL) -> np.ndarray:
    """The official README's running median (`medfilt_kernel` rows, float64), except at the ends: there the median
    is over the points that exist. scipy.signal.medfilt pads with zeros, which bends the ends of a curve towards 0,
    a trend the run never had."""
    values = pd.Series(np.asarray(values, dtype="float64"))
    return values.rolling(medfilt_kernel(len(values), kernel), center=True, min_periods=1).median().to_numpy()


def read_log(run_dir: Path) -> pd.DataFrame:
    """log.csv of a run directory; empty cells (a column that does not apply to the run) read as NaN."""
    path = Path(run_dir) / "log.csv"
    if not path.exists():
        raise DataError(f"{path}: no training log; train the run first")
    log = pd.read_csv(path)
    if log.empty:
        raise DataError(f"{path}: the log has no rows")
    return log


def read_meta(run_dir: Path) -> dict:
    """meta.json of a finished run (`repro.tables.read_meta`), an error naming it when the run is not finished."""
    meta = tables.read_meta(Path(run_dir))
    if meta is None:
        raise DataError(f"{Path(run_dir) / 'meta.json'}: run not finished (no meta.json)")
    return meta


def saved_samples(run_dir: Path) -> dict[int, Path]:
    """Generator iteration → samples/gen_<iter>.png, in iteration order."""
    paths = sorted((Path(run_dir) / "samples").glob("gen_*.png"))
    if not paths:
        raise DataError(f"{Path(run_dir) / 'samples'}: no sample grids saved")
    return {int(p.stem.removeprefix("gen_")): p for p in paths}


def nearest_sample(run_dir: Path, gen_iter: int) -> int:
    """The saved sample iteration closest to `gen_iter` (the earlier one on a tie)."""
    return min(saved_samples(run_dir), key=lambda saved: (abs(saved - gen_iter), saved))


def grid_tiles(grid: np.ndarray, image_size: int, rows: int,
               columns: int = GRID_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """The first `rows` rows of a save_image grid of `columns` images across (padding 2), with their padding, and
    those tiles as (n, S, S, C)."""
    step = image_size + GRID_PADDING
    if grid.shape[1] != columns * step + GRID_PADDING or grid.shape[0] < rows * step + GRID_PADDING:
        raise DataError(f"{grid.shape[1]}×{grid.shape[0]} px is not a grid of {columns} {image_size}-px images "
                        f"across, {rows} rows or more, with padding {GRID_PADDING}")
    crop = grid[:rows * step + GRID_PADDING]
    corners = [(GRID_PADDING + r * step, GRID_PADDING + c * step) for r in range(rows) for c in range(columns)]
    return crop, np.stack([crop[y:y + image_size, x:x + image_size] for y, x in corners])


def grid_images(run_dir: Path, gen_iter: int, count: int = 1) -> list[np.ndarray]:
    """The first `count` images of the grid saved at `gen_iter` (8×8, or the run's `sample_grid`), cropped with the
    run's image size; H×W arrays for 1-channel data (drawn with cmap gray), H×W×3 otherwise."""
    run_dir = Path(run_dir)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    size, columns = config["image_size"], config.get("sample_grid", GRID_COLUMNS)
    channels = read_meta(run_dir)["data"]["shape"][0]
    path = saved_samples(run_dir)[gen_iter]
    try:
        tiles = grid_tiles(np.asarray(Image.open(path).convert("RGB")), size, -(-count // columns), columns)[1]
    except DataError as e:
        raise DataError(f"{path}: {e}, as config.yaml's image_size says") from None
    return [tile[..., 0] if channels == 1 else tile for tile in tiles[:count]]


def show_image(ax, image: np.ndarray) -> None:
    """An image without axes; grayscale with cmap gray on the fixed 0..255 range."""
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()


def fmt(value: float) -> str:
    """Numbers in captions: four significant digits."""
    return f"{value:.4g}"
