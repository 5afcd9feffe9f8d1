"""Every architecture by name. A net is built from a name plus sizes; the profile picks the width per family."""

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from repro.errors import ConfigError
from repro.nets.table1 import DCGAN_BASELINE, ArchChoice

if TYPE_CHECKING:
    from torch import nn


def _deferred(module: str, name: str) -> Callable:
    """Class `name` of repro.nets.`module`, imported when a net is first built: the table below, the registry and
    the profiles load without PyTorch (figure, table and claims jobs, Snakemake's parse of the DAG)."""

    def make(*args, **kwargs):
        return getattr(importlib.import_module(f"repro.nets.{module}"), name)(*args, **kwargs)

    return make


CIFARGenerator, CIFARCritic = _deferred("cifar", "CIFARGenerator"), _deferred("cifar", "CIFARCritic")
DCGANGenerator, DCGANCritic = _deferred("dcgan", "DCGANGenerator"), _deferred("dcgan", "DCGANCritic")
MLPGenerator, MLPCritic = _deferred("mlp", "MLPGenerator"), _deferred("mlp", "MLPCritic")
MNISTGenerator, MNISTCritic = _deferred("mnist", "MNISTGenerator"), _deferred("mnist", "MNISTCritic")
RandomArchGenerator = _deferred("random_arch", "RandomArchGenerator")
RandomArchCritic = _deferred("random_arch", "RandomArchCritic")
ResNetGenerator, ResNetCritic = _deferred("resnet32", "ResNetGenerator"), _deferred("resnet32", "ResNetCritic")
ToyMLP = _deferred("toy", "ToyMLP")
LanguageGenerator, LanguageCritic = _deferred("language", "LanguageGenerator"), _deferred("language", "LanguageCritic")
ResNetGenerator128 = _deferred("resnet128", "ResNetGenerator128")
ResNetCritic128 = _deferred("resnet128", "ResNetCritic128")
(ConstantFilterGenerator64, DCGANCritic64, DCGANGenerator64, FCGenerator64, GatedCritic64, GatedGenerator64,
 ResNetCritic64, ResNetGenerator64) = (
    _deferred("zoo64", name) for name in ("ConstantFilterGenerator64", "DCGANCritic64", "DCGANGenerator64",
                                          "FCGenerator64", "GatedCritic64", "GatedGenerator64", "ResNetCritic64",
                                          "ResNetGenerator64"))

# Width at the papers' scale per family: DCGAN ngf/ndf 64, MLP 512 units, toy MLP 512 units, gan_cifar.py DIM 128,
# WGAN-GP Fig 1b's 12-layer MLPs 512 (the paper gives no width; spec/wgangp.md §2.6 suggests gan_toy.py's),
# gan_64x64.py DIM 64 (its FC generator 512 units), gan_cifar_resnet.py DIM 128, gan_mnist.py DIM 64, the
# random-architecture study's DCGAN starting point 64 filters, and gan_language.py DIM 512.
PAPER_WIDTH = {"conv": 64, "mlp": 512, "toy": 512, "cifar": 128, "deep": 512, "zoo64": 64, "zoo64_fc": 512,
               "resnet32": 128, "mnist": 64, "randarch": 64, "language": 512,
               "resnet128": 64}  # wgan_imagenet128.py's DIM_G_64; its other widths are multiples of it
# The paper-scale data item of the families built for one size (z 128 in every WGAN-GP image script); the others
# are the WGAN paper's 3×64×64 images with z 100.
FAMILY_DATA = {"toy": dict(nz=2, nc=2, isize=1), "deep": dict(nz=2, nc=2, isize=1),
               "cifar": dict(nz=128, isize=32), "resnet32": dict(nz=128, isize=32), "randarch": dict(nz=128, isize=32),
               "zoo64": dict(nz=128, isize=64), "zoo64_fc": dict(nz=128, isize=64),
               "mnist": dict(nz=128, nc=1, isize=28),
               "language": dict(nz=128, nc=2048, isize=32),  # gan_language.py: 32 symbols, max_vocab_size 2048
               "resnet128": dict(nz=128, isize=128)}
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
    architecture: ArchChoice | None = None  # a Table 1 point for the random-architecture nets (None: DCGAN)

    @property
    def random_arch(self) -> tuple[ArchChoice, float]:
        """The Table 1 point and the filter scale (profile width / the paper's 64) of a random-architecture net."""
        return self.architecture or DCGAN_BASELINE, self.width / PAPER_WIDTH["randarch"]


