"""Sample figures: WGAN Figures 5-7 (WGAN vs standard GAN, 2×8 samples per side) and their Appendix F sheets (all
64 samples per run), WGAN-GP Figure 2 and Appendix H (seven architectures × four methods), WGAN-GP Figure 4 (the
128×128 ResNet's sheet) and Figure 6 (the CIFAR-10 ResNets' 10×10 sheets).

Each caption carries a number computed from the very samples shown, so a reader can check the paper's claim
rather than take the picture's word for it.
"""

from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from repro.data.store import read_manifest
from repro.data.vision import CIFAR10_CLASSES
from repro.errors import DataError
from repro.plots import FigureJob
from repro.plots.style import GRID_COLUMNS, grid_tiles
from repro.plots.style import GRID_PADDING as PADDING
from repro.registry import RUNS, ZOO_ARCHITECTURES, ZOO_METHODS
from repro.tables import read_meta, run_status

SHOWN_ROWS = 2  # the paper shows 2 rows × 8 columns per side
ZOO_ROW_LABELS = {"dcgan": "Baseline (G: DCGAN, D: DCGAN)", "const-g": "G: no BN, const. filters",
                  "mlp-g": "G: 4-layer 512-dim ReLU MLP", "no-norm": "No normalization in G or D",
                  "gated": "Gated multiplicative nonlin.", "tanh": "tanh nonlinearities",
                  "resnet101": "101-layer ResNet G and D"}  # Fig 2's row names
ZOO_COLUMN_LABELS = {"dcgan": "DCGAN", "lsgan": "LSGAN", "wgan": "WGAN (clipping)", "wgan-gp": "WGAN-GP (ours)"}


def last_sample(run_dir: Path, suffix: str) -> tuple[Path | None, int | None]:
    """The newest samples/gen_<iter>.<suffix> and its iteration, or (None, None) for a run that saved none."""
    files = sorted((run_dir / "samples").glob(f"gen_*.{suffix}"))
    return (files[-1], int(files[-1].stem.split("_")[1])) if files else (None, None)


def pixel_spread(tiles: np.ndarray) -> float:
    """Mean over pixels of the standard deviation across samples, in [0, 1] units: near 0 for a collapsed G."""
    return float((tiles / 255.0).std(axis=0).mean())


def _image_side(job: FigureJob, run: str, rows: int = SHOWN_ROWS) -> dict:
    """One side of Figures 5-7 (or a cell of WGAN-GP Fig 2) from the profile's first seed (seed 0 in every
    profile): the first `rows` rows of its last sample grid, as a crop and as tiles."""
    run_dir = job.seed_dirs(run)[0]
    meta = read_meta(run_dir)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    path, sample_iter = last_sample(run_dir, "png")
    side = {"run": run, "seed": config["seed"], "meta": meta, "config": config, "sample_iter": sample_iter,
            "crop": None, "tiles": None, "spread": None}
    if path is not None:
        channels = meta["data"]["shape"][0]
        grid = np.asarray(Image.open(path).convert("RGB"))[..., :channels]  # save_image repeats gray into RGB
        side["crop"], side["tiles"] = grid_tiles(grid, config["image_size"], rows,
                                                 config.get("sample_grid", GRID_COLUMNS))
        side["spread"] = pixel_spread(side["tiles"])
    return side


def _scale_note(job: FigureJob, side: dict, paper_data: str = "64×64 LSUN bedrooms") -> str:
    """Names what differs from the paper: a small picture must not pass for the paper's result."""
    config, paper_iters = side["config"], RUNS[side["run"]].iters
    source = config["data_source"]
    data = source["prepare"]["dataset"] if isinstance(source, dict) else str(source)
    setting = (f"{data} at {config['image_size']}×{config['image_size']}, {config['iters']:,} generator iterations "
               f"(the paper: {paper_data}, {paper_iters:,})")
    if not job.profile.departures:
        return f"Profile `{job.profile.name}`: {setting}."
    return f"Profile `{job.profile.name}`: **{job.profile.scale}**: {setting}."


