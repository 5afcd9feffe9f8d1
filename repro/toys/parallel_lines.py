"""WGAN Fig 1 estimated: the EM distance and the JS divergence between two parallel lines, read off trained critics.

A clipped critic estimates K·W for an unknown K, so its raw gap says nothing about W's scale. We divide the gap
by the critic's smallest dual-feasible constant on the evaluation points, L = max_ij (f(a_i) − f(b_j)) / ‖a_i − b_j‖:
f/L then satisfies the Kantorovich dual's constraints on those points, so gap/L ≤ W1 of the two point sets, with
equality when f is an optimal critic. The WGAN-GP critic is nearly 1-Lipschitz by construction and its raw gap is
shown as it is (for two point masses at distance d the penalised optimum has slope 1 + d/(2λ)). The GAN
discriminator's estimate is the JS divergence log 2 − ½·(its BCE loss) (WGAN Fig 4's reading).
"""

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F

from repro.data.toy import ParallelLines
from repro.metrics.toy import parallel_lines
from repro.registry import PARALLEL_LINES
from repro.toys.fit import fit_critic


def dual_constant(fa: torch.Tensor, fb: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> float:
    """max_ij (fa_i − fb_j) / ‖a_i − b_j‖: the least L for which f/L is feasible for the dual of W1(a, b)."""
    return float(((fa[:, None] - fb[None, :]) / torch.cdist(a, b).clamp_min(1e-12)).max())


def read_critic(objective: str, critic, a: torch.Tensor, b: torch.Tensor) -> dict:
    """What a critic trained to separate the points `a` (real) from `b` (fake) says about their distance."""
    critic = critic.double()
    a, b = a.double(), b.double()
    with torch.no_grad():
        fa, fb = critic(a), critic(b)
    if objective == "gan":
        bce = F.binary_cross_entropy_with_logits(fa, torch.ones_like(fa)) + \
            F.binary_cross_entropy_with_logits(fb, torch.zeros_like(fb))
        return {"js": math.log(2.0) - 0.5 * float(bce)}
    gap = float(fa.mean() - fb.mean())
    lipschitz = dual_constant(fa, fb, a, b)
    return {"gap": gap, "lipschitz": lipschitz, "em": gap / lipschitz if lipschitz > 0 else 0.0}


def estimate(fit, theta: float, seed: int, eval_samples: int) -> dict:
    """Trains `fit` on P_0 (real) vs P_θ (fake) and reads it on fresh samples. The critic's initialisation and
    the z draws are the same for every θ (seeded by `seed` alone), so the θ sweep differs only in θ."""
    real, fake = ParallelLines(fit.batch_size, seed + 1), ParallelLines(fit.batch_size, seed + 2, theta=theta)
    critic = fit_critic(fit, lambda: (real.next(), fake.next()), 2, seed)
    a = ParallelLines(eval_samples, seed + 3).next()
    b = ParallelLines(eval_samples, seed + 4, theta=theta).next()
    return read_critic(fit.objective, critic, a, b)


def compute(profile) -> tuple[dict, dict]:
    setup, seed = PARALLEL_LINES, profile.seeds[0]
    thetas = np.array(setup.thetas)
    arrays = {"theta": thetas, **{f"closed.{k}": v for k, v in parallel_lines(thetas).items()}}
    settings = {"seed": seed, "eval_samples": setup.eval_samples, "fits": {}}
    for name, fit in setup.fits.items():
        fit = profile.toys.fit("wgan-fig1", fit)
        settings["fits"][name] = dataclasses.asdict(fit)
        rows = [estimate(fit, float(t), seed, setup.eval_samples) for t in thetas]
        arrays.update({f"{name}.{key}": np.array([r[key] for r in rows]) for key in rows[0]})
    return arrays, settings
