"""The WGAN paper's "meaningful loss" claim, measured: does the critic's estimate track sample quality?

Per run, the logged estimate (WGAN / WGAN-GP: `w_estimate` = −critic loss; GAN: `js_estimate`) is smoothed with
a centred running median (the README's medfilt idea, but without scipy's zero padding, which would drag the last
checkpoints towards 0 and fake a correlation; 101 rows or the snapshot spacing if smaller) and read at each
evaluated snapshot. Spearman's ρ between it and the
quality metric (a distance: lower is better, so a tracking estimate gives ρ > 0), with a bootstrap 95% interval
over snapshots; over several seeds ρ is their mean and each bootstrap draw resamples every seed.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

ESTIMATES = {"wgan": "w_estimate", "wgan-gp": "w_estimate", "gan": "js_estimate"}
SMOOTHING = 101  # rows of the running median, the official README's medfilt kernel
BOOTSTRAP = 2000
STRONG = 0.5  # a strong correlation: the GAN's estimate "does not track" quality below it (repro.claims)
DISTANCES = ("w1_", "swd_", "fid_", "kid_")  # quality metrics where lower is better, in order of preference


def quality_column(metrics: pd.DataFrame) -> str:
    """The distance a run's snapshots are judged by: exact W1 (toys), else the SWD average, else FID, else KID."""
    for prefix in DISTANCES:
        columns = [c for c in metrics.columns if c.startswith(prefix) and not c.endswith(("px", "_std"))]
        if columns:
            return columns[0]
    raise ValueError(f"no distance metric among {list(metrics.columns)}; evaluate with swd, fid or kid")


def score_column(metrics: pd.DataFrame, score: str) -> str | None:
    """The column of metric `score` (is, swd, fid, kid) with the most samples that has a value, or None."""
    columns = [c for c in metrics.columns if c.startswith(f"{score}_") and not c.endswith(("px", "_std"))]
    return max(columns, key=lambda c: (metrics[c].notna().any(), len(c), c)) if columns else None


def smoothing_window(gen_iters) -> int:
    """SMOOTHING rows, but never wider than the spacing of the snapshots (odd): each point then summarises its
    own stretch of training, and short runs are not flattened into one median."""
    spacing = int(np.median(np.diff(np.sort(np.asarray(gen_iters))))) if len(gen_iters) > 1 else SMOOTHING
    window = max(1, min(SMOOTHING, spacing))
    return window if window % 2 else window - 1


def smoothed_estimate(log: pd.DataFrame, column: str, gen_iters) -> np.ndarray:
    """The centred running median of `column` (smoothing_window rows, shrinking at the ends) at `gen_iters`."""
    window = smoothing_window(gen_iters)
    smooth = log[column].rolling(window, center=True, min_periods=1).median()
    return pd.Series(smooth.to_numpy(), index=log["gen_iter"]).reindex(gen_iters).to_numpy()


@dataclass(frozen=True)
class Correlation:
    rho: float
    low: float
    high: float
    points: int  # snapshots per seed (smallest)


def _rho(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman ρ of each row pair of x and y (B×n; ties get average ranks); NaN for a constant row."""
    rx, ry = rankdata(x, axis=-1), rankdata(y, axis=-1)
    rx -= rx.mean(axis=-1, keepdims=True)
    ry -= ry.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (rx * ry).sum(axis=-1) / denominator, np.nan)


def spearman(pairs: list[tuple[np.ndarray, np.ndarray]], seed: int = 0, level: float = 0.95) -> Correlation:
    """Mean Spearman ρ over seeds (each an (x, y) pair of arrays) with a percentile-bootstrap interval: each draw
    resamples every seed's snapshots with replacement and averages the seeds' ρ."""
    pairs = [(np.asarray(x, float), np.asarray(y, float)) for x, y in pairs]
    pairs = [(x[np.isfinite(x) & np.isfinite(y)], y[np.isfinite(x) & np.isfinite(y)]) for x, y in pairs]
    points = min(len(x) for x, _ in pairs)
    rhos = np.array([_rho(x, y) for x, y in pairs]) if points >= 2 else np.array([np.nan])
    rho = float(np.nanmean(rhos)) if not np.all(np.isnan(rhos)) else np.nan
    if points < 3:
        return Correlation(rho, np.nan, np.nan, points)
    rng = np.random.default_rng(seed)
    draws = []
    for x, y in pairs:
        pick = rng.integers(0, len(x), (BOOTSTRAP, len(x)))
        draws.append(_rho(x[pick], y[pick]))
    draws = np.array(draws)  # seeds × BOOTSTRAP
    with np.errstate(invalid="ignore"):
        valid = ~np.all(np.isnan(draws), axis=0)
        means = np.nanmean(draws[:, valid], axis=0)
    if not len(means):
        return Correlation(rho, np.nan, np.nan, points)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Correlation(rho, float(low), float(high), points)


def estimate_vs_quality(log: pd.DataFrame, metrics: pd.DataFrame, estimate: str, quality: str):
    """(smoothed estimate, quality, gen_iter) at the snapshots that have a log row (iteration 0 has none)."""
    rows = metrics[metrics["gen_iter"].isin(log["gen_iter"])]
    iters = rows["gen_iter"].to_numpy()
    return smoothed_estimate(log, estimate, iters), rows[quality].to_numpy(float), iters


def train_validation_gap(log: pd.DataFrame) -> pd.DataFrame:
    """WGAN-GP Fig 5's overfitting signal, at every logged validation point: the negative critic loss on the
    training batches (`w_estimate`, smoothed as above over the validation spacing), on the held-out images
    (`val_w_estimate`), and the gap train − validation, which grows when the critic memorises its training set."""
    rows = log[log["val_w_estimate"].notna()]
    iters = rows["gen_iter"].to_numpy()
    train, validation = smoothed_estimate(log, "w_estimate", iters), rows["val_w_estimate"].to_numpy(float)
    return pd.DataFrame({"gen_iter": iters, "train": train, "validation": validation, "gap": train - validation})


def gap_growth(gaps: pd.DataFrame) -> tuple[float, float]:
    """Mean gap over the validation points in the second and in the last quarter of training (the first quarter,
    the critic's initial transient, is left out)."""
    end = gaps["gen_iter"].max()
    quarter = np.ceil(gaps["gen_iter"] / end * 4).clip(1, 4)
    return float(gaps["gap"][quarter == 2].mean()), float(gaps["gap"][quarter == 4].mean())
