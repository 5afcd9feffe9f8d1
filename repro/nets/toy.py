"""The 2-D toy MLPs of WGAN-GP's gan_toy.py (spec/wgangp.md §2.2): ReLU, no normalisation, tflib init."""

import torch
from torch import nn

from repro.nets import tflib


class ToyMLP(nn.Module):
    """in → width ×(depth−1) → out. Hidden layers "he" init, output layer "glorot", biases zero.

    gan_toy.py uses depth 4 (three hidden layers of 512); WGAN-GP Fig 1b uses 12-layer nets.
    """

    def __init__(self, n_in, n_out, width=512, depth=4):
        super().__init__()
        sizes = [n_in] + [width] * (depth - 1) + [n_out]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            last = i == len(sizes) - 2
            linear = tflib.linear(a, b, "glorot" if last else "he")
            layers += [linear] if last else [linear, nn.ReLU(True)]
        self.main = nn.Sequential(*layers)
        self.n_out = n_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.main(x.view(x.shape[0], -1))
        return y.view(x.shape[0]) if self.n_out == 1 else y
