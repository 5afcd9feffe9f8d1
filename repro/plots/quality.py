"""Figures drawn from the evaluated snapshots (`python -m repro evaluate`): WGAN-GP Figure 3 (sample quality
over generator iterations and over wall-clock time), WGAN-GP Table 3 with its samples, Table 2 and App. C-D of the
random-architecture study, and the loss-vs-quality scatter that puts a number on the WGAN paper's "meaningful loss"
claim (§4.2, Figs 3-4).
"""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image

from repro import sweep, tables
from repro.errors import DataError
from repro.metrics import count_tag, curves
from repro.plots import FigureJob, runs_for
from repro.plots.curves import scale_note
from repro.plots.style import fmt, saved_samples, styled
from repro.registry import RUNS

COLUMNS = 4
FIG3_LABELS = {"cifar-clip-rmsprop": "Weight clipping", "cifar-gp-rmsprop": "Gradient Penalty (RMSProp)",
               "cifar-gp-adam": "Gradient Penalty (Adam)", "cifar-dcgan": "DCGAN"}  # the paper's legend


def _fig3_metric(run: str, metrics: pd.DataFrame) -> tuple[str, str]:
    """The Inception score of the run's own curve (gan_cifar.py: 1,000 samples every 1,000 iterations, the paper's
    y axis), else another Inception score where measured, else the SWD average."""
    curve = f"is_{count_tag(RUNS[run].inception_samples)}_10split"
    if curve in metrics and metrics[curve].notna().any():
        return curve, "Inception score (higher is better)"
    for column in metrics.columns:
        if column.startswith("is_") and not column.endswith("_std"):
            return column, "Inception score (higher is better)"
    column = curves.quality_column(metrics)
    return column, f"{column} (lower is better)"


@styled
def wgangp_fig3(job: FigureJob) -> list[Path]:
    """WGAN-GP Fig 3: the quality metric of the four CIFAR-10 runs against generator iterations and wall clock."""
    fig, (by_iter, by_time) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    shows, label = [], None
    for color, run in enumerate(runs_for(job.name, job.profile)):
        job.seed_dirs(run)
        seeds = [tables.read_metrics(job.results, run, s) for s in job.profile.seeds_of(run)]
        missing = [s for s, m in zip(job.profile.seeds_of(run), seeds) if m is None]
        if missing:
            raise DataError(f"{job.results / 'metrics' / run / f'seed{missing[0]}.csv'}: run not evaluated; "
                            f"run `python -m repro evaluate` on it or `snakemake {job.name}`")
        column, label = _fig3_metric(run, seeds[0])
        table = pd.concat(seeds).dropna(subset=[column]).groupby("gen_iter")[[column, "wall_s"]].mean()
        for ax, x in ((by_iter, table.index), (by_time, table["wall_s"])):
            ax.plot(x, table[column], color=f"C{color}", label=FIG3_LABELS.get(run, run), marker=".", markersize=3)
        best = table[column].max() if column.startswith("is_") else table[column].min()
        shows.append(f"`{run}` ({FIG3_LABELS.get(run, run)}): {column} {fmt(table[column].iloc[0])} at iteration 0 "
                     f"→ {fmt(table[column].iloc[-1])} at {table.index[-1]:,} ({fmt(table['wall_s'].iloc[-1])} s of "
                     f"training); best {fmt(best)}.")
    for ax, xlabel in ((by_iter, "Generator iterations"), (by_time, "Wall clock time (in seconds)")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
        ax.set_title("Convergence on CIFAR-10")
    by_iter.legend(loc="best")
    stand_in = "" if not job.profile.departures else (
        f" The data are the profile's `cifar10` source ({job.profile.data.get('cifar10')}), a stand-in for "
        "CIFAR-10, so the y axis is not comparable with the paper's.")
    text = "\n\n".join([
        "**WGAN-GP Figure 3: convergence on CIFAR-10.** Paper claim: with the same optimizer (RMSProp 5e-5) the "
        "gradient penalty converges faster and to a better Inception score than weight clipping; Adam improves it "
        "further; WGAN-GP is slower than DCGAN in wall-clock time but comparable in score and more stable at "
        "convergence.",
        "Each line: a run's evaluated snapshots (mean over the run's seeds); wall clock = cumulative "
        "training time at the snapshot (evaluation excluded), as the official loop logs it. The paper's curves are "
        "1000-sample Inception scores every 1000 iterations (spec/wgangp.md §5.1)." + stand_in,
        scale_note(job),
        "This figure shows:\n" + "\n".join(f"- {line}" for line in shows),
    ])
    return job.save(fig, text)


@styled
def meaningful_loss(job: FigureJob) -> list[Path]:
    """One panel per run: its smoothed estimate against sample quality at every evaluated snapshot."""
    runs = runs_for(job.name, job.profile)
    for run in runs:
        job.seed_dirs(run)  # every run finished, or an error naming the missing one
    table = tables.meaningful_loss_table(job.profile, job.results).set_index("run")
    rows = math.ceil(len(runs) / COLUMNS)
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(3.2 * COLUMNS, 2.7 * rows), layout="constrained",
                             squeeze=False)
    shows = []
    for ax, run in zip(axes.flat, runs):
        points, quality = tables.estimate_points(job.profile, job.results, run)
        row = table.loc[run]
        for smoothed, distance, iters in points:
            shown = ax.scatter(distance, smoothed, c=iters, cmap="viridis", s=12, edgecolors="none")
        if points:
            fig.colorbar(shown, ax=ax, label="generator iteration", pad=0.01)
        interval = (f"ρ = {fmt(row['rho'])} [{fmt(row['ci95_low'])}, {fmt(row['ci95_high'])}]"
                    if np.isfinite(row["rho"]) else "ρ undefined")
        ax.set_title(f"{run}\n{interval}", fontsize=8)
        ax.set_xlabel(f"{quality or 'quality'} (lower is better)")
        ax.set_ylabel(row["estimate"].replace("_", " "))
        shows.append(f"| `{run}` | {row['objective']} | {row['estimate']} | {quality or '—'} | {int(row['seeds'])} "
                     f"| {interval.removeprefix('ρ = ')} |")
    for ax in list(axes.flat)[len(runs):]:
        ax.set_axis_off()
    text = "\n\n".join([
        "**Does the loss track sample quality? (WGAN §4.2, Figs 3-4, measured.)** Paper claim: the WGAN critic's "
        "estimate of the EM distance correlates with the visual quality of the samples, while the standard GAN's "
        "JS estimate (½·L + log 2) does not.",
        "Each panel: one run; each point an evaluated generator snapshot (colour: generator iteration; all seeds), "
        "x = the quality distance of the snapshot's samples (lower is better), y = the run's estimate, smoothed "
        f"with a centred running median over {curves.SMOOTHING} iterations or the snapshot spacing if smaller (no "
        "zero padding) and read at that iteration. ρ: Spearman rank correlation (mean over seeds) with a bootstrap "
        "95% interval; a tracking estimate gives ρ > 0.",
        scale_note(job),
        "| run | objective | estimate | quality | seeds | ρ [95% interval] |\n|---|---|---|---|---|---|\n"
        + "\n".join(shows),
    ])
    return job.save(fig, text)


