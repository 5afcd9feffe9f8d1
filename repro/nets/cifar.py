"""The DCGAN-style CIFAR-10 nets of WGAN-GP's gan_cifar.py (spec/wgangp.md §3.3), the Figure 3 models, built
from tflib layers (TF 'SAME' 5×5 stride-2 convolutions, tflib's uniform initialisations, biases on)."""

import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets import tflib

CIFAR_SIZE = 32  # 4 → 8 → 16 → 32: the nets are built for 32×32 images only


def _check(isize: int) -> None:
    if isize != CIFAR_SIZE:
        raise ConfigError(f"image size {isize}: the gan_cifar.py nets are built for {CIFAR_SIZE}×{CIFAR_SIZE} "
                          f"images; give the cifar10 data a {CIFAR_SIZE}-pixel store")


class CIFARGenerator(nn.Module):
    """z (128) → Linear 4·4·4·DIM → BN → ReLU → Deconv 4DIM→2DIM → BN → ReLU → Deconv 2DIM→DIM → BN → ReLU →
    Deconv DIM→C → tanh. BN (batch statistics, per unit after the Linear) in every mode."""

    def __init__(self, nz: int, nc: int, isize: int, dim: int):
        super().__init__()
        _check(isize)
        self.dim = dim
        self.input = tflib.linear(nz, 4 * 4 * 4 * dim)
        self.input_norm = nn.Sequential(nn.BatchNorm1d(4 * 4 * 4 * dim), nn.ReLU(True))
        self.main = nn.Sequential(
            tflib.Deconv2d(4 * dim, 2 * dim, 5), nn.BatchNorm2d(2 * dim), nn.ReLU(True),
            tflib.Deconv2d(2 * dim, dim, 5), nn.BatchNorm2d(dim), nn.ReLU(True),
            tflib.Deconv2d(dim, nc, 5), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.input_norm(self.input(z.view(z.shape[0], -1)))
        return self.main(x.view(-1, 4 * self.dim, 4, 4))


class CIFARCritic(nn.Module):
    """Conv C→DIM → LReLU → Conv DIM→2DIM → [BN] → LReLU → Conv 2DIM→4DIM → [BN] → LReLU → Linear 4·4·4DIM → 1.
    `norm` "batch" (wgan and dcgan modes) or "none" (wgan-gp)."""

    def __init__(self, nc: int, isize: int, dim: int, norm: str = "batch"):
        super().__init__()
        _check(isize)
        if norm not in ("batch", "none"):
            raise ConfigError(f"critic_norm {norm!r}: the gan_cifar.py critic has batch or none")
        bn = (lambda c: [nn.BatchNorm2d(c)]) if norm == "batch" else (lambda c: [])
        self.main = nn.Sequential(
            tflib.Conv2d(nc, dim, 5, 2), nn.LeakyReLU(0.2, True),
            tflib.Conv2d(dim, 2 * dim, 5, 2), *bn(2 * dim), nn.LeakyReLU(0.2, True),
            tflib.Conv2d(2 * dim, 4 * dim, 5, 2), *bn(4 * dim), nn.LeakyReLU(0.2, True))
        self.output = tflib.linear(4 * 4 * 4 * dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.main(x).flatten(1)).view(x.shape[0])
