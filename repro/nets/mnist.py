"""The 28×28 MNIST nets of WGAN-GP's gan_mnist.py (spec/wgangp.md §3.2), used for Figure 5b (§5.3).

The code's MODE switch puts BN in both nets in wgan (weight clipping) mode only: wgan-gp and dcgan runs have none.
The generator ends in a sigmoid, so it draws digits in [0, 1] and the critic must be fed real digits in [0, 1],
as the code's mnist.pkl.gz loader gives them (not the [-1, 1] of the other image nets).
"""

import torch
from torch import nn

from repro.errors import ConfigError, choose
from repro.nets import tflib
from repro.nets.norm import NORMS, norm_layers

MNIST_SIZE = 28  # 4 → 8, cropped to 7 → 14 → 28 in the generator; 28 → 14 → 7 → 4 in the critic


def _check(isize: int) -> None:
    if isize != MNIST_SIZE:
        raise ConfigError(f"image size {isize}: the gan_mnist.py nets are built for {MNIST_SIZE}×{MNIST_SIZE} "
                          f"digits")


def _optional(layer: nn.Module, keep: bool) -> list[nn.Module]:
    return [layer] if keep else []


class MNISTGenerator(nn.Module):
    """z (128) → Linear 4·4·4·DIM → [BN] → ReLU → Deconv 4DIM→2DIM (8×8) → [BN] → ReLU → crop to 7×7 →
    Deconv 2DIM→DIM (14×14) → [BN] → ReLU → Deconv DIM→C (28×28) → sigmoid: images in [0, 1], not [-1, 1].

    `batch_norm` True is the code's wgan mode (weight clipping), False its wgan-gp and dcgan modes.
    """

    unit_range = True  # the engine feeds the critic real digits in [0, 1] too

    def __init__(self, nz: int, nc: int, isize: int, dim: int, batch_norm: bool = False):
        super().__init__()
        _check(isize)
        self.dim = dim
        self.input = nn.Sequential(tflib.linear(nz, 4 * 4 * 4 * dim),
                                   *_optional(nn.BatchNorm1d(4 * 4 * 4 * dim), batch_norm), nn.ReLU(True))
        self.to_8 = nn.Sequential(tflib.Deconv2d(4 * dim, 2 * dim, 5),
                                  *_optional(nn.BatchNorm2d(2 * dim), batch_norm), nn.ReLU(True))
        self.to_28 = nn.Sequential(
            tflib.Deconv2d(2 * dim, dim, 5), *_optional(nn.BatchNorm2d(dim), batch_norm), nn.ReLU(True),
            tflib.Deconv2d(dim, nc, 5), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.input(z.view(z.shape[0], -1)).view(-1, 4 * self.dim, 4, 4)
        return self.to_28(self.to_8(x)[:, :, :7, :7])  # the top-left 7×7 doubles twice to 28


class MNISTCritic(nn.Module):
    """Conv C→DIM → LReLU → Conv DIM→2DIM → [norm] → LReLU → Conv 2DIM→4DIM → [norm] → LReLU → Linear 4·4·4DIM → 1;
    5×5 stride-2 TF 'SAME' convs, LeakyReLU 0.2. `norm` "batch" is the code's wgan mode, "none" its wgan-gp and
    dcgan modes; "layer" (GroupNorm(1, C)) is the WGAN-GP replacement of BN, not used by gan_mnist.py."""

    def __init__(self, nc: int, isize: int, dim: int, norm: str = "batch"):
        super().__init__()
        _check(isize)
        choose("critic_norm", norm, NORMS)
        self.main = nn.Sequential(
            tflib.Conv2d(nc, dim, 5, 2), nn.LeakyReLU(0.2, True),
            tflib.Conv2d(dim, 2 * dim, 5, 2), *norm_layers(norm, 2 * dim), nn.LeakyReLU(0.2, True),
            tflib.Conv2d(2 * dim, 4 * dim, 5, 2), *norm_layers(norm, 4 * dim), nn.LeakyReLU(0.2, True))
        self.output = tflib.linear(4 * 4 * 4 * dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.main(x).flatten(1)).view(x.shape[0])
