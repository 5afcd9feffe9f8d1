"""Training-curve figures of the WGAN paper: Fig 3 (W estimate + samples), Fig 4 (JS estimate), Fig 8 (generator
cost), the §4.2 Adam-vs-RMSProp study and the GAN-baseline optimizer check; WGAN-GP Fig 5 (training vs
validation critic loss).

Every curve is median filtered as the official README does (`style.medfilt`); with several seeds the line is the
seeds' mean and the band their min..max. Captions report only numbers computed from the run logs.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import ConnectionPatch

from repro.config import resolve
from repro.errors import DataError
from repro.metrics import curves as metric_curves
from repro.plots import FigureJob
from repro.plots.style import (
    ITER_LABEL,
    MEDFILT_KERNEL,
    fmt,
    grid_images,
    medfilt,
    medfilt_kernel,
    nearest_sample,
    read_log,
    read_meta,
    show_image,
    styled,
)
from repro.registry import RUNS

LOG2 = math.log(2)
FIG3_STAGES = (0, 10_000, 50_000, 100_000, 300_000, 500_000, 600_000)  # Fig 3's thumbnails, of 600k iterations
THUMBNAILS = len(FIG3_STAGES)
JS_NEAR_LOG2 = 0.9  # "stays close to log 2": the share of iterations with JS ≥ 0.9·log 2


@dataclass(frozen=True)
class Curve:
    """One log column of one run across its seeds, aligned on gen_iter (NaN past a seed's last finite value)."""

    run: str
    column: str
    seed_dirs: list[Path]
    metas: list[dict]
    iters: np.ndarray
    raw: np.ndarray  # seeds × iters
    filtered: np.ndarray  # seeds × iters
    kernels: list[int]

    @property
    def mean(self) -> np.ndarray:
        return np.nanmean(self.filtered, axis=0)

    @property
    def raw_values(self) -> np.ndarray:
        """Every logged finite value, all seeds pooled."""
        return self.raw[np.isfinite(self.raw)]


def load_curve(job: FigureJob, run: str, column: str) -> Curve:
    """Reads `column` of every seed of `run`; non-finite values (a diverged run's last row) are left out."""
    dirs = job.seed_dirs(run)
    raw, filtered, kernels = [], [], []
    for run_dir in dirs:
        log = read_log(run_dir)
        values = pd.Series(log[column].to_numpy(dtype="float64"), index=log["gen_iter"])
        values = values[np.isfinite(values)]
        if values.empty:
            raise DataError(f"{run_dir / 'log.csv'}: no finite {column} values; is this the right run?")
        raw.append(values)
        filtered.append(pd.Series(medfilt(values.to_numpy()), index=values.index))
        kernels.append(medfilt_kernel(len(values)))
    raw_table, filtered_table = pd.concat(raw, axis=1, sort=True), pd.concat(filtered, axis=1, sort=True)
    return Curve(run, column, dirs, [read_meta(d) for d in dirs], raw_table.index.to_numpy(),
                 raw_table.to_numpy().T, filtered_table.to_numpy().T, kernels)


def plot_curve(ax, curve: Curve, label: str, color: str = "C0") -> None:
    """Seeds' mean line, min..max band when there are several seeds, a dotted line where a seed diverged."""
    ax.plot(curve.iters, curve.mean, color=color, label=label)
    if len(curve.seed_dirs) > 1:
        ax.fill_between(curve.iters, np.nanmin(curve.filtered, axis=0), np.nanmax(curve.filtered, axis=0),
                        color=color, alpha=0.2, linewidth=0)
    for meta in curve.metas:
        if meta["status"] == "diverged":
            ax.axvline(meta["diverged_at"], color=color, linestyle=":", linewidth=0.8)
    ax.set_xlabel(ITER_LABEL)
    ax.set_xlim(0, curve.iters[-1])


def add_log2_line(ax) -> None:
    ax.axhline(LOG2, color="0.3", linestyle="--", linewidth=0.8)
    ax.annotate("log 2", (1, LOG2), xycoords=("axes fraction", "data"), xytext=(-3, -3), textcoords="offset points",
                ha="right", va="top", fontsize=8, color="0.3")


def stage_iterations(run_dir: Path, iters: int, paper_iters: int) -> list[int]:
    """Saved sample iterations nearest to Fig 3's thumbnail iterations scaled from the paper's `paper_iters` to
    the run's `iters`, repeats dropped."""
    nearest = [nearest_sample(run_dir, round(stage * iters / paper_iters)) for stage in FIG3_STAGES]
    return list(dict.fromkeys(nearest))


def scale_note(job: FigureJob) -> str:
    if not job.profile.departures:
        return f"Profile `{job.profile.name}`: the papers' scale."
    return f"Profile `{job.profile.name}`: {job.profile.scale}, not the paper's setup; compare shapes, not values."


def runs_note(curves: list[Curve]) -> str:
    """Runs, their seeds and the generator iterations each seed trained, from meta.json."""
    lines = {}
    for curve in curves:
        seeds = []
        for meta in curve.metas:
            end = (f"diverged at generator iteration {meta['diverged_at']}" if meta["status"] == "diverged"
                   else meta["status"])
            seeds.append(f"seed {meta['seed']}: {meta['gen_iter']:,} generator iterations, {end}")
        lines[curve.run] = f"- `{curve.run}`: {RUNS[curve.run].about} — " + "; ".join(seeds) + "."
    return "\n".join(lines.values())


def filter_note(curves: list[Curve]) -> str:
    kernels = sorted({k for curve in curves for k in curve.kernels})
    shrunk = " (shrunk from 101 to the log length)" if kernels != [MEDFILT_KERNEL] else ""
    return (f"Curves median filtered as the official README's `medfilt(-Loss_D, 101)`, kernel "
            f"{', '.join(map(str, kernels))}{shrunk}, except that within half a kernel of either end the median is "
            "over the points that exist (scipy's zero padding would bend the ends towards 0).")


def seeds_note(curves: list[Curve]) -> str:
    if all(len(c.seed_dirs) == 1 for c in curves):
        return "One seed per run: the line is that seed."
    return "Line: mean over seeds of the filtered curves; band: their min..max."


def first_last(curve: Curve) -> str:
    return f"{fmt(curve.mean[0])} at iteration {curve.iters[0]:,} → {fmt(curve.mean[-1])} at {curve.iters[-1]:,}"


def caption(title: str, claim: str, job: FigureJob, curves: list[Curve], shows: list[str]) -> str:
    return "\n\n".join([
        f"**{title}.** Paper claim: {claim}",
        "Runs:\n" + runs_note(curves),
        f"{scale_note(job)} {seeds_note(curves)} {filter_note(curves)}",
        "This figure shows:\n" + "\n".join(f"- {line}" for line in shows),
    ])


def thumbnail_strip(fig, cell, curve: Curve, ax_curve, iterations: list[int]) -> None:
    """One row of first-grid-image thumbnails under a curve panel, each joined to its iteration on the x axis
    (the paper's arrows) and marked on the curve."""
    slots = cell.subgridspec(1, THUMBNAILS, wspace=0.08)
    offset = (THUMBNAILS - len(iterations)) // 2
    run_dir = curve.seed_dirs[0]
    for k, gen_iter in enumerate(iterations):
        ax = fig.add_subplot(slots[0, offset + k])
        show_image(ax, grid_images(run_dir, gen_iter)[0])
        ax.set_title(f"{gen_iter:,}", fontsize=7, pad=2)
        ax_curve.plot(gen_iter, np.interp(gen_iter, curve.iters, curve.mean), marker="o", markersize=2.5,
                      color="0.2", zorder=3)
        fig.add_artist(ConnectionPatch(xyA=(0.5, 1.28), coordsA=ax.transAxes, xyB=(gen_iter, 0),
                                       coordsB=ax_curve.get_xaxis_transform(), color="0.6", linewidth=0.5,
                                       arrowstyle="-|>", mutation_scale=6))


# Fig 3 panels, left to right: run, the legend of the paper's own plot (imgs/w_combined.png).
FIG3_PANELS = [("wgan-mlpg", "MLP_512"), ("wgan-dcgan", "DCGAN"), ("wgan-mlp-hilr", "MLP_G,MLP_D")]


@styled
def wgan_fig3(job: FigureJob) -> list[Path]:
    """Fig 3: W estimate (−Loss_D) of three WGAN runs with sample thumbnails at 7 stages under each panel."""
    fig = plt.figure(figsize=(13, 4.6))
    outer = fig.add_gridspec(2, 3, height_ratios=[3, 1.1], hspace=0.42, wspace=0.28)
    curves, shows = [], []
    for column, (run, legend) in enumerate(FIG3_PANELS):
        curve = load_curve(job, run, "w_estimate")
        ax = fig.add_subplot(outer[0, column])
        plot_curve(ax, curve, legend)
        ax.set_ylabel("Wasserstein estimate")
        ax.set_title(run)
        ax.legend(loc="best")
        iterations = stage_iterations(curve.seed_dirs[0], curve.metas[0]["iters"], RUNS[run].iters)
        thumbnail_strip(fig, outer[1, column], curve, ax, iterations)
        curves.append(curve)
        shown = ", ".join(f"{i:,}" for i in iterations)
        shows.append(f"`{run}` ({legend}): W estimate {first_last(curve)}; filtered range "
                     f"{fmt(np.nanmin(curve.mean))}..{fmt(np.nanmax(curve.mean))}; thumbnails (first image of the "
                     f"seed-{curve.metas[0]['seed']} sample grid) at iterations {shown}.")
    text = caption("WGAN Figure 3: Wasserstein estimate and samples during training",
                   "the WGAN critic's estimate of the EM distance (−Loss_D) falls as the samples improve, i.e. it "
                   "correlates with sample quality (upper panels, MLP-512 and DCGAN generators with a DCGAN critic); "
                   "the failed MLP/MLP run at a high learning rate stays flat with constant samples.",
                   job, curves, shows)
    return job.save(fig, text)


# Fig 4 / Fig 8 panels: run, description (paper: upper left, upper right, bottom).
GAN_PANELS = [("gan-mlpg", "MLP generator, DCGAN discriminator"), ("gan-dcgan", "DCGAN"),
              ("gan-mlp", "MLP generator and discriminator")]


def gan_panels(job: FigureJob, column: str, ylabel: str, with_log2: bool):
    """The three standard-GAN panels of Fig 4 / Fig 8, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), gridspec_kw={"wspace": 0.28})
    curves = []
    for ax, (run, description) in zip(axes, GAN_PANELS):
        curve = load_curve(job, run, column)
        plot_curve(ax, curve, description)
        if with_log2:
            add_log2_line(ax)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{run}: {description}")
        curves.append(curve)
    return fig, curves


def near_log2_share(curve: Curve) -> float:
    return float(np.mean(curve.raw_values >= JS_NEAR_LOG2 * LOG2))


@styled
def wgan_fig4(job: FigureJob) -> list[Path]:
    """Fig 4: the standard GAN's JS estimate ½·L + log 2, which the paper says does not track sample quality."""
    fig, curves = gan_panels(job, "js_estimate", "JS estimate", with_log2=True)
    shows = [f"`{c.run}`: JS estimate {first_last(c)}; {near_log2_share(c):.1%} of the logged iterations (raw, "
             f"all seeds) have JS ≥ {JS_NEAR_LOG2}·log 2 = {fmt(JS_NEAR_LOG2 * LOG2)}." for c in curves]
    text = caption("WGAN Figure 4: JS estimate during standard GAN training",
                   "the JS estimate ½·L(D, g) + log 2 of a standard GAN (−log D trick) rises or stays near "
                   "log 2 ≈ 0.693 while the DCGAN samples improve, and goes up and down for MLP/MLP, so it does not "
                   "correlate with sample quality (unlike the W estimate of Figure 3).",
                   job, curves, shows)
    return job.save(fig, text)


@styled
def wgan_fig8(job: FigureJob) -> list[Path]:
    """Fig 8 (Appendix E): the standard GAN's generator cost, which does not track sample quality either."""
    fig, curves = gan_panels(job, "loss_g", "Generator cost  −E log D(G(z))", with_log2=False)
    shows = [f"`{c.run}`: generator cost {first_last(c)}; filtered range {fmt(np.nanmin(c.mean))}.."
             f"{fmt(np.nanmax(c.mean))}." for c in curves]
    text = caption("WGAN Figure 8: generator cost during standard GAN training",
                   "the generator cost −E[log D(G(z))] of a standard GAN rises while the DCGAN samples improve and "
                   "goes up and down for MLP/MLP, so it does not correlate with sample quality.",
                   job, curves, shows)
    return job.save(fig, text)


def status_note(curve: Curve) -> str:
    ends = [f"seed {m['seed']} diverged (NaN/Inf loss) at generator iteration {m['diverged_at']:,}"
            if m["status"] == "diverged" else f"seed {m['seed']} did not diverge ({m['status']})"
            for m in curve.metas]
    return "; ".join(ends)


@styled
def wgan_adam(job: FigureJob) -> list[Path]:
    """§4.2 negative result: WGAN with Adam on the critic against RMSProp, and the cosine between the Adam step
    and the gradient, which the paper saw turn negative when training became unstable."""
    fig, (ax_w, ax_cos) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"wspace": 0.28})
    rmsprop = load_curve(job, "wgan-dcgan", "w_estimate")
    adam_w = load_curve(job, "wgan-dcgan-adam", "w_estimate")
    plot_curve(ax_w, rmsprop, "RMSProp (wgan-dcgan)", "C0")
    plot_curve(ax_w, adam_w, "Adam (wgan-dcgan-adam)", "C3")
    ax_w.set_ylabel("Wasserstein estimate")
    ax_w.set_title("critic optimizer: RMSProp vs Adam")
    ax_w.legend(loc="best")
    cos = load_curve(job, "wgan-dcgan-adam", "adam_cos")
    raw_label = "raw" if len(cos.seed_dirs) == 1 else "raw, mean over seeds"
    ax_cos.plot(cos.iters, np.nanmean(cos.raw, axis=0), color="C3", alpha=0.45, linewidth=0.5, label=raw_label)
    plot_curve(ax_cos, cos, "median filtered", "C3")
    ax_cos.axhline(0, color="0.2", linewidth=0.6)
    ax_cos.set_ylabel("cos(Adam step, gradient)")
    ax_cos.set_title("critic, wgan-dcgan-adam")
    ax_cos.legend(loc="best")
    negative = float(np.mean(cos.raw_values < 0))
    shows = [f"W estimate, RMSProp `wgan-dcgan`: {first_last(rmsprop)}.",
             f"W estimate, Adam `wgan-dcgan-adam`: {first_last(adam_w)}.",
             f"Cosine between the critic's Adam step (−Δw) and its gradient, per generator iteration the mean over "
             f"its critic steps: negative in {negative:.1%} of the {cos.raw_values.size:,} logged iterations (raw, all "
             f"seeds); filtered {first_last(cos)}.",
             f"Divergence of the Adam run (meta.json): {status_note(adam_w)}."]
    text = caption("WGAN §4.2: Adam vs RMSProp on the critic (no figure in the paper)",
                   "with a momentum-based optimizer such as Adam (β1 > 0) on the critic, WGAN training becomes "
                   "unstable at times, and the cosine between the Adam step and the gradient usually turns negative "
                   "when it does; RMSProp is stable, which is why Algorithm 1 uses it.",
                   job, [rmsprop, adam_w, cos], shows)
    return job.save(fig, text)


