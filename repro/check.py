"""`python -m repro check gpu`: the one prepared script a GPU session runs, writing gpu-check.json and gpu-check.md.

Correctness first: CUDA against CPU from the same seed, weights, batches and noise stream (drawn on the CPU), with
TF32 off, at an eighth of the papers' widths on the bundled digits; then the speed of the papers' configurations,
ours beside the official loop in one process. Correctness always runs; a speed item that would start after the
time budget is recorded as skipped, so the check ends in about 6 minutes on one GPU whatever the GPU.
"""

import csv
import dataclasses
import datetime
import math
import tempfile
import time
from pathlib import Path

import torch

from repro import atomic
from repro.bench import _random_inception, _sync, train_speed
from repro.config import Profile, resolve
from repro.data.sampler import ImageSampler, load_images
from repro.engine import Engine
from repro.errors import ConfigError
from repro.nets import PAPER_WIDTH
from repro.registry import RUNS

# One run per objective and critic kind: WGAN main.py, WGAN-GP gan_64x64.py (all four) and gan_cifar_resnet.py
PARITY_RUNS = {"wgan (clipping, BN critic)": "wgan-dcgan", "wgan-gp (layer-norm critic)": "lsun-dcgan-wgan-gp",
               "gan": "gan-dcgan", "lsgan": "lsun-dcgan-lsgan", "AC-GAN ResNet (WGAN-GP)": "cifar-resnet-acgan"}
PARITY_ITERS = 3
# |a − b| ≤ LOSS_TOLERANCE·(1 + |b|) for every logged number (b the reference); ‖w_cuda − w_cpu‖ ≤ WEIGHT_TOLERANCE·‖w_cpu − w_0‖ per
# net, i.e. the two devices disagree by at most 1% of how far training moved the weights
LOSS_TOLERANCE, WEIGHT_TOLERANCE = 1e-3, 1e-2
SPEED_RUNS = ("wgan-dcgan", "cifar-resnet", "wgan-mlpg", "cifar-gp-adam")  # the two target runs first
VARIANTS = {"eager": ("off", False), "channels-last": ("off", True), "compiled": ("default", False),
            "CUDA graphs": ("reduce-overhead", False)}
SPEED_ITERS, SPEED_IMAGES, LOADER_WORKERS = 20, 512, 2  # main.py's 2 DataLoader workers for the official loop
BUDGET_S = 330  # no speed item starts later, so the longest (a compiled ResNet) still ends within 6 minutes
# Dense TF32 tensor-core peaks (FLOP/s) from NVIDIA's datasheets, whose headline figures assume 2:4 sparsity and
# are halved here; matched on torch.cuda.get_device_name, most specific first
TF32_PEAKS = (("H200", 494.7e12, "H200 SXM datasheet: 989 TFLOPS with sparsity"),
              ("H100 PCIe", 378e12, "H100 PCIe datasheet: 756 TFLOPS with sparsity"),
              ("H100", 494.7e12, "H100 SXM datasheet: 989 TFLOPS with sparsity"),
              ("A100", 156e12, "A100 datasheet: 312 TFLOPS with sparsity"))
TARGETS = {"speedup": ("wgan-dcgan", 4.0, "generator iterations/s of WGAN DCGAN 64×64 batch 64, ours over the "
                                         "official loop"),
           "fraction_of_tf32_peak": ("cifar-resnet", 0.40, "the CIFAR ResNet WGAN-GP step's FLOP/s over the "
                                                          "TF32 peak")}


