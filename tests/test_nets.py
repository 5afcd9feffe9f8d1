"""Architectures match the official code: parameter counts from spec/wgan.md §3, shapes, inits."""

import json

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets import ARCHITECTURES, Sizes, build, count_parameters, paper_sizes
from tests.conftest import repro_cli

# spec/wgan.md §3 at nz=100, nc=3, 64×64, ngf=ndf=64 (DCGAN) / 512 (MLP).
PAPER_COUNTS = {"dcgan_g": 3576704, "dcgan_d": 2765568, "dcgan_g_nobn": 3574784, "nobn_const_g": 302080,
                "mlp_g": 6880768, "mlp_d": 6817793}


def test_models_json_gives_the_paper_parameter_counts():
    result = repro_cli("models", "--json", check=True)
    counts = json.loads(result.stdout)
    assert {k: counts[k] for k in PAPER_COUNTS} == PAPER_COUNTS
    assert set(counts) == set(ARCHITECTURES)


def test_parameter_counts_by_hand():
    # nobn_const_g: ConvT 100→64 (4×4), three ConvT 64→64, ConvT 64→3; no biases, no BN.
    assert count_parameters(build("nobn_const_g", paper_sizes("nobn_const_g"))) == 100 * 64 * 16 + 3 * 64 * 64 * 16 \
        + 64 * 3 * 16
    # mlp_d: 12288→512→512→512→1 with biases.
    assert count_parameters(build("mlp_d", paper_sizes("mlp_d"))) == 12288 * 512 + 512 + 2 * (512 * 512 + 512) + 513
    # toy nets of gan_toy.py: 2→512→512→512→(2|1) with biases.
    assert count_parameters(build("toy_g", paper_sizes("toy_g"))) == 2 * 512 + 512 + 2 * (512 * 512 + 512) + 512 * 2 + 2


def test_fig1b_nets_have_12_hidden_relu_layers_and_13_linear_layers():
    # 2→512, eleven 512→512, 512→(1|2), with biases: 2,891,265 (critic) and 2,891,778 (generator).
    critic, generator = (build(n, paper_sizes(n)) for n in ("toy_deep_d", "toy_deep_g"))
    assert count_parameters(critic) == 2 * 512 + 512 + 11 * (512 * 512 + 512) + 512 + 1 == 2_891_265
    assert count_parameters(generator) == 2 * 512 + 512 + 11 * (512 * 512 + 512) + 512 * 2 + 2 == 2_891_778
    assert sum(isinstance(m, torch.nn.Linear) for m in critic.modules()) == 13
    assert sum(isinstance(m, torch.nn.ReLU) for m in critic.modules()) == 12


def test_cifar_parameter_counts_by_hand():
    # gan_cifar.py, DIM 128, z 128 (spec/wgangp.md §3.3); tflib convs and Linears have biases.
    dim = 128
    generator = (128 * 64 * dim + 64 * dim) + 2 * 64 * dim  # Linear → 4·4·4·DIM, BN per unit
    generator += (4 * dim * 2 * dim * 25 + 2 * dim) + 2 * 2 * dim  # Deconv 4DIM→2DIM, BN
    generator += (2 * dim * dim * 25 + dim) + 2 * dim  # Deconv 2DIM→DIM, BN
    generator += dim * 3 * 25 + 3  # Deconv DIM→3
    assert count_parameters(build("cifar_g", paper_sizes("cifar_g"))) == generator == 5179907
    critic_gp = (3 * dim * 25 + dim) + (dim * 2 * dim * 25 + 2 * dim) + (2 * dim * 4 * dim * 25 + 4 * dim) \
        + (64 * dim + 1)  # three convs and the Linear, no BN (wgan-gp)
    sizes = paper_sizes("cifar_d")
    assert count_parameters(build("cifar_d", sizes)) == critic_gp + 2 * 2 * dim + 2 * 4 * dim == 4116225
    assert count_parameters(build("cifar_d", Sizes(**{**sizes.__dict__, "critic_norm": "none"}))) == critic_gp


