"""The character-level language GAN of WGAN-GP's Table 4 (spec/wgangp.md §3.6; official gan_language.py).

Sequences are channels-first, [B, V, L]: one probability vector over the V symbols at each of L positions, the
layout Conv1d wants. The official code keeps [B, L, V] between the nets and transposes inside each; the nets see
the same numbers, and the gradient penalty's norm runs over both non-batch axes in either layout.
G emits softmax vectors that go to the critic as they are (no sampling); real sequences go in one-hot.
Every Conv1D is tflib's default he_init (also the 1×1 input and output convs); both Linears are tflib's default,
Glorot √(2/(in + out)); all biases start at 0.
"""

import torch
import torch.nn.functional as F
from torch import nn

from repro.nets import tflib

RESIDUAL_SCALE = 0.3  # gan_language.py's ResBlock: inputs + 0.3·branch
N_BLOCKS = 5


class ResBlock1d(nn.Module):
    """ReLU → Conv1d k=5 → ReLU → Conv1d k=5, added to the input at 0.3×; no normalisation."""

    def __init__(self, dim: int):
        super().__init__()
        self.branch = nn.Sequential(nn.ReLU(), tflib.Conv1d(dim, dim, 5), nn.ReLU(), tflib.Conv1d(dim, dim, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + RESIDUAL_SCALE * self.branch(x)


class LanguageGenerator(nn.Module):
    """z (nz) → Linear dim·seq_len → [B, dim, seq_len] → 5 ResBlocks → 1×1 Conv1d dim→V → softmax over V:
    [B, V, seq_len], each column sums to 1."""

    def __init__(self, nz: int = 128, dim: int = 512, seq_len: int = 32, vocab: int = 2048):
        super().__init__()
        self.dim, self.seq_len = dim, seq_len
        self.input = tflib.linear(nz, dim * seq_len)
        self.blocks = nn.Sequential(*(ResBlock1d(dim) for _ in range(N_BLOCKS)))
        self.output = tflib.Conv1d(dim, vocab, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.input(z.view(z.shape[0], -1)).view(-1, self.dim, self.seq_len)  # tf.reshape: channel-major
        return F.softmax(self.output(self.blocks(x)), dim=1)


class LanguageCritic(nn.Module):
    """[B, V, seq_len] (one-hot or softmax) → 1×1 Conv1d V→dim → 5 ResBlocks → flatten (dim-major, as tf.reshape of
    [B, dim, seq_len]) → Linear dim·seq_len → 1: a score per sequence, [B]."""

    def __init__(self, dim: int = 512, seq_len: int = 32, vocab: int = 2048):
        super().__init__()
        self.input = tflib.Conv1d(vocab, dim, 1)
        self.blocks = nn.Sequential(*(ResBlock1d(dim) for _ in range(N_BLOCKS)))
        self.output = tflib.linear(dim * seq_len, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.blocks(self.input(x)).flatten(1)).view(x.shape[0])