def check_profile() -> Profile:
    """The bundled digits for every image dataset (1000 held out for Fig 5a's validation), an eighth of the papers'
    widths: kernels compared, not quality."""
    datasets = {run.dataset for run in RUNS.values()}
    return Profile(path="<check gpu>", name="gpu-check", device="auto", image_size=32,
                   widths={family: max(4, width // 8) for family, width in PAPER_WIDTH.items()}, seeds=[0],
                   sample_every=10**9, checkpoint_every=2, data={**{name: "mnist-bundled" for name in datasets},
                                                                    "lsun-bedroom-64": {"store": "mnist-bundled",
                                                                                        "hold_out": 1000}},
                   batch_per_run={"*": 16})


def _tf32(on: bool) -> None:
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = on


def _steps(engine: Engine, iters: int) -> list[dict]:
    return [{k: float(v) for k, v in engine.iteration(g)[1].items()} for g in range(iters)]


def _flat(net: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().cpu() for p in net.parameters()])


def loss_error(rows: list[dict], reference: list[dict]) -> float:
    """max |a − b| / (1 + |b|) over every logged number of every iteration (inf where the columns differ)."""
    if [r.keys() for r in rows] != [r.keys() for r in reference]:
        return math.inf
    return max((abs(a[k] - b[k]) / (1 + abs(b[k])) for a, b in zip(rows, reference) for k in b), default=0.0)


def parity(run: str, device: torch.device, iters: int = PARITY_ITERS) -> dict:
    """`iters` generator iterations (no warm-up) on `device` and on the CPU from the same seed."""
    cfg = dataclasses.replace(resolve(run, check_profile(), 0), warmup=None)
    cpu = Engine(cfg, torch.device("cpu"))
    start = {"G": _flat(cpu.G), "D": _flat(cpu.D)}
    rows_cpu = _steps(cpu, iters)
    ours = Engine(cfg, device, noise_device=torch.device("cpu"))
    _tf32(False)  # the Engine turned it on
    rows = _steps(ours, iters)
    end = {"G": _flat(cpu.G), "D": _flat(cpu.D)}
    weights = {name: float((_flat(getattr(ours, name)) - end[name]).norm() / (end[name] - start[name]).norm())
               for name in ("G", "D")}
    loss = loss_error(rows, rows_cpu)
    return {"measured": {"loss": loss, **{f"weights_{k}": v for k, v in weights.items()}},
            "holds": loss <= LOSS_TOLERANCE and max(weights.values()) <= WEIGHT_TOLERANCE}


def swd_parity(device: torch.device) -> dict:
    from repro.metrics.swd import SlicedWasserstein

    rng = torch.Generator().manual_seed(0)
    real, fake = (torch.randint(0, 256, (64, 3, 32, 32), generator=rng, dtype=torch.uint8) for _ in range(2))
    on_cpu, ours = SlicedWasserstein(real)(fake), SlicedWasserstein(real, device=device)(fake)
    error = max(abs(ours["levels"][r] - v) / (1 + abs(v)) for r, v in on_cpu["levels"].items())  # and so the mean
    return {"measured": {"relative": error}, "holds": error <= LOSS_TOLERANCE}


def placement_parity(device: torch.device, batches: int = 10) -> dict:
    """The same seed's batches from a store held on the device, prefetched through pinned memory, and gathered on
    the host: identical, bit for bit."""
    images = load_images("mnist-bundled", 32)[:512]
    drawn = {}
    for placement in ("resident", "prefetch", "host"):
        sampler = ImageSampler(images, 64, 0, device, placement=placement)
        drawn[placement] = torch.stack([sampler.next().cpu() for _ in range(batches)])
    differ = max(float((drawn[p] - drawn["host"]).abs().max()) for p in drawn)
    return {"measured": {"max_abs": differ}, "holds": differ == 0.0}


def compile_parity(device: torch.device, run: str = "wgan-dcgan") -> dict:
    """torch.compile's modes against eager on the device, TF32 off."""
    cfg = dataclasses.replace(resolve(run, check_profile(), 0), warmup=None)
    rows = {}
    for mode in ("off", "default", "reduce-overhead"):
        engine = Engine(dataclasses.replace(cfg, compile=mode), device)
        _tf32(False)
        rows[mode] = _steps(engine, PARITY_ITERS)
    errors = {mode: loss_error(rows[mode], rows["off"]) for mode in ("default", "reduce-overhead")}
    return {"measured": {f"loss_{m}": e for m, e in errors.items()}, "holds": max(errors.values()) <= LOSS_TOLERANCE}


def _log(path: Path) -> list[dict]:
    """log.csv's numbers but the wall clock (empty cells: statistics a run does not log)."""
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items() if k != "wall_s" and v != ""} for row in csv.DictReader(f)]


