"""The 64×64 architecture zoo of WGAN-GP's gan_64x64.py, the seven rows of the paper's Figure 2 (spec/wgangp.md
§1 Figure 2, §3.5, §4), built from tflib layers.

Generators map z (batch, nz) to (batch, nc, 64, 64) in [-1, 1]; critics return one score per sample. Critics take
`norm` "batch", "layer" (GroupNorm(1, C): WGAN-GP swaps every critic normalisation for it) or "none"; generators
keep batch norm where they have one.
"""

import torch
from torch import nn

from repro.errors import ConfigError, choose
from repro.nets import tflib
from repro.nets.norm import NORMS, norm_layers
from repro.nets.toy import ToyMLP

ZOO_SIZE = 64  # every net is the 4 → 64 pyramid of gan_64x64.py
DCGAN_WEIGHTS_STD = 0.02  # tflib's set_weights_stdev inside the DCGAN nets only
RESIDUAL_SCALE = 0.3  # bottleneck branch weight
RESNET_OUTPUT_SCALE = 5.0  # the ResNet G emits tanh(x / 5), the ResNet critic x / 5
RESNET_DEPTHS = (6, 6, 6, 6, 5)  # G's plain blocks at 4…64 pixels; + 4 resampling blocks = 33 blocks, 99 convs
GENERATOR_NORMS = ("batch", "none")
ACTIVATIONS = {"relu": nn.ReLU, "lrelu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}


def _check_size(isize: int) -> None:
    if isize != ZOO_SIZE:
        raise ConfigError(f"image size {isize}: the gan_64x64.py nets are built for {ZOO_SIZE}×{ZOO_SIZE} images")


class Gate(nn.Module):
    """PixelCNN gated unit on interleaved channels, as gan_64x64.py slices them: sigmoid(channels 0, 2, 4, …) ·
    tanh(channels 1, 3, 5, …). Halves the channel count, so gated layers emit twice the channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x[:, 0::2]) * torch.tanh(x[:, 1::2])


class _UpPyramid(nn.Module):
    """Linear z → widths[0]×4×4, [Norm], act; a 5×5 Deconv per later width, each + [Norm] + act; Deconv → nc; tanh.
    With `widen` 2 every hidden layer emits twice its width for a halving activation (the gate)."""

    def __init__(self, nz, nc, isize, widths, norm, activation, widen=1, weights_std=None):
        super().__init__()
        _check_size(isize)
        norm = choose("generator norm", norm, GENERATOR_NORMS)
        first = widths[0] * widen
        layers = [tflib.linear(nz, 4 * 4 * first, weights_std=weights_std), nn.Unflatten(1, (first, 4, 4)),
                  *norm_layers(norm, first), activation()]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [tflib.Deconv2d(c_in, c_out * widen, 5, weights_std=weights_std),
                       *norm_layers(norm, c_out * widen), activation()]
        layers += [tflib.Deconv2d(widths[-1], nc, 5, weights_std=weights_std), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], -1))


class _DownPyramid(nn.Module):
    """5×5 stride-2 Conv nc → widths[0] (no norm), act; a stride-2 Conv per later width, each + [Norm] + act;
    flatten widths[-1]·4·4 → Linear → 1. `widen` as in _UpPyramid."""

    def __init__(self, nc, isize, widths, norm, activation, widen=1, weights_std=None):
        super().__init__()
        _check_size(isize)
        norm = choose("critic_norm", norm, NORMS)
        layers = [tflib.Conv2d(nc, widths[0] * widen, 5, 2, weights_std=weights_std), activation()]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [tflib.Conv2d(c_in, c_out * widen, 5, 2, weights_std=weights_std),
                       *norm_layers(norm, c_out * widen), activation()]
        layers += [nn.Flatten(), tflib.linear(widths[-1] * 4 * 4, 1, weights_std=weights_std)]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(x.shape[0])


def _doubling(dim: int) -> list[int]:
    return [8 * dim, 4 * dim, 2 * dim, dim]


class DCGANGenerator64(_UpPyramid):
    """Figure 2 rows 0, 3, 5: Linear 128 → 8DIM×4×4, Norm, act; Deconv 8DIM→4DIM→2DIM→DIM, each + Norm + act;
    Deconv DIM→3; tanh. Init U(std 0.02). norm "none" is the no-normalisation row, nonlinearity "tanh" the
    tanh-everywhere row (the output stays tanh either way)."""

    def __init__(self, nz, nc, isize, dim, norm="batch", nonlinearity="relu"):
        act = ACTIVATIONS[choose("generator nonlinearity", nonlinearity, ("relu", "tanh"))]
        super().__init__(nz, nc, isize, _doubling(dim), norm, act, weights_std=DCGAN_WEIGHTS_STD)


class DCGANCritic64(_DownPyramid):
    """Figure 2 rows 0–3, 5: Conv 3→DIM (no norm), act; Conv DIM→2DIM→4DIM→8DIM, each + Norm + act; Linear
    8DIM·4·4 → 1. All convs 5×5 stride 2; init U(std 0.02); act LeakyReLU 0.2, or tanh for the tanh row."""

    def __init__(self, nc, isize, dim, norm="batch", nonlinearity="lrelu"):
        act = ACTIVATIONS[choose("critic nonlinearity", nonlinearity, ("lrelu", "tanh"))]
        super().__init__(nc, isize, _doubling(dim)[::-1], norm, act, weights_std=DCGAN_WEIGHTS_STD)


class ConstantFilterGenerator64(_UpPyramid):
    """Figure 2 row 1 (WGANPaper_CrippledDCGANGenerator): Linear 128 → DIM×4×4, ReLU; three Deconv DIM→DIM + ReLU;
    Deconv DIM→3; tanh. No normalisation, a constant filter count, tflib's default init."""

    def __init__(self, nz, nc, isize, dim):
        super().__init__(nz, nc, isize, [dim] * 4, "none", nn.ReLU)


class FCGenerator64(nn.Module):
    """Figure 2 row 2: 128 → 512 → 512 → 512 → 512, each ReLU ("he" init), then Linear 512 → 3·64·64 (glorot) and
    tanh. The paper's "4-layer" counts the ReLU layers; the code adds the linear output layer."""

    def __init__(self, nz, nc, isize, width=512):
        super().__init__()
        self.shape = (nc, isize, isize)
        self.mlp = ToyMLP(nz, nc * isize * isize, width, depth=5)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mlp(z)).view(z.shape[0], *self.shape)


