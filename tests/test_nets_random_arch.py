"""The random-architecture family (spec/wgangp.md §1 Tables 1-2/5, Appendices C-D): sampler, nonlinearity, layout."""

import dataclasses
import math

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets import count_parameters
from repro.nets.random_arch import NONLINEARITIES, RandomArchCritic, RandomArchGenerator, SmoothELU
from repro.nets.table1 import (
    DCGAN_BASELINE,
    NONLINEARITY_NAMES,
    TABLE_1,
    ArchChoice,
    sample_architecture,
    sample_architectures,
)
from repro.nets.tflib import Conv2d, Deconv2d


def _nets(choice, norm="batch"):
    return RandomArchGenerator(128, 3, 32, choice), RandomArchCritic(3, 32, choice, norm)


def _count(module, kind):
    return sum(isinstance(m, kind) for m in module.modules())


def test_sampler_is_reproducible_and_prefix_stable():
    sweep = sample_architectures(50, seed=7)
    assert sweep == sample_architectures(50, seed=7)
    assert sample_architectures(12, seed=7) == sweep[:12]
    assert sample_architecture(37, seed=7) == sweep[37]  # one run of the sweep rebuilds only its own net
    assert sample_architectures(50, seed=8) != sweep
    assert len(set(sweep)) > 45  # 4²·4²·2²·3² = 9216 combinations: collisions are rare


def test_every_table_1_value_occurs_in_200_samples():
    sweep = sample_architectures(200, seed=0)
    for name, values in TABLE_1.items():
        assert {getattr(choice, name) for choice in sweep} == set(values), name
    assert TABLE_1["nonlinearity_g"] == ("relu", "lrelu", "softplus", "tanh")
    assert TABLE_1["depth_d"] == (4, 8, 12, 20) and TABLE_1["filters_g"] == (32, 64, 128)


def test_choices_outside_table_1_are_refused():
    with pytest.raises(ConfigError, match="depth_g 6"):
        dataclasses.replace(DCGAN_BASELINE, depth_g=6)
    with pytest.raises(ConfigError, match="nonlinearity_d 'swish'"):
        dataclasses.replace(DCGAN_BASELINE, nonlinearity_d="swish")
    with pytest.raises(ConfigError, match="filters_g 'elu'"):  # ELU (App. D) is a nonlinearity only
        dataclasses.replace(DCGAN_BASELINE, filters_g="elu")
    assert dataclasses.replace(DCGAN_BASELINE, nonlinearity_d="elu").nonlinearity_d == "elu"


def test_smooth_elu_is_softplus_2x_plus_2_over_2_minus_1():
    act = SmoothELU()
    x = torch.tensor([-30.0, 0.0, 30.0], requires_grad=True)
    y = act(x)
    y.sum().backward()
    assert y[1].item() == pytest.approx(math.log1p(math.exp(2)) / 2 - 1)  # 0.0635: not ELU's 0
    assert y[0].item() == pytest.approx(-1, abs=1e-6) and y[2].item() == pytest.approx(30, abs=1e-6)
    slope_at_0 = 1 / (1 + math.exp(-2))  # d/dx = sigmoid(2x + 2)
    torch.testing.assert_close(x.grad, torch.tensor([0.0, slope_at_0, 1.0]), atol=1e-6, rtol=0)


def test_each_table_1_nonlinearity_name_builds_its_module():
    assert tuple(NONLINEARITIES) == (*NONLINEARITY_NAMES, "elu")  # ELU: App. D's runs, not a Table 1 draw
    x = torch.tensor([-1.0, 2.0])
    built = {name: NONLINEARITIES[name]()(x).tolist() for name in NONLINEARITIES}
    assert built["elu"] == pytest.approx([math.exp(-1) - 1, 2.0])  # ELU, α = 1
    assert built["relu"] == [0.0, 2.0] and built["lrelu"] == pytest.approx([-0.2, 2.0])
    assert built["tanh"] == pytest.approx([math.tanh(-1), math.tanh(2)]) and isinstance(NONLINEARITIES["softplus"](),
                                                                                        SmoothELU)


