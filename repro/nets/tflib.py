"""The WGAN-GP code's own layer library (tflib, spec/wgangp.md §3.8) in PyTorch, shared by all its nets.

TensorFlow 'SAME' padding is reproduced exactly, not just its output size: a stride-2 k×k convolution pads
⌊(k−2)/2⌋ before and the rest after (PyTorch's symmetric padding would shift the sampling grid by one pixel), and
the stride-2 transposed convolution crops the same amounts. Weights are uniform on ±√3·std with tflib's fans;
`weights_std` replaces the std (gan_64x64.py's DCGAN nets set 0.02). Biases are on unless asked off, as in tflib.
"""

import math

import torch
from torch import nn


def uniform_init(weight: torch.Tensor, std: float) -> None:
    nn.init.uniform_(weight, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)


def conv_std(fan_in: float, fan_out: float, he_init: bool) -> float:
    """tflib: √(4/(fan_in + fan_out)) with he_init, else Glorot's √(2/(fan_in + fan_out))."""
    return math.sqrt((4.0 if he_init else 2.0) / (fan_in + fan_out))


def _same_padding(kernel: int, stride: int) -> tuple[int, int]:
    total = max(kernel - stride, 0)
    return total // 2, total - total // 2


class Conv2d(nn.Module):
    """tflib Conv2D: k×k, stride 1 or 2, TF 'SAME'; fan_in = C_in·k², fan_out = C_out·k²/stride²."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, he_init: bool = True,
                 biases: bool = True, weights_std: float | None = None):
        super().__init__()
        before, after = _same_padding(kernel, stride)
        self.pad = nn.ZeroPad2d((before, after, before, after))
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, bias=biases)
        std = weights_std or conv_std(c_in * kernel ** 2, c_out * kernel ** 2 / stride ** 2, he_init)
        uniform_init(self.conv.weight, std)
        if biases:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class Deconv2d(nn.Module):
    """tflib Deconv2D: k×k transposed convolution, stride 2, TF 'SAME' (output exactly 2× the input), the adjoint
    of Conv2d(k, stride 2); fan_in = C_in·k²/4, fan_out = C_out·k²."""

    def __init__(self, c_in: int, c_out: int, kernel: int, he_init: bool = True, biases: bool = True,
                 weights_std: float | None = None):
        super().__init__()
        self.crop, _ = _same_padding(kernel, 2)
        self.deconv = nn.ConvTranspose2d(c_in, c_out, kernel, 2, padding=self.crop, bias=biases)
        uniform_init(self.deconv.weight, weights_std or conv_std(c_in * kernel ** 2 / 4, c_out * kernel ** 2, he_init))
        if biases:
            nn.init.zeros_(self.deconv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(x)[..., :2 * x.shape[-2], :2 * x.shape[-1]]


def linear(n_in: int, n_out: int, init: str = "glorot", weights_std: float | None = None) -> nn.Linear:
    """tflib Linear: std √(2/n_in) ("he") or √(2/(n_in + n_out)) ("glorot"), or `weights_std`; bias 0."""
    layer = nn.Linear(n_in, n_out)
    std = weights_std or math.sqrt(2.0 / n_in if init == "he" else 2.0 / (n_in + n_out))
    uniform_init(layer.weight, std)
    nn.init.zeros_(layer.bias)
    return layer
