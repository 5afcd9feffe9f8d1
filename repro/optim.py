"""Optimizers as the two official code bases run them.

`rmsprop` is PyTorch's RMSprop with its defaults (α 0.99, ε 1e-8 outside the root), which the official WGAN
code uses. `rmsprop_tf` is TensorFlow 1's RMSProp, which the WGAN-GP code uses: decay 0.9, ε 1e-10 *inside*
the square root, mean-square accumulator initialised to ones (spec/wgangp.md §7). `adam` is PyTorch's Adam (the
WGAN code's `--adam`, the DCGAN recipe), `adam_tf` TensorFlow 1's, which every WGAN-GP script uses: ε is added to
the root of the uncorrected second moment, so steps on gradients near ε differ from PyTorch's. Both take their
betas from the run (WGAN `--adam`: (0.5, 0.999); WGAN-GP: (0.5 or 0, 0.9)).
"""

import torch
from torch.optim import Optimizer

from repro.errors import ConfigError
from repro.registry import OptimSpec


class RMSpropTF(Optimizer):
    """ms ← ρ·ms + (1−ρ)·g²;  w ← w − lr·g / √(ms + ε), with ms starting at 1 (tf.train.RMSPropOptimizer)."""

    def __init__(self, params, lr: float, decay: float = 0.9, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, {"lr": lr, "decay": decay, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            squares = []
            for p in params:
                state = self.state[p]
                if "ms" not in state:
                    state["ms"] = torch.ones_like(p)
                squares.append(state["ms"])
            torch._foreach_mul_(squares, group["decay"])
            torch._foreach_addcmul_(squares, grads, grads, value=1 - group["decay"])
            denom = torch._foreach_add(squares, group["eps"])
            torch._foreach_sqrt_(denom)
            torch._foreach_addcdiv_(params, grads, denom, value=-group["lr"])


class AdamTF(Optimizer):
    """m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)  (tf.train.AdamOptimizer,
    ε 1e-8). PyTorch's Adam divides by √(v/(1−β₂ᵗ)) + ε instead."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            states = [self.state[p] for p in params]
            for p, state in zip(params, states):
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
            beta1, beta2 = group["betas"]
            moments, squares = [s["m"] for s in states], [s["v"] for s in states]
            torch._foreach_lerp_(moments, grads, 1 - beta1)
            torch._foreach_mul_(squares, beta2)
            torch._foreach_addcmul_(squares, grads, grads, value=1 - beta2)
            t = states[0]["step"]  # every parameter of a group steps together
            lr_t = group["lr"] * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
            denom = torch._foreach_sqrt(squares)
            torch._foreach_add_(denom, group["eps"])
            torch._foreach_addcdiv_(params, moments, denom, value=-lr_t)


OPTIMIZERS = ("rmsprop", "rmsprop_tf", "adam", "adam_tf")


def make_optimizer(spec: OptimSpec, params) -> Optimizer:
    params = list(params)
    if spec.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec.lr, weight_decay=spec.weight_decay, foreach=True)
    if spec.name == "rmsprop_tf":
        return RMSpropTF(params, lr=spec.lr, weight_decay=spec.weight_decay)
    if spec.name == "adam":  # the fused kernel: the same update in one pass instead of several foreach ops
        fused = all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params)
        return torch.optim.Adam(params, lr=spec.lr, betas=spec.betas, weight_decay=spec.weight_decay, fused=fused)
    if spec.name == "adam_tf":
        return AdamTF(params, lr=spec.lr, betas=spec.betas, weight_decay=spec.weight_decay)
    raise ConfigError(f"unknown optimizer {spec.name!r}; allowed values: {', '.join(OPTIMIZERS)}")


def linear_decay(optimizer: Optimizer, total_iters: int) -> torch.optim.lr_scheduler.LambdaLR:
    """lr_t = lr·max(0, 1 − t/total), stepped once per generator iteration (gan_cifar_resnet.py DECAY)."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: max(0.0, 1.0 - t / total_iters))
