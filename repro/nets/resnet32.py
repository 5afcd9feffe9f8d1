"""The CIFAR-10 ResNet of WGAN-GP's gan_cifar_resnet.py (spec/wgangp.md §1 Table 3 and Appendix F, §3.4): the
7.86 unsupervised model and, with `n_classes`, the 8.42 AC-GAN model (conditional BN in G, a class head on D).

Pre-activation residual blocks of two 3×3 tflib convolutions ("he" init, biases); shortcuts are identity or a
1×1 "glorot" convolution with the block's resampling. Upsampling is nearest-neighbour ×2, downsampling a 2×2
mean pool. The generator uses batch statistics (train mode) as the code always does; the critic is unnormalised.
"""

import torch
from torch import nn
from torch.nn import functional as F

from repro.errors import ConfigError
from repro.nets import tflib

RESNET_SIZE = 32  # 4 → 8 → 16 → 32 in the generator, 32 → 16 → 8 in the critic
UPSAMPLE_AT = ("first", "second")  # gan_cifar_resnet.py | Appendix F


def _check(isize: int, n_classes: int | None) -> None:
    if isize != RESNET_SIZE:
        raise ConfigError(f"image size {isize}: the gan_cifar_resnet.py nets are built for {RESNET_SIZE}×"
                          f"{RESNET_SIZE} images; give the cifar10 data a {RESNET_SIZE}-pixel store")
    if n_classes is not None and n_classes < 2:
        raise ConfigError(f"n_classes {n_classes}: a conditional model needs at least 2 classes (CIFAR-10: 10)")


