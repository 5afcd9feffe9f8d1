"""One function per paper figure; `python -m repro figure NAME --config FILE` runs it.

A figure reads the run directories of the runs that feed it (`repro.registry`, field `figures`) under
`results/<profile>/runs/<run>/seed<k>/` and writes `figures/<profile>/<NAME>.png`, `.pdf` and a caption `.md`.
"""

import importlib
import io
from dataclasses import dataclass
from pathlib import Path

from repro import atomic
from repro.config import Profile
from repro.errors import ConfigError, DataError, did_you_mean
from repro.registry import RUNS

# name → "module:function" inside repro.plots; modules are imported only when their figure is drawn.
FIGURES = {
    "wgan-fig3": "curves:wgan_fig3",
    "wgan-fig4": "curves:wgan_fig4",
    "wgan-fig8": "curves:wgan_fig8",
    "wgan-adam": "curves:wgan_adam",
    "wgan-gan-baseline": "curves:wgan_gan_baseline",
    "wgan-fig5": "grids:wgan_fig5",
    "wgan-fig6": "grids:wgan_fig6",
    "wgan-fig7": "grids:wgan_fig7",
    "wgangp-toy": "grids:wgangp_toy",
}


def runs_for(figure: str) -> list[str]:
    """The registry runs that feed a figure, in registry order."""
    return [name for name, run in RUNS.items() if figure in run.figures]


@dataclass(frozen=True)
class FigureJob:
    """What a figure function needs: where the runs are and where its files go."""

    name: str
    profile: Profile
    results: Path  # results/<profile>
    out_dir: Path  # figures/<profile>

    def seed_dirs(self, run: str) -> list[Path]:
        """Finished run directories of `run`, one per profile seed; a missing one is an error naming it."""
        dirs = [self.results / "runs" / run / f"seed{s}" for s in self.profile.seeds]
        missing = [d for d in dirs if not (d / "meta.json").exists()]
        if missing:
            raise DataError(f"{missing[0]}: run not finished (no meta.json); train it first, e.g. "
                            f"`python -m repro train {run} --config {self.profile.path}` or `snakemake {self.name}`")
        return dirs

    def save(self, fig, caption: str) -> list[Path]:
        """PNG (150 dpi) + PDF + caption Markdown, each written atomically."""
        paths = []
        for ext in ("png", "pdf"):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=ext, dpi=150, bbox_inches="tight")
            path = self.out_dir / f"{self.name}.{ext}"
            with atomic.atomic_path(path) as tmp:
                tmp.write_bytes(buffer.getvalue())
            paths.append(path)
        atomic.write_text(self.out_dir / f"{self.name}.md", caption.rstrip() + "\n")
        return paths + [self.out_dir / f"{self.name}.md"]


def draw(name: str, profile: Profile, results: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """Draws one figure; returns the files written. The figure function returns `job.save(...)`'s result."""
    if name not in FIGURES:
        raise ConfigError(f"unknown figure {name!r}{did_you_mean(name, FIGURES)}; known: {', '.join(FIGURES)}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module, function = FIGURES[name].split(":")
    job = FigureJob(name, profile, Path(results or f"results/{profile.name}"),
                    Path(out_dir or f"figures/{profile.name}"))
    paths = getattr(importlib.import_module(f"repro.plots.{module}"), function)(job)
    plt.close("all")
    return paths
