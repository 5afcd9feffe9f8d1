"""`python -m repro <command>`: the only entry point the pipeline's rules call."""

import argparse
import json
import sys

from repro.errors import ReproError


def _train(args) -> int:
    from repro.config import load_profile, resolve
    from repro.data.vision import build_bundled_on_first_use
    from repro.errors import ConfigError
    from repro.train import train

    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed {args.seed}: a seed is a non-negative integer (0, 1, 2, ...)")
    profile = load_profile(args.config)
    seed = profile.seeds_of(args.run)[0] if args.seed is None else args.seed
    cfg = resolve(args.run, profile, seed, args.iters)
    build_bundled_on_first_use(profile.data.get(cfg.dataset), profile.image_size)
    out = args.out or f"results/{profile.name}/runs/{cfg.run}/seed{seed}"
    return train(cfg, out, args.device or profile.device, args.quiet, args.tensorboard or profile.tensorboard)


def _evaluate(args) -> int:
    from pathlib import Path

    from repro.config import MetricsSpec, load_profile
    from repro.metrics.evaluate import evaluate, read_run_config

    profile = load_profile(args.config) if args.config else None
    cfg = read_run_config(Path(args.run_dir))
    spec = (profile.metrics if profile else MetricsSpec()).for_run(cfg.run)
    out = args.out or f"results/{cfg.profile}/metrics/{cfg.run}/seed{cfg.seed}.csv"
    device = args.device or (profile.device if profile else "auto")
    cache = args.cache or f"results/{cfg.profile}/metrics/cache"
    print(evaluate(args.run_dir, out, spec, device, cache, args.quiet))
    return 0


def _runs(args) -> int:
    from dataclasses import asdict

    from repro.registry import RUNS

    if args.json:
        print(json.dumps({name: asdict(run) for name, run in RUNS.items()}, indent=2))
        return 0
    for run in RUNS.values():
        print(f"{run.name:22s} {run.objective:8s} G={run.generator:13s} D={run.critic:7s} "
              f"opt={run.opt_d.name}:{run.opt_d.lr:g} n_critic={run.n_critic}  "
              f"figures: {', '.join(run.figures) or '-'}\n{'':22s} {run.about}")
    return 0


def _models(args) -> int:
    from repro.nets import ARCHITECTURES, build, count_parameters, paper_sizes

    counts = {name: count_parameters(build(name, paper_sizes(name))) for name in ARCHITECTURES}
    if args.json:
        print(json.dumps(counts, indent=2))
        return 0
    for name, arch in ARCHITECTURES.items():
        layout = " [channels-last]" if arch.channels_last else ""
        print(f"{name:14s} {arch.role:9s} {counts[name]:>10,d}  {arch.about}{layout}")
    print("(counts at the papers' sizes: 3x64x64 images, nz=100, width 64 conv / 512 MLP; toy nets on 2-D points)")
    return 0


def _prepare(args) -> int:
    if args.dataset == "billion-word":
        _prepare_text(args)
    elif args.dataset == "lsun":
        from repro.data.lsun import prepare_lsun

        prepare_lsun(args.lmdb or args.images, args.size, args.out, args.limit, args.workers, args.max_bad,
                     args.fast_decode, args.quiet, args.overwrite, copy=args.images is not None)
    else:
        from repro.data.vision import PREPARERS

        PREPARERS[args.dataset](args)
    return 0


def _prepare_text(args) -> None:
    from repro.data import text
    from repro.errors import ConfigError

    if args.max_lines < 1:
        raise ConfigError(f"--max-lines {args.max_lines}: give a positive number of lines")
    if args.root:
        text.prepare_billion_word(args.root, args.out, args.max_lines, overwrite=args.overwrite, quiet=args.quiet)
    elif args.text:
        text.prepare_text_file(args.text, args.out, args.max_lines, overwrite=args.overwrite)
    else:
        text.prepare_builtin(args.out, args.max_lines, args.overwrite)


def _download(args) -> int:
    from repro.data import download

    if args.what == "lsun":
        path = download.download_lsun(args.category, args.out, args.split, args.url, args.quiet)
        print(f"{path}: ready; next: python -m repro prepare lsun --lmdb {path} --size 64 --out DIR")
    else:
        path = download.download_billion_word(args.out, args.url or download.BILLION_WORD_URL, args.sha256,
                                              args.quiet)
        print(f"{path}: ready; next: python -m repro prepare billion-word --root {path.parent} --out DIR")
    return 0


def _figure(args) -> int:
    from repro.config import load_profile
    from repro.plots import draw

    for path in draw(args.name, load_profile(args.config), args.results, args.out):
        print(path)
    return 0


def _claims(args) -> int:
    from repro import claims
    from repro.config import load_profile

    for path in claims.write(load_profile(args.config), args.results, args.out, args.figures):
        print(path)
    return 0


