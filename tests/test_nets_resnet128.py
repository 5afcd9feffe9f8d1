"""wgan_imagenet128.py's 128×128 ResNet (spec/wgangp.md Fig 4, §3.7): parameter counts by hand at the paper's
widths, shapes, the tflib init with gain, per-channel layer norm, and a cheap training step."""

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets import count_parameters
from repro.nets.resnet128 import ResBlock, ResNetCritic128, ResNetGenerator128
from tests.conftest import input_sizes

PAPER_WIDTH = 64  # the script's DIM_G_64


@pytest.fixture(scope="module")
def paper_nets():
    torch.manual_seed(0)
    return ResNetGenerator128(128, 3, 128, PAPER_WIDTH), ResNetCritic128(3, 128, PAPER_WIDTH, "layer")


def test_parameter_counts_by_hand(paper_nets):
    generator, critic = paper_nets
    # G: every conv and Linear has a bias; a BN holds γ and β per channel. Up block in→out: BN(in), 3×3 in→out,
    # BN(out), 3×3 out→out, 1×1 in→out shortcut.
    linear = 128 * 512 * 4 * 4 + 512 * 4 * 4
    up_512_512 = 2 * 512 + (512 * 512 * 9 + 512) + 2 * 512 + (512 * 512 * 9 + 512) + (512 * 512 + 512)
    up_512_256 = 2 * 512 + (512 * 256 * 9 + 256) + 2 * 256 + (256 * 256 * 9 + 256) + (512 * 256 + 256)
    up_256_128 = 2 * 256 + (256 * 128 * 9 + 128) + 2 * 128 + (128 * 128 * 9 + 128) + (256 * 128 + 128)
    up_128_64 = 2 * 128 + (128 * 64 * 9 + 64) + 2 * 64 + (64 * 64 * 9 + 64) + (128 * 64 + 64)
    output = 2 * 64 + (64 * 3 * 5 * 5 + 3)  # BN, 5×5 conv 64→3
    assert linear + up_512_512 + up_512_256 + up_256_128 + up_128_64 + output == 8_544_515
    assert count_parameters(generator) == 8_544_515
    # D: down block in→out: LN(in), 3×3 in→in, LN(in), 3×3 stride-2 in→out, 1×1 in→out shortcut; plain block at 1024:
    # LN, 3×3, LN, 3×3, identity shortcut.
    first = 3 * 128 * 5 * 5 + 128
    down_128_256 = 2 * 128 + (128 * 128 * 9 + 128) + 2 * 128 + (128 * 256 * 9 + 256) + (128 * 256 + 256)
    down_256_512 = 2 * 256 + (256 * 256 * 9 + 256) + 2 * 256 + (256 * 512 * 9 + 512) + (256 * 512 + 512)
    down_512_1024 = 2 * 512 + (512 * 512 * 9 + 512) + 2 * 512 + (512 * 1024 * 9 + 1024) + (512 * 1024 + 1024)
    plain_1024 = 2 * 1024 + (1024 * 1024 * 9 + 1024) + 2 * 1024 + (1024 * 1024 * 9 + 1024)
    score = 1024 + 1
    assert first + down_128_256 + down_256_512 + down_512_1024 + 2 * plain_1024 + score == 47_757_697
    assert count_parameters(critic) == 47_757_697
    layer_norms = 2 * (2 * 128 + 2 * 256 + 2 * 512) + 2 * 2 * 2 * 1024
    assert count_parameters(ResNetCritic128(3, 128, PAPER_WIDTH, "none")) == 47_757_697 - layer_norms == 47_745_921


def test_paper_shapes_and_resolutions(paper_nets):
    generator, critic = paper_nets
    outputs = []
    with torch.no_grad():
        block_sizes = input_sizes(generator.blocks, lambda: outputs.append(generator(torch.randn(2, 128))))
        critic_sizes = input_sizes(critic.blocks, lambda: outputs.append(critic(outputs[0])))
    images, scores = outputs
    assert images.shape == (2, 3, 128, 128) and images.abs().max() <= 1
    assert scores.shape == (2,)
    assert block_sizes == [4, 8, 16, 32] and critic_sizes == [64, 32, 16, 8, 8]


