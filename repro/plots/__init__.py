"""One function per paper figure; `python -m repro figure NAME --config FILE` runs it.

A figure reads the run directories of the runs that feed it (`repro.registry`, field `figures`) under
`results/<profile>/runs/<run>/seed<k>/` and writes `figures/<profile>/<NAME>.png`, `.pdf` and a caption `.md`
(also as `.html`, for the report).
"""

import importlib
import io
from dataclasses import dataclass
from pathlib import Path

from repro import atomic
from repro.config import Profile
from repro.data import TEXT_DATASETS
from repro.errors import ConfigError, DataError, did_you_mean
from repro.registry import RUNS


@dataclass(frozen=True)
class Figure:
    """`target` is "module:function" inside repro.plots, imported only when the figure is drawn. `metrics`: the
    figure reads the runs' evaluation tables too. `objectives`: the figure takes every run of these objectives
    instead of the runs that name it in the registry."""

    target: str
    metrics: bool = False
    objectives: tuple[str, ...] = ()


FIGURES = {
    "wgan-fig3": Figure("curves:wgan_fig3", metrics=True),  # metrics: for its claims' rows (repro.claims)
    "wgan-fig4": Figure("curves:wgan_fig4", metrics=True),
    "wgan-fig8": Figure("curves:wgan_fig8", metrics=True),
    "wgan-adam": Figure("curves:wgan_adam"),
    "wgan-gan-baseline": Figure("curves:wgan_gan_baseline"),
    "wgan-fig5": Figure("grids:wgan_fig5"),
    "wgan-fig6": Figure("grids:wgan_fig6", metrics=True),
    "wgan-fig7": Figure("grids:wgan_fig7"),
    "wgan-appF": Figure("grids:wgan_app_f"),
    "wgan-fig1": Figure("toys:wgan_fig1"),
    "wgan-fig2": Figure("toys:wgan_fig2"),
    "wgangp-fig1a": Figure("toys:wgangp_fig1a"),
    "wgangp-fig1b": Figure("toys:wgangp_fig1b"),
    "wgangp-toy": Figure("toys:wgangp_toy", metrics=True),
    "seed-minmax": Figure("toys:seed_minmax"),
    "wgangp-fig2": Figure("grids:wgangp_fig2"),
    "wgangp-appH": Figure("grids:wgangp_app_h"),
    "wgangp-fig3": Figure("quality:wgangp_fig3", metrics=True),
    "wgangp-fig5a": Figure("curves:wgangp_fig5a"),
    "wgangp-fig5b": Figure("curves:wgangp_fig5b"),
    "wgangp-table3": Figure("quality:wgangp_table3", metrics=True),
    "wgangp-fig4": Figure("grids:wgangp_fig4"),
    "wgangp-fig6": Figure("grids:wgangp_fig6"),
    "wgangp-table4": Figure("language:wgangp_table4", metrics=True),
    "wgangp-table2": Figure("quality:wgangp_table2", metrics=True),
    "wgangp-appC": Figure("quality:wgangp_app_c", metrics=True),
    "wgangp-appD": Figure("quality:wgangp_app_d", metrics=True),
    "wgan-meaningful-loss": Figure("quality:meaningful_loss", metrics=True, objectives=("wgan", "wgan-gp", "gan")),
}


def _named_by_a_metrics_figure(run) -> bool:
    return any(FIGURES[f].metrics for f in run.figures if f in FIGURES)


def runs_for(figure: str, profile: Profile | None = None) -> list[str]:
    """The registry runs that feed a figure, in registry order; with a profile, only those it trains (a part of
    the random-architecture sweep). A figure that selects by objective takes the WGAN paper's runs of those
    objectives and the others that a figure evaluates anyway, except the sweep's and the language model's (whose
    n-gram divergences are no image distance): it adds no evaluation job of its own (WGAN-GP Fig 2's 28 runs, say,
    are sample grids only)."""
    objectives = FIGURES[figure].objectives
    if objectives:
        names = [name for name, run in RUNS.items() if run.objective in objectives and run.sweep_index is None
                 and run.dataset not in TEXT_DATASETS and (run.paper == "wgan" or _named_by_a_metrics_figure(run))]
    else:
        names = [name for name, run in RUNS.items() if figure in run.figures]
    return [name for name in names if profile is None or profile.trains(name)]


