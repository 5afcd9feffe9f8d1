"""DCGAN generator and critic exactly as the official WGAN code builds them (spec/wgan.md §3.1–§3.3, §3.6).

All convolutions are bias-free; every layer count follows from the image size: 4 → isize by doubling.
The critic returns one score per sample; objectives take the batch mean, which is what the official
`netD(x)` (`.mean(0).view(1)`) returns, with the same gradients.
"""

import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets.init import dcgan_init
from repro.nets.norm import norm_layers


def _check_size(isize: int) -> None:
    if isize < 16 or isize % 16:
        raise ConfigError(f"image_size {isize}: DCGAN nets need a multiple of 16 (e.g. 32, 64, 128)")


class DCGANGenerator(nn.Module):
    """ConvT pyramid from z to a tanh image.

    batch_norm=False is the official `--noBN` (DCGAN_G_nobn, doubling pyramid kept); constant_width=True with no BN
    is the paper's Figure 6 generator (every layer `ngf` filters, spec/wgan.md §3.6).
    """

    def __init__(self, nz, nc, isize, ngf, n_extra_layers=0, batch_norm=True, constant_width=False):
        super().__init__()
        _check_size(isize)
        width, size = ngf // 2, 4
        while size != isize:
            width, size = width * 2, size * 2
        if constant_width:
            width = ngf
        layers = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False)] + self._post(width, batch_norm)
        size = 4
        while size < isize // 2:
            out = width if constant_width else width // 2
            layers += [nn.ConvTranspose2d(width, out, 4, 2, 1, bias=False)] + self._post(out, batch_norm)
            width, size = out, size * 2
        for _ in range(n_extra_layers):
            layers += [nn.Conv2d(width, width, 3, 1, 1, bias=False)] + self._post(width, batch_norm)
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.nz = nz
        dcgan_init(self)

    @staticmethod
    def _post(width, batch_norm):
        return ([nn.BatchNorm2d(width)] if batch_norm else []) + [nn.ReLU(True)]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


class DCGANCritic(nn.Module):
    """Conv pyramid from an image to one unbounded score per sample (no sigmoid: the GAN objective applies it)."""

    def __init__(self, nc, isize, ndf, n_extra_layers=0, norm="batch"):
        super().__init__()
        _check_size(isize)
        act = lambda: nn.LeakyReLU(0.2, inplace=True)  # noqa: E731 - a fresh module per layer
        layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), act()]
        width, size = ndf, isize // 2
        for _ in range(n_extra_layers):
            layers += [nn.Conv2d(width, width, 3, 1, 1, bias=False), *norm_layers(norm, width), act()]
        while size > 4:
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), *norm_layers(norm, width * 2), act()]
            width, size = width * 2, size // 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(x.shape[0])