@styled
def wgangp_table3(job: FigureJob) -> list[Path]:
    """WGAN-GP Table 3 beside its samples (Appendix G, Fig 6): the unsupervised and the AC-GAN ResNet."""
    runs = runs_for(job.name, job.profile)
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.4), layout="constrained", squeeze=False)
    table = tables.table3(job.profile, job.results).set_index("run")
    rows = []
    for ax, run in zip(axes.flat, runs):
        run_dir = job.seed_dirs(run)[0]
        samples = saved_samples(run_dir)
        ax.set_axis_off()
        if samples:
            ax.imshow(np.asarray(Image.open(samples[max(samples)]).convert("RGB")), interpolation="nearest")
        row = table.loc[run]
        ours = "not evaluated" if pd.isna(row["ours"]) else fmt(row["ours"]) + (
            "" if pd.isna(row["ours_std"]) else f" ± {fmt(row['ours_std'])}")
        ax.set_title(f"{row['model']}\npaper IS {row['paper_is']:.2f}; ours {row['metric'] or ''} {ours}",
                     fontsize=9)
        rows.append(f"| {row['model']} | `{run}` | {row['paper_is']:.2f} ± {row['paper_is_std']:.2f} | "
                    f"{row['metric'] if isinstance(row['metric'], str) else '—'} | {ours} | "
                    f"{'—' if pd.isna(row['at_gen_iter']) else format(int(row['at_gen_iter']), ',')} |")
    fig.suptitle("WGAN-GP Table 3 models on CIFAR-10: samples from the last saved grid")
    is_measured = any(isinstance(m, str) and m.startswith("is_") for m in table["metric"])
    text = "\n\n".join([
        "**WGAN-GP Table 3: Inception scores of the CIFAR-10 ResNets (and their samples, Appendix G Fig 6).** "
        "Paper's claim: the unsupervised model reaches 7.86 ± .07, the state of the art then, and the AC-GAN "
        "conditional model 8.42 ± .10, beaten only by SGAN.",
        ("Ours: the Inception score of the last evaluated snapshot." if is_measured else
         "Ours: this profile measures no Inception score (`metrics.image` has no `is`, or no Inception weights "
         "offline), so the column holds its quality distance instead, which cannot be compared with the paper's "
         "number."),
        scale_note(job),
        "| model | run | paper IS | our metric | ours | at generator iteration |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows),
    ])
    return job.save(fig, text)