def evaluated_runs(profile: Profile | None = None) -> list[str]:
    """The runs whose generator snapshots `python -m repro evaluate` measures: those some figure reads metrics of."""
    wanted = {run for name, figure in FIGURES.items() if figure.metrics for run in runs_for(name, profile)}
    return [name for name in RUNS if name in wanted]


@dataclass(frozen=True)
class FigureJob:
    """What a figure function needs: where the runs are and where its files go."""

    name: str
    profile: Profile
    results: Path  # results/<profile>
    out_dir: Path  # figures/<profile>

    def seed_dirs(self, run: str) -> list[Path]:
        """Finished run directories of `run`, one per profile seed; a missing one is an error naming it."""
        dirs = [self.results / "runs" / run / f"seed{s}" for s in self.profile.seeds_of(run)]
        missing = [d for d in dirs if not (d / "meta.json").exists()]
        if missing:
            raise DataError(f"{missing[0]}: run not finished (no meta.json); train it first, e.g. "
                            f"`python -m repro train {run} --config {self.profile.path}` or `snakemake {self.name}`")
        return dirs

    def save(self, fig, caption: str, pages: list | None = None) -> list[Path]:
        """PNG (150 dpi) + PDF + caption as Markdown (with the figure's rows of the claims table) and as an HTML
        fragment (the report's), each written atomically. With `pages`, the PDF has one page per figure of it
        instead of `fig`."""
        paths, box = [], fixed_layout(fig)
        for ext in ("png", "pdf"):
            buffer = io.BytesIO()
            if ext == "pdf" and pages:
                from matplotlib.backends.backend_pdf import PdfPages

                with PdfPages(buffer) as pdf:
                    for page in pages:
                        pdf.savefig(page, bbox_inches=fixed_layout(page))
            else:
                fig.savefig(buffer, format=ext, dpi=150, bbox_inches=box)
            path = self.out_dir / f"{self.name}.{ext}"
            with atomic.atomic_path(path) as tmp:
                tmp.write_bytes(buffer.getvalue())
            paths.append(path)
        from repro.claims import caption_section

        caption = caption.rstrip() + "\n\n" + caption_section(self.profile, self.results, self.name)
        atomic.write_text(self.out_dir / f"{self.name}.md", caption.rstrip() + "\n")
        atomic.write_text(self.out_dir / f"{self.name}.html", caption_html(caption))
        return paths + [self.out_dir / f"{self.name}.{ext}" for ext in ("md", "html")]


def fixed_layout(fig):
    """The figure's tight bounding box (savefig's padding included) after one draw has laid it out, with its layout
    engine then switched off: PNG and PDF share that one layout. `bbox_inches="tight"` would lay out and draw
    each format twice, half of a figure job on the paper DAG's many-panel figures."""
    import matplotlib

    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    fig.set_layout_engine(None)
    return box


def caption_html(caption: str) -> str:
    """The Markdown caption as the HTML fragment the Snakemake report shows under the figure."""
    from repro.tables import markdown_html

    return f'<div class="caption">\n{markdown_html(caption)}</div>\n'


def draw(name: str, profile: Profile, results: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """Draws one figure; returns the files written. The figure function returns `job.save(...)`'s result."""
    if name not in FIGURES:
        raise ConfigError(f"unknown figure {name!r}{did_you_mean(name, FIGURES)}; known: {', '.join(FIGURES)}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module, function = FIGURES[name].target.split(":")
    job = FigureJob(name, profile, Path(results or f"results/{profile.name}"),
                    Path(out_dir or f"figures/{profile.name}"))
    paths = getattr(importlib.import_module(f"repro.plots.{module}"), function)(job)
    plt.close("all")
    return paths