def _toy(args) -> int:
    from pathlib import Path

    from repro.config import load_profile
    from repro.toys import result_path, run

    profile = load_profile(args.config)
    print(run(args.name, profile, Path(args.out or result_path(f"results/{profile.name}", args.name))))
    return 0


def _status(args) -> int:
    from pathlib import Path

    from repro.config import load_profile
    from repro.status import print_status

    profile = load_profile(args.config)
    print_status(profile, Path(args.results or f"results/{profile.name}"))
    return 0


def _table(args) -> int:
    from repro import sweep, tables
    from repro.config import load_profile

    profile = load_profile(args.config)
    for path in tables.write_tables(profile, args.results, args.out) + sweep.write_tables(profile, args.results,
                                                                                           args.out):
        print(path)
    return 0


def _cost(args) -> int:
    import sys

    from tqdm import tqdm

    from repro import atomic, cost
    from repro.config import load_profile

    profile = load_profile(args.config)
    limit = args.max_runtime or profile.max_runtime
    result = cost.profile_cost(profile, limit, lambda runs: tqdm(runs, desc="counting FLOPs", unit="run",
                                                                 disable=args.quiet or not sys.stderr.isatty()))
    out = args.out or f"results/{profile.name}/cost.json"
    atomic.write_json(out, result)
    print(cost.markdown(result))
    print(f"written to {out}")
    return 0


def _bench(args) -> int:
    from repro import bench

    if args.bench == "train":
        return bench.bench_train(args.run, args.iters, args.device, args.workers, args.images, args.compile,
                                 args.channels_last, args.out)
    if args.bench == "metrics":
        return bench.bench_metrics(args.images, args.size, args.channels, args.device, args.out)
    if args.bench == "prepare":
        return bench.bench_prepare(args.lmdb, args.images, args.workers, args.size, args.out)
    if args.bench == "dag":
        return bench.bench_dag(args.results, args.out)
    return bench.bench_loader(args.lmdb, args.images, args.batches, args.workers, args.device, args.out)


