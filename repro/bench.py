"""`python -m repro bench`: throughput measured on the real training code, results as a table and a JSON file."""

import contextlib
import dataclasses
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from repro import atomic
from repro.config import Profile, resolve
from repro.engine import Engine, resolve_device

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
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from repro.data.lsun import prepare_lsun
    from repro.data.sampler import ImageSampler
    from repro.data.store import load_store

    dev = resolve_device(device)
    with _synthetic_lmdb(lmdb_dir, n) as lmdb_path, tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)  # torchvision writes its key cache into the working directory
        try:
            official = datasets.LSUN(str(lmdb_path.parent), classes=[lmdb_path.name.removesuffix("_lmdb")],
                                     transform=transforms.Compose([
                                         transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(),
                                         transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
            loader = DataLoader(official, batch_size=64, shuffle=True, num_workers=workers, drop_last=True)
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
            del it, loader
            official.dbs[0].env.close()
        finally:
            os.chdir(cwd)
        prepare_lsun(lmdb_path, 64, Path(tmp) / "store", limit=n, workers=max(workers, 1), quiet=True)
        sampler = ImageSampler(load_store(Path(tmp) / "store"), 64, 0, dev)
        sampler.next()
        ours_batches = batches * 20
        tick = time.perf_counter()
        for _ in range(ours_batches):
            x = sampler.next()
        if dev.type == "cuda":
            torch.cuda.synchronize()
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


def _paper_profile(store: str) -> Profile:
    """Paper sizes (64×64, widths 64/512) over a store of random 3-channel images: compute, not data, is timed."""
    return Profile(path="<bench>", name="bench", device="auto", image_size=64,
                   widths={"conv": 64, "mlp": 512, "toy": 512}, seeds=[0], sample_every=10**9,
                   checkpoint_every=10**9, data={"lsun-bedroom": store})


def bench_train(run: str, iters: int, device: str, out: str | None) -> int:
    """Generator iterations/s and critic steps/s of one registry run at paper scale, batch as in the paper.

    The warm-up rule is switched off so every iteration has n_critic critic steps (the steady state).
    """
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    with tempfile.TemporaryDirectory() as store:
        rng = np.random.default_rng(0)
        np.save(Path(store) / "images.npy", rng.integers(0, 256, (1024, 3, 64, 64), dtype=np.uint8))
        cfg = dataclasses.replace(resolve(run, _paper_profile(store), 0), warmup=None)
        engine = Engine(cfg, dev)
        for g in range(WARM_ITERS):
            engine.iteration(g)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        tick, critic = time.perf_counter(), 0
        for g in range(WARM_ITERS, WARM_ITERS + iters):
            critic += engine.iteration(g)[0]
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - tick
    result = {
        "benchmark": "train", "run": run, **_machine(dev),
        "image_size": cfg.image_size, "batch_size": cfg.batch_size, "n_critic": cfg.n_critic,
        "parameters": engine.parameter_counts, "gen_iters": iters, "seconds": round(seconds, 3),
        "gen_iters_per_s": round(iters / seconds, 3), "critic_steps_per_s": round(critic / seconds, 3),
    }
    print(f"{'run':18s} {'device':8s} {'size':>5s} {'batch':>5s} {'gen it/s':>9s} {'critic steps/s':>15s}")
    print(f"{run:18s} {str(dev):8s} {cfg.image_size:5d} {cfg.batch_size:5d} {result['gen_iters_per_s']:9.3f} "
          f"{result['critic_steps_per_s']:15.3f}")
    _write(result, out, f"results/bench/train-{run}.json")
    return 0


def bench_metrics(images: int, size: int, channels: int, device: str, out: str | None) -> int:
    """Images/s of the weight-free SWD (`images` vs `images`, the evaluation's protocol) and of torch-fidelity's
    Inception-v3 feature extraction (what FID, KID and IS pay per image; with random weights: the cost does not
    depend on them, and no download is needed)."""
    from repro.metrics.swd import sliced_wasserstein

    dev = resolve_device(device)
    rng = torch.Generator().manual_seed(0)
    real, fake = (torch.randint(0, 256, (images, channels, size, size), generator=rng, dtype=torch.uint8)
                  for _ in range(2))
    tick = time.perf_counter()
    sliced_wasserstein(real, fake, device=dev)
    swd_s = time.perf_counter() - tick
    extractor = _random_inception()
    extractor = extractor.to(dev).eval()
    batch = real[:64].expand(-1, 3, -1, -1).contiguous().to(dev) if channels == 1 else real[:64].to(dev)
    with torch.no_grad():
        extractor(batch[:2])  # warm-up
        tick = time.perf_counter()
        extractor(batch)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        inception_s = time.perf_counter() - tick
    result = {"benchmark": "metrics", **_machine(dev), "shape": [channels, size, size],
              "swd_images": 2 * images, "swd_seconds": round(swd_s, 3),
              "swd_images_per_s": round(2 * images / swd_s, 1),
              "inception_images": len(batch), "inception_seconds": round(inception_s, 3),
              "inception_images_per_s": round(len(batch) / inception_s, 2)}
    print(f"SWD {images} vs {images} at {channels}x{size}x{size}: {swd_s:.2f} s, {result['swd_images_per_s']} images/s")
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