def test_baseline_is_the_template_dcgan_and_its_parameter_counts_by_hand():
    assert DCGAN_BASELINE == ArchChoice("relu", "lrelu", 4, 4, True, True, 64, 64)
    generator, critic = _nets(DCGAN_BASELINE)
    f = 64  # z 128, 3 channels; tflib convs and Linears have biases; BN/LN have 2 parameters per channel
    expected_g = (128 * 4 * 4 * 4 * f + 4 * 4 * 4 * f) + 2 * 4 * f  # Linear → 4F×4×4, BN per channel
    expected_g += (4 * f * 2 * f * 25 + 2 * f) + 2 * 2 * f  # Deconv 5×5 4F→2F, BN
    expected_g += (2 * f * f * 25 + f) + 2 * f  # Deconv 2F→F, BN
    expected_g += f * 3 * 25 + 3  # Deconv F→3
    assert count_parameters(generator) == expected_g == 1_558_275
    expected_d = (3 * f * 25 + f) + (f * 2 * f * 25 + 2 * f) + 2 * 2 * f  # Conv 5×5 3→F, Conv F→2F, BN
    expected_d += (2 * f * 4 * f * 25 + 4 * f) + 2 * 4 * f + (4 * 4 * 4 * f + 1)  # Conv 2F→4F, BN, Linear → 1
    assert count_parameters(critic) == expected_d == 1_034_113
    assert count_parameters(RandomArchCritic(3, 32, DCGAN_BASELINE, "layer")) == expected_d
    no_norm = dataclasses.replace(DCGAN_BASELINE, bn_g=False, bn_d=False)
    assert count_parameters(RandomArchGenerator(128, 3, 32, no_norm)) == expected_g - 2 * (4 * f + 2 * f + f)
    assert count_parameters(RandomArchCritic(3, 32, no_norm, "layer")) == expected_d - 2 * (2 * f + 4 * f)


@pytest.mark.parametrize("depth", [4, 8, 12, 20])
def test_depth_adds_3x3_convs_at_8x8(depth):
    choice = dataclasses.replace(DCGAN_BASELINE, depth_g=depth, depth_d=depth, filters_g=32, filters_d=32)
    generator, critic = _nets(choice)
    assert (_count(generator, Conv2d), _count(generator, Deconv2d)) == (depth - 4, 3)
    assert _count(critic, Conv2d) == 3 + depth - 4
    sizes = []
    for module in [*generator.modules(), *critic.modules()]:
        if isinstance(module, Conv2d) and module.conv.kernel_size == (3, 3):
            module.register_forward_hook(lambda m, inputs, out: sizes.append((inputs[0].shape[1:], out.shape[1:])))
    critic(generator(torch.randn(2, 128)))
    assert sizes == [((64, 8, 8), (64, 8, 8))] * (2 * (depth - 4))  # 2F channels in and out, resolution kept


def test_depth_8_adds_four_conv_norm_units_of_parameters():
    deeper = dataclasses.replace(DCGAN_BASELINE, depth_g=8, depth_d=8)
    unit = 128 * 128 * 9 + 128 + 2 * 128  # Conv 3×3 2F→2F with bias, then BN/LN on 2F = 128 channels
    assert unit == 147_840
    for norm in ("batch", "layer"):
        (g, d), (g8, d8) = _nets(DCGAN_BASELINE, norm), _nets(deeper, norm)
        assert count_parameters(g8) - count_parameters(g) == count_parameters(d8) - count_parameters(d) == 4 * unit


def test_sampled_architectures_give_images_and_one_score_per_sample():
    for choice, norm in zip(sample_architectures(4, seed=1), ["batch", "layer"] * 2):
        generator, critic = _nets(dataclasses.replace(choice, filters_g=32, filters_d=32), norm)
        images = generator(torch.randn(2, 128))
        assert images.shape == (2, 3, 32, 32) and images.abs().max() <= 1
        assert critic(images).shape == (2,)


def test_choice_sets_each_nets_nonlinearity_and_normalisation():
    choice = ArchChoice("tanh", "softplus", 8, 12, True, True, 32, 32)
    generator, critic = _nets(choice, "layer")
    assert _count(generator, nn.Tanh) == 3 + 4 + 1  # after the Linear and 2 deconvs, 4 extra convs; tanh output
    assert _count(generator, nn.BatchNorm2d) == 3 + 4 and _count(generator, nn.GroupNorm) == 0
    assert _count(critic, SmoothELU) == 3 + 8 and _count(critic, nn.ReLU) == 0
    assert _count(critic, nn.GroupNorm) == 2 + 8 and _count(critic, nn.BatchNorm2d) == 0
    assert all(m.num_groups == 1 for m in critic.modules() if isinstance(m, nn.GroupNorm))  # per-sample over C,H,W
    assert _count(RandomArchCritic(3, 32, dataclasses.replace(choice, bn_d=False), "batch"), nn.BatchNorm2d) == 0
    lrelu = RandomArchCritic(3, 32, dataclasses.replace(choice, nonlinearity_d="lrelu"))
    assert {m.negative_slope for m in lrelu.modules() if isinstance(m, nn.LeakyReLU)} == {0.2}


def test_bad_norm_and_image_size_are_refused():
    with pytest.raises(ConfigError, match="critic_norm 'instance'"):
        RandomArchCritic(3, 32, DCGAN_BASELINE, "instance")
    with pytest.raises(ConfigError, match="32×32"):
        RandomArchGenerator(128, 3, 64, DCGAN_BASELINE)
