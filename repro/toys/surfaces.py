"""WGAN-GP Fig 1a: value surfaces of critics trained to optimality against a fixed "generator", the real data
plus unit-variance Gaussian noise, with weight clipping and with the gradient penalty, on the three toy sets."""

import dataclasses

import numpy as np
import torch

from repro.data.toy import TOY_DATASETS
from repro.registry import VALUE_SURFACES
from repro.toys.fit import fit_critics
from repro.toys import STREAMS_PER_SEED

DATASETS = ("8gaussians", "25gaussians", "swissroll")  # the paper's column order
SHOWN_POINTS = 256  # real and "generated" points drawn over each surface, one gan_toy.py batch


def grid(extent: float, points: int) -> tuple[np.ndarray, torch.Tensor]:
    """The axis values and the points² grid points, x major (surface[i, j] is the value at (axis[i], axis[j]))."""
    axis = np.linspace(-extent, extent, points)
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    return axis, torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1)).float()


def surface(critic, points: torch.Tensor, n: int) -> np.ndarray:
    with torch.no_grad():
        return critic(points).view(n, n).numpy()


def compute(profile, seed: int) -> tuple[dict, dict]:
    setting, base = profile.toys.surfaces, STREAMS_PER_SEED * seed
    setup = VALUE_SURFACES[setting]
    axis, points = grid(setup.grid_range, setup.grid_points)
    arrays = {"axis": axis}
    fits = {name: profile.toys.fit("wgangp-fig1a", fit) for name, fit in setup.fits.items()}
    settings = {"setting": setting, "about": setup.about, "seed": seed, "noise_std": setup.noise_std,
                "fits": {name: dataclasses.asdict(fit) for name, fit in fits.items()}}
    for dataset in DATASETS:
        shown = TOY_DATASETS[dataset](SHOWN_POINTS, base + 100).next()
        arrays[f"{dataset}.real"] = shown.numpy()
        arrays[f"{dataset}.fake"] = (shown + setup.noise_std * torch.randn(
            shown.shape, generator=torch.Generator().manual_seed(base + 101))).numpy()
    for name, fit in fits.items():  # the three data sets' critics of one setting train side by side
        sources = [TOY_DATASETS[dataset](fit.batch_size, base + 1) for dataset in DATASETS]
        noises = [torch.Generator().manual_seed(base + 2) for _ in DATASETS]

        def fake(real):  # fresh noise at every critic step, also while a real batch is reused (wgan_toy.py)
            noise = torch.cat([torch.randn(real.shape[0] // len(DATASETS), 2, generator=g) for g in noises])
            return real + setup.noise_std * noise

        critics = fit_critics(fit, lambda: torch.cat([source.next() for source in sources]), fake, 2, base,
                              count=len(DATASETS))
        for dataset, critic in zip(DATASETS, critics):
            arrays[f"{dataset}.{name}"] = surface(critic, points, setup.grid_points)
    return arrays, settings
