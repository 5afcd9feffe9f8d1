"""WGAN Fig 2: the optimal GAN discriminator and the optimal WGAN critic between two 1-D Gaussians.

Both are trained on the same real and fake samples, then read on a grid: the discriminator's probability D(x)
and the critic's value f(x), with their derivatives in x (what a generator would follow). The numbers the
caption and the tests use are computed here: how linear the critic is where the data are (R² of a straight-line
fit), and how saturated the discriminator is (its value and slope on each Gaussian's bulk).
"""

import dataclasses

import numpy as np
import torch

from repro.data.toy import Gaussian1D
from repro.registry import GAUSSIANS_1D
from repro.toys.fit import fit_critics
from repro.toys import STREAMS_PER_SEED

GRID_POINTS = 401


def density(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def value_and_slope(critic, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """critic(x) and d critic / dx on a grid, in float64."""
    points = torch.from_numpy(x).double()[:, None].requires_grad_(True)
    values = critic.double()(points)
    (slope,) = torch.autograd.grad(values.sum(), points)
    return values.detach().numpy(), slope[:, 0].numpy()


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """Share of y's variance a least-squares straight line in x explains."""
    residual = y - np.polyval(np.polyfit(x, y, 1), x)
    return float(1 - residual.var() / y.var())


def compute(profile, seed: int) -> tuple[dict, dict]:
    setup, base = GAUSSIANS_1D, STREAMS_PER_SEED * seed
    x = np.linspace(*setup.x_range, GRID_POINTS)
    p_real, p_fake = density(x, *setup.real), density(x, *setup.fake)
    # where the data are: either density above 1% of its peak
    bulk = (p_real > 0.01 * p_real.max()) | (p_fake > 0.01 * p_fake.max())
    arrays = {"x": x, "real_density": p_real, "fake_density": p_fake, "bulk": bulk}
    settings = {"seed": seed, "real": setup.real, "fake": setup.fake, "fits": {}}
    for name, fit in setup.fits.items():
        fit = profile.toys.fit("wgan-fig2", fit)
        settings["fits"][name] = dataclasses.asdict(fit)
        real = Gaussian1D(fit.batch_size, base + 1, mean=setup.real[0], std=setup.real[1])
        fake = Gaussian1D(fit.batch_size, base + 2, mean=setup.fake[0], std=setup.fake[1])
        (critic,) = fit_critics(fit, real.next, lambda _: fake.next(), 1, base)
        values, slope = value_and_slope(critic, x)
        if name == "gan":  # the discriminator's probability D = σ(logit) and its slope σ'·logit'
            prob = 1 / (1 + np.exp(-values))
            values, slope = prob, prob * (1 - prob) * slope
        arrays[f"{name}.value"], arrays[f"{name}.slope"] = values, slope
    arrays["wgan.r2"] = np.array(r_squared(x[bulk], arrays["wgan.value"][bulk]))
    return arrays, settings
