"""Every architecture by name. A net is built from a name plus sizes; the profile picks the width per family."""

from dataclasses import dataclass
from typing import Callable

from torch import nn

from repro.errors import ConfigError
from repro.nets.cifar import CIFAR_SIZE, CIFARCritic, CIFARGenerator
from repro.nets.dcgan import DCGANCritic, DCGANGenerator
from repro.nets.mlp import MLPCritic, MLPGenerator
from repro.nets.toy import ToyMLP

# Width at the papers' scale per family: DCGAN ngf/ndf 64, MLP 512 units, toy MLP 512 units, gan_cifar.py DIM 128,
# WGAN-GP Fig 1b's 12-layer MLPs 512 (the paper gives no width; spec/wgangp.md §2.6 suggests gan_toy.py's).
PAPER_WIDTH = {"conv": 64, "mlp": 512, "toy": 512, "cifar": 128, "deep": 512}
DEEP_TOY_DEPTH = 13  # WGAN-GP Fig 1b: 12 hidden ReLU layers + the linear output (its x axis has 13 layers)


@dataclass(frozen=True)
class Sizes:
    """What varies between profiles. nz is the latent size, nc the image channels (2-D points: nc=2, isize=1)."""

    nz: int = 100
    nc: int = 3
    isize: int = 64
    width: int = 64
    n_extra_layers: int = 0
    critic_norm: str = "batch"


@dataclass(frozen=True)
class Arch:
    name: str
    role: str  # "generator" | "critic"
    family: str  # key of PAPER_WIDTH and of the profile's `widths`
    make: Callable[[Sizes], nn.Module]
    about: str


ARCHITECTURES = {
    a.name: a
    for a in [
        Arch("dcgan_g", "generator", "conv",
             lambda s: DCGANGenerator(s.nz, s.nc, s.isize, s.width, s.n_extra_layers),
             "DCGAN generator with BN (official DCGAN_G, spec/wgan.md §3.1)"),
        Arch("dcgan_g_nobn", "generator", "conv",
             lambda s: DCGANGenerator(s.nz, s.nc, s.isize, s.width, s.n_extra_layers, batch_norm=False),
             "official --noBN generator: no BN, doubling pyramid kept (spec/wgan.md §3.3)"),
        Arch("nobn_const_g", "generator", "conv",
             lambda s: DCGANGenerator(s.nz, s.nc, s.isize, s.width, s.n_extra_layers, batch_norm=False,
                                      constant_width=True),
             "paper Fig 6 generator: no BN, constant filter count (spec/wgan.md §3.6)"),
        Arch("mlp_g", "generator", "mlp", lambda s: MLPGenerator(s.nz, s.nc, s.isize, s.width),
             "4-layer ReLU MLP generator, no output nonlinearity (official MLP_G, spec/wgan.md §3.4)"),
        Arch("dcgan_d", "critic", "conv",
             lambda s: DCGANCritic(s.nc, s.isize, s.width, s.n_extra_layers, s.critic_norm),
             "DCGAN critic / discriminator, BN after all but the first conv (official DCGAN_D, spec/wgan.md §3.2)"),
        Arch("mlp_d", "critic", "mlp", lambda s: MLPCritic(s.nc, s.isize, s.width),
             "4-layer ReLU MLP critic (official MLP_D, spec/wgan.md §3.5)"),
        Arch("cifar_g", "generator", "cifar", lambda s: CIFARGenerator(s.nz, s.nc, s.isize, s.width),
             "gan_cifar.py generator: Linear + 3 stride-2 5x5 deconvs, BN, tanh (spec/wgangp.md §3.3)"),
        Arch("cifar_d", "critic", "cifar", lambda s: CIFARCritic(s.nc, s.isize, s.width, s.critic_norm),
             "gan_cifar.py critic: 3 stride-2 5x5 convs, LeakyReLU 0.2, BN unless wgan-gp (spec/wgangp.md §3.3)"),
        Arch("toy_g", "generator", "toy", lambda s: ToyMLP(s.nz, s.nc, s.width),
             "gan_toy.py generator: 2 → 512 ×3 → 2 ReLU MLP (spec/wgangp.md §2.2)"),
        Arch("toy_d", "critic", "toy", lambda s: ToyMLP(s.nc, 1, s.width),
             "gan_toy.py critic: 2 → 512 ×3 → 1 ReLU MLP (spec/wgangp.md §2.2)"),
        Arch("toy_deep_g", "generator", "deep", lambda s: ToyMLP(s.nz, s.nc, s.width, DEEP_TOY_DEPTH),
             "WGAN-GP Fig 1b generator: 2 → 512 ×12 → 2 ReLU MLP, no BN (spec/wgangp.md §1 Fig 1b, §2.6)"),
        Arch("toy_deep_d", "critic", "deep", lambda s: ToyMLP(s.nc, 1, s.width, DEEP_TOY_DEPTH),
             "WGAN-GP Fig 1b critic: 2 → 512 ×12 → 1 ReLU MLP, no BN (spec/wgangp.md §1 Fig 1b, §2.6)"),
    ]
}


def get_arch(name: str) -> Arch:
    if name not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name]


def build(name: str, sizes: Sizes) -> nn.Module:
    return get_arch(name).make(sizes)


def paper_sizes(name: str) -> Sizes:
    """Sizes at which the papers use the architecture: 3×64×64 images with nz=100, 3×32×32 CIFAR images with
    nz=128, or 2-D points with nz=2."""
    arch = get_arch(name)
    if arch.family in ("toy", "deep"):
        return Sizes(nz=2, nc=2, isize=1, width=PAPER_WIDTH[arch.family])
    if arch.family == "cifar":
        return Sizes(nz=128, isize=CIFAR_SIZE, width=PAPER_WIDTH["cifar"])
    return Sizes(width=PAPER_WIDTH[arch.family])


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
