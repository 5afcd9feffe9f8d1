"""Weight initialisations of the two official code bases (spec/wgan.md §2.5, spec/wgangp.md §2.2 and §3.8)."""

import math

from torch import nn


def dcgan_init(module: nn.Module) -> None:
    """Official WGAN `weights_init`: conv weights N(0, 0.02), BatchNorm γ N(1, 0.02) and β 0; Linear untouched."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def tflib_linear_init(layer: nn.Linear, kind: str) -> None:
    """tflib Linear: uniform on ±√3·std with std √(2/fan_in) ("he") or √(2/(fan_in+fan_out)) ("glorot"); bias 0."""
    fan_in, fan_out = layer.in_features, layer.out_features
    std = math.sqrt(2.0 / fan_in) if kind == "he" else math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    nn.init.uniform_(layer.weight, -bound, bound)
    nn.init.zeros_(layer.bias)