def test_cifar_convolutions_pad_as_tensorflow_same():
    from repro.nets.tflib import Conv2d, Deconv2d

    conv = Conv2d(1, 1, 5, 2)
    with torch.no_grad():
        conv.conv.weight.zero_()
        conv.conv.weight[0, 0, 2, 2] = 1  # the centre tap
    x = torch.randn(2, 1, 32, 32)
    # TF 'SAME', stride 2, 5×5 on 32 pixels pads 1 before and 2 after: output i sees input 2i + 1 at its centre
    torch.testing.assert_close(conv(x), x[:, :, 1::2, 1::2])
    # the transposed convolution is the adjoint of the convolution with the same weights: <Ax, y> = <x, Aᵀy>
    conv, deconv = Conv2d(3, 4, 5, 2), Deconv2d(4, 3, 5)
    with torch.no_grad():
        deconv.deconv.weight.copy_(conv.conv.weight)
        conv.conv.bias.zero_()
        deconv.deconv.bias.zero_()
    x, y = torch.randn(2, 3, 16, 16, dtype=torch.float64), torch.randn(2, 4, 8, 8, dtype=torch.float64)
    conv.double(), deconv.double()
    assert deconv(y).shape == x.shape
    torch.testing.assert_close((conv(x) * y).sum(), (x * deconv(y)).sum())


def test_cifar_nets_refuse_other_sizes():
    with pytest.raises(ConfigError, match="32×32"):
        build("cifar_g", Sizes(nz=128, isize=64, width=8))


@pytest.mark.parametrize("name", [n for n, a in ARCHITECTURES.items() if a.family in ("conv", "mlp")])  # any size
@pytest.mark.parametrize("nc,isize", [(1, 16), (3, 32), (3, 64)])
def test_image_nets_map_between_noise_and_images(name, nc, isize):
    arch = ARCHITECTURES[name]
    net = build(name, Sizes(nz=100, nc=nc, isize=isize, width=8))
    if arch.role == "generator":
        out = net(torch.randn(3, 100))
        assert out.shape == (3, nc, isize, isize)
        if name != "mlp_g":  # MLP_G has no output nonlinearity (spec/wgan.md §3.4)
            assert out.abs().max() <= 1
    else:
        assert net(torch.randn(3, nc, isize, isize)).shape == (3,)


def test_extra_layers_add_3x3_conv_bn_blocks():
    base = count_parameters(build("dcgan_d", Sizes(width=64)))
    extra = count_parameters(build("dcgan_d", Sizes(width=64, n_extra_layers=2)))
    assert extra - base == 2 * (64 * 64 * 9 + 2 * 64)


def test_official_init():
    torch.manual_seed(0)
    g = build("dcgan_g", paper_sizes("dcgan_g"))
    convs = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)])
    gammas = torch.cat([m.weight for m in g.modules() if isinstance(m, nn.BatchNorm2d)])
    assert abs(convs.std().item() - 0.02) < 1e-3 and abs(convs.mean().item()) < 1e-3
    assert abs(gammas.mean().item() - 1) < 5e-3 and abs(gammas.std().item() - 0.02) < 5e-3
    assert all(m.bias is None for m in g.modules() if isinstance(m, nn.ConvTranspose2d))
    toy = build("toy_d", paper_sizes("toy_d"))
    hidden, last = toy.main[0], toy.main[-1]
    assert hidden.weight.abs().max() <= (6 / 2) ** 0.5 and (hidden.bias == 0).all()
    assert last.weight.abs().max() <= (6 / (512 + 1)) ** 0.5


def test_layer_norm_critic_normalises_each_sample_over_c_h_w():
    d = build("dcgan_d", Sizes(nc=3, isize=32, width=8, critic_norm="layer"))
    norms = [m for m in d.modules() if isinstance(m, nn.GroupNorm)]
    assert norms and all(m.num_groups == 1 for m in norms)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
