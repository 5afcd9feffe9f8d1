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
from repro.toys.fit import fit_critics
from repro.toys import STREAMS_PER_SEED


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


def estimates(fit, thetas: np.ndarray, seed: int, eval_samples: int) -> list[dict]:
    """Trains `fit` on P_0 (real) vs P_θ (fake) for every θ at once and reads each critic on fresh samples. The
    critics' initialisation and the z draws are the same for every θ (seeded by `seed` alone), so the θ sweep
    differs only in θ."""
    real = ParallelLines(fit.batch_size, seed + 1)
    fakes = [ParallelLines(fit.batch_size, seed + 2, theta=float(t)) for t in thetas]

    critics = fit_critics(fit, lambda: real.next().repeat(len(thetas), 1),
                          lambda _: torch.cat([fake.next() for fake in fakes]), 2, seed, count=len(thetas))
    a = ParallelLines(eval_samples, seed + 3).next()
    return [read_critic(fit.objective, critic, a, ParallelLines(eval_samples, seed + 4, theta=float(t)).next())
            for critic, t in zip(critics, thetas)]


def compute(profile, seed: int) -> tuple[dict, dict]:
    setup, base = PARALLEL_LINES, STREAMS_PER_SEED * seed
    thetas = np.array(setup.thetas)
    arrays = {"theta": thetas, **{f"closed.{k}": v for k, v in parallel_lines(thetas).items()}}
    settings = {"seed": seed, "eval_samples": setup.eval_samples, "fits": {}}
    for name, fit in setup.fits.items():
        fit = profile.toys.fit("wgan-fig1", fit)
        settings["fits"][name] = dataclasses.asdict(fit)
        rows = estimates(fit, thetas, base, setup.eval_samples)
        arrays.update({f"{name}.{key}": np.array([r[key] for r in rows]) for key in rows[0]})
    return arrays, settings