def test_scaled_upsampling_conv_init_is_half_the_tflib_std(paper_nets):
    # G's first block, conv1: 3×3 512→512 after the upsampling, he_init, gain 0.5:
    # std = 0.5·√(4/(fan_in + fan_out)), fan_in = 512·9, fan_out = 512·9 (2.4M weights: the estimate is within 0.1%)
    weight = paper_nets[0].blocks[0].conv1[1].conv.weight
    assert weight.std().item() == pytest.approx(0.5 * (4 / (512 * 9 + 512 * 9)) ** 0.5, rel=0.01)
    # the critic's downsampling conv2 of its first block: 3×3 stride 2, 128→256, he_init, no gain:
    # fan_out = 256·9/2² as tflib counts it
    weight = paper_nets[1].blocks[0].conv2.conv.weight
    assert weight.std().item() == pytest.approx((4 / (128 * 9 + 256 * 9 / 4)) ** 0.5, rel=0.01)


def test_upsampling_is_depth_to_space_of_four_copies():
    x = torch.randn(2, 3, 4, 5)
    nhwc = torch.cat([x] * 4, dim=1).permute(0, 2, 3, 1)
    # TF depth_to_space(2) on NHWC: out[h·2 + i, w·2 + j, c] = in[h, w, (i·2 + j)·C + c]
    b, h, w, c = nhwc.shape
    spread = nhwc.reshape(b, h, w, 2, 2, c // 4).permute(0, 1, 3, 2, 4, 5).reshape(b, 2 * h, 2 * w, c // 4)
    upsample = ResNetGenerator128(128, 3, 16, 1).output[1][0]
    torch.testing.assert_close(upsample(x), spread.permute(0, 3, 1, 2))


@pytest.mark.parametrize("critic_norm,kind", [("layer", nn.GroupNorm), ("batch", nn.BatchNorm2d), ("none", None)])
def test_critic_norm_sits_in_every_block(critic_norm, kind):
    critic = ResNetCritic128(3, 32, 2, critic_norm)
    norms = [m for m in critic.modules() if isinstance(m, (nn.GroupNorm, nn.BatchNorm2d))]
    assert len(norms) == (2 * len(critic.blocks) if kind else 0)
    assert all(isinstance(m, kind) for m in norms)


def test_layer_norm_critic_has_per_channel_gamma_beta():
    critic = ResNetCritic128(3, 32, 2, "layer")
    block = critic.blocks[0]  # down 16→32 channels: LN(16) before conv1, LN(16) before the stride-2 conv2
    for norm in (block.act1[0], block.act2[0]):
        assert norm.num_groups == 1 and norm.eps == 1e-5
        assert norm.weight.shape == norm.bias.shape == (16,)
        assert (norm.weight == 1).all() and (norm.bias == 0).all()


def test_residual_is_unscaled_and_the_plain_block_shortcut_is_the_identity():
    torch.manual_seed(0)
    block = ResBlock(6, 6, None, "layer")
    x = torch.randn(2, 6, 8, 8)
    branch = block.conv2(block.act2(block.conv1(block.act1(x))))
    torch.testing.assert_close(block(x), x + branch)


@pytest.mark.parametrize("isize", [16, 32, 64])
def test_smaller_images_drop_the_high_resolution_stages(isize):
    generator, critic = ResNetGenerator128(128, 3, isize, 2), ResNetCritic128(3, isize, 2)
    images = generator(torch.randn(3, 128))
    assert images.shape == (3, 3, isize, isize) and critic(images).shape == (3,)
    # each stage keeps the width of its resolution: G's last block (isize/2 px) has DIM_G_8, _16, _32 = 8w, 4w, 2w,
    # the critic's input conv (isize/2 px) DIM_D_8, _16, _32 = 16w, 8w, 4w and its 8-px blocks 16w; w = 2
    assert generator.output[0][0].num_features == {16: 16, 32: 8, 64: 4}[isize]
    assert critic.input.conv.out_channels == {16: 32, 32: 16, 64: 8}[isize]
    assert critic.score.in_features == 32


@pytest.mark.parametrize("isize", [8, 48, 256])
def test_refuses_other_image_sizes(isize):
    with pytest.raises(ConfigError, match="power of two from 16 to 128"):
        ResNetGenerator128(128, 3, isize, 2)
    with pytest.raises(ConfigError, match="power of two from 16 to 128"):
        ResNetCritic128(3, isize, 2)


def test_refuses_unknown_critic_norm():
    with pytest.raises(ConfigError, match="critic_norm"):
        ResNetCritic128(3, 128, 2, "instance")


def test_small_width_training_step_reaches_every_parameter():
    torch.manual_seed(0)
    generator, critic = ResNetGenerator128(128, 3, 128, 1), ResNetCritic128(3, 128, 1, "layer")
    fake = generator(torch.randn(2, 128))
    real = torch.rand(2, 3, 128, 128) * 2 - 1
    (critic(fake).mean() - critic(real).mean()).backward()
    for net in (generator, critic):
        for name, parameter in net.named_parameters():
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
    assert any(p.grad.abs().sum() > 0 for p in generator.parameters())