class ConditionalBatchNorm2d(nn.Module):
    """BN whose statistics are shared by the whole batch but whose γ and β are looked up per sample from
    (n_classes, C) tables (Dumoulin et al. 2016), initialised to 1 and 0 as tflib's cond_batchnorm does."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale = nn.Embedding(n_classes, channels)
        self.offset = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.offset.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * self.scale(labels)[:, :, None, None] + self.offset(labels)[:, :, None, None]


def _normalise(norm: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """Only conditional BN reads the labels."""
    return norm(x, labels) if isinstance(norm, ConditionalBatchNorm2d) else norm(x)


def _generator_norm(channels: int, n_classes: int | None) -> nn.Module:
    return nn.BatchNorm2d(channels) if n_classes is None else ConditionalBatchNorm2d(channels, n_classes)


class ResBlock(nn.Module):
    """x + F(x) with F = Norm → ReLU → conv1 → Norm → ReLU → conv2 (3×3 each) and a shortcut that is the identity
    when shape and resolution are kept, else a 1×1 conv with the same resampling.

    resample "up": conv1 in→out, conv2 out→out, shortcut upsample → 1×1; the upsample sits before conv1 (the
    code, `upsample_at="first"`) or before conv2 (Appendix F, "second"). "down": conv1 in→in, conv2 in→out then
    mean pool, shortcut 1×1 then mean pool. None: conv1 in→out, conv2 out→out.
    """

    def __init__(self, c_in: int, c_out: int, resample: str | None = None, n_classes: int | None = None,
                 normalise: bool = True, upsample_at: str = "first"):
        super().__init__()
        if upsample_at not in UPSAMPLE_AT:
            raise ConfigError(f"upsample_at {upsample_at!r}: choose 'first' (gan_cifar_resnet.py, before the "
                              f"first conv) or 'second' (Appendix F, before the second conv)")
        c_mid = c_in if resample == "down" else c_out
        up, pool = nn.Upsample(scale_factor=2, mode="nearest"), nn.AvgPool2d(2)
        self.conv1 = tflib.Conv2d(c_in, c_mid, 3)
        self.conv2 = tflib.Conv2d(c_mid, c_out, 3)
        shortcut = tflib.Conv2d(c_in, c_out, 1, he_init=False)
        if resample == "up":
            if upsample_at == "first":
                self.conv1 = nn.Sequential(up, self.conv1)
            else:
                self.conv2 = nn.Sequential(up, self.conv2)
            self.shortcut = nn.Sequential(up, shortcut)
        elif resample == "down":
            self.conv2 = nn.Sequential(self.conv2, pool)
            self.shortcut = nn.Sequential(shortcut, pool)
        else:
            self.shortcut = nn.Identity() if c_in == c_out else shortcut
        self.norm1 = _generator_norm(c_in, n_classes) if normalise else nn.Identity()
        self.norm2 = _generator_norm(c_mid, n_classes) if normalise else nn.Identity()

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        # ReLU out of place: with no normalisation it would overwrite x, which the shortcut still needs
        h = self.conv1(F.relu(_normalise(self.norm1, x, labels)))
        h = self.conv2(F.relu(_normalise(self.norm2, h, labels)))
        return self.shortcut(x) + h


class FirstCriticBlock(nn.Module):
    """The code's OptimizedResBlockDisc1: no pre-activation on raw pixels. conv 3×3 C→DIM → ReLU → conv 3×3
    DIM→DIM → mean pool, plus a shortcut mean pool → 1×1 conv C→DIM (pooling first, unlike the other blocks)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.main = nn.Sequential(tflib.Conv2d(c_in, c_out, 3), nn.ReLU(True), tflib.Conv2d(c_out, c_out, 3),
                                  nn.AvgPool2d(2))
        self.shortcut = nn.Sequential(nn.AvgPool2d(2), tflib.Conv2d(c_in, c_out, 1, he_init=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.main(x)


class ResNetGenerator(nn.Module):
    """z (128) → Linear 4·4·DIM → 3 × ResBlock(up) DIM→DIM → BN → ReLU → 3×3 conv DIM→C ("glorot") → tanh.

    With `n_classes` the blocks' BNs are conditional and `forward` needs the labels; the final BN stays
    unconditional, as the code calls it without labels. An unconditional generator ignores labels, so a
    training loop may pass them either way.
    """

    def __init__(self, nz: int, nc: int, isize: int, dim: int, n_classes: int | None = None,
                 upsample_at: str = "first"):
        super().__init__()
        _check(isize, n_classes)
        self.dim, self.n_classes = dim, n_classes
        self.input = tflib.linear(nz, 4 * 4 * dim)
        self.blocks = nn.ModuleList(ResBlock(dim, dim, "up", n_classes, upsample_at=upsample_at) for _ in range(3))
        self.output = nn.Sequential(nn.BatchNorm2d(dim), nn.ReLU(True), tflib.Conv2d(dim, nc, 3, he_init=False),
                                    nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes and labels is None:
            raise ValueError("a conditional generator needs one class label per sample")
        x = self.input(z.view(z.shape[0], -1)).view(-1, self.dim, 4, 4)
        for block in self.blocks:
            x = block(x, labels if self.n_classes else None)
        return self.output(x)


class ResNetCritic(nn.Module):
    """FirstCriticBlock C→DIM → ResBlock(down) → 2 × ResBlock → ReLU → mean over H,W → Linear DIM→1; with
    `n_classes` also Linear DIM→n_classes on the same features (the AC-GAN head). No normalisation.

    `forward` returns the scores (batch,) only, so the WGAN losses and the gradient penalty use this critic like
    any other; AC-GAN training calls `scores_and_logits`, which gets both heads from one pass, as the code does.
    """

    def __init__(self, nc: int, isize: int, dim: int, n_classes: int | None = None):
        super().__init__()
        _check(isize, n_classes)
        self.blocks = nn.Sequential(FirstCriticBlock(nc, dim), ResBlock(dim, dim, "down", normalise=False),
                                    ResBlock(dim, dim, normalise=False), ResBlock(dim, dim, normalise=False))
        self.score = tflib.linear(dim, 1)
        self.classifier = None if n_classes is None else tflib.linear(dim, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.blocks(x)).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(self.features(x)).view(x.shape[0])

    def scores_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores (batch,) and class logits (batch, n_classes)."""
        if self.classifier is None:
            raise ConfigError("this critic has no AC-GAN head: build it with n_classes for conditional training")
        h = self.features(x)
        return self.score(h).view(x.shape[0]), self.classifier(h)
