"""MLP generator and critic of the official WGAN code (spec/wgan.md §3.4–§3.5).

Four Linear layers (three hidden ReLU layers), PyTorch's default Linear init, no output nonlinearity in the
generator: the code the author confirms produced the paper (the paper's "4 hidden layers" counts differently).
"""

import torch
from torch import nn


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU(True))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    def __init__(self, nz, nc, isize, ngf):
        super().__init__()
        self.shape = (nc, isize, isize)
        self.main = _mlp([nz, ngf, ngf, ngf, nc * isize * isize])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], -1)).view(z.shape[0], *self.shape)


class MLPCritic(nn.Module):
    def __init__(self, nc, isize, ndf):
        super().__init__()
        self.main = _mlp([nc * isize * isize, ndf, ndf, ndf, 1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x.reshape(x.shape[0], -1)).view(x.shape[0])
