"""The gan_64x64.py architecture zoo (spec/wgangp.md §4): parameter counts by hand, shapes, normalisation, gating."""

import math

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets import count_parameters
from repro.nets.zoo64 import (
    ConstantFilterGenerator64,
    DCGANCritic64,
    DCGANGenerator64,
    FCGenerator64,
    Gate,
    GatedCritic64,
    GatedGenerator64,
    ResNetCritic64,
    ResNetGenerator64,
)

NZ, NC, SIZE, DIM = 128, 3, 64, 64  # the paper's sizes
SMALL = 8  # forward passes run at DIM 8
WEIGHT_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


pytestmark = pytest.mark.usefixtures("one_thread")  # the 101-layer nets: many tiny convolutions


def small_generators():
    return [DCGANGenerator64(NZ, NC, SIZE, SMALL), DCGANGenerator64(NZ, NC, SIZE, SMALL, "none", "tanh"),
            ConstantFilterGenerator64(NZ, NC, SIZE, SMALL), FCGenerator64(NZ, NC, SIZE, 16),
            GatedGenerator64(NZ, NC, SIZE, SMALL), ResNetGenerator64(NZ, NC, SIZE, SMALL)]


CRITICS = {"dcgan": lambda norm: DCGANCritic64(NC, SIZE, SMALL, norm),
           "tanh": lambda norm: DCGANCritic64(NC, SIZE, SMALL, norm, "tanh"),
           "gated": lambda norm: GatedCritic64(NC, SIZE, SMALL, norm),
           "resnet": lambda norm: ResNetCritic64(NC, SIZE, SMALL, norm)}


def test_dcgan_parameter_counts_by_hand():
    d = DIM
    norms_g = 2 * (8 * d + 4 * d + 2 * d + d)  # BN γ, β after the Linear and the three hidden Deconvs
    generator = (NZ * 4 * 4 * 8 * d + 4 * 4 * 8 * d)  # Linear 128 → 8DIM·4·4
    generator += (8 * d * 4 * d * 25 + 4 * d) + (4 * d * 2 * d * 25 + 2 * d) + (2 * d * d * 25 + d)  # 5×5 Deconvs
    generator += d * 3 * 25 + 3  # Deconv DIM → 3
    assert count_parameters(DCGANGenerator64(NZ, NC, SIZE, d)) == generator + norms_g == 5_364_739
    assert count_parameters(DCGANGenerator64(NZ, NC, SIZE, d, "none", "tanh")) == generator == 5_362_819
    norms_d = 2 * (2 * d + 4 * d + 8 * d)  # γ, β after the last three convs, per channel for BN and LN alike
    critic = (3 * d * 25 + d) + (d * 2 * d * 25 + 2 * d) + (2 * d * 4 * d * 25 + 4 * d) + (4 * d * 8 * d * 25 + 8 * d)
    critic += 8 * d * 4 * 4 + 1  # Linear 8DIM·4·4 → 1
    for norm in ("batch", "layer"):
        assert count_parameters(DCGANCritic64(NC, SIZE, d, norm)) == critic + norms_d == 4_316_545
    assert count_parameters(DCGANCritic64(NC, SIZE, d, "none", "tanh")) == critic == 4_314_753


def test_constant_filter_and_fc_generator_parameter_counts_by_hand():
    d = DIM
    constant = (NZ * 4 * 4 * d + 4 * 4 * d) + 3 * (d * d * 25 + d) + (d * 3 * 25 + 3)  # Linear, 3 Deconvs, Deconv → 3
    assert count_parameters(ConstantFilterGenerator64(NZ, NC, SIZE, d)) == constant == 444_291
    # four ReLU layers 128→512→512→512→512, then 512 → 3·64·64
    fc = (NZ * 512 + 512) + 3 * (512 * 512 + 512) + (512 * 3 * 64 * 64 + 3 * 64 * 64)
    assert count_parameters(FCGenerator64(NZ, NC, SIZE)) == fc == 7_157_760
    assert sum(isinstance(m, nn.Linear) for m in FCGenerator64(NZ, NC, SIZE, 16).modules()) == 5


