"""What a profile's training costs before it runs (`python -m repro cost --config P`): per run, its generator
iterations, the FLOPs of one generator iteration, an estimate of its GPU time, its SLURM time limit and the disk its
snapshots, checkpoints and sample grids take; per experiment, summed over runs and seeds; and the image stores.

FLOPs are counted by running one critic step and one generator step of the run's own nets and objective on the
meta device (shapes only: no memory, no arithmetic) under PyTorch's FLOP formulas (torch.utils.flop_counter: every
convolution and matrix product, forward and backward, the penalty's double backward included, 2 FLOPs per
multiply-add; normalisation, activations, optimizer updates and the validation passes of WGAN-GP Fig 5 are not
counted). The GPU time is an estimate from that count: no GPU rate has been measured for this suite yet, so it
assumes ASSUMED_TFLOPS achieved and STEP_OVERHEAD_S of launch and host time per step. The pipeline's `cost` job
writes this for every run, and each training job's SLURM time limit (rules/train.smk) is read from it.
"""

import functools
import json
import math
from dataclasses import asdict, dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from repro.config import Profile, RunConfig, resolve
from repro.data import TEXT_DATASETS
from repro.data.text import MAX_N_EXAMPLES, SEQ_LEN
from repro.data.toy import TOY_DATASETS
from repro.engine import build_net, class_loss_of
from repro.objectives import make_objective
from repro.registry import get_run

ASSUMED_TFLOPS = 20.0  # achieved TF32 rate: 13% of an A100's 156 TFLOP/s peak; an assumption until measured
STEP_OVERHEAD_S = 2e-3  # kernel launches and host work per critic or generator step, assumed
RUNTIME_MARGIN = 2.0  # a training job's time limit: this many times the estimate, plus RUNTIME_FLOOR_MIN
RUNTIME_FLOOR_MIN = 30
CHECKPOINTS_KEPT = 2  # repro.train.KEEP_CHECKPOINTS, plus final.pt beside them
OPTIMIZER_MOMENTS = {"adam": 2, "adam_tf": 2, "rmsprop": 1, "rmsprop_tf": 1}  # state tensors per parameter
# images per split of the full datasets (what `prepare` stores), and the channels of the papers' data
DATASET_IMAGES = {"lsun": {"train": 3_033_042, "validation": 300}, "cifar10": {"train": 50_000, "test": 10_000},
                  "mnist": {"train": 50_000, "validation": 10_000, "test": 10_000},
                  "imagenet32": {"train": 1_281_167, "validation": 50_000}}
CHANNELS = {"lsun-bedroom": 3, "lsun-bedroom-64": 3, "lsun-bedroom-128": 3, "cifar10": 3, "imagenet32": 3, "mnist": 1}
BYTE_SYMBOLS = 257  # a text store's largest vocabulary: every byte value and 'unk' (repro.data.text)


class _FlopCount(TorchDispatchMode):
    """Adds up torch.utils.flop_counter's formula of every operator that has one."""

    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def count_flops(fn) -> int:
    """FLOPs of the convolutions and matrix products `fn()` runs, forward and backward. (FlopCounterMode itself
    fails on autograd.grad of a leaf, which every gradient penalty takes.)"""
    with _FlopCount() as counter:
        fn()
    return counter.total


def data_shape(cfg: RunConfig) -> tuple[int, ...]:
    """One data item of the run on the papers' data: C×H×W images, a 2-D point, or a V×L one-hot line."""
    if cfg.dataset in TOY_DATASETS:
        return (2,)
    if cfg.dataset in TEXT_DATASETS:
        return BYTE_SYMBOLS, cfg.image_size
    return CHANNELS[cfg.dataset], cfg.image_size, cfg.image_size


@dataclass(frozen=True)
class Nets:
    """What a run's nets cost per step and store, the same for every seed and length of the run."""

    critic_step_flops: int
    generator_step_flops: int
    generator_bytes: int
    critic_bytes: int
    optimizer_bytes: int


def nets(cfg: RunConfig) -> Nets:
    return _nets(json.dumps({**cfg.to_dict(), "seed": 0, "iters": 1}, sort_keys=True))


