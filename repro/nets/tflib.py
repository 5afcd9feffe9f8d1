"""The WGAN-GP code's own layer library (tflib, spec/wgangp.md §3.8) in PyTorch, shared by all its nets.

TensorFlow 'SAME' padding is reproduced exactly, not just its output size: a k×k convolution of stride s on n
pixels pads (⌈n/s⌉ − 1)·s + k − n in all, half before and the odd pixel after. A stride-2 5×5 convolution on an
even size pads 1 before and 2 after, where PyTorch's symmetric padding would shift the sampling grid by one pixel;
on 7 pixels it pads 2 and 2. The stride-2 transposed convolution crops what its adjoint convolution pads.
Weights are uniform on ±√3·std with tflib's fans; `weights_std` replaces the std (gan_64x64.py's DCGAN nets set
0.02). Biases are on unless asked off, as in tflib.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def uniform_init(weight: torch.Tensor, std: float) -> None:
    nn.init.uniform_(weight, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)


def conv_std(fan_in: float, fan_out: float, he_init: bool) -> float:
    """tflib: √(4/(fan_in + fan_out)) with he_init, else Glorot's √(2/(fan_in + fan_out))."""
    return math.sqrt((4.0 if he_init else 2.0) / (fan_in + fan_out))


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF 'SAME' padding (before, after) of one axis of `size` pixels."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2d(nn.Module):
    """tflib Conv2D: k×k, stride 1 or 2, TF 'SAME'; fan_in = C_in·k², fan_out = C_out·k²/stride². `gain`
    multiplies the sampled weights, as tflib's does (wgan_imagenet128.py's scaled upsampling convs: 0.5)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, he_init: bool = True,
                 biases: bool = True, weights_std: float | None = None, gain: float = 1.0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, bias=biases)
        std = weights_std or conv_std(c_in * kernel ** 2, c_out * kernel ** 2 / stride ** 2, he_init)
        uniform_init(self.conv.weight, gain * std)
        if biases:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (k, _), (s, _) = self.conv.kernel_size, self.conv.stride
        top, bottom = same_padding(x.shape[-2], k, s)
        left, right = same_padding(x.shape[-1], k, s)
        return self.conv(F.pad(x, (left, right, top, bottom)))


class Deconv2d(nn.Module):
    """tflib Deconv2D: k×k transposed convolution, stride 2, TF 'SAME' (output exactly 2× the input), the adjoint
    of Conv2d(k, stride 2); fan_in = C_in·k²/4, fan_out = C_out·k²."""

    def __init__(self, c_in: int, c_out: int, kernel: int, he_init: bool = True, biases: bool = True,
                 weights_std: float | None = None):
        super().__init__()
        self.crop, _ = same_padding(2, kernel, 2)  # the adjoint conv's padding on any even size
        self.deconv = nn.ConvTranspose2d(c_in, c_out, kernel, 2, padding=self.crop, bias=biases)
        uniform_init(self.deconv.weight, weights_std or conv_std(c_in * kernel ** 2 / 4, c_out * kernel ** 2, he_init))
        if biases:
            nn.init.zeros_(self.deconv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(x)[..., :2 * x.shape[-2], :2 * x.shape[-1]]


class Conv1d(nn.Module):
    """tflib Conv1D on [B, C, L]: kernel k, TF 'SAME' (k=5, stride 1 pads 2 and 2); fan_in = C_in·k,
    fan_out = C_out·k/stride."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, he_init: bool = True):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, kernel, stride)
        uniform_init(self.conv.weight, conv_std(c_in * kernel, c_out * kernel / stride, he_init))
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, same_padding(x.shape[-1], self.conv.kernel_size[0], self.conv.stride[0])))


def linear(n_in: int, n_out: int, init: str = "glorot", weights_std: float | None = None) -> nn.Linear:
    """tflib Linear: std √(2/n_in) ("he") or √(2/(n_in + n_out)) ("glorot"), or `weights_std`; bias 0."""
    layer = nn.Linear(n_in, n_out)
    std = weights_std or math.sqrt(2.0 / n_in if init == "he" else 2.0 / (n_in + n_out))
    uniform_init(layer.weight, std)
    nn.init.zeros_(layer.bias)
    return layer
