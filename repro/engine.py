"""One run's nets, optimizers, objective and data, advanced one generator iteration at a time.

The order of work follows the official codes: n_critic critic steps (each on a fresh real batch and fresh
noise, real and fake through the critic in separate forward passes, fake detached), then one generator step
on fresh noise with the critic frozen. Logged values are those of the last critic step, as printed by the
official code. No file I/O here: `repro.train` owns the run directory, `repro.bench` times this class.
"""

import random

import numpy as np
import torch
import torch.nn.functional as F

from repro.config import RunConfig
from repro.data import TEXT_DATASETS
from repro.data.sampler import open_sampler, signed, validation_images
from repro.errors import ConfigError
from repro.nets import ArchChoice, Sizes, build, count_parameters, get_arch
from repro.objectives import make_objective
from repro.optim import linear_decay, make_optimizer
from repro.registry import Warmup

# Per-iteration statistics; the log's other columns are gen_iter, critic_iters and wall_s.
STAT_COLUMNS = ("loss_d", "loss_d_real", "loss_d_fake", "loss_g", "w_estimate", "gp", "js_estimate",
                "grad_norm_d", "adam_cos", "acgan_d", "acgan_g")


def critic_steps(gen_iter: int, n_critic: int, warmup: Warmup | None) -> int:
    """Critic steps before generator update number `gen_iter` (0-based, counted before the increment)."""
    if warmup and (gen_iter < warmup.first or gen_iter % warmup.every == 0):
        return warmup.critic_iters
    return n_critic


