"""The 128×128 ResNet of WGAN-GP's Figure 4 (spec/wgangp.md §1 Fig 4, §3.7), ported from the nets of
[N] experiments/wgan/wgan_imagenet128.py at commit 3099446 and the tflib ops it calls (same commit).

Facts carried over, by file:
- wgan_imagenet128.py: widths are constants per feature-map resolution, not multiples of one DIM:
  G 512 (4 px), 512 (8), 256 (16), 128 (32), 64 (64); D 128 (64 px), 256 (32), 512 (16), 1024 (8). Here they are
  multiples of `width` (the script's DIM_G_64, 64 at paper scale), so a profile can narrow both nets at once.
- G: Linear 128 → 512·4·4 (tflib default init: glorot), reshape; ResidualBlock(up) 4→8→16→32→64 px; BN → ReLU →
  ScaledUpsampleConv 64→3, 5×5, he_init=False → tanh. Nothing between the Linear and the first block: the block
  normalises its input. At 3099446 the output line calls `UpsampleConv`, which that commit renamed to
  ScaledUpsampleConv, so the script as committed stops with a NameError; the next commit (2e7b6ad) calls
  ScaledUpsampleConv there, which is what this port builds.
- D: Conv 5×5 stride 2 3→128 (he_init), no norm or ReLU after it; ResidualBlock(down) 64→32→16→8 px;
  2 ResidualBlocks at 8 px with identity shortcuts; mean over H, W straight off the last block (no final norm or
  ReLU, unlike gan_cifar_resnet.py's critic); Linear 1024 → 1 (glorot); reshape to one score per sample.
- ResidualBlock, pre-activation, residual not scaled: shortcut(x) + conv2(ReLU(N2(conv1(ReLU(N1(x)))))),
  N = BN over (batch, H, W) in G, LayerNorm over (C, H, W) in the critic ("Normalize" by the name's prefix), so the
  critic's blocks are normalised; 3×3 convs, he_init. "up": conv1 = ScaledUpsampleConv in→out, conv2 out→out,
  shortcut = ScaledUpsampleConv 1×1 he_init=False (a conv even when the widths agree). "down": conv1 in→in,
  conv2 in→out with stride 2, shortcut = MeanPoolConv (2×2 mean pool, then 1×1 he_init=False). None (used only at
  one width): conv1, conv2, identity shortcut.
- ScaledUpsampleConv: four copies of the input concatenated on channels, then depth_to_space(2) — exactly a
  nearest-neighbour ×2 upsampling — then Conv2D with gain=0.5.
- tflib/ops/conv2d.py: TF 'SAME' padding, biases 0, weights uniform with std √(4/(fan_in+fan_out)) (he_init) or
  √(2/(fan_in+fan_out)), fan_in = C_in·k², fan_out = C_out·k²/stride², then multiplied by `gain`.
- tflib/ops/batchnorm.py: fused, batch statistics, ε 1e-5, γ 1, β 0. The script builds fakes per GPU, so G's BN
  sees BATCH_SIZE/N_GPUS samples (16 with 3099446's 4 GPUs, 8 with 2e7b6ad's 8); batching is the trainer's call.
- tflib/ops/layernorm.py: axes [1, 2, 3], ε 1e-5, γ/β per channel (GroupNorm(1, C)).

Smaller images: the widths are keyed by resolution, so an `isize` that is a power of two from 16 to 128 drops the
highest-resolution stages and keeps the rest (e.g. 64 px: G blocks 4→32 px then the output from 128 channels; the
critic's input conv to 256 channels at 32 px). 128 is the paper's size.
"""

import torch
from torch import nn

from repro.errors import ConfigError, choose
from repro.nets import tflib
from repro.nets.norm import NORMS, norm_layers

PAPER_SIZE = 128
SMALLEST_SIZE = 16  # one upsampling block in G; the critic's input conv lands at its 8-pixel stage
# Channel widths per feature-map resolution in units of `width` (DIM_G_4 … DIM_G_64, DIM_D_64 … DIM_D_8 / 64)
GENERATOR_WIDTHS = {4: 8, 8: 8, 16: 4, 32: 2, 64: 1}
CRITIC_WIDTHS = {64: 2, 32: 4, 16: 8, 8: 16}
CRITIC_FINAL_SIZE = 8
CRITIC_FINAL_BLOCKS = 2
UPSAMPLE_GAIN = 0.5  # ScaledUpsampleConv's gain=0.5


def _check_size(isize: int) -> None:
    if not (SMALLEST_SIZE <= isize <= PAPER_SIZE and isize & (isize - 1) == 0):
        raise ConfigError(f"image size {isize}: the wgan_imagenet128.py nets take a power of two from {SMALLEST_SIZE}"
                          f" to {PAPER_SIZE} ({PAPER_SIZE} at paper scale)")