OPTIMIZER_NAMES = {"adam": "Adam", "adam_tf": "Adam (TF)", "rmsprop": "RMSProp", "rmsprop_tf": "RMSProp (TF)"}


def optimizer_label(run: str) -> str:
    """E.g. "Adam 2e-4, 1 D step", from the registry, so the label cannot drift from what was trained."""
    spec = RUNS[run]
    lr = f"{spec.opt_d.lr:.0e}".replace("e-0", "e-")
    return f"{OPTIMIZER_NAMES[spec.opt_d.name]} {lr}, {spec.n_critic} D step{'s' if spec.n_critic > 1 else ''}"


BASELINE_RUNS = [("gan-dcgan", "C0"), ("gan-dcgan-alg1", "C1")]


@styled
def wgan_gan_baseline(job: FigureJob) -> list[Path]:
    """Our choice for the GAN baseline optimizer, which the paper does not state: the DCGAN recipe against the
    literal Algorithm 1 reading, as JS curves and final samples."""
    fig = plt.figure(figsize=(9.5, 3.8))
    outer = fig.add_gridspec(1, 2, width_ratios=[1.7, 1], wspace=0.12)
    ax = fig.add_subplot(outer[0, 0])
    blocks = outer[0, 1].subgridspec(len(BASELINE_RUNS), 1, hspace=0.3)
    curves, shows = [], []
    for row, (run, color) in enumerate(BASELINE_RUNS):
        curve = load_curve(job, run, "js_estimate")
        plot_curve(ax, curve, f"{run} ({optimizer_label(run)})", color)
        final = nearest_sample(curve.seed_dirs[0], curve.metas[0]["gen_iter"])
        block = blocks[row, 0].subgridspec(2, 4, wspace=0.05, hspace=0.05)
        thumbs = [fig.add_subplot(block[k // 4, k % 4]) for k in range(8)]
        for thumb, image in zip(thumbs, grid_images(curve.seed_dirs[0], final, count=8)):
            show_image(thumb, image)
        thumbs[0].set_title(f"{run}, generator iteration {final:,}", loc="left", fontsize=8, pad=3)
        curves.append(curve)
        shows.append(f"`{run}` ({optimizer_label(run)}): JS estimate {first_last(curve)}; "
                     f"{near_log2_share(curve):.1%} of the logged iterations have JS ≥ {JS_NEAR_LOG2}·log 2; "
                     f"samples: the first 8 images of the seed-{curve.metas[0]['seed']} grid at iteration {final:,}.")
    add_log2_line(ax)
    ax.set_ylabel("JS estimate")
    ax.legend(loc="lower right")
    text = caption("GAN baseline optimizer: DCGAN recipe vs Algorithm 1 (no figure in the paper)",
                   "none directly; the paper does not state the standard GAN baseline's optimizer (spec/wgan.md "
                   "§6.3) and only says it uses \"the hyper-parameters of Algorithm 1 for all experiments\". Our GAN "
                   "baselines (Figures 4, 5, 8) use the DCGAN recipe, Adam 2e-4 with β1 0.5 and one D step per G "
                   "step (`gan-dcgan`); `gan-dcgan-alg1` trains the same nets with Algorithm 1's RMSProp 5e-5 and "
                   "5 D steps. This figure documents that choice.",
                   job, curves, shows)
    return job.save(fig, text)


def _train_vs_validation(job: FigureJob, panels: list[tuple[str, str]], title: str, claim: str) -> list[Path]:
    """WGAN-GP Fig 5: per run, the negative critic loss on training batches (median filtered) and on held-out
    images, and a caption with the gap between them early and late in training."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.4), squeeze=False,
                             gridspec_kw={"wspace": 0.28})
    curves, shows = [], []
    for ax, (run, label) in zip(axes.flat, panels):
        train = load_curve(job, run, "w_estimate")
        validation = load_curve(job, run, "val_w_estimate")
        plot_curve(ax, train, "train", "C0")
        ax.plot(validation.iters, np.nanmean(validation.raw, axis=0), color="C1", marker=".", markersize=3,
                label="validation")
        ax.set_ylabel("Negative critic loss")
        ax.set_title(label)
        ax.legend(loc="best")
        curves.append(train)
        for seed_dir in train.seed_dirs:
            gaps = metric_curves.train_validation_gap(read_log(seed_dir))
            early, late = metric_curves.gap_growth(gaps)
            shows.append(f"`{run}` seed {read_meta(seed_dir)['seed']}: train − validation gap {fmt(early)} in the "
                         f"second quarter of training → {fmt(late)} in the last ({len(gaps)} validation points), "
                         f"the training estimate {fmt(float(gaps['train'].iloc[-1]))} at the end.")
    text = caption(title, claim, job, curves, shows) + (
        "\n\nTrain: `w_estimate`, E[D(x)] − E[D(G(z))] on each iteration's last critic batch (the penalty term left "
        "out, as for the validation curve). Validation: the same on every held-out image with fresh samples "
        "(`val_w_estimate`). The gap is the train curve (running median over the validation spacing) minus the "
        "validation value at each validation point.")
    return job.save(fig, text)


@styled
def wgangp_fig5a(job: FigureJob) -> list[Path]:
    return _train_vs_validation(
        job, [("lsun-dcgan-wgan-gp", "WGAN-GP, Fig 2's baseline nets")],
        "WGAN-GP Figure 5a: negative critic loss on training and validation images",
        "WGAN-GP's negative critic loss converges toward a minimum as the generator trains, on held-out images as "
        "on training ones: the loss is a usable convergence measure and the critic does not overfit here.")


@styled
def wgangp_fig5b(job: FigureJob) -> list[Path]:
    return _train_vs_validation(
        job, [("mnist-gp", "WGAN-GP (gradient penalty)"), ("mnist-clip", "Weight clipping")],
        f"WGAN-GP Figure 5b: detecting overfitting on a {resolve('mnist-gp', job.profile, 0).train_subset:,}-digit "
        "MNIST subset (the paper: 1000)",
        "with a large unregularised critic on few images, the training and validation losses diverge for both "
        "methods (the critic overfits); with the gradient penalty the training loss gradually increases while the "
        "validation loss drops, so the gap is visible in the loss itself.")
