"""The random-architecture family of WGAN-GP Tables 1, 2 and 5 and Appendices C-D (spec/wgangp.md §1): 32×32 DCGAN
nets whose nonlinearity, depth, normalisation and base filter count are drawn from Table 1.

No official script exists; the layout follows the authors' 32×32 ImageNet DCGAN template ([N]
experiments/wgan/wgan_imagenet32_stab.py, DCGANGenerator/DCGANDiscriminator), built from tflib layers. Depth counts
weight layers: the DCGAN base has four (G: Linear + 3 deconvs; D: 3 convs + Linear), and every further unit is a
3×3 stride-1 conv (+ norm + nonlinearity) at the 8×8 resolution, with 2F channels, where the template inserts its
EXTRA_DEPTH layers in both nets (depth − 4 extra layers: INFERRED mapping of Table 1's depths).
"""

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from repro.errors import ConfigError, choose
from repro.nets import tflib
from repro.nets.norm import NORMS, norm_layers
from repro.nets.table1 import NONLINEARITY_NAMES, NONSMOOTH, ArchChoice

IMAGE_SIZE = 32  # 4 → 8 → 16 → 32
BASE_DEPTH = 4  # weight layers of the DCGAN base: depth − BASE_DEPTH extra 3×3 convs


class SmoothELU(nn.Module):
    """softplus(2x + 2)/2 − 1: a smooth stand-in for ELU (−1 as x → −∞, ≈ x for large x), which the authors could
    not train with the gradient penalty (Appendix D)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softplus(x + 1, beta=2) - 1  # softplus(y, β) = softplus(βy)/β


NONLINEARITIES = {**dict(zip(NONLINEARITY_NAMES, (nn.ReLU, partial(nn.LeakyReLU, 0.2), SmoothELU, nn.Tanh))),
                  NONSMOOTH: nn.ELU}  # α = 1, the ELU the stand-in follows (−1 as x → −∞)


def scaled(filters: int, scale: float) -> int:
    """A base filter count at a profile's width (scale = profile width / the paper's 64), at least one."""
    return max(1, round(filters * scale))


def _check(isize: int) -> None:
    if isize != IMAGE_SIZE:
        raise ConfigError(f"image size {isize}: the random-architecture nets are built for {IMAGE_SIZE}×{IMAGE_SIZE} "
                          f"images (32×32 ImageNet); give the data a {IMAGE_SIZE}-pixel store")


def _after(channels: int, norm: str, nonlinearity: str) -> list[nn.Module]:
    """What follows every hidden layer: the normalisation (identity when off), then the nonlinearity."""
    return [*norm_layers(norm, channels), NONLINEARITIES[nonlinearity]()]


def _extra_depth(channels: int, depth: int, norm: str, nonlinearity: str) -> list[nn.Module]:
    """The depth beyond the DCGAN base: 3×3 stride-1 convs keeping the resolution and the channel count."""
    return [module for _ in range(depth - BASE_DEPTH)
            for module in (tflib.Conv2d(channels, channels, 3), *_after(channels, norm, nonlinearity))]


class RandomArchGenerator(nn.Module):
    """z → Linear nz→4·4·4F → [BN] → act → Deconv 4F→2F → [BN] → act → (depth − 4)× (Conv3×3 2F→2F → [BN] → act) →
    Deconv 2F→F → [BN] → act → Deconv F→C → tanh; 5×5 deconvs, F = filters_g (× `scale` below the paper's width),
    act = nonlinearity_g. The BN after the Linear is per channel of the 4F×4×4 map, as in the template (gan_cifar.py
    normalises per unit instead)."""

    def __init__(self, nz: int, nc: int, isize: int, choice: ArchChoice, scale: float = 1.0):
        super().__init__()
        _check(isize)
        f, norm, act = scaled(choice.filters_g, scale), "batch" if choice.bn_g else "none", choice.nonlinearity_g
        self.filters = f
        self.input = tflib.linear(nz, 4 * 4 * 4 * f)
        self.main = nn.Sequential(
            *_after(4 * f, norm, act),
            tflib.Deconv2d(4 * f, 2 * f, 5), *_after(2 * f, norm, act),
            *_extra_depth(2 * f, choice.depth_g, norm, act),
            tflib.Deconv2d(2 * f, f, 5), *_after(f, norm, act),
            tflib.Deconv2d(f, nc, 5), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(self.input(z.flatten(1)).view(-1, 4 * self.filters, 4, 4))


class RandomArchCritic(nn.Module):
    """Conv C→F → act → Conv F→2F → [norm] → act → (depth − 4)× (Conv3×3 2F→2F → [norm] → act) → Conv 2F→4F →
    [norm] → act → Linear 4·4·4F → 1; 5×5 stride-2 convs, F = filters_d (× `scale`), act = nonlinearity_d.

    `norm` is what bn_d switches on and comes from the objective: "batch" for the GAN, "layer" for WGAN-GP; with
    bn_d False the critic has no normalisation whatever `norm` says."""

    def __init__(self, nc: int, isize: int, choice: ArchChoice, norm: str = "batch", scale: float = 1.0):
        super().__init__()
        _check(isize)
        choose("critic_norm", norm, NORMS)
        f, norm, act = scaled(choice.filters_d, scale), norm if choice.bn_d else "none", choice.nonlinearity_d
        self.main = nn.Sequential(
            tflib.Conv2d(nc, f, 5, 2), NONLINEARITIES[act](),
            tflib.Conv2d(f, 2 * f, 5, 2), *_after(2 * f, norm, act),
            *_extra_depth(2 * f, choice.depth_d, norm, act),
            tflib.Conv2d(2 * f, 4 * f, 5, 2), *_after(4 * f, norm, act))
        self.output = tflib.linear(4 * 4 * 4 * f, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.main(x).flatten(1)).view(x.shape[0])