def _powers_of_two(low: int, high: int) -> list[int]:
    """low, 2·low, …, high (both powers of two): the feature-map resolutions of a stack of resampling blocks."""
    return [2 ** i for i in range(low.bit_length() - 1, high.bit_length())]


def scaled_upsample_conv(c_in: int, c_out: int, kernel: int, he_init: bool = True) -> nn.Sequential:
    """ScaledUpsampleConv: nearest ×2 (what depth_to_space of four copies is), then a conv with weights × 0.5."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                         tflib.Conv2d(c_in, c_out, kernel, he_init=he_init, gain=UPSAMPLE_GAIN))


def _preactivation(norm: str, channels: int) -> nn.Sequential:
    # ReLU out of place: with no normalisation it would overwrite x, which the shortcut still needs
    return nn.Sequential(*norm_layers(norm, channels), nn.ReLU())


class ResBlock(nn.Module):
    """wgan_imagenet128.py's ResidualBlock: shortcut(x) + conv2(act2(conv1(act1(x)))), act = Norm → ReLU, 3×3 convs.
    It differs from gan_cifar_resnet.py's block (repro.nets.resnet32.ResBlock) in the upsampling convs' gain 0.5,
    the stride-2 conv that downsamples, the pool-first shortcut and a norm of the caller's choice."""

    def __init__(self, c_in: int, c_out: int, resample: str | None, norm: str):
        super().__init__()
        self.act1 = _preactivation(norm, c_in)
        if resample == "up":
            self.conv1 = scaled_upsample_conv(c_in, c_out, 3)
            self.act2 = _preactivation(norm, c_out)
            self.conv2 = tflib.Conv2d(c_out, c_out, 3)
            self.shortcut = scaled_upsample_conv(c_in, c_out, 1, he_init=False)
        elif resample == "down":
            self.conv1 = tflib.Conv2d(c_in, c_in, 3)
            self.act2 = _preactivation(norm, c_in)
            self.conv2 = tflib.Conv2d(c_in, c_out, 3, stride=2)
            self.shortcut = nn.Sequential(nn.AvgPool2d(2), tflib.Conv2d(c_in, c_out, 1, he_init=False))
        else:
            self.conv1 = tflib.Conv2d(c_in, c_out, 3)
            self.act2 = _preactivation(norm, c_out)
            self.conv2 = tflib.Conv2d(c_out, c_out, 3)
            self.shortcut = nn.Identity()  # the nets keep the width in their plain blocks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv2(self.act2(self.conv1(self.act1(x))))


class ResNetGenerator128(nn.Module):
    """z → Linear 8w·4·4 → ResBlock(up) per doubling up to isize/2 (8w, 8w, 4w, 2w, w at 4…64 px) → BN → ReLU →
    scaled upsample + 5×5 conv w→nc (glorot) → tanh; w = `width` (64 at paper scale)."""

    def __init__(self, nz: int, nc: int, isize: int, width: int):
        super().__init__()
        _check_size(isize)
        channels = [GENERATOR_WIDTHS[r] * width for r in _powers_of_two(4, isize // 2)]
        self.input = nn.Sequential(tflib.linear(nz, 4 * 4 * channels[0]), nn.Unflatten(1, (channels[0], 4, 4)))
        self.blocks = nn.Sequential(*(ResBlock(c_in, c_out, "up", "batch")
                                      for c_in, c_out in zip(channels, channels[1:])))
        self.output = nn.Sequential(_preactivation("batch", channels[-1]),
                                    scaled_upsample_conv(channels[-1], nc, 5, he_init=False), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.output(self.blocks(self.input(z.view(z.shape[0], -1))))


class ResNetCritic128(nn.Module):
    """5×5 stride-2 conv nc→2w (he) → ResBlock(down) per halving to 8 px (4w, 8w, 16w) → 2 ResBlocks at 16w →
    mean over H, W → Linear 16w → 1. `critic_norm` normalises the blocks: "layer" for WGAN-GP, as the script."""

    def __init__(self, nc: int, isize: int, width: int, critic_norm: str = "layer"):
        super().__init__()
        _check_size(isize)
        choose("critic_norm", critic_norm, NORMS)
        channels = [CRITIC_WIDTHS[r] * width for r in _powers_of_two(CRITIC_FINAL_SIZE, isize // 2)[::-1]]
        self.input = tflib.Conv2d(nc, channels[0], 5, stride=2)
        self.blocks = nn.Sequential(*(ResBlock(c_in, c_out, "down", critic_norm)
                                      for c_in, c_out in zip(channels, channels[1:])),
                                    *(ResBlock(channels[-1], channels[-1], None, critic_norm)
                                      for _ in range(CRITIC_FINAL_BLOCKS)))
        self.score = tflib.linear(channels[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score(self.blocks(self.input(x)).mean(dim=(2, 3))).view(x.shape[0])