@dataclass(frozen=True)
class Arch:
    name: str
    role: str  # "generator" | "critic"
    family: str  # key of PAPER_WIDTH and of the profile's `widths`
    make: Callable[[Sizes], "nn.Module"]
    about: str
    # convolutions faster in channels-last memory on CPU (measured 7-19% per generator iteration at the default
    # profile; `train.channels_last`); left off for nets not measured, and for the 101-layer ResNet, whose CPU
    # backward crashed in that layout
    channels_last: bool = False


ARCHITECTURES = {
    a.name: a
    for a in [
        Arch("dcgan_g", "generator", "conv",
             lambda s: DCGANGenerator(s.nz, s.nc, s.isize, s.width, s.n_extra_layers),
             "DCGAN generator with BN (official DCGAN_G, spec/wgan.md §3.1)", channels_last=True),
        Arch("dcgan_g_nobn", "generator", "conv",
             lambda s: DCGANGenerator(s.nz, s.nc, s.isize, s.width, s.n_extra_layers, batch_norm=False),
             "official --noBN generator: no BN, doubling pyramid kept (spec/wgan.md §3.3)", channels_last=True),
        Arch("nobn_const_g", "generator", "conv",
             lambda s: DCGANGenerator(s.nz, s.nc, s.isize, s.width, s.n_extra_layers, batch_norm=False,
                                      constant_width=True),
             "paper Fig 6 generator: no BN, constant filter count (spec/wgan.md §3.6)", channels_last=True),
        Arch("mlp_g", "generator", "mlp", lambda s: MLPGenerator(s.nz, s.nc, s.isize, s.width),
             "4-layer ReLU MLP generator, no output nonlinearity (official MLP_G, spec/wgan.md §3.4)"),
        Arch("dcgan_d", "critic", "conv",
             lambda s: DCGANCritic(s.nc, s.isize, s.width, s.n_extra_layers, s.critic_norm),
             "DCGAN critic / discriminator, BN after all but the first conv (official DCGAN_D, spec/wgan.md §3.2)",
             channels_last=True),
        Arch("mlp_d", "critic", "mlp", lambda s: MLPCritic(s.nc, s.isize, s.width),
             "4-layer ReLU MLP critic (official MLP_D, spec/wgan.md §3.5)"),
        Arch("cifar_g", "generator", "cifar", lambda s: CIFARGenerator(s.nz, s.nc, s.isize, s.width),
             "gan_cifar.py generator: Linear + 3 stride-2 5x5 deconvs, BN, tanh (spec/wgangp.md §3.3)",
             channels_last=True),
        Arch("cifar_d", "critic", "cifar", lambda s: CIFARCritic(s.nc, s.isize, s.width, s.critic_norm),
             "gan_cifar.py critic: 3 stride-2 5x5 convs, LeakyReLU 0.2, BN unless wgan-gp (spec/wgangp.md §3.3)",
             channels_last=True),
        Arch("toy_g", "generator", "toy", lambda s: ToyMLP(s.nz, s.nc, s.width),
             "gan_toy.py generator: 2 → 512 ×3 → 2 ReLU MLP (spec/wgangp.md §2.2)"),
        Arch("toy_d", "critic", "toy", lambda s: ToyMLP(s.nc, 1, s.width),
             "gan_toy.py critic: 2 → 512 ×3 → 1 ReLU MLP (spec/wgangp.md §2.2)"),
        Arch("toy_deep_g", "generator", "deep", lambda s: ToyMLP(s.nz, s.nc, s.width, DEEP_TOY_DEPTH),
             "WGAN-GP Fig 1b generator: 2 → 512 ×12 → 2 ReLU MLP, no BN (spec/wgangp.md §1 Fig 1b, §2.6)"),
        Arch("toy_deep_d", "critic", "deep", lambda s: ToyMLP(s.nc, 1, s.width, DEEP_TOY_DEPTH),
             "WGAN-GP Fig 1b critic: 2 → 512 ×12 → 1 ReLU MLP, no BN (spec/wgangp.md §1 Fig 1b, §2.6)"),
        # WGAN-GP Fig 2 (gan_64x64.py, spec/wgangp.md §4): the critic's `critic_norm` is the run's (LN for WGAN-GP)
        Arch("zoo64_dcgan_g", "generator", "zoo64", lambda s: DCGANGenerator64(s.nz, s.nc, s.isize, s.width),
             "gan_64x64.py DCGAN G: Linear + 4 5x5 deconvs, BN, ReLU, init std 0.02 (Fig 2 baseline)"),
        Arch("zoo64_dcgan_g_nonorm", "generator", "zoo64",
             lambda s: DCGANGenerator64(s.nz, s.nc, s.isize, s.width, norm="none"),
             "DCGAN G without BN (Fig 2 'no normalization in either G or D')"),
        Arch("zoo64_dcgan_g_tanh", "generator", "zoo64",
             lambda s: DCGANGenerator64(s.nz, s.nc, s.isize, s.width, nonlinearity="tanh"),
             "DCGAN G with tanh everywhere, BN kept as the code does (Fig 2 'tanh nonlinearities everywhere')"),
        Arch("zoo64_const_g", "generator", "zoo64", lambda s: ConstantFilterGenerator64(s.nz, s.nc, s.isize, s.width),
             "WGANPaper_CrippledDCGANGenerator: no BN, DIM filters throughout, 5x5 deconvs (Fig 2 row 1)"),
        Arch("zoo64_fc_g", "generator", "zoo64_fc", lambda s: FCGenerator64(s.nz, s.nc, s.isize, s.width),
             "FCGenerator: 4 ReLU layers of 512 + Linear to 3x64x64, tanh (Fig 2 '4-layer 512-dim ReLU MLP')"),
        Arch("zoo64_gated_g", "generator", "zoo64", lambda s: GatedGenerator64(s.nz, s.nc, s.isize, s.width),
             "MultiplicativeDCGANGenerator: 2x channels, BN, sigmoid*tanh gate (Fig 2 'gated multiplicative')"),
        Arch("zoo64_resnet_g", "generator", "zoo64", lambda s: ResNetGenerator64(s.nz, s.nc, s.isize, s.width),
             "101-layer bottleneck ResNet G, residual 0.3, tanh(x/5) (Fig 2 '101-layer ResNet')"),
        Arch("zoo64_dcgan_d", "critic", "zoo64", lambda s: DCGANCritic64(s.nc, s.isize, s.width, s.critic_norm),
             "gan_64x64.py DCGAN critic: 4 5x5 stride-2 convs, LReLU 0.2, norm after all but the first, std 0.02"),
        Arch("zoo64_dcgan_d_nonorm", "critic", "zoo64", lambda s: DCGANCritic64(s.nc, s.isize, s.width, "none"),
             "DCGAN critic without normalisation in any mode (Fig 2 'no normalization in either G or D')"),
        Arch("zoo64_dcgan_d_tanh", "critic", "zoo64",
             lambda s: DCGANCritic64(s.nc, s.isize, s.width, s.critic_norm, "tanh"),
             "DCGAN critic with tanh everywhere (Fig 2 'tanh nonlinearities everywhere')"),
        Arch("zoo64_gated_d", "critic", "zoo64", lambda s: GatedCritic64(s.nc, s.isize, s.width, s.critic_norm),
             "MultiplicativeDCGANDiscriminator: 2x channels, norm, gate (Fig 2 'gated multiplicative')"),
        Arch("zoo64_resnet_d", "critic", "zoo64", lambda s: ResNetCritic64(s.nc, s.isize, s.width, s.critic_norm),
             "101-layer bottleneck ResNet critic, score/5 (Fig 2 '101-layer ResNet')"),
        # WGAN-GP Table 3 (gan_cifar_resnet.py, spec/wgangp.md §3.4, App. F)
        Arch("resnet32_g", "generator", "resnet32", lambda s: ResNetGenerator(s.nz, s.nc, s.isize, s.width),
             "gan_cifar_resnet.py G: Linear + 3 upsampling pre-activation ResBlocks, BN, tanh (Table 3 unsupervised)"),
        Arch("resnet32_cond_g", "generator", "resnet32",
             lambda s: ResNetGenerator(s.nz, s.nc, s.isize, s.width, n_classes=10),
             "gan_cifar_resnet.py conditional G: per-class BN γ/β for 10 classes (Table 3 supervised)"),
        Arch("resnet32_d", "critic", "resnet32", lambda s: ResNetCritic(s.nc, s.isize, s.width),
             "gan_cifar_resnet.py critic: 4 ResBlocks (2 downsampling), no normalisation, global mean pool"),
        Arch("resnet32_acgan_d", "critic", "resnet32", lambda s: ResNetCritic(s.nc, s.isize, s.width, n_classes=10),
             "gan_cifar_resnet.py critic + AC-GAN Linear 128→10 class head (Table 3 supervised)"),
        # WGAN-GP Fig 5b (gan_mnist.py, spec/wgangp.md §3.2): BN in the clipping mode only
        Arch("mnist_g", "generator", "mnist", lambda s: MNISTGenerator(s.nz, s.nc, s.isize, s.width),
             "gan_mnist.py G, wgan-gp/dcgan modes: no BN, crop to 7x7, sigmoid output in [0, 1]", channels_last=True),
        Arch("mnist_g_bn", "generator", "mnist",
             lambda s: MNISTGenerator(s.nz, s.nc, s.isize, s.width, batch_norm=True),
             "gan_mnist.py G, wgan (clipping) mode: BN after the Linear and the first two deconvs", channels_last=True),
        Arch("mnist_d", "critic", "mnist", lambda s: MNISTCritic(s.nc, s.isize, s.width, s.critic_norm),
             "gan_mnist.py critic: 3 stride-2 5x5 convs, LeakyReLU 0.2, BN in wgan mode only", channels_last=True),
        # WGAN-GP Tables 1-2 (spec/wgangp.md §1 Table 1, App. B): a run's sampled Table 1 point (Sizes.architecture),
        # else the DCGAN starting point
        Arch("randarch_g", "generator", "randarch",
             lambda s: RandomArchGenerator(s.nz, s.nc, s.isize, *s.random_arch),
             "Table 1 G (32x32 ImageNet template); unsampled: Linear + 3 5x5 deconvs, BN, ReLU, tanh"),
        Arch("randarch_d", "critic", "randarch",
             lambda s: RandomArchCritic(s.nc, s.isize, s.random_arch[0], s.critic_norm, s.random_arch[1]),
             "Table 1 critic; unsampled: 3 5x5 stride-2 convs, LeakyReLU 0.2, BN (GAN) or LN (WGAN-GP)"),
        # WGAN-GP Table 4 (gan_language.py, spec/wgangp.md §3.6): one-hot / softmax sequences of nc symbols × isize
        Arch("language_g", "generator", "language", lambda s: LanguageGenerator(s.nz, s.width, s.isize, s.nc),
             "gan_language.py G: Linear → 5 residual Conv1d blocks (0.3 scale) → 1x1 conv → softmax per position"),
        Arch("language_d", "critic", "language", lambda s: LanguageCritic(s.width, s.isize, s.nc),
             "gan_language.py critic: 1x1 conv → 5 residual Conv1d blocks (0.3 scale) → Linear, no normalisation"),
        # WGAN-GP Fig 4 (wgan_imagenet128.py, spec/wgangp.md §3.7): 128×128 LSUN bedrooms
        Arch("resnet128_g", "generator", "resnet128", lambda s: ResNetGenerator128(s.nz, s.nc, s.isize, s.width),
             "wgan_imagenet128.py G: Linear + 4 pre-activation ResBlocks(up) 512→64, BN, scaled upsample conv, tanh"),
        Arch("resnet128_d", "critic", "resnet128",
             lambda s: ResNetCritic128(s.nc, s.isize, s.width, s.critic_norm),
             "wgan_imagenet128.py critic: 5x5 stride-2 conv, 3 ResBlocks(down) 128→1024, 2 at 1024, mean pool, Linear"),
    ]
}


def get_arch(name: str) -> Arch:
    if name not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name]


def build(name: str, sizes: Sizes) -> "nn.Module":
    return get_arch(name).make(sizes)


def paper_sizes(name: str) -> Sizes:
    """Sizes at which the papers use the architecture (FAMILY_DATA, else 3×64×64 images with nz=100)."""
    family = get_arch(name).family
    return Sizes(width=PAPER_WIDTH[family], **FAMILY_DATA.get(family, {}))


def count_parameters(module: "nn.Module") -> int:
    return sum(p.numel() for p in module.parameters())