def class_loss_of(D: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """AC-GAN: cross-entropy of the critic's class head (gan_cifar_resnet.py ACGAN)."""
    return F.cross_entropy(D.scores_and_logits(images)[1], labels)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is visible to PyTorch; use --device cpu or auto")
    return torch.device(name)


def build_net(cfg: RunConfig, role: str, shape: tuple) -> torch.nn.Module:
    """The run's generator or critic for data items of `shape` (C×H×W images, V×L one-hot sequences or (2,)
    points)."""
    nc, isize = (shape[0], shape[1]) if len(shape) > 1 else (shape[0], 1)
    name, width = (cfg.generator, cfg.width_g) if role == "generator" else (cfg.critic, cfg.width_d)
    return build(name, Sizes(nz=cfg.nz, nc=nc, isize=isize, width=width, n_extra_layers=cfg.n_extra_layers,
                             critic_norm=cfg.critic_norm,
                             architecture=ArchChoice(**cfg.architecture) if cfg.architecture else None))


def _cosine(a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
    dot = torch.stack([p.sum() for p in torch._foreach_mul(a, b)]).sum()
    return dot / (torch.linalg.vector_norm(torch.stack(torch._foreach_norm(a)))
                  * torch.linalg.vector_norm(torch.stack(torch._foreach_norm(b))))


def flush_denormals() -> None:
    """Subnormal floats (below 1.2e-38) become zero: x86 CPUs run ~15× slower on them (measured: a deep tanh /
    softplus random architecture, 8.6 s → 0.6 s per iteration), and GPUs flush them already. The flag is per
    thread and new threads inherit it, so call this before the first parallel op creates PyTorch's worker threads
    (`python -m repro` does it first thing)."""
    torch.set_flush_denormal(True)


def use_fast_cuda(device: torch.device) -> bool:
    """On CUDA: cuDNN autotuning (as the official codes) and TF32 matrix products and convolutions (10-bit
    mantissa inputs, float32 accumulation; Ampere and later). Returns whether TF32 is on, for meta.json."""
    if device.type != "cuda":
        return False
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    return True


def use_channels_last(cfg: RunConfig, G: torch.nn.Module, D: torch.nn.Module) -> list[str]:
    """Converts in place the nets whose architecture is marked faster in channels-last (`Arch.channels_last`),
    when the profile asks for it; returns their names, for meta.json. Batches stay in the standard layout: a
    convolution with channels-last weights returns channels-last activations."""
    if not cfg.channels_last:
        return []
    converted = []
    for name, net in ((cfg.generator, G), (cfg.critic, D)):
        if get_arch(name).channels_last:
            net.to(memory_format=torch.channels_last)
            converted.append(name)
    return converted


def compile_nets(cfg: RunConfig, G: torch.nn.Module, D: torch.nn.Module) -> None:
    """torch.compile in place (state_dict keys unchanged) with the profile's mode: "default", or "reduce-overhead",
    which on CUDA also replays the steps as CUDA graphs. A WGAN-GP critic stays eager: compiled graphs have no
    double backward, which its penalty needs."""
    if cfg.compile == "off":
        return
    G.compile(mode=cfg.compile)
    if cfg.objective != "wgan-gp":
        D.compile(mode=cfg.compile)


class Engine:
    def __init__(self, cfg: RunConfig, device: torch.device, noise_device: torch.device | None = None):
        """`noise_device`: where the training's noise stream (z, dequantisation, classes, the penalty's ε) is drawn,
        by default `device`. `check gpu` draws a CUDA run's on the CPU, to compare it with a CPU run step by step."""
        self.cfg, self.device = cfg, device
        flush_denormals()
        self.tf32 = use_fast_cuda(device)
        init_seed, data_seed, noise_seed, fixed_seed = np.random.SeedSequence(cfg.seed).generate_state(4)
        torch.manual_seed(int(init_seed))
        np.random.seed(int(init_seed))
        random.seed(int(init_seed))
        self.data = open_sampler(cfg.data_source, cfg.image_size, cfg.batch_size, int(data_seed), device,
                                 replacement=cfg.sampling == "replacement", labeled=cfg.acgan_scales is not None,
                                 subset=cfg.train_subset, hold_out=cfg.hold_out,
                                 pixel_scale=128.0 if cfg.dequantize else 127.5, text=cfg.dataset in TEXT_DATASETS)
        self.G = build_net(cfg, "generator", self.data.shape).to(device)
        self.D = build_net(cfg, "critic", self.data.shape).to(device)
        self.channels_last = use_channels_last(cfg, self.G, self.D)
        compile_nets(cfg, self.G, self.D)
        self.unit_range = getattr(self.G, "unit_range", False)  # a sigmoid generator: the critic sees [0, 1]
        self.validation = torch.from_numpy(validation_images(cfg)).to(device) if cfg.validation_every else None
        self.objective = make_objective(cfg.objective, cfg.clip, cfg.clip_when, cfg.gp_lambda, cfg.gp_one_sided,
                                        cfg.gan_loss_halved)
        self.opt_g = make_optimizer(cfg.opt_g, self.G.parameters())
        self.opt_d = make_optimizer(cfg.opt_d, self.D.parameters())
        self.schedulers = [linear_decay(o, cfg.iters) for o in (self.opt_g, self.opt_d)] if cfg.lr_decay else []
        self.noise = torch.Generator(noise_device or device).manual_seed(int(noise_seed))
        fixed, sheet = torch.Generator().manual_seed(int(fixed_seed)), cfg.sample_grid ** 2
        self.fixed_noise = torch.randn(sheet, cfg.nz, generator=fixed).to(device)
        self.track_cos = cfg.opt_d.name in ("adam", "adam_tf")
        self.n_classes = self._check_conditional()
        # the official code's sample sheet of a conditional generator: classes 0…n−1 repeated, so that on its
        # 10-wide grid each column holds one class (WGAN-GP Fig 6)
        self.fixed_labels = torch.arange(sheet, device=device) % self.n_classes if self.n_classes else None

    def _check_conditional(self) -> int:
        """The number of classes of an AC-GAN run (0 otherwise), checked against its nets."""
        if self.cfg.acgan_scales is None:
            return 0
        classes = getattr(self.D, "classifier", None)
        if classes is None or not getattr(self.G, "n_classes", None):
            raise ConfigError(f"run {self.cfg.run}: AC-GAN training needs a conditional generator and a critic with a "
                              f"class head (e.g. resnet32_cond_g / resnet32_acgan_d), not {self.cfg.generator} / "
                              f"{self.cfg.critic}")
        return classes.out_features

    @property
    def parameter_counts(self) -> dict:
        return {"generator": count_parameters(self.G), "critic": count_parameters(self.D)}

    def _random(self, draw, *args) -> torch.Tensor:
        """draw(*args) from the noise stream, on the stream's device, moved to the run's (a no-op when they agree)."""
        return draw(*args, generator=self.noise, device=self.noise.device).to(self.device)

    def _z(self, n: int) -> torch.Tensor:
        return self._random(torch.randn, n, self.cfg.nz)

    def _generate(self, n: int, labels: torch.Tensor | None) -> torch.Tensor:
        """n fakes from fresh noise, normalised in `bn_groups` groups of n / bn_groups (one G call each)."""
        z = self._z(n).chunk(self.cfg.bn_groups)
        if self.n_classes:
            return torch.cat([self.G(zs, ls) for zs, ls in zip(z, labels.chunk(self.cfg.bn_groups))])
        return torch.cat([self.G(zs) for zs in z]) if len(z) > 1 else self.G(z[0])

    def _real(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next real batch (and its classes on a conditional run), in the generator's value range; dequantised
        with U[0, 1/128) noise where the run follows gan_cifar_resnet.py."""
        real, labels = self.data.next_labeled() if self.n_classes else (self.data.next(), None)
        if self.cfg.dequantize:
            real.add_(self._random(torch.rand, real.shape), alpha=1 / 128)
        return self._generator_range(real), labels

    def _generator_range(self, real: torch.Tensor) -> torch.Tensor:
        """[−1, 1] images mapped in place to [0, 1] for a sigmoid generator's critic."""
        return real.add_(1.0).mul_(0.5) if self.unit_range else real

    def iteration(self, gen_iter: int) -> tuple[int, dict[str, torch.Tensor]]:
        """Critic steps then one generator step. Returns the number of critic steps and device-side stats."""
        n_steps = critic_steps(gen_iter, self.cfg.n_critic, self.cfg.warmup)
        self.D.requires_grad_(True)
        cos_sum = torch.zeros((), device=self.device)
        for step in range(n_steps):
            stats, cos = self._critic_step(logged=step == n_steps - 1)
            cos_sum += cos
        self.D.requires_grad_(False)
        n = self.cfg.batch_size * self.cfg.gen_batch_multiple
        labels = self._random(torch.randint, self.n_classes, (n,)) \
            if self.n_classes else None  # uniform classes, as the code's generator step draws them
        fake = self._generate(n, labels)
        loss_g = self.objective.generator_loss(self.D, fake)
        if self.n_classes:
            class_loss = class_loss_of(self.D, fake, labels)
            loss_g = loss_g + self.cfg.acgan_scales[1] * class_loss
            stats["acgan_g"] = class_loss.detach()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        for scheduler in self.schedulers:
            scheduler.step()
        stats["loss_g"] = loss_g.detach()
        if self.track_cos:
            stats["adam_cos"] = cos_sum / n_steps
        return n_steps, stats

    def _critic_step(self, logged: bool):
        """One critic update; only the `logged` (last) step of an iteration pays for its gradient norm."""
        self.objective.before_critic_step(self.D)
        real, labels = self._real()
        with torch.no_grad():
            fake = self._generate(real.shape[0], labels)  # a conditional run's fakes take the real batch's classes
        loss, stats = self.objective.critic_loss(self.D, real, fake, self.noise)
        if self.n_classes:  # the critic's class loss on real images only
            stats["acgan_d"] = class_loss_of(self.D, real, labels)
            loss = loss + self.cfg.acgan_scales[0] * stats["acgan_d"]
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for p in self.D.parameters() if p.grad is not None]
        grads = [p.grad for p in params]
        stats = {k: v.detach() for k, v in stats.items()}
        if logged:
            stats["grad_norm_d"] = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        before = [p.detach().clone() for p in params] if self.track_cos else None
        self.opt_d.step()
        cos = torch.zeros((), device=self.device)
        if before is not None:  # WGAN §4.2: cosine between the Adam step (−Δw) and the gradient
            cos = _cosine(torch._foreach_sub(before, [p.detach() for p in params]), grads)
        self.objective.after_critic_step(self.D)
        return stats, cos

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        """G(fixed noise) in [−1, 1] with G in train mode, as the official code samples (BN uses the batch's
        statistics)."""
        out = self.G(self.fixed_noise, self.fixed_labels) if self.n_classes else self.G(self.fixed_noise)
        return out * 2.0 - 1.0 if self.unit_range else out

    @torch.no_grad()
    def validation_estimate(self, gen_iter: int) -> float:
        """E[D(x_val)] − E[D(G(z))] over the held-out images (WGAN-GP Fig 5's "validation" curve, the negative
        critic loss without the penalty term), in training-size batches with fresh noise of a per-iteration seed,
        so measuring it leaves the training's random streams alone."""
        noise = torch.Generator(self.device).manual_seed(int(np.random.SeedSequence([self.cfg.seed, gen_iter])
                                                             .generate_state(1)[0]))
        total = torch.zeros((), device=self.device)
        for chunk in self.validation.split(self.cfg.batch_size):
            real = self._generator_range(signed(chunk))
            fake = self.G(torch.randn(len(chunk), self.cfg.nz, generator=noise, device=self.device))
            total += self.D(real).sum() - self.D(fake).sum()
        return float(total) / len(self.validation)

    def state_dict(self) -> dict:
        np_state = np.random.get_state()
        return {
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "schedulers": [s.state_dict() for s in self.schedulers],
            "data": self.data.state_dict(), "noise": self.noise.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy_rng": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": np_state[2],
                          "has_gauss": np_state[3], "cached_gaussian": np_state[4]},
            "python_rng": random.getstate(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        for scheduler, s in zip(self.schedulers, state["schedulers"]):
            scheduler.load_state_dict(s)
        self.data.load_state_dict(state["data"])
        self.noise.set_state(state["noise"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        n = state["numpy_rng"]
        np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                             n["cached_gaussian"]))
        random.setstate(state["python_rng"])
