"""`python -m repro bench`: throughput measured on the real training code, results as a table and a JSON file."""

import contextlib
import dataclasses
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from repro import atomic
from repro.baseline import OfficialLoop, official_lsun_loader
from repro.config import Profile, resolve
from repro.cost import count_flops, experiment_of
from repro.engine import Engine, resolve_device
from repro.errors import DataError
from repro.nets import PAPER_WIDTH
from repro.registry import get_run

WARM_ITERS = 2  # untimed: allocator, cuDNN autotuning


def _write(result: dict, out: str | None, default: str) -> None:
    path = Path(out or default)
    atomic.write_json(path, result)
    print(f"written to {path}")


def _machine(device: torch.device) -> dict:
    return {"device": str(device), "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
            or "cpu", "torch": torch.__version__}


@contextlib.contextmanager
def _synthetic_lmdb(lmdb_dir: str | None, n: int):
    """The user's LMDB, or n synthetic 256-px JPEGs in LSUN's layout in a temporary folder."""
    from repro.data.lsun import synthetic_entries, write_lmdb

    if lmdb_dir:
        yield Path(lmdb_dir)
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield write_lmdb(Path(tmp) / "bedroom_train_lmdb", synthetic_entries(n))


def bench_prepare(lmdb_dir: str | None, n: int, workers: list[int], size: int, out: str | None) -> int:
    """Preprocessing images/s (LMDB JPEG → size×size store) for each worker count, and per worker."""
    from repro.data.lsun import prepare_lsun

    rows = []
    with _synthetic_lmdb(lmdb_dir, n) as lmdb_path, tempfile.TemporaryDirectory() as tmp:
        for k in workers:
            tick = time.perf_counter()
            manifest = prepare_lsun(lmdb_path, size, Path(tmp) / f"w{k}", limit=n, workers=k, quiet=True)
            seconds = time.perf_counter() - tick
            rows.append({"workers": k, "images": manifest["count"], "seconds": round(seconds, 3),
                         "images_per_s": round(manifest["count"] / seconds, 1),
                         "images_per_s_per_worker": round(manifest["count"] / seconds / k, 1)})
    print(f"{'workers':>7s} {'images':>7s} {'seconds':>8s} {'images/s':>9s} {'per worker':>10s}")
    for r in rows:
        print(f"{r['workers']:7d} {r['images']:7d} {r['seconds']:8.2f} {r['images_per_s']:9.1f} "
              f"{r['images_per_s_per_worker']:10.1f}")
    _write({"benchmark": "prepare", "size": size, "source": str(lmdb_dir or f"{n} synthetic 256-px JPEGs q75"),
            "rows": rows, **_machine(torch.device("cpu"))}, out, "results/bench/prepare.json")
    return 0