def _sweep_axis(job: FigureJob) -> str:
    return f"{job.profile.sweep.score} ({'higher' if job.profile.sweep.higher_is_better else 'lower'} is better)"


def _versus(ax, table: pd.DataFrame, x: str, y: str, label: str) -> None:
    """One point per architecture, x method's score against y method's, and the diagonal."""
    both = table.dropna(subset=[x, y])
    ax.scatter(both[x], both[y], s=18, color="C0")
    for _, row in both.iterrows():
        ax.annotate(str(int(row["architecture"])), (row[x], row[y]), fontsize=6, xytext=(2, 2),
                    textcoords="offset points")
    finite = pd.concat([both[x], both[y]])
    finite = finite[np.isfinite(finite)]
    if len(finite):
        low, high = finite.min(), finite.max()
        ax.plot([low, high], [low, high], color="0.6", linestyle="--", linewidth=1)
    ax.set_xlabel(f"{x}: {label}")
    ax.set_ylabel(y)


@styled
def wgangp_table2(job: FigureJob) -> list[Path]:
    """WGAN-GP Table 2 / 5 as curves: the share of architectures per outcome against the success threshold, ours
    beside the paper's, and each architecture's GAN score against its WGAN-GP score."""
    for run in runs_for(job.name, job.profile):
        job.seed_dirs(run)
    table = sweep.scores(job.profile, job.results)
    counts = sweep.table2(job.profile, table)
    fig, (shares, points) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    paper = job.profile.sweep.score == "is"
    for color, outcome in enumerate(sweep.OUTCOMES):
        ours = counts[outcome] / counts["architectures"].clip(lower=1)
        shares.plot(counts["threshold"], ours, color=f"C{color}", marker=".", label=f"{outcome} (ours)",
                    drawstyle="default" if job.profile.sweep.thresholds else "steps-post")  # observed: a step each
        if paper:
            shares.plot(list(sweep.TABLE5), [v[color] / 200 for v in sweep.TABLE5.values()], color=f"C{color}",
                        linestyle="--", linewidth=1, label=f"{outcome} (paper)")
    shares.set_xlabel(f"threshold on {_sweep_axis(job)}")
    shares.set_ylabel("share of architectures")
    shares.set_title("Table 2: outcomes per success threshold")
    shares.legend(fontsize=7, loc="best")
    _versus(points, table, "gan", "wgan-gp", _sweep_axis(job))
    points.set_title("final score per architecture")
    judged = int(counts["architectures"].max()) if len(counts) else 0
    only_gp, only_gan = int(counts["only_wgan_gp"].sum()), int(counts["only_gan"].sum())
    rows = [f"| {t:.4g} | {a} | {b} | {c} | {d} |" + (
        f" {p} |" if paper else "") for t, a, b, c, d, p in zip(
        counts["threshold"], counts["only_gan"], counts["only_wgan_gp"], counts["both"], counts["neither"],
        ["/".join(str(v) for v in sweep.TABLE5.get(t, ())) or "—" for t in counts["threshold"]])]
    text = "\n\n".join([
        "**WGAN-GP Table 2 (full: Table 5): random architectures trained with the GAN and with WGAN-GP.** Paper "
        "claim: over 200 architectures drawn from Table 1, WGAN-GP trains many more of them to a given Inception "
        "score than the standard GAN (at 5.0: 147 only WGAN-GP, 0 only GAN, 42 both, 11 neither).",
        f"Ours: the first {job.profile.sweep.architectures} architectures of the seeded sweep "
        f"(`results/{job.profile.name}/tables/wgangp-sweep.csv` lists their Table 1 settings); {judged} have both "
        f"runs scored. Score: the last evaluated snapshot's {_sweep_axis(job)}; success = "
        f"{'score > threshold' if job.profile.sweep.higher_is_better else 'score ≤ threshold'}. Left: solid lines "
        "ours" + (", dashed the paper's Table 5 (shares of 200)." if paper else
                  "; the paper's counts are Inception scores and are not drawn beside a distance.")
        + " Right: each architecture's GAN score against its WGAN-GP score (labels: sweep index; dashed: equal).",
        scale_note(job),
        f"Over all thresholds, {only_gp} architecture × threshold cells succeeded with WGAN-GP only and {only_gan} "
        f"with the GAN only ({judged} architectures).",
        "| threshold | only GAN | only WGAN-GP | both | neither |" + (" paper (same order) |" if paper else "")
        + "\n|---|---|---|---|---|" + ("---|" if paper else "") + "\n" + "\n".join(rows),
    ])
    return job.save(fig, text)


