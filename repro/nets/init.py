"""The official WGAN code's weight initialisation (spec/wgan.md §2.5); the WGAN-GP code's are in `tflib`."""

from torch import nn


def dcgan_init(module: nn.Module) -> None:
    """Official WGAN `weights_init`: conv weights N(0, 0.02), BatchNorm γ N(1, 0.02) and β 0; Linear untouched."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
