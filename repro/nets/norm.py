"""Normalisation by name, for every critic (and the generators that switch theirs off).

"batch": nn.BatchNorm2d, used with batch statistics always (both official codes never switch to running averages).
"layer": per sample over (C, H, W) with a per-channel affine, i.e. GroupNorm(1, C), not nn.LayerNorm; WGAN-GP
replaces every critic BN by it (spec/wgangp.md §3.8, §4). "none": nothing.
"""

from torch import nn

from repro.errors import choose

NORMS = ("batch", "layer", "none")


def norm_layers(kind: str, channels: int) -> list[nn.Module]:
    """The layers `kind` puts after a convolution of `channels` outputs (none for "none")."""
    choose("normalisation", kind, NORMS)
    return {"batch": [nn.BatchNorm2d(channels)], "layer": [nn.GroupNorm(1, channels)], "none": []}[kind]
