"""The DCGAN-style CIFAR-10 nets of WGAN-GP's gan_cifar.py (spec/wgangp.md §3.3), the Figure 3 models.

TensorFlow 'SAME' padding is reproduced exactly, not just its output size: a stride-2 5×5 convolution pads one
pixel before and two after (PyTorch's symmetric padding=2 would shift the sampling grid by one pixel), and the
transposed convolution crops one pixel before and two after. Weights use tflib's uniform initialisations
(spec/wgangp.md §3.8); biases are on, as tflib's defaults.
"""

import math

import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets.init import tflib_linear_init

CIFAR_SIZE = 32  # 4 → 8 → 16 → 32: the nets are built for 32×32 images only


def _tflib_conv_init(layer: nn.Module, fan_in: float, fan_out: float) -> None:
    """tflib he_init: uniform on ±√3·std with std √(4/(fan_in + fan_out)); bias 0."""
    bound = math.sqrt(3.0) * math.sqrt(4.0 / (fan_in + fan_out))
    nn.init.uniform_(layer.weight, -bound, bound)
    nn.init.zeros_(layer.bias)


class SameConv(nn.Module):
    """tflib Conv2D, 5×5, stride 2, TF 'SAME': pad (1, 2) on each spatial axis, fan_out = C_out·k²/stride²."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 2, 1, 2))
        self.conv = nn.Conv2d(c_in, c_out, 5, 2)
        _tflib_conv_init(self.conv, c_in * 25, c_out * 25 / 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class SameDeconv(nn.Module):
    """tflib Deconv2D, 5×5, stride 2, TF 'SAME' (output exactly 2× the input): the full transposed convolution
    cropped by 1 before and 2 after; fan_in = C_in·k²/4, fan_out = C_out·k²."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(c_in, c_out, 5, 2, padding=1)
        _tflib_conv_init(self.deconv, c_in * 25 / 4, c_out * 25)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(x)[..., :-1, :-1]


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
        self.input = nn.Linear(nz, 4 * 4 * 4 * dim)
        tflib_linear_init(self.input, "glorot")
        self.input_norm = nn.Sequential(nn.BatchNorm1d(4 * 4 * 4 * dim), nn.ReLU(True))
        self.main = nn.Sequential(
            SameDeconv(4 * dim, 2 * dim), nn.BatchNorm2d(2 * dim), nn.ReLU(True),
            SameDeconv(2 * dim, dim), nn.BatchNorm2d(dim), nn.ReLU(True),
            SameDeconv(dim, nc), nn.Tanh())

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
            SameConv(nc, dim), nn.LeakyReLU(0.2, True),
            SameConv(dim, 2 * dim), *bn(2 * dim), nn.LeakyReLU(0.2, True),
            SameConv(2 * dim, 4 * dim), *bn(4 * dim), nn.LeakyReLU(0.2, True))
        self.output = nn.Linear(4 * 4 * 4 * dim, 1)
        tflib_linear_init(self.output, "glorot")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.main(x).flatten(1)).view(x.shape[0])