def _check(args) -> int:
    from repro.check import check_gpu

    return check_gpu(args.out)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m repro", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train (or resume) one registry run with one seed")
    p.add_argument("run", help="a run name from `python -m repro runs`")
    p.add_argument("--config", required=True, help="profile, e.g. configs/default.yaml")
    p.add_argument("--seed", type=int, help="default: the profile's first seed")
    p.add_argument("--out", help="run directory (default results/<profile>/runs/<run>/seed<seed>)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default: the profile's device")
    p.add_argument("--iters", type=int, help="generator iterations, overriding the profile")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard event files to <out>/tb (needs the tensorboard package)")
    p.set_defaults(handler=_train)

    p = sub.add_parser("evaluate", help="measure every generator snapshot of a run (one CSV row per snapshot)")
    p.add_argument("run_dir", help="a run directory, e.g. results/default/runs/wgan-dcgan/seed0")
    p.add_argument("--config", help="profile whose `metrics` settings apply (default: SWD on 2048 samples)")
    p.add_argument("--out", help="CSV file (default results/<profile>/metrics/<run>/seed<seed>.csv)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default: the profile's device")
    p.add_argument("--cache", help="reference-feature cache of fid/kid (default results/<profile>/metrics/cache)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_evaluate)

    p = sub.add_parser("runs", help="list the papers' runs and the figures they feed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_runs)

    p = sub.add_parser("models", help="list every architecture with its parameter count")
    p.add_argument("--json", action="store_true", help="one object: name -> parameter count")
    p.set_defaults(handler=_models)

    p = sub.add_parser("prepare", help="turn a dataset into a store (images.npy or tokens.npy, + manifest.json)")
    datasets = p.add_subparsers(dest="dataset", required=True)
    d = datasets.add_parser("lsun", help="an LSUN LMDB folder (JPEG/WebP values), or a copy of its images; resumable")
    source = d.add_mutually_exclusive_group(required=True)
    source.add_argument("--lmdb", help="the folder holding data.mdb, e.g. bedroom_train_lmdb")
    source.add_argument("--images", help="a folder (searched recursively), .tar or .zip of JPEG, PNG or WebP files, "
                                         "read in sorted path order")
    d.add_argument("--limit", type=int, help="only the first N entries (key or path order)")
    d.add_argument("--workers", type=int, default=1, help="decoding processes")
    d.add_argument("--max-bad", type=float, default=0.01, help="fail when more than this fraction is undecodable")
    d.add_argument("--fast-decode", action="store_true",
                   help="decode JPEGs at reduced scale first (faster, not pixel-exact; difference recorded)")
    for name, about in (("cifar10", "CIFAR-10 (train and test stores) through torchvision, or from an image folder"),
                        ("mnist", "MNIST through torchvision (train 50k / validation 10k / test stores)")):
        d2 = datasets.add_parser(name, help=about)
        source = d2.add_mutually_exclusive_group(required=True) if name == "cifar10" else d2
        source.add_argument("--root", required=name != "cifar10", help="torchvision dataset root")
        if name == "cifar10":
            source.add_argument("--images", help="an image-folder copy: train/<class>/*.png|jpg and test/<class>/…, "
                                                 "the classes airplane, automobile, …, truck")
        d2.add_argument("--download", action="store_true", help="download when the files are missing")
    datasets.add_parser("imagenet32", help="32x32 ImageNet npz batches (train and validation stores)").add_argument(
        "--root", required=True, help="the folder of train_data_batch_1..10.npz and val_data.npz")
    datasets.add_parser("mnist-bundled", help="the MNIST test digits bundled in the repository")
    for name, d in datasets.choices.items():
        default = {"lsun": 64, "cifar10": 32, "mnist": 28, "mnist-bundled": 32, "imagenet32": 32}[name]
        d.add_argument("--size", type=int, choices=[16, 28, 32, 64, 128], default=default,
                       help=f"side of the stored images (default {default})")
        d.add_argument("--out", required=True,
                       help="store directory (a folder per split for cifar10, mnist and imagenet32)")
        d.add_argument("--quiet", action="store_true", help="no progress bar")
        d.add_argument("--overwrite", action="store_true",
                       help="replace another store in --out, or rebuild this one (nothing of the old one stays)")
    d = datasets.add_parser("billion-word", help="a character-level text store (tokens.npy + vocab.json) of 32-symbol "
                                                 "lines, WGAN-GP Table 4")
    source = d.add_mutually_exclusive_group(required=True)
    source.add_argument("--root", help="the extracted 1-billion-word-language-modeling-benchmark-r13output folder")
    source.add_argument("--text", help="any text file, one sentence per line, under the same rules")
    source.add_argument("--builtin", action="store_true",
                        help="offline: English sentences from the help texts that ship with Python (pydoc_data)")
    d.add_argument("--max-lines", type=int, default=10_000_000, help="the first N lines (default 10,000,000)")
    d.add_argument("--out", required=True, help="store directory")
    d.add_argument("--quiet", action="store_true", help="do not list the files read")
    d.add_argument("--overwrite", action="store_true",
                   help="replace another store in --out, or rebuild this one (nothing of the old one stays)")
    p.set_defaults(handler=_prepare)

    p = sub.add_parser("download", help="fetch a dataset (resumable)")
    what = p.add_subparsers(dest="what", required=True)
    d = what.add_parser("lsun", help="an official LSUN scene zip, unpacked to <out>/<category>_<split>_lmdb")
    d.add_argument("--category", required=True, help="e.g. bedroom")
    d.add_argument("--split", choices=["train", "val"], default="train")
    d.add_argument("--out", required=True, help="folder for the zip and the LMDB folder")
    d.add_argument("--url", default="http://dl.yf.io/lsun/scenes", help="base URL of the LSUN scene zips")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d = what.add_parser("billion-word", help="the One Billion Word benchmark (WGAN-GP's language model), unpacked to "
                                             "<out>/1-billion-word-language-modeling-benchmark-r13output")
    d.add_argument("--out", required=True, help="folder for the .tar.gz and the unpacked folder")
    # default None, not the URL: importing repro.data.download for the constant would slow every command's start
    d.add_argument("--url", help="the .tar.gz's URL (default: the benchmark's own page, www.statmt.org/lm-benchmark)")
    d.add_argument("--sha256", help="refuse the archive unless its SHA-256 is this hex digest (none is published)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_download)

    p = sub.add_parser("figure", help="draw one paper figure from finished runs (PNG + PDF + caption)")
    p.add_argument("name", help="e.g. wgan-fig3; see repro/plots/__init__.py")
    p.add_argument("--config", required=True, help="the profile the runs were trained with")
    p.add_argument("--results", help="default results/<profile>")
    p.add_argument("--out", help="default figures/<profile>")
    p.set_defaults(handler=_figure)

    p = sub.add_parser("toy", help="train the critics of a generator-free toy experiment (WGAN Figs 1-2, WGAN-GP "
                                   "Fig 1a) and store what its figure draws")
    p.add_argument("name", help="wgan-fig1, wgan-fig2 or wgangp-fig1a")
    p.add_argument("--config", required=True, help="profile YAML (configs/default.yaml, configs/paper.yaml)")
    p.add_argument("--out", help="default: results/<profile>/toys/<name>.npz")
    p.set_defaults(handler=_toy)

    p = sub.add_parser("status", help="every run × seed of a profile: not started, running at iteration i of n, "
                                      "stopped, completed or diverged")
    p.add_argument("--config", default="configs/default.yaml", help="the profile (default configs/default.yaml)")
    p.add_argument("--results", help="default results/<profile>")
    p.set_defaults(handler=_status)

    p = sub.add_parser("table", help="the runs table (one row per run x seed) as CSV, Markdown and HTML")
    p.add_argument("--config", required=True, help="the profile the runs were trained with")
    p.add_argument("--results", help="default results/<profile>")
    p.add_argument("--out", help="default results/<profile>/tables")
    p.set_defaults(handler=_table)

    p = sub.add_parser("claims", help="every claim of both papers judged by its fixed rule: claims.{csv,md,html} "
                                      "and the figure `claims`")
    p.add_argument("--config", required=True, help="the profile the runs were trained with")
    p.add_argument("--results", help="default results/<profile>")
    p.add_argument("--out", help="default results/<profile>/tables")
    p.add_argument("--figures", help="default figures/<profile>")
    p.set_defaults(handler=_claims)

    p = sub.add_parser("cost", help="FLOPs, estimated GPU-hours, SLURM time limits and disk of a profile's runs")
    p.add_argument("--config", required=True, help="profile, e.g. configs/paper.yaml")
    p.add_argument("--max-runtime", type=int, help="cap of a training job's time limit in minutes (default: the "
                                                   "profile's resources.train.max_runtime)")
    p.add_argument("--out", help="JSON file (default results/<profile>/cost.json)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cost)

    p = sub.add_parser("bench", help="throughput benchmarks")
    bench = p.add_subparsers(dest="bench", required=True)
    b = bench.add_parser("train", help="generator iterations/s, FLOP/s and memory at the papers' scale, against "
                                       "the official loop side by side")
    b.add_argument("--run", required=True)
    b.add_argument("--iters", type=int, default=20, help="timed generator iterations per loop")
    b.add_argument("--workers", type=int, default=2, help="DataLoader workers of the official loop (main.py: 2)")
    b.add_argument("--images", type=int, default=1000, help="synthetic 256-px JPEGs in the LMDB both loops read")
    b.add_argument("--compile", choices=["off", "default", "reduce-overhead"], default="off",
                   help="torch.compile our nets (profile key train.compile); the official loop stays eager")
    b.add_argument("--channels-last", action="store_true",
                   help="our nets in channels-last memory where marked (train.channels_last); the official loop's not")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    b.add_argument("--out", help="JSON results file (default results/bench/train-<run>.json)")
    b = bench.add_parser("prepare", help="LSUN preprocessing images/s per worker count")
    b.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    b.add_argument("--size", type=int, default=64)
    b.add_argument("--out", help="JSON results file (default results/bench/prepare.json)")
    b = bench.add_parser("loader", help="our sampler against torchvision LSUN + DataLoader, side by side")
    b.add_argument("--batches", type=int, default=30, help="timed batches of the official path (ours: 20x)")
    b.add_argument("--workers", type=int, default=2, help="DataLoader workers of the official path")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    b.add_argument("--out", help="JSON results file (default results/bench/loader.json)")
    b = bench.add_parser("metrics", help="images/s of SWD and of the Inception features behind FID/KID/IS")
    b.add_argument("--images", type=int, default=512, help="images per set for SWD (default: the default profile's)")
    b.add_argument("--size", type=int, default=32)
    b.add_argument("--channels", type=int, choices=[1, 3], default=1)
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    b.add_argument("--out", help="JSON results file (default results/bench/metrics-<C>x<size>.json)")
    b = bench.add_parser("dag", help="wall and CPU seconds per experiment of a finished DAG (Snakemake benchmarks)")
    b.add_argument("--results", default="results/default", help="the profile's results folder")
    b.add_argument("--out", help="JSON results file (default <results>/bench-dag.json)")
    for name in ("prepare", "loader"):
        bench.choices[name].add_argument("--lmdb", help="an LSUN LMDB folder (default: synthetic 256-px JPEGs)")
        bench.choices[name].add_argument("--images", type=int, default=2000, help="images to use")
    p.set_defaults(handler=_bench)

    p = sub.add_parser("check", help="prepared device checks")
    check = p.add_subparsers(dest="check", required=True)
    c = check.add_parser("gpu", help="CUDA against CPU (losses, weights, SWD, batches, compile, resume), then "
                                     "speed against the official loop; gpu-check.{json,md}, about 6 minutes")
    c.add_argument("--out", default="results/gpu-check", help="folder of gpu-check.json and gpu-check.md")
    c.set_defaults(handler=_check)
    return top


# Commands that read the registry and finished results: they start without PyTorch's import (figures of toy critics
# import it for a few forward passes). Every other command flushes subnormal floats first (engine.flush_denormals).
WITHOUT_TORCH = ("runs", "figure", "table", "claims", "status")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command not in WITHOUT_TORCH:
        from repro.engine import flush_denormals

        flush_denormals()
    try:
        return args.handler(args)
    except ReproError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