@functools.lru_cache(maxsize=None)
def _nets(config: str) -> Nets:
    """One critic step and one generator step counted on the meta device, and the nets' state sizes."""
    cfg = RunConfig.from_dict(json.loads(config))
    shape = data_shape(cfg)
    with torch.device("meta"):
        G, D = build_net(cfg, "generator", shape), build_net(cfg, "critic", shape)
    objective = make_objective(cfg.objective, cfg.clip, cfg.clip_when, cfg.gp_lambda, cfg.gp_one_sided,
                               cfg.gan_loss_halved)
    conditional = getattr(G, "n_classes", None)

    def fakes(n: int) -> torch.Tensor:
        z = torch.empty(n, cfg.nz, device="meta")
        return G(z, labels(n)) if conditional else G(z)

    def labels(n: int) -> torch.Tensor:
        return torch.zeros(n, dtype=torch.long, device="meta")

    def critic_step():  # repro.engine.Engine._critic_step
        with torch.no_grad():
            fake = fakes(cfg.batch_size)
        real = torch.empty(cfg.batch_size, *shape, device="meta")
        loss = objective.critic_loss(D, real, fake, None)[0]
        if cfg.acgan_scales:  # the class head's loss on the real batch
            loss = loss + class_loss_of(D, real, labels(cfg.batch_size))
        loss.backward()

    def generator_step():  # repro.engine.Engine.iteration's generator step
        D.requires_grad_(False)
        n = cfg.batch_size * cfg.gen_batch_multiple
        fake = fakes(n)
        loss = objective.generator_loss(D, fake)
        if cfg.acgan_scales:
            loss = loss + class_loss_of(D, fake, labels(n))
        loss.backward()

    def size(module) -> int:
        return sum(t.numel() * t.element_size() for t in module.state_dict().values())

    optimizer = OPTIMIZER_MOMENTS[cfg.opt_g.name] * size(G) + OPTIMIZER_MOMENTS[cfg.opt_d.name] * size(D)
    return Nets(count_flops(critic_step), count_flops(generator_step), size(G), size(D), optimizer)


def mean_critic_steps(cfg: RunConfig) -> float:
    """Critic steps per generator iteration over the whole run, WGAN's warm-up bursts included."""
    if cfg.warmup is None:
        return float(cfg.n_critic)
    w = cfg.warmup  # repro.engine.critic_steps: a burst while g < first and at every g % every == 0
    bursts = min(w.first, cfg.iters) + sum(1 for g in range(0, cfg.iters, w.every) if g >= w.first)
    return (bursts * w.critic_iters + (cfg.iters - bursts) * cfg.n_critic) / cfg.iters


@dataclass(frozen=True)
class RunCost:
    """One run × seed at a profile's scale."""

    iters: int
    critic_steps: float  # per generator iteration, on average
    flops_per_iter: int
    gpu_seconds: float  # estimated: FLOPs at ASSUMED_TFLOPS plus STEP_OVERHEAD_S per step
    runtime_minutes: int  # the SLURM time limit of its training job
    disk_bytes: int  # snapshots, rolling checkpoints, final.pt and sample grids (uncompressed)