def bench_loader(lmdb_dir: str | None, n: int, batches: int, workers: int, device: str, out: str | None) -> int:
    """Batches/s of our sampler over the prepared store against the official WGAN path on the same LMDB:
    torchvision `LSUN` + Resize/CenterCrop/ToTensor/Normalize + `DataLoader(shuffle=True, num_workers)`."""
    from repro.data.lsun import prepare_lsun
    from repro.data.sampler import ImageSampler
    from repro.data.store import load_store

    dev = resolve_device(device)
    with _synthetic_lmdb(lmdb_dir, n) as lmdb_path, tempfile.TemporaryDirectory() as tmp:
        loader = official_lsun_loader(lmdb_path, 64, 64, workers, Path(tmp))
        it, done = iter(loader), 0
        next(it)  # worker start-up is not timed
        tick = time.perf_counter()
        while done < batches:
            try:
                batch, _ = next(it)
            except StopIteration:
                it = iter(loader)
                continue
            batch.to(dev)
            done += 1
        official_s = time.perf_counter() - tick
        del it
        loader.dataset.dbs[0].env.close()
        prepare_lsun(lmdb_path, 64, Path(tmp) / "store", limit=n, workers=max(workers, 1), quiet=True)
        sampler = ImageSampler(load_store(Path(tmp) / "store"), 64, 0, dev)
        sampler.next()
        ours_batches = batches * 20
        tick = time.perf_counter()
        for _ in range(ours_batches):
            x = sampler.next()
        _sync(dev)
        ours_s = time.perf_counter() - tick
    result = {"benchmark": "loader", "batch_size": 64, "size": 64, "dataloader_workers": workers,
              "official_batches_per_s": round(batches / official_s, 2),
              "ours_batches_per_s": round(ours_batches / ours_s, 2), "placement": sampler.placement,
              "source": str(lmdb_dir or f"{n} synthetic 256-px JPEGs q75"), **_machine(dev)}
    result["speedup"] = round(result["ours_batches_per_s"] / result["official_batches_per_s"], 1)
    print(f"{'path':44s} {'batches/s':>10s}")
    print(f"{'official: torchvision LSUN + DataLoader':44s} {result['official_batches_per_s']:10.2f}")
    print(f"{'ours: image store + ImageSampler (' + sampler.placement + ')':44s} {result['ours_batches_per_s']:10.2f}")
    print(f"speed-up: {result['speedup']}x (last batch {tuple(x.shape)})")
    _write(result, out, "results/bench/loader.json")
    return 0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _paper_profile(store: str, image_size: int) -> Profile:
    """Paper widths and batches over one store that stands in for every image dataset: compute is timed."""
    return Profile(path="<bench>", name="bench", device="auto", image_size=image_size,
                   widths={**PAPER_WIDTH}, seeds=[0], sample_every=10**9, checkpoint_every=10**9,
                   data={name: store for name in ("lsun-bedroom", "lsun-bedroom-64", "cifar10", "imagenet32")})


def iteration_flops(engine: Engine) -> int:
    """FLOPs of one generator iteration (n_critic critic steps and the generator step), counted with PyTorch's FLOP
    formulas from the shapes of every convolution and matrix product run, forward and backward (the penalty's double
    backward included) at 2 FLOPs per multiply-add; normalisation, activations and optimizer updates are not
    counted. Runs (and so advances) one real iteration."""
    return count_flops(lambda: engine.iteration(WARM_ITERS))


def matmul_peak(device: torch.device, n: int = 2048, repeats: int = 10) -> float:
    """The device's float32 FLOP/s on a large square matrix product (TF32 where allowed): the practical peak
    the achieved rate is compared with."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    _sync(device)
    tick = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(device)
    return 2 * n**3 * repeats / (time.perf_counter() - tick)


def _timed(step, iters: int, device: torch.device) -> tuple[float, int]:
    """Seconds and critic steps of `iters` calls of `step` (each returns its critic steps)."""
    _sync(device)
    tick, critic = time.perf_counter(), 0
    for _ in range(iters):
        critic += step()
    _sync(device)
    return time.perf_counter() - tick, critic


def _peak_memory_mb(device: torch.device) -> tuple[float, str]:
    """Peak device memory on CUDA; on CPU the process's peak resident set (both loops and the data), which is
    all the operating system can tell apart. Returned with a phrase saying which of the two it is."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "CUDA memory allocated by this process"
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "resident set of the process (both loops)"