class GatedGenerator64(_UpPyramid):
    """Figure 2 row 4 (MultiplicativeDCGANGenerator): the DCGAN generator with every hidden layer emitting 2× its
    width, Norm over all of them, then the Gate. tflib's default init (no 0.02)."""

    def __init__(self, nz, nc, isize, dim, norm="batch"):
        super().__init__(nz, nc, isize, _doubling(dim), norm, Gate, widen=2)


class GatedCritic64(_DownPyramid):
    """Figure 2 row 4 (MultiplicativeDCGANDiscriminator): the DCGAN critic with every conv emitting 2× its width,
    Norm (not on the first) over all of them, then the Gate. tflib's default init (no 0.02)."""

    def __init__(self, nc, isize, dim, norm="batch"):
        super().__init__(nc, isize, _doubling(dim)[::-1], norm, Gate, widen=2)


class BottleneckBlock(nn.Module):
    """Branch: ReLU → 1×1 C_in→C_in/2 → ReLU → 3×3 C_in/2→C_out/2 → ReLU → 1×1 →C_out (no bias) → Norm; output =
    shortcut + 0.3·branch. The 3×3 is a stride-2 conv for "down", a stride-2 transposed conv for "up", plain for
    None. Shortcut: identity without resampling (the nets keep the width then), else a 1×1 glorot conv with bias:
    stride 2 for "down"; for "up" to 4·C_out channels, then pixel shuffle (sub-pixel conv). PixelShuffle groups
    channels in another order than TF's depth_to_space, a fixed relabelling of i.i.d.-initialised conv outputs."""

    def __init__(self, c_in: int, c_out: int, resample: str | None, norm: str):
        super().__init__()
        if resample == "down":
            middle = tflib.Conv2d(c_in // 2, c_out // 2, 3, 2)
            self.shortcut = tflib.Conv2d(c_in, c_out, 1, 2, he_init=False)
        elif resample == "up":
            middle = tflib.Deconv2d(c_in // 2, c_out // 2, 3)
            self.shortcut = nn.Sequential(tflib.Conv2d(c_in, 4 * c_out, 1, he_init=False), nn.PixelShuffle(2))
        else:
            middle = tflib.Conv2d(c_in // 2, c_out // 2, 3)
            self.shortcut = nn.Identity()
        self.branch = nn.Sequential(nn.ReLU(), tflib.Conv2d(c_in, c_in // 2, 1), nn.ReLU(), middle, nn.ReLU(),
                                    tflib.Conv2d(c_out // 2, c_out, 1, biases=False), *norm_layers(norm, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + RESIDUAL_SCALE * self.branch(x)


def _residual_stages(widths, depths, resample, norm) -> list[nn.Module]:
    """`depths[i]` plain blocks at `widths[i]`, with a resampling block from each width to the next."""
    blocks = []
    for i, (width, depth) in enumerate(zip(widths, depths)):
        if i:
            blocks.append(BottleneckBlock(widths[i - 1], width, resample, norm))
        blocks += [BottleneckBlock(width, width, None, norm) for _ in range(depth)]
    return blocks


def _resnet_widths(dim: int) -> list[int]:
    """Block widths at 4, 8, 16, 32 and 64 pixels."""
    return [8 * dim, 4 * dim, 2 * dim, dim, dim // 2]


class ResNetGenerator64(nn.Module):
    """Figure 2 row 6, 101 weight layers: Linear 128 → 8DIM×4×4; 6 blocks, up to 4DIM; 6, up to 2DIM; 6, up to DIM;
    6, up to DIM/2; 5 blocks at 64×64; 1×1 conv DIM/2→3 (glorot); tanh(x / 5). Blocks batch-normalised."""

    def __init__(self, nz, nc, isize, dim):
        super().__init__()
        _check_size(isize)
        widths = _resnet_widths(dim)
        self.main = nn.Sequential(tflib.linear(nz, 4 * 4 * widths[0]), nn.Unflatten(1, (widths[0], 4, 4)),
                                  *_residual_stages(widths, RESNET_DEPTHS, "up", "batch"),
                                  tflib.Conv2d(widths[-1], nc, 1, he_init=False))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.main(z.view(z.shape[0], -1)) / RESNET_OUTPUT_SCALE)


class ResNetCritic64(nn.Module):
    """Figure 2 row 6, 101 weight layers: 1×1 conv 3→DIM/2 (glorot); 5 blocks at 64×64, down to DIM; 6, down to 2DIM;
    6, down to 4DIM; 6, down to 8DIM; 6 blocks at 4×4; Linear 8DIM·4·4 → 1; score / 5."""

    def __init__(self, nc, isize, dim, norm="batch"):
        super().__init__()
        _check_size(isize)
        norm = choose("critic_norm", norm, NORMS)
        widths = _resnet_widths(dim)[::-1]
        self.main = nn.Sequential(tflib.Conv2d(nc, widths[0], 1, he_init=False),
                                  *_residual_stages(widths, RESNET_DEPTHS[::-1], "down", norm),
                                  nn.Flatten(), tflib.linear(widths[-1] * 4 * 4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(x.shape[0]) / RESNET_OUTPUT_SCALE