def run_cost(cfg: RunConfig, max_minutes: int) -> RunCost:
    """The run's cost; its time limit is the estimate with a margin, at most `max_minutes` (a longer run resumes
    from its checkpoint when Snakemake resubmits it)."""
    n, steps = nets(cfg), mean_critic_steps(cfg)
    flops = round(steps * n.critic_step_flops + n.generator_step_flops)
    seconds = cfg.iters * (flops / (ASSUMED_TFLOPS * 1e12) + (steps + 1) * STEP_OVERHEAD_S)
    shape = data_shape(cfg)
    snapshots = cfg.iters // cfg.snapshot_every + 1 + (cfg.iters % cfg.snapshot_every > 0)
    snapshot = n.generator_bytes + (n.critic_bytes if len(shape) == 1 else 0)  # 2-D toys keep the critic too
    grids = (cfg.iters // cfg.sample_every + 1) * (8 * (shape[1] + 2) + 2) ** 2 * 3 if len(shape) == 3 else 0
    checkpoints = (CHECKPOINTS_KEPT + 1) * (n.generator_bytes + n.critic_bytes + n.optimizer_bytes)
    minutes = min(max_minutes, math.ceil(RUNTIME_MARGIN * seconds / 60 + RUNTIME_FLOOR_MIN))
    return RunCost(cfg.iters, steps, flops, seconds, minutes, snapshots * snapshot + checkpoints + grids)


def store_bytes(profile: Profile) -> dict[str, int]:
    """The stores a profile's prepare jobs write, at the full datasets' sizes: '<entry> <split>' → bytes."""
    stores = {}
    for name, entry in profile.data.items():
        spec = entry.get("prepare") if isinstance(entry, dict) else None
        if spec is not None and spec["dataset"] == "billion-word":  # uint16 symbols of 32-symbol lines
            stores[f"{name} train"] = spec.get("max_lines", MAX_N_EXAMPLES) * SEQ_LEN * 2
        if spec is None or spec["dataset"] not in DATASET_IMAGES:
            continue
        size = spec.get("size", profile.image_size)
        for split, count in DATASET_IMAGES[spec["dataset"]].items():
            stores[f"{name} {split}"] = count * CHANNELS[name] * size * size
    return stores


def experiment_of(run: str) -> str:
    """The experiment a run belongs to: the WGAN paper's image runs together, else the run's first figure."""
    spec = get_run(run)
    return "wgan: image runs (Figs 3-8)" if spec.paper == "wgan" else f"wgangp: {spec.figures[0]}"


def profile_cost(profile: Profile, max_minutes: int, progress=None) -> dict:
    """Every run's cost (`runs`), summed per experiment over runs and seeds (`experiments`, most GPU time first),
    the stores, and the assumptions behind the estimate: what `python -m repro cost` writes."""
    runs = {run: run_cost(resolve(run, profile, profile.seeds[0]), max_minutes) for run in (progress or iter)(
        profile.runs)}
    experiments = {}
    for run, cost in runs.items():
        seeds = len(profile.seeds_of(run))
        row = experiments.setdefault(experiment_of(run), {"experiment": experiment_of(run), "jobs": 0, "gen_iters": 0,
                                                          "gflop_per_iter": [math.inf, 0.0], "gpu_hours": 0.0,
                                                          "disk_gb": 0.0})
        row["jobs"] += seeds
        row["gen_iters"] += seeds * cost.iters
        row["gflop_per_iter"] = [min(row["gflop_per_iter"][0], cost.flops_per_iter / 1e9),
                                 max(row["gflop_per_iter"][1], cost.flops_per_iter / 1e9)]
        row["gpu_hours"] += seeds * cost.gpu_seconds / 3600
        row["disk_gb"] += seeds * cost.disk_bytes / 1e9
    return {"profile": profile.name, "seeds": profile.seeds,
            "assumed": {"tflops": ASSUMED_TFLOPS, "step_overhead_s": STEP_OVERHEAD_S, "runtime_margin": RUNTIME_MARGIN,
                        "runtime_floor_min": RUNTIME_FLOOR_MIN, "max_runtime_min": max_minutes},
            "runs": {run: asdict(cost) for run, cost in runs.items()},
            "experiments": sorted(experiments.values(), key=lambda r: -r["gpu_hours"]),
            "stores_gb": {name: size / 1e9 for name, size in store_bytes(profile).items()}}


def markdown(result: dict) -> str:
    """The per-experiment table and the stores, as the README shows them."""
    lines = ["| experiment | training jobs | generator iterations | GFLOP per iteration | est. GPU-hours | disk (GB) |",
             "|---|---|---|---|---|---|"]
    for row in result["experiments"]:
        low, high = row["gflop_per_iter"]
        gflop = f"{low:,.0f}" if round(low) == round(high) else f"{low:,.0f}-{high:,.0f}"
        lines.append(f"| {row['experiment']} | {row['jobs']:,} | {row['gen_iters']:,} | {gflop} | "
                     f"{row['gpu_hours']:,.1f} | {row['disk_gb']:,.1f} |")
    total = result["experiments"]
    lines.append(f"| **all** | {sum(r['jobs'] for r in total):,} | {sum(r['gen_iters'] for r in total):,} | | "
                 f"**{sum(r['gpu_hours'] for r in total):,.0f}** | {sum(r['disk_gb'] for r in total):,.0f} |")
    stores = ", ".join(f"{name} {size:,.2f}" for name, size in result["stores_gb"].items())
    return "\n".join(lines) + f"\n\nImage stores (GB): {stores or 'none prepared'}."
