"""WGAN-GP Table 1 (spec/wgangp.md §1): the settings a random architecture draws, one drawn point, and the sweep's
draw. Plain data, so the registry and the profiles load without PyTorch; repro.nets.random_arch builds the nets."""

from dataclasses import dataclass, replace

import numpy as np

from repro.errors import ConfigError

# ReLU, LeakyReLU(0.2), the smooth ELU stand-in (softplus) and tanh, in repro.nets.random_arch.NONLINEARITIES; and
# ELU itself, which Table 1 does not draw: App. D's runs put it back where the sweep drew its stand-in
NONLINEARITY_NAMES = ("relu", "lrelu", "softplus", "tanh")
NONSMOOTH = "elu"

# Table 1: the values each setting is drawn from. For WGAN-GP the critic's "bn" means layer norm.
TABLE_1 = {
    "nonlinearity_g": NONLINEARITY_NAMES, "nonlinearity_d": NONLINEARITY_NAMES,
    "depth_g": (4, 8, 12, 20), "depth_d": (4, 8, 12, 20),
    "bn_g": (True, False), "bn_d": (True, False),
    "filters_g": (32, 64, 128), "filters_d": (32, 64, 128),
}


@dataclass(frozen=True)
class ArchChoice:
    """One point of Table 1; filters are the base count F (channels 4F, 2F, F in G and F, 2F, 4F in D)."""

    nonlinearity_g: str
    nonlinearity_d: str
    depth_g: int
    depth_d: int
    bn_g: bool
    bn_d: bool
    filters_g: int
    filters_d: int

    def __post_init__(self):
        for name, values in TABLE_1.items():
            allowed = (*values, NONSMOOTH) if name.startswith("nonlinearity") else values
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} {getattr(self, name)!r} is not a Table 1 value; choose from {allowed}")

    @property
    def smooth_elu(self) -> bool:
        """Whether G or D uses Table 1's smooth stand-in for ELU (softplus(2x + 2)/2 − 1)."""
        return "softplus" in (self.nonlinearity_g, self.nonlinearity_d)

    def with_elu(self) -> "ArchChoice":
        """App. D: this architecture with ELU wherever it has the smooth stand-in."""
        return replace(self, **{name: NONSMOOTH for name in ("nonlinearity_g", "nonlinearity_d")
                                if getattr(self, name) == "softplus"})


# The DCGAN starting point, as the template's defaults: ReLU G, LeakyReLU(0.2) D, BN in both, no extra depth,
# DIM_G = DIM_D = 64.
DCGAN_BASELINE = ArchChoice("relu", "lrelu", 4, 4, True, True, 64, 64)


def sample_architecture(index: int, seed: int) -> ArchChoice:
    """Architecture `index` of the sweep seeded `seed`: every setting uniform and independent over its Table 1 values
    (INFERRED from "replaces settings by random values"). It depends on (seed, index) alone, so one run of the
    sweep can rebuild its own net and any prefix of the sweep is the same."""
    rng = np.random.default_rng([seed, index])
    return ArchChoice(**{name: values[rng.integers(len(values))] for name, values in TABLE_1.items()})


def sample_architectures(n: int, seed: int) -> list[ArchChoice]:
    return [sample_architecture(index, seed) for index in range(n)]