@styled
def wgangp_app_d(job: FigureJob) -> list[Path]:
    """WGAN-GP App. D: over the architectures that drew the smooth ELU stand-in, successes per threshold with the
    stand-in and with ELU, and each architecture's two scores."""
    for run in runs_for(job.name, job.profile):
        job.seed_dirs(run)
    table = sweep.scores(job.profile, job.results)
    counts = sweep.app_d(job.profile, table)
    fig, (shares, points) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for column, label, color in (("smooth_stand_in", "smooth stand-in", "C0"), ("elu", "ELU", "C3")):
        shares.plot(counts["threshold"], counts[column], color=color, marker=".", label=label,
                    drawstyle="default" if job.profile.sweep.thresholds else "steps-post")
    shares.set_xlabel(f"threshold on {_sweep_axis(job)}")
    shares.set_ylabel("architectures that succeeded")
    shares.set_title("App. D: successes per threshold")
    shares.legend(fontsize=7)
    _versus(points, table, "wgan-gp", "wgan-gp-elu", _sweep_axis(job))
    points.set_title("final score per architecture")
    judged = int(counts["architectures"].max()) if len(counts) else 0
    rows = [f"| {t:.4g} | {a} | {b} |" for t, a, b in zip(counts["threshold"], counts["smooth_stand_in"],
                                                           counts["elu"])]
    text = "\n\n".join([
        "**WGAN-GP Appendix D: a nonsmooth activation.** Paper claim: with the gradient penalty, architectures with "
        "ELU could not be trained, and replacing ELU by the smooth softplus(2x + 2)/2 − 1 (Table 1's entry) fixed "
        "it. The paper gives no count.",
        f"Ours: of the first {job.profile.sweep.architectures} architectures of the seeded sweep, those that drew "
        f"the stand-in in G or D, trained with WGAN-GP as drawn and again with ELU in its place; {judged} have both "
        f"runs scored. Score: the last evaluated snapshot's {_sweep_axis(job)}; success = "
        f"{'score > threshold' if job.profile.sweep.higher_is_better else 'score ≤ threshold'}. Right: each "
        "architecture's stand-in score against its ELU score (labels: sweep index; dashed: equal).",
        scale_note(job),
        "| threshold | succeeded with the stand-in | succeeded with ELU |\n|---|---|---|\n" + "\n".join(rows),
    ])
    return job.save(fig, text)


@styled
def wgangp_app_c(job: FigureJob) -> list[Path]:
    """WGAN-GP App. C: each architecture's score with the two-sided penalty against the one-sided one."""
    for run in runs_for(job.name, job.profile):
        job.seed_dirs(run)
    table = sweep.scores(job.profile, job.results)
    result = sweep.app_c(job.profile, table).iloc[0]
    fig, ax = plt.subplots(figsize=(4.6, 4.2), layout="constrained")
    _versus(ax, table, "wgan-gp", "wgan-gp-one-sided", _sweep_axis(job))
    ax.set_title("App. C: two-sided vs one-sided penalty")
    p = "undefined" if pd.isna(result["sign_test_p"]) else fmt(result["sign_test_p"])
    text = "\n\n".join([
        "**WGAN-GP Appendix C: one-sided vs two-sided gradient penalty.** Paper claim: over 174 random "
        "architectures the two-sided penalty scored higher in 100 and the one-sided λ·E[max(0, ‖∇D(x̂)‖ − 1)²] in "
        "77 (as printed; 177 ≠ 174), not a significant difference at p < 0.05.",
        f"Ours: {int(result['architectures'])} architectures with both penalties scored ({_sweep_axis(job)}, "
        f"last snapshot); two-sided better in {int(result['two_sided_better'])}, one-sided in "
        f"{int(result['one_sided_better'])}, ties {int(result['ties'])}; sign test p = {p}. Each point: one "
        "architecture (label: sweep index); dashed: equal scores.",
        scale_note(job),
    ])
    return job.save(fig, text)
