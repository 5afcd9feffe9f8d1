"""WGAN-GP Table 4: the character-level language model's samples, printed in two columns as the paper prints them,
beside gan_language.py's monitoring curves (the n-gram JS divergences of the samples to the training lines).

The samples are the run's last fixed-noise lines (`samples/gen_*.txt`, argmax-decoded at every `sample_every`),
not picked; the standard GAN's are shown under them, since the paper says it could not get comparable results.
"""

import pandas as pd

from repro.plots import FigureJob
from repro.plots.curves import scale_note
from repro.plots.grids import last_sample
from repro.registry import RUNS
from repro.tables import read_meta, read_metrics, run_status

LANGUAGE_RUNS = {"WGAN-GP": "language-gp", "Standard GAN": "language-gan"}
SHOWN_LINES = 18  # Table 4: 18 samples in two columns
ORDERS = (1, 2, 3, 4)


def js_columns(metrics: pd.DataFrame, n: int) -> tuple[str, str | None]:
    """The samples' and the real lines' JS-divergence columns of order n (js{n}_<count>, js{n}_real_<count>)."""
    real = next((c for c in metrics.columns if c.startswith(f"js{n}_real_")), None)
    return next(c for c in metrics.columns if c.startswith(f"js{n}_") and c != real), real


def _side(job: FigureJob, run: str) -> dict:
    """A run's first seed: its last saved lines (padding shown as the model wrote it) and its metric table."""
    run_dir = job.seed_dirs(run)[0]
    path, sample_iter = last_sample(run_dir, "txt")
    lines = path.read_text(encoding="utf-8").splitlines()[:SHOWN_LINES] if path else []
    return {"run": run, "meta": read_meta(run_dir), "lines": lines, "sample_iter": sample_iter,
            "metrics": read_metrics(job.results, run, job.profile.seeds_of(run)[0])}


def _two_columns(lines: list[str]) -> list[tuple[str, str]]:
    half = -(-len(lines) // 2)
    left, right = lines[:half], lines[half:]
    return [(a, right[k] if k < len(right) else "") for k, a in enumerate(left)]


def _sheet(lines: list[str]) -> str:
    """The lines in two columns, as Table 4 prints its samples."""
    return "\n".join(f"{a:<34}{b}".rstrip() for a, b in _two_columns(lines))


def wgangp_table4(job: FigureJob) -> list:
    import matplotlib.pyplot as plt

    sides = {label: _side(job, run) for label, run in LANGUAGE_RUNS.items()}
    fig = plt.figure(figsize=(12, 7.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.5, 1])
    for row, (label, side) in enumerate(sides.items()):
        ax = fig.add_subplot(grid[row, 0])
        ax.set_axis_off()
        ax.set_title(f"{label} (`{side['run']}`), generator iteration {side['sample_iter'] or '—'}", loc="left")
        text = _sheet(side["lines"]) or f"no samples saved ({run_status(side['meta'])})"
        ax.text(0, 1, text, family="monospace", fontsize=8.5, va="top", transform=ax.transAxes)
    for row, n_pair in enumerate(((1, 2), (3, 4))):
        ax = fig.add_subplot(grid[row, 1])
        for n, style in zip(n_pair, ("-", "--")):
            for (label, side), color in zip(sides.items(), ("C0", "C3")):
                metrics = side["metrics"]
                if metrics is None or metrics.empty:
                    continue
                fake, real = js_columns(metrics, n)
                ax.plot(metrics["gen_iter"], metrics[fake], style, color=color, marker=".", label=f"{label}, js{n}")
                if real and label == "WGAN-GP":
                    ax.axhline(metrics[real].iloc[-1], color="gray", linestyle=style, linewidth=0.8,
                               label=f"real held-out lines, js{n}")
        ax.set_xlabel("generator iterations")
        ax.set_ylabel("JS divergence to the training lines (bits)")
        ax.legend(fontsize=7)
    fig.suptitle("WGAN-GP Table 4: character-level language model samples and n-gram JS divergences")

    rows = []
    for label, side in sides.items():
        metrics = side["metrics"]
        finals = ["—"] * len(ORDERS)
        if metrics is not None and not metrics.empty:
            finals = [f"{metrics[js_columns(metrics, n)[0]].iloc[-1]:.3f}" for n in ORDERS]
        rows.append(f"| {label} | `{side['run']}` | {run_status(side['meta'])} | {side['meta']['gen_iter']:,} | "
                    + " | ".join(finals) + " |")
    reference = sides["WGAN-GP"]["metrics"]
    real = ["—"] * len(ORDERS)
    if reference is not None and not reference.empty and js_columns(reference, 1)[1]:
        real = [f"{reference[js_columns(reference, n)[1]].iloc[-1]:.3f}" for n in ORDERS]
    rows.append("| real held-out lines | — | — | — | " + " | ".join(real) + " |")
    samples = []
    for label, side in sides.items():  # a ~~~ fence: the samples' backticks (the padding) stay as written
        samples += ["", f"{label} samples (`{side['run']}`, generator iteration {side['sample_iter'] or '—'}; the "
                    f"backtick is the padding):", "", "~~~text", *_sheet(side["lines"]).splitlines(), "~~~"]
    config = RUNS["language-gp"]
    text = "\n".join([
        "**WGAN-GP Table 4: character-level language model.** Paper: samples of a WGAN-GP model trained on "
        "32-character Billion Word sentences, its generator's softmax fed straight to the critic (no sampling), "
        "decoded by argmax at each position; the authors could not get comparable results with the standard GAN "
        "objective and a continuous generator. Left: each run's last fixed-noise lines, the first "
        f"{SHOWN_LINES} in two columns, not picked. Right: gan_language.py's monitoring numbers, the Jensen–Shannon "
        "divergence (bits) between the character n-gram distribution of argmax-decoded samples and that of the "
        "training lines (n = 1…4; 0 = identical, 1 = disjoint), with real held-out lines as the floor.", "",
        f"{scale_note(job)} The paper trains {config.iters:,} generator iterations on Billion Word's first 10M "
        "lines.", "",
        "Final JS divergences (bits, last evaluated snapshot):", "",
        "| model | run | status | generator iterations | js1 | js2 | js3 | js4 |", "|---|---|---|---|---|---|---|---|",
        *rows, *samples])
    return job.save(fig, text)
