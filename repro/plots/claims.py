"""The figure `claims`: the claims table at a glance, one row per claim coloured by its verdict."""

from pathlib import Path

import pandas as pd

from repro import claims
from repro.config import Profile
from repro.plots import FigureJob
from repro.plots.style import styled

COLOURS = {claims.REPRODUCED: "#4daf4a", claims.NOT_REPRODUCED: "#e41a1c", claims.INCONCLUSIVE: "#ff7f00",
           claims.NOT_TESTABLE: "#bdbdbd"}


@styled
def _figure(job: FigureJob, table: pd.DataFrame) -> list[Path]:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 0.32 * len(table) + 1.2), layout="constrained")
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(len(table), -1))
    ax.text(0.0, -0.6, "claim", weight="bold")
    ax.text(0.36, -0.6, "verdict", weight="bold")
    ax.text(0.58, -0.6, "measured: mean [95% interval] (rule)", weight="bold")
    for i, row in enumerate(table.itertuples(index=False)):
        ax.text(0.0, i, f"{row.paper} {row.where}: {row.id}", va="center", fontsize=7)
        ax.add_patch(plt.Rectangle((0.355, i - 0.4), 0.21, 0.8, color=COLOURS[row.verdict], lw=0))
        ax.text(0.46, i, row.verdict, va="center", ha="center", fontsize=7)
        ax.text(0.58, i, f"{claims.interval_text(row._asdict())} ({row.rule})", va="center", fontsize=7)
    counts = table["verdict"].value_counts()
    fig.suptitle(f"What reproduced, profile {job.profile.name}: "
                 + ", ".join(f"{counts.get(v, 0)} {v}" for v in COLOURS))
    caption = (f"**What reproduced (profile `{job.profile.name}`, {job.profile.scale}).** One row per claim of "
               f"the two papers, coloured by its verdict; the numbers, rules and reasons are in "
               f"`results/{job.profile.name}/tables/claims.md`, from which this figure is drawn.\n\n"
               + claims.caption_rows(table, list(table["id"])))
    return job.save(fig, caption)


def draw(table: pd.DataFrame, profile: Profile, results: Path, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = _figure(FigureJob("claims", profile, results, out_dir), table)
    plt.close("all")
    return paths