def train_speed(run: str, iters: int, device: str, workers: int, images: int, compile_mode: str,
                channels_last: bool) -> dict:
    """Generator iterations/s of one registry run at paper scale, ours against the official loop (`baseline`),
    side by side in this process on the same LMDB, nets, batch and seed; with FLOPs and peak memory.

    The warm-up rule is switched off so every iteration has n_critic critic steps (the steady state). Both loops
    are timed in two alternating rounds, so drifting machine speed hits both alike.
    """
    from repro.data.lsun import close_lmdb, prepare_lsun

    dev = resolve_device(device)
    with _synthetic_lmdb(None, images) as lmdb_path, tempfile.TemporaryDirectory() as tmp:
        size = get_run(run).image_size or 64
        prepare_lsun(lmdb_path, size, Path(tmp) / "store", workers=max(workers, 1), quiet=True)
        close_lmdb(lmdb_path)
        cfg = dataclasses.replace(resolve(run, _paper_profile(str(Path(tmp) / "store"), size), 0), warmup=None,
                                  compile=compile_mode, channels_last=channels_last)
        engine = Engine(cfg, dev)
        loader = official_lsun_loader(lmdb_path, size, cfg.batch_size, workers, Path(tmp))
        baseline = OfficialLoop(engine, loader)
        flops = iteration_flops(Engine(dataclasses.replace(cfg, compile="off"), dev))  # counted on eager ops
        for g in range(WARM_ITERS):
            engine.iteration(g)
            baseline.iteration()
        gen_iter = iter(range(WARM_ITERS + 1, 10**9))
        ours_step = lambda: engine.iteration(next(gen_iter))[0]  # noqa: E731
        seconds = {"ours": 0.0, "baseline": 0.0}
        critic = {"ours": 0, "baseline": 0}
        for _ in range(2):
            for name, step in (("ours", ours_step), ("baseline", baseline.iteration)):
                s, c = _timed(step, (iters + 1) // 2, dev)
                seconds[name] += s
                critic[name] += c
        peak = matmul_peak(dev)
    timed = 2 * ((iters + 1) // 2)
    peak_memory, peak_memory_scope = _peak_memory_mb(dev)
    result = {
        "benchmark": "train", "run": run, **_machine(dev), "tf32": engine.tf32,
        "image_size": cfg.image_size, "batch_size": cfg.batch_size, "n_critic": cfg.n_critic,
        "parameters": engine.parameter_counts, "gen_iters": timed, "dataloader_workers": workers,
        "compile": compile_mode, "channels_last": engine.channels_last,
        "flops_per_gen_iter": flops, "flops_method": iteration_flops.__doc__.split(";")[0].strip(),
        "matmul_peak_flops": round(peak), "peak_memory_mb": round(peak_memory, 1),
        "peak_memory_scope": peak_memory_scope,
    }
    for name in ("ours", "baseline"):
        rate = timed / seconds[name]
        result[name] = {"seconds": round(seconds[name], 3), "gen_iters_per_s": round(rate, 3),
                        "critic_steps_per_s": round(critic[name] / seconds[name], 3),
                        "flops_per_s": round(flops * rate), "fraction_of_peak": round(flops * rate / peak, 4)}
    result["speedup"] = round(result["ours"]["gen_iters_per_s"] / result["baseline"]["gen_iters_per_s"], 2)
    return result


def bench_train(run: str, iters: int, device: str, workers: int, images: int, compile_mode: str,
                channels_last: bool, out: str | None) -> int:
    """`train_speed`, printed and written."""
    result = train_speed(run, iters, device, workers, images, compile_mode, channels_last)
    print(f"{run} on {result['device_name']} ({result['device']}, compile {compile_mode}, channels-last "
          f"{', '.join(result['channels_last']) or 'none'}), {result['image_size']}x{result['image_size']}, "
          f"batch {result['batch_size']}, {result['flops_per_gen_iter'] / 1e9:.1f} GFLOP per generator iteration, "
          f"matmul peak {result['matmul_peak_flops'] / 1e9:.1f} GFLOP/s")
    print(f"{'loop':10s} {'gen it/s':>9s} {'critic steps/s':>15s} {'GFLOP/s':>9s} {'of peak':>8s}")
    for name in ("ours", "baseline"):
        r = result[name]
        print(f"{name:10s} {r['gen_iters_per_s']:9.3f} {r['critic_steps_per_s']:15.3f} {r['flops_per_s'] / 1e9:9.1f} "
              f"{r['fraction_of_peak']:8.1%}")
    print(f"speed-up: {result['speedup']}x; peak memory {result['peak_memory_mb']} MB")
    _write(result, out, f"results/bench/train-{run}.json")
    return 0


def bench_metrics(images: int, size: int, channels: int, device: str, out: str | None) -> int:
    """Images/s of the weight-free SWD (`images` vs `images`, the evaluation's protocol) and of torch-fidelity's
    Inception-v3 feature extraction (what FID, KID and IS pay per image; with random weights: the cost does not
    depend on them, and no download is needed)."""
    from repro.metrics.swd import SlicedWasserstein

    dev = resolve_device(device)
    rng = torch.Generator().manual_seed(0)
    real, fake = (torch.randint(0, 256, (images, channels, size, size), generator=rng, dtype=torch.uint8)
                  for _ in range(2))
    tick = time.perf_counter()
    swd = SlicedWasserstein(real, device=dev)
    swd(fake)
    swd_s = time.perf_counter() - tick
    tick = time.perf_counter()
    swd(fake)  # a further snapshot of the same run: the real side is prepared
    swd_next_s = time.perf_counter() - tick
    extractor = _random_inception()
    extractor = extractor.to(dev).eval()
    batch = real[:64].expand(-1, 3, -1, -1).contiguous().to(dev) if channels == 1 else real[:64].to(dev)
    with torch.no_grad():
        extractor(batch[:2])  # warm-up
        tick = time.perf_counter()
        extractor(batch)
        _sync(dev)
        inception_s = time.perf_counter() - tick
    result = {"benchmark": "metrics", **_machine(dev), "shape": [channels, size, size],
              "swd_images": 2 * images, "swd_seconds": round(swd_s, 3),
              "swd_images_per_s": round(2 * images / swd_s, 1), "swd_next_set_seconds": round(swd_next_s, 3),
              "inception_images": len(batch), "inception_seconds": round(inception_s, 3),
              "inception_images_per_s": round(len(batch) / inception_s, 2)}
    print(f"SWD {images} vs {images} at {channels}x{size}x{size}: {swd_s:.2f} s, {result['swd_images_per_s']} "
          f"images/s; each further set against the same real one: {swd_next_s:.2f} s")
    print(f"Inception-v3 features (FID/KID/IS cost per image): {result['inception_images_per_s']} images/s")
    _write(result, out, f"results/bench/metrics-{channels}x{size}.json")
    return 0


def _random_inception() -> torch.nn.Module:
    """torch-fidelity's Inception-v3 (the FID/IS graph) with its random initial weights: the real architecture and
    resizing, timed without the 100 MB download (its load of pretrained weights is skipped)."""
    from unittest import mock

    from torch_fidelity import feature_extractor_inceptionv3 as inception

    with mock.patch.object(inception, "load_state_dict_from_url", return_value={}), \
            mock.patch.object(inception.FeatureExtractorInceptionV3, "load_state_dict"):
        return inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"])


def _experiment(kind: str, name: str) -> str:
    """The experiment a DAG job belongs to: a run's (repro.cost.experiment_of), a toy experiment's, or the rest."""
    if kind in ("train", "evaluate"):
        return experiment_of(name)
    if kind == "toy":
        return f"toy critics: {name}"
    return "data, figures, tables"


def bench_dag(results: str, out: str | None) -> int:
    """Wall and CPU seconds of a finished DAG per experiment, from the Snakemake benchmark file of every job
    (`<results>/benchmarks/<rule>/…tsv`). Snakemake samples CPU time every few seconds, so a job of a few
    seconds may show less CPU than it used; wall times are exact."""
    import pandas as pd

    root = Path(results) / "benchmarks"
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        kind, *rest = path.relative_to(root).parts
        name = rest[0] if kind in ("train", "evaluate") else path.stem
        row = pd.read_csv(path, sep="\t").iloc[-1]
        rows.append({"experiment": _experiment(kind, name), "rule": kind, "job": "/".join(rest).removesuffix(".tsv"),
                     "wall_s": float(row["s"]), "cpu_s": float(row["cpu_time"])})
    if not rows:
        raise DataError(f"{root}: no Snakemake benchmark files; run the DAG first (snakemake --cores all)")
    jobs = pd.DataFrame(rows)
    table = jobs.groupby("experiment").agg(jobs=("job", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum"),
                                           longest_job_s=("wall_s", "max"))
    table = table.sort_values("wall_s", ascending=False).round(1)
    print(table.to_string())
    print(f"{len(jobs)} jobs: {jobs['wall_s'].sum():.0f} job-seconds wall, {jobs['cpu_s'].sum():.0f} CPU-s")
    _write({"benchmark": "dag", "results": str(results), "experiments": table.reset_index().to_dict("records"),
            "jobs": rows}, out, f"{results}/bench-dag.json")
    return 0