def test_gated_parameter_counts_by_hand():
    d = DIM  # every gated layer emits twice its DCGAN width; the next layer reads the gated (halved) channels
    generator = (NZ * 4 * 4 * 16 * d + 4 * 4 * 16 * d) + 2 * 16 * d  # Linear → 16DIM×4×4, BN
    generator += (8 * d * 8 * d * 25 + 8 * d) + 2 * 8 * d  # Deconv 8DIM → 2·4DIM, BN
    generator += (4 * d * 4 * d * 25 + 4 * d) + 2 * 4 * d  # Deconv 4DIM → 2·2DIM, BN
    generator += (2 * d * 2 * d * 25 + 2 * d) + 2 * 2 * d  # Deconv 2DIM → 2·DIM, BN
    generator += d * 3 * 25 + 3  # Deconv DIM → 3
    assert count_parameters(GatedGenerator64(NZ, NC, SIZE, d)) == generator == 10_724_675
    critic = (3 * 2 * d * 25 + 2 * d)  # Conv 3 → 2·DIM, no norm
    critic += (d * 4 * d * 25 + 4 * d) + 2 * 4 * d  # Conv DIM → 2·2DIM, Norm
    critic += (2 * d * 8 * d * 25 + 8 * d) + 2 * 8 * d  # Conv 2DIM → 2·4DIM, Norm
    critic += (4 * d * 16 * d * 25 + 16 * d) + 2 * 16 * d  # Conv 4DIM → 2·8DIM, Norm
    critic += 8 * d * 4 * 4 + 1  # Linear
    for norm in ("batch", "layer"):
        assert count_parameters(GatedCritic64(NC, SIZE, d, norm)) == critic == 8_624_897


def _plain_block(c):
    h = c // 2  # 1×1 c→h, 3×3 h→h (biases), 1×1 h→c (no bias), Norm γ, β
    return (c * h + h) + (9 * h * h + h) + h * c + 2 * c


def _resampling_block(c_in, c_out, shortcut_out):
    h_in, h_out = c_in // 2, c_out // 2  # the shortcut is a 1×1 conv with bias to shortcut_out channels
    return (c_in * h_in + h_in) + (9 * h_in * h_out + h_out) + h_out * c_out + 2 * c_out \
        + (c_in * shortcut_out + shortcut_out)