def resume_parity(device: torch.device, run: str = "wgan-dcgan", iters: int = 6) -> dict:
    """A run trained to iters/2 and extended to iters (resumed from its checkpoint) against an uninterrupted one,
    both on the device as `train` runs them (TF32 on where the device has it)."""
    from repro.train import train

    cfg = dataclasses.replace(resolve(run, check_profile(), 0, iters=iters), warmup=None)
    with tempfile.TemporaryDirectory() as tmp:
        train(cfg, Path(tmp) / "whole", str(device), quiet=True)
        train(dataclasses.replace(cfg, iters=iters // 2), Path(tmp) / "resumed", str(device), quiet=True)
        train(cfg, Path(tmp) / "resumed", str(device), quiet=True)
        error = loss_error(_log(Path(tmp) / "resumed" / "log.csv"), _log(Path(tmp) / "whole" / "log.csv"))
    return {"measured": {"loss": error}, "holds": error <= LOSS_TOLERANCE}


def tf32_peak(device_name: str) -> dict | None:
    for key, flops, source in TF32_PEAKS:
        if key in device_name:
            return {"flops": flops, "source": source}
    return None


def _correctness(device: torch.device) -> list[dict]:
    items = [(f"{PARITY_ITERS} generator iterations, {kind}: {run}", lambda run=run: parity(run, device))
             for kind, run in PARITY_RUNS.items()]
    items += [("SWD of 64 against 64 images", lambda: swd_parity(device)),
              ("resident, prefetch and host placements: the same batches", lambda: placement_parity(device)),
              ("compile default and reduce-overhead against eager: wgan-dcgan", lambda: compile_parity(device)),
              ("resume against an uninterrupted run: wgan-dcgan, 3 + 3 iterations", lambda: resume_parity(device))]
    rows = []
    for item, measure in items:
        tick = time.monotonic()
        rows.append({"item": item, **measure(), "seconds": round(time.monotonic() - tick, 1)})
        print(f"{'holds' if rows[-1]['holds'] else 'FAILS'}: {item} {rows[-1]['measured']}", flush=True)
    return rows


def _toy_speed(device: torch.device, iters: int = 200) -> dict:
    """gan_toy.py's WGAN-GP (8 Gaussians, paper width 512, batch 256, 5 critic steps) generator iterations/s."""
    from repro.bench import _paper_profile

    engine = Engine(resolve("toy-8gaussians-gp", _paper_profile("mnist-bundled", 32), 0), device)
    for g in range(5):
        engine.iteration(g)
    _sync(device)
    tick = time.perf_counter()
    for g in range(iters):
        engine.iteration(g)
    _sync(device)
    return {"run": "toy-8gaussians-gp", "gen_iters_per_s": round(iters / (time.perf_counter() - tick), 1)}


def _inception_speed(device: torch.device, batches: int = 5) -> dict:
    """Images/s of torch-fidelity's Inception-v3 (random weights: the cost does not depend on them) on 64×3×32×32
    uint8 batches, resized to 299 inside the extractor as in FID, KID and IS."""
    extractor = _random_inception().to(device).eval()
    batch = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8, device=device)
    with torch.no_grad():
        extractor(batch)
        _sync(device)
        tick = time.perf_counter()
        for _ in range(batches):
            extractor(batch)
        _sync(device)
    return {"images_per_s": round(batches * len(batch) / (time.perf_counter() - tick), 1)}


def _speed(device: torch.device, deadline: float, peak: dict | None, runs, variants, iters: int) -> list[dict]:
    rows = []
    for run in runs:
        for variant, (compile_mode, channels_last) in variants.items():
            row = {"run": run, "variant": variant}
            if time.monotonic() > deadline:
                rows.append({**row, "skipped": "time budget"})
                continue
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            r = train_speed(run, iters, str(device), LOADER_WORKERS, SPEED_IMAGES, compile_mode, channels_last)
            rows.append({**row, "ours_gen_iters_per_s": r["ours"]["gen_iters_per_s"],
                         "official_gen_iters_per_s": r["baseline"]["gen_iters_per_s"], "speedup": r["speedup"],
                         "flops_per_s": r["ours"]["flops_per_s"], "fraction_of_matmul_peak": r["ours"]
                         ["fraction_of_peak"], "fraction_of_tf32_peak": peak and round(r["ours"]["flops_per_s"]
                                                                                        / peak["flops"], 4),
                         "batch_size": r["batch_size"], "peak_memory_mb": r["peak_memory_mb"]})
            print(f"{run} {variant}: {rows[-1]['ours_gen_iters_per_s']} it/s, official "
                  f"{rows[-1]['official_gen_iters_per_s']}, speed-up {rows[-1]['speedup']}x", flush=True)
    return rows


def _targets(speed: list[dict]) -> list[dict]:
    """Each target against its run's best variant."""
    rows = []
    for key, (run, threshold, what) in TARGETS.items():
        values = [r[key] for r in speed if r["run"] == run and r.get(key) is not None]
        best = max(values, default=None)
        rows.append({"target": what, "run": run, "threshold": threshold, "value": best,
                     "holds": None if best is None else best >= threshold})
    return rows


def run_check(device: torch.device, budget_s: float = BUDGET_S, speed_runs=SPEED_RUNS, variants=VARIANTS,
              speed_iters: int = SPEED_ITERS) -> dict:
    """Every correctness item, then speed items until `budget_s` seconds from the start."""
    start = time.monotonic()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = tf32_peak(name)
    result = {"check": "gpu", "device": str(device), "device_name": name, "torch": torch.__version__,
              "cuda": torch.version.cuda, "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                  timespec="seconds"), "tolerances": {"loss": LOSS_TOLERANCE, "weights": WEIGHT_TOLERANCE},
              "tf32_peak": peak, "correctness": _correctness(device)}
    deadline = start + budget_s
    result["speed"] = _speed(device, deadline, peak, speed_runs, variants, speed_iters)
    result["toy"] = _toy_speed(device) if time.monotonic() < deadline else {"skipped": "time budget"}
    result["inception"] = _inception_speed(device) if time.monotonic() < deadline else {"skipped": "time budget"}
    result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1) \
        if device.type == "cuda" else None
    result["targets"] = _targets(result["speed"])
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def _verdict(holds: bool | None) -> str:
    return {True: "holds", False: "**fails**", None: "not measured"}[holds]