def _show(ax, side: dict) -> None:
    """A side's crop of its sample grid (gray or RGB), or why there is none."""
    ax.set_axis_off()
    if side["crop"] is None:
        ax.text(0.5, 0.5, f"no samples saved ({run_status(side['meta'])})", ha="center", va="center",
                transform=ax.transAxes)
    elif side["crop"].shape[-1] == 1:
        ax.imshow(side["crop"][..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(side["crop"], interpolation="nearest")


def _side_by_side(job: FigureJob, title: str, claim: str, wgan_run: str, gan_run: str) -> list:
    import matplotlib.pyplot as plt

    sides = [_image_side(job, wgan_run), _image_side(job, gan_run)]
    fig, axes = plt.subplots(1, 2, figsize=(12, 2.1), layout="constrained")
    for ax, side, label in zip(axes, sides, ("WGAN", "Standard GAN")):
        ax.set_title(label)
        _show(ax, side)
    fig.suptitle(title)

    lines = [f"**{title}.** Left: WGAN; right: standard GAN (−log D). Paper's claim: {claim}", "",
             _scale_note(job, sides[0]), "",
             "| side | run | seed | status | generator iterations | samples from iteration | mean per-pixel std |",
             "|---|---|---|---|---|---|---|"]
    for label, side in zip(("WGAN", "Standard GAN"), sides):
        spread = "—" if side["spread"] is None else f"{side['spread']:.4f}"
        lines.append(f"| {label} | `{side['run']}` | {side['seed']} | {run_status(side['meta'])} | "
                     f"{side['meta']['gen_iter']} | {side['sample_iter'] or '—'} | {spread} |")
    lines += ["", f"Shown: the first {SHOWN_ROWS * GRID_COLUMNS} of the 64 fixed-noise samples in each run's last "
              f"saved grid, not cherry-picked. Mean per-pixel std: each pixel's standard deviation across those "
              f"{SHOWN_ROWS * GRID_COLUMNS} samples (values in [0, 1]), averaged over pixels and channels; a "
              f"generator that collapsed onto a few outputs has a low one."]
    return job.save(fig, "\n".join(lines))


def wgan_fig5(job: FigureJob) -> list:
    return _side_by_side(job, "WGAN Figure 5: DCGAN generator",
                         "both WGAN and the standard GAN produce high-quality samples.", "wgan-dcgan", "gan-dcgan")


def wgan_fig6(job: FigureJob) -> list:
    return _side_by_side(job, "WGAN Figure 6: generator without batch norm, constant filter count",
                         "without batch normalization and with a constant number of filters the standard GAN fails "
                         "to learn, while WGAN still produces samples.", "wgan-nobn", "gan-nobn")


def wgan_fig7(job: FigureJob) -> list:
    return _side_by_side(job, "WGAN Figure 7: MLP generator (4 layers of 512 ReLU units)",
                         "WGAN's MLP samples are worse than its DCGAN samples but better than the standard GAN's, "
                         "which shows significant mode collapse.", "wgan-mlpg", "gan-mlpg")


APP_F = {"DCGAN generator": ("wgan-dcgan", "gan-dcgan"),
         "no-BN generator, constant filter count": ("wgan-nobn", "gan-nobn"),
         "MLP generator": ("wgan-mlpg", "gan-mlpg")}  # Figures 5, 6 and 7, whose full sheets App. F gives


def wgan_app_f(job: FigureJob) -> list:
    """WGAN Appendix F: every one of the 64 fixed-noise samples of each of the six runs' last grid, one PDF page
    per run; the PNG puts the six sheets on one page (rows: generators; columns: WGAN, standard GAN)."""
    import matplotlib.pyplot as plt

    sheets = {run: _image_side(job, run, rows=GRID_COLUMNS) for pair in APP_F.values() for run in pair}
    overview, axes = plt.subplots(len(APP_F), 2, figsize=(11, 5.6 * len(APP_F)), layout="constrained")
    pages, rows = [], []
    for (generator, pair), row_axes in zip(APP_F.items(), axes):
        for run, label, ax in zip(pair, ("WGAN", "Standard GAN"), row_axes):
            sheet, title = sheets[run], f"{label}, {generator} ({run})"
            page, page_ax = plt.subplots(figsize=(8, 8.4), layout="constrained")
            for target in (ax, page_ax):
                target.set_title(title, fontsize=11)
                _show(target, sheet)
            pages.append(page)
            spread = "—" if sheet["spread"] is None else f"{sheet['spread']:.4f}"
            rows.append(f"| {generator} | {label} | `{run}` | {sheet['seed']} | {run_status(sheet['meta'])} | "
                        f"{sheet['meta']['gen_iter']:,} | {sheet['sample_iter'] or '—'} | {spread} |")
    overview.suptitle("WGAN Appendix F: full sample sheets")
    text = "\n".join([
        "**WGAN Appendix F: full sample sheets.** The paper gives the full sheets of generated samples behind "
        "Figures 5–7 and says they were not cherry-picked. Rows: DCGAN generator, generator without batch norm and "
        "with a constant filter count, MLP generator; columns: WGAN, standard GAN (−log D). The PDF has one page per "
        "run.", "",
        _scale_note(job, sheets["wgan-dcgan"]), "",
        f"Each sheet: all {GRID_COLUMNS * GRID_COLUMNS} fixed-noise samples of the run's last saved grid (the "
        "generator of its last snapshot), in the order they were drawn. Mean per-pixel std: each pixel's standard "
        "deviation across the 64 samples (values in [0, 1]), averaged; a collapsed generator has a low one.", "",
        "| generator | method | run | seed | status | generator iterations | samples from iteration | "
        "mean per-pixel std |", "|---|---|---|---|---|---|---|---|", *rows])
    paths = job.save(overview, text, pages=pages)
    for page in pages:
        plt.close(page)
    return paths


def _zoo_cells(job: FigureJob, rows: int) -> dict[tuple[str, str], dict | None]:
    """WGAN-GP Fig 2's cells by (architecture, method), from the runs named lsun-<architecture>-<method>; None
    where the profile leaves the run out."""
    return {(arch, method): _image_side(job, run, rows) if job.profile.trains(run) else None
            for arch in ZOO_ARCHITECTURES for method in ZOO_METHODS for run in [f"lsun-{arch}-{method}"]}


def _square(tiles: np.ndarray, side: int) -> np.ndarray:
    """side² tiles (n, S, S, C) as one side×side mosaic with a 2-px white gap, the way save_image pads."""
    n, size, _, channels = tiles.shape
    step = size + PADDING
    mosaic = np.full((side * step + PADDING, side * step + PADDING, channels), 255, dtype=np.uint8)
    for k in range(side * side):
        y, x = PADDING + (k // side) * step, PADDING + (k % side) * step
        mosaic[y:y + size, x:x + size] = tiles[k]
    return mosaic


def _zoo_figure(job: FigureJob, side: int, title: str, what: str) -> list:
    """Rows = the seven gan_64x64.py architectures, columns = the four methods; each cell a side×side mosaic of
    the run's last fixed-noise samples."""
    import matplotlib.pyplot as plt

    cells = _zoo_cells(job, side)
    inches = 0.3 + 0.65 * side  # per cell: App. H's 8 × 8 mosaics get room
    fig, axes = plt.subplots(len(ZOO_ARCHITECTURES), len(ZOO_METHODS), figsize=(inches * len(ZOO_METHODS),
                             inches * len(ZOO_ARCHITECTURES)), layout="constrained", squeeze=False)
    rows = []
    for (arch, method), ax in zip(cells, axes.flat):
        cell = cells[arch, method]
        ax.set_xticks([])
        ax.set_yticks([])
        if arch == next(iter(ZOO_ARCHITECTURES)):
            ax.set_title(ZOO_COLUMN_LABELS[method], fontsize=10)
        if method == next(iter(ZOO_METHODS)):
            ax.set_ylabel(ZOO_ROW_LABELS[arch], fontsize=8)
        spread = None
        if cell is None:
            ax.text(0.5, 0.5, "not trained\n(train.leave_out)", ha="center", va="center", fontsize=8,
                    transform=ax.transAxes)
            rows.append(f"| {ZOO_ROW_LABELS[arch]} | {ZOO_COLUMN_LABELS[method]} | `lsun-{arch}-{method}` | "
                        "not trained (the profile's train.leave_out) | — | — | — |")
            continue
        if cell["crop"] is None:
            ax.text(0.5, 0.5, f"no samples\n({run_status(cell['meta'])})", ha="center", va="center", fontsize=8,
                    transform=ax.transAxes)
        else:
            tiles = cell["tiles"][:side * side]
            spread = pixel_spread(tiles)
            mosaic = _square(tiles, side)
            if mosaic.shape[-1] == 1:
                ax.imshow(mosaic[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            else:
                ax.imshow(mosaic, interpolation="nearest")
        rows.append(f"| {ZOO_ROW_LABELS[arch]} | {ZOO_COLUMN_LABELS[method]} | `{cell['run']}` | "
                    f"{run_status(cell['meta'])} | {cell['meta']['gen_iter']:,} | {cell['sample_iter'] or '—'} | "
                    f"{'—' if spread is None else f'{spread:.4f}'} |")
    fig.suptitle(title)
    trained = [cell for cell in cells.values() if cell]
    text = "\n".join([
        f"**{title}.** Rows: the seven architectures of gan_64x64.py; columns: the four methods, each with the "
        "optimizer settings of the paper's Appendix E (spec/wgangp.md §4). For WGAN-GP every normalisation in the "
        "critic is layer norm. Paper's claim: only WGAN-GP trained every architecture with one shared set of "
        "hyperparameters; DCGAN, LSGAN and weight clipping fail on several rows.", "",
        _scale_note(job, trained[0]) if trained else f"Profile `{job.profile.name}` trains none of these runs.",
        "",
        f"Each cell: the first {side * side} of the run's 64 fixed-noise samples in its last saved grid ({what}), "
        "not cherry-picked. Mean per-pixel std: each pixel's standard deviation across those samples (values in "
        "[0, 1]), averaged; a collapsed generator has a low one. Whether a cell \"succeeded\" is the reader's "
        "judgement, as in the paper.", "",
        "| architecture | method | run | status | generator iterations | samples from iteration | "
        "mean per-pixel std |", "|---|---|---|---|---|---|---|", *rows])
    return job.save(fig, text)


def wgangp_fig2(job: FigureJob) -> list:
    return _zoo_figure(job, 3, "WGAN-GP Figure 2: different architectures trained with different methods",
                       "the paper shows one sample per cell; 3 × 3 here")


def wgangp_app_h(job: FigureJob) -> list:
    return _zoo_figure(job, 8, "WGAN-GP Appendix H: more samples of every Figure 2 model", "all 64")


def class_names(source: str) -> list[str]:
    """The class of each label of a labelled source: CIFAR-10's names, else the digits of MNIST (the stand-in)."""
    manifest = read_manifest(Path(source)) if source != "mnist-bundled" else None
    if manifest and manifest.get("dataset") == "cifar10":
        return list(CIFAR10_CLASSES)
    return [f"digit {k}" for k in range(10)]


def wgangp_fig4(job: FigureJob) -> list:
    """WGAN-GP Figure 4: the 128×128 ResNet's last fixed-noise sheet, all 64 samples."""
    import matplotlib.pyplot as plt

    side = _image_side(job, "lsun128-resnet", rows=GRID_COLUMNS)
    fig, ax = plt.subplots(figsize=(9, 9.3), layout="constrained")
    ax.set_title("WGAN-GP Figure 4: samples of the 128×128 ResNet (`lsun128-resnet`)")
    _show(ax, side)
    spread = "—" if side["spread"] is None else f"{side['spread']:.4f}"
    text = "\n".join([
        "**WGAN-GP Figure 4: 128×128 LSUN bedrooms.** Paper: samples of a deep ResNet trained with WGAN-GP on "
        "128×128 LSUN bedrooms, shown without a number (the net: wgan_imagenet128.py, as the authors pointed to it).",
        "", _scale_note(job, side, "128×128 LSUN bedrooms"), "",
        f"Shown: all {GRID_COLUMNS * GRID_COLUMNS} fixed-noise samples of the run's last saved grid, not "
        "cherry-picked.",
        "", "| run | seed | status | generator iterations | samples from iteration | mean per-pixel std |",
        "|---|---|---|---|---|---|",
        f"| `{side['run']}` | {side['seed']} | {run_status(side['meta'])} | {side['meta']['gen_iter']:,} | "
        f"{side['sample_iter'] or '—'} | {spread} |"])
    return job.save(fig, text)


FIG6_RUNS = {"Unsupervised": "cifar-resnet", "Conditional (AC-GAN)": "cifar-resnet-acgan"}  # left, right


def wgangp_fig6(job: FigureJob) -> list:
    """WGAN-GP Figure 6 (Appendix G): the CIFAR-10 ResNets' last fixed-noise sheets, 10×10 as gan_cifar_resnet.py
    draws them; the conditional generator's labels are 0…9 repeated, so each column is one class."""
    import matplotlib.pyplot as plt

    sides = {label: _image_side(job, run, rows=RUNS[run].sample_grid) for label, run in FIG6_RUNS.items()}
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.4), layout="constrained")
    for ax, (label, side) in zip(axes, sides.items()):
        ax.set_title(label)
        _show(ax, side)
    conditional = sides["Conditional (AC-GAN)"]
    if conditional["crop"] is not None:
        step = conditional["config"]["image_size"] + PADDING
        classes = class_names(conditional["config"]["data_source"])
        axes[1].set_axis_on()
        axes[1].set_xticks([PADDING + step * (k + 0.5) for k in range(len(classes))], classes,
                           rotation=45, ha="right", fontsize=7)
        axes[1].set_yticks([])
        axes[1].tick_params(length=0)
        for spine in axes[1].spines.values():
            spine.set_visible(False)
    fig.suptitle("WGAN-GP Figure 6: CIFAR-10 ResNet samples")
    rows = []
    for label, side in sides.items():
        spread = "—" if side["spread"] is None else f"{side['spread']:.4f}"
        rows.append(f"| {label} | `{side['run']}` | {side['seed']} | {run_status(side['meta'])} | "
                    f"{side['meta']['gen_iter']:,} | {side['sample_iter'] or '—'} | {spread} |")
    text = "\n".join([
        "**WGAN-GP Figure 6 (Appendix G): CIFAR-10 ResNet samples.** Left: the unsupervised model (Table 3's 7.86 "
        "row); right: the conditional AC-GAN model (Table 3's 8.42 row), one class per column. The paper shows "
        "them without a claim beyond Table 3's scores, which `wgangp-table3` measures.", "",
        _scale_note(job, sides["Unsupervised"], "32×32 CIFAR-10"), "",
        "Each sheet: the 100 fixed-noise samples of the run's last saved grid, 10 to a row as gan_cifar_resnet.py "
        "draws them (the conditional generator's labels are 0…9 repeated, so column k is class k, named under it: the "
        "CIFAR-10 class, or the digit where the profile's stand-in digits replace CIFAR-10), "
        "not cherry-picked. Mean per-pixel std: each pixel's standard deviation across the 100 samples (values in "
        "[0, 1]), averaged; a collapsed generator has a low one.", "",
        "| model | run | seed | status | generator iterations | samples from iteration | mean per-pixel std |",
        "|---|---|---|---|---|---|---|", *rows])
    return job.save(fig, text)
