"""`python -m repro <command>`: the only entry point the pipeline's rules call."""

import argparse
import json
import sys

from repro.errors import ReproError


def _train(args) -> int:
    from repro.config import load_profile, resolve
    from repro.train import train

    profile = load_profile(args.config)
    seed = profile.seeds[0] if args.seed is None else args.seed
    cfg = resolve(args.run, profile, seed, args.iters)
    out = args.out or f"results/{profile.name}/runs/{cfg.run}/seed{seed}"
    return train(cfg, out, args.device or profile.device, args.quiet)


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
        print(f"{name:14s} {arch.role:9s} {counts[name]:>10,d}  {arch.about}")
    print("(counts at the papers' sizes: 3x64x64 images, nz=100, width 64 conv / 512 MLP; toy nets on 2-D points)")
    return 0


def _bench(args) -> int:
    from repro.bench import bench_train

    return bench_train(args.run, args.iters, args.device, args.out)


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
    p.set_defaults(handler=_train)

    p = sub.add_parser("runs", help="list the papers' runs and the figures they feed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_runs)

    p = sub.add_parser("models", help="list every architecture with its parameter count")
    p.add_argument("--json", action="store_true", help="one object: name -> parameter count")
    p.set_defaults(handler=_models)

    p = sub.add_parser("bench", help="throughput benchmarks")
    bench = p.add_subparsers(dest="bench", required=True)
    b = bench.add_parser("train", help="generator iterations/s and critic steps/s at 64x64, batch 64")
    b.add_argument("--run", required=True)
    b.add_argument("--iters", type=int, default=20, help="timed generator iterations")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    b.add_argument("--out", help="JSON results file (default results/bench/train-<run>.json)")
    b.set_defaults(handler=_bench)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except ReproError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
