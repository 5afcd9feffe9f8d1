"""`python -m repro bench`: throughput measured on the real training code, results as a table and a JSON file."""

import dataclasses
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
        "benchmark": "train", "run": run, "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu",
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "image_size": cfg.image_size, "batch_size": cfg.batch_size, "n_critic": cfg.n_critic,
        "parameters": engine.parameter_counts, "gen_iters": iters, "seconds": round(seconds, 3),
        "gen_iters_per_s": round(iters / seconds, 3), "critic_steps_per_s": round(critic / seconds, 3),
    }
    path = Path(out or f"results/bench/train-{run}.json")
    atomic.write_json(path, result)
    print(f"{'run':18s} {'device':8s} {'size':>5s} {'batch':>5s} {'gen it/s':>9s} {'critic steps/s':>15s}")
    print(f"{run:18s} {str(dev):8s} {cfg.image_size:5d} {cfg.batch_size:5d} {result['gen_iters_per_s']:9.3f} "
          f"{result['critic_steps_per_s']:15.3f}")
    print(f"written to {path}")
    return 0