def report_markdown(result: dict) -> str:
    peak = result["tf32_peak"]
    lines = [f"# GPU check: {result['device_name']}",
             "",
             f"torch {result['torch']}, CUDA {result['cuda']}, started {result['started']}, {result['seconds']} s. "
             f"TF32 peak used: " + (f"{peak['flops'] / 1e12:g} TFLOP/s ({peak['source']}, halved)." if peak else
                                    "none known for this device (fractions of the measured matmul peak only)."),
             "",
             "## Correctness (TF32 off; CUDA against CPU from the same seed, weights, batches and noise)",
             "",
             f"Tolerances: every logged number |a − b| ≤ {result['tolerances']['loss']:g}·(1 + |b|); weights "
             f"‖w_cuda − w_cpu‖ ≤ {result['tolerances']['weights']:g}·‖w_cpu − w_0‖ per net.",
             "",
             "| item | measured | verdict |",
             "|---|---|---|"]
    for row in result["correctness"]:
        measured = ", ".join(f"{k} {v:.2e}" for k, v in row["measured"].items())
        lines.append(f"| {row['item']} | {measured} | {_verdict(row['holds'])} |")
    lines += ["", "## Speed (paper scale; ours beside the official loop in the same process)", "",
              "| run | variant | ours gen it/s | official gen it/s | speed-up | of TF32 peak | of matmul peak | "
              "peak memory MB |", "|---|---|---|---|---|---|---|---|"]
    for r in result["speed"]:
        if "skipped" in r:
            lines.append(f"| {r['run']} | {r['variant']} | skipped: {r['skipped']} | | | | | |")
            continue
        tf32 = "" if r["fraction_of_tf32_peak"] is None else f"{r['fraction_of_tf32_peak']:.1%}"
        lines.append(f"| {r['run']} | {r['variant']} | {r['ours_gen_iters_per_s']:g} | "
                     f"{r['official_gen_iters_per_s']:g} | {r['speedup']:g}× | {tf32} | "
                     f"{r['fraction_of_matmul_peak']:.1%} | {r['peak_memory_mb']:g} |")
    toy, inception = result["toy"], result["inception"]
    lines += ["", f"Toy WGAN-GP ({toy.get('run', 'toy-8gaussians-gp')}): "
              + (f"{toy['gen_iters_per_s']:g} generator iterations/s." if "skipped" not in toy else "skipped.")
              + " Inception-v3 features: " + (f"{inception['images_per_s']:g} images/s." if "skipped" not in
                                               inception else "skipped.")
              + (f" Peak CUDA memory of the process: {result['peak_memory_mb']:g} MB." if result["peak_memory_mb"]
                 is not None else ""),
              "", "## Targets (each run's best variant)", "", "| target | run | threshold | value | verdict |",
              "|---|---|---|---|---|"]
    for t in result["targets"]:
        value = "" if t["value"] is None else f"{t['value']:g}"
        lines.append(f"| {t['target']} | {t['run']} | {t['threshold']:g} | {value} | {_verdict(t['holds'])} |")
    return "\n".join(lines) + "\n"


def write_report(result: dict, out: Path) -> None:
    atomic.write_json(out / "gpu-check.json", result)
    atomic.write_text(out / "gpu-check.md", report_markdown(result))


def check_gpu(out: str) -> int:
    if not torch.cuda.is_available():
        raise ConfigError("check gpu: no CUDA device is visible to PyTorch (torch.cuda.is_available() is False); "
                          "run it on a machine with an NVIDIA GPU and a CUDA build of torch")
    result = run_check(torch.device("cuda"))
    write_report(result, Path(out))
    print(f"written to {Path(out) / 'gpu-check.md'} and gpu-check.json")
    return 0 if all(row["holds"] for row in result["correctness"]) else 1