def test_resnet_parameter_counts_by_hand():
    d = DIM
    widths = [8 * d, 4 * d, 2 * d, d, d // 2]  # 4, 8, 16, 32, 64 pixels
    generator = NZ * 4 * 4 * 8 * d + 4 * 4 * 8 * d  # Linear
    generator += sum(n * _plain_block(c) for n, c in zip([6, 6, 6, 6, 5], widths))
    generator += sum(_resampling_block(a, b, 4 * b) for a, b in zip(widths, widths[1:]))  # sub-pixel: 4·C_out
    generator += d // 2 * 3 + 3  # 1×1 conv DIM/2 → 3
    assert count_parameters(ResNetGenerator64(NZ, NC, SIZE, d)) == generator == 9_189_587
    widths = widths[::-1]
    critic = 3 * d // 2 + d // 2  # 1×1 conv 3 → DIM/2
    critic += sum(n * _plain_block(c) for n, c in zip([5, 6, 6, 6, 6], widths))
    critic += sum(_resampling_block(a, b, b) for a, b in zip(widths, widths[1:]))  # stride-2 1×1 shortcut
    critic += 8 * d * 4 * 4 + 1  # Linear
    for norm in ("batch", "layer"):
        assert count_parameters(ResNetCritic64(NC, SIZE, d, norm)) == critic == 7_618_801


@pytest.mark.parametrize("role", ["generator", "critic"])
def test_resnets_have_101_weight_layers(role):
    net = ResNetGenerator64(NZ, NC, SIZE, SMALL) if role == "generator" else ResNetCritic64(NC, SIZE, SMALL)
    # 33 blocks × 3 convs + the input and output layers = 101, the paper's depth; the 4 shortcut 1×1 convs of the
    # resampling blocks sit on the skip path, outside the depth, as the paper counts
    blocks = [m for m in net.modules() if type(m).__name__ == "BottleneckBlock"]
    assert len(blocks) == 33
    assert all(sum(isinstance(m, WEIGHT_LAYERS) for m in b.branch.modules()) == 3 for b in blocks)
    depth = [n for n, m in net.named_modules() if isinstance(m, WEIGHT_LAYERS) and "shortcut" not in n]
    assert len(depth) == 33 * 3 + 2 == 101
    assert sum(isinstance(m, WEIGHT_LAYERS) for m in net.modules()) == 101 + 4


def test_generators_make_64x64_images_in_tanh_range():
    z = torch.randn(4, NZ) * 3  # large codes push the outputs towards saturation
    for generator in small_generators():
        images = generator(z)
        assert images.shape == (4, NC, SIZE, SIZE)
        assert images.abs().max() <= 1
        assert images.std() > 0


@pytest.mark.parametrize("kind", CRITICS)
@pytest.mark.parametrize("norm", ["layer", "none"])
def test_critics_score_each_sample_independently_of_its_batch(kind, norm):
    critic = CRITICS[kind](norm)
    x = torch.randn(6, NC, SIZE, SIZE)
    scores = critic(x)
    assert scores.shape == (6,)
    torch.testing.assert_close(critic(x[:2]), scores[:2], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", CRITICS)
def test_batch_norm_critics_do_depend_on_the_batch(kind):
    critic = CRITICS[kind]("batch")
    x = torch.randn(6, NC, SIZE, SIZE)
    assert not torch.allclose(critic(x[:2]), critic(x)[:2], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind,norms", [("dcgan", 3), ("tanh", 3), ("gated", 3), ("resnet", 33)])
def test_layer_norm_replaces_every_critic_normalisation(kind, norms):
    modules = list(CRITICS[kind]("layer").modules())
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in modules)
    layer_norms = [m for m in modules if isinstance(m, nn.GroupNorm)]
    assert len(layer_norms) == norms and all(m.num_groups == 1 for m in layer_norms)
    batch_norms = [m for m in CRITICS[kind]("batch").modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(batch_norms) == norms


def test_generators_keep_batch_norm():
    assert sum(isinstance(m, nn.BatchNorm2d) for m in ResNetGenerator64(NZ, NC, SIZE, SMALL).modules()) == 33
    assert sum(isinstance(m, nn.BatchNorm2d) for m in GatedGenerator64(NZ, NC, SIZE, SMALL).modules()) == 4
    assert not any(isinstance(m, nn.BatchNorm2d) for m in ConstantFilterGenerator64(NZ, NC, SIZE, SMALL).modules())


def test_gate_is_sigmoid_of_even_channels_times_tanh_of_odd():
    x = torch.randn(2, 6, 3, 3)
    expected = torch.sigmoid(x[:, [0, 2, 4]]) * torch.tanh(x[:, [1, 3, 5]])
    torch.testing.assert_close(Gate()(x), expected)


def test_tanh_row_uses_tanh_everywhere():
    generator = DCGANGenerator64(NZ, NC, SIZE, SMALL, nonlinearity="tanh")
    critic = DCGANCritic64(NC, SIZE, SMALL, nonlinearity="tanh")
    for net in (generator, critic):
        kinds = {type(m) for m in net.modules()}
        assert nn.ReLU not in kinds and nn.LeakyReLU not in kinds
    assert sum(isinstance(m, nn.Tanh) for m in generator.modules()) == 4 + 1  # hidden layers + the output
    assert sum(isinstance(m, nn.Tanh) for m in critic.modules()) == 4


def test_only_the_dcgan_nets_draw_weights_with_std_002():
    bound = 0.02 * math.sqrt(3)  # tflib draws U(±√3·std)
    for net in (DCGANGenerator64(NZ, NC, SIZE, SMALL), DCGANCritic64(NC, SIZE, SMALL)):
        weights = [m.weight for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]
        assert all(w.abs().max() <= bound for w in weights)
        assert all(w.abs().max() > 0.9 * bound for w in weights)
    gated = [m.weight for m in GatedGenerator64(NZ, NC, SIZE, SMALL).modules() if isinstance(m, WEIGHT_LAYERS)]
    assert any(w.abs().max() > 1.5 * bound for w in gated)


def test_bad_choices_are_config_errors():
    with pytest.raises(ConfigError, match="generator norm 'layer'"):
        DCGANGenerator64(NZ, NC, SIZE, SMALL, norm="layer")
    with pytest.raises(ConfigError, match="did you mean 'layer'"):
        ResNetCritic64(NC, SIZE, SMALL, norm="layers")
    with pytest.raises(ConfigError, match="critic nonlinearity 'relu'"):
        DCGANCritic64(NC, SIZE, SMALL, nonlinearity="relu")
    with pytest.raises(ConfigError, match="64×64"):
        GatedCritic64(NC, 32, SMALL)
