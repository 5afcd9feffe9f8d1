"""gan_cifar_resnet.py's ResNet (spec/wgangp.md Table 3, Appendix F, §3.4) and gan_mnist.py's nets (§3.2):
parameter counts by hand at the papers' widths, shapes, and the structural facts the ports must keep."""

import pytest
import torch
from torch import nn

from repro.errors import ConfigError
from repro.nets import count_parameters
from repro.nets.mnist import MNISTCritic, MNISTGenerator
from repro.nets.resnet32 import ConditionalBatchNorm2d, ResBlock, ResNetCritic, ResNetGenerator
from repro.nets.tflib import Conv2d, Deconv2d
from tests.conftest import input_sizes


def test_resnet_parameter_counts_by_hand():
    # DIM_G = DIM_D = 128, z 128, 10 classes; every tflib conv and Linear has a bias.
    d, k = 128, 10
    conv3, conv1 = d * d * 9 + d, d * d + d  # 3×3 and 1×1 conv DIM→DIM
    up_block = 2 * conv3 + conv1  # two 3×3 convs and the upsampling 1×1 shortcut
    generator = (128 * 16 * d + 16 * d) + 3 * (up_block + 2 * 2 * d) + 2 * d + (d * 3 * 9 + 3)  # Linear, 3 blocks
    # with 2 BNs each, the output BN, the output conv
    assert count_parameters(ResNetGenerator(128, 3, 32, d)) == generator == 1_204_483
    # conditional: each block BN holds (10, C) γ and β tables; the output BN is called without labels in the code
    conditional = generator + 3 * 2 * (2 * k * d - 2 * d)
    assert count_parameters(ResNetGenerator(128, 3, 32, d, n_classes=k)) == conditional == 1_218_307
    first = (3 * d * 9 + d) + conv3 + (3 * d + d)  # conv 3→DIM, conv DIM→DIM, shortcut 1×1 3→DIM
    critic = first + (2 * conv3 + conv1) + 2 * (2 * conv3) + (d + 1)  # down block, two identity-shortcut blocks
    assert count_parameters(ResNetCritic(3, 32, d)) == critic == 1_053_825
    assert count_parameters(ResNetCritic(3, 32, d, n_classes=k)) == critic + (d * k + k) == 1_055_115


def test_resnet_shapes_and_interfaces():
    z, labels = torch.randn(5, 128), torch.arange(5)
    images = ResNetGenerator(128, 3, 32, 8)(z)
    assert images.shape == (5, 3, 32, 32) and images.abs().max() <= 1
    generator = ResNetGenerator(128, 3, 32, 8, n_classes=10)
    assert generator(z, labels).shape == (5, 3, 32, 32)
    with pytest.raises(ValueError, match="label"):
        generator(z)
    critic = ResNetCritic(3, 32, 8, n_classes=10)
    scores, logits = critic.scores_and_logits(images)
    assert scores.shape == (5,) and logits.shape == (5, 10)
    torch.testing.assert_close(critic(images), scores)  # forward is the score head of the same pass
    with pytest.raises(ConfigError, match="AC-GAN"):
        ResNetCritic(3, 32, 8).scores_and_logits(images)


def test_resnet_critic_resolutions_and_no_normalisation():
    critic = ResNetCritic(3, 32, 8)
    assert input_sizes(critic.blocks, lambda: critic(torch.randn(2, 3, 32, 32))) == [32, 16, 8, 8]
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, ConditionalBatchNorm2d)) for m in critic.modules())
    first, down = critic.blocks[0], critic.blocks[1]
    # the first block pools before its 1×1 shortcut conv, the down block after it (spec §7)
    assert isinstance(first.shortcut[0], nn.AvgPool2d) and isinstance(down.shortcut[-1], nn.AvgPool2d)


def test_conditional_bn_with_equal_labels_is_bn_with_that_class_gamma_beta():
    torch.manual_seed(0)
    cbn, bn = ConditionalBatchNorm2d(4, 3), nn.BatchNorm2d(4)
    assert (cbn.scale.weight == 1).all() and (cbn.offset.weight == 0).all()  # tflib's init
    with torch.no_grad():
        cbn.scale.weight.normal_(), cbn.offset.weight.normal_()
        bn.weight.copy_(cbn.scale.weight[2]), bn.bias.copy_(cbn.offset.weight[2])
    x = torch.randn(6, 4, 5, 5)
    torch.testing.assert_close(cbn(x, torch.full((6,), 2)), bn(x))


def test_labels_change_the_conditional_generator_output():
    torch.manual_seed(0)
    generator = ResNetGenerator(128, 3, 32, 8, n_classes=10)
    with torch.no_grad():  # at init every class has γ 1, β 0; give the classes their own tables
        for m in generator.modules():
            if isinstance(m, ConditionalBatchNorm2d):
                m.scale.weight.normal_(1, 0.5), m.offset.weight.normal_(0, 0.5)
    z = torch.randn(4, 128)
    same = generator(z, torch.tensor([0, 1, 2, 3]))
    torch.testing.assert_close(generator(z, torch.tensor([0, 1, 2, 3])), same)
    assert (generator(z, torch.tensor([3, 2, 1, 0])) - same).abs().amax(dim=(1, 2, 3)).min() > 1e-3


@pytest.mark.parametrize("upsample_at,sizes", [("first", [8, 8]), ("second", [4, 8])])
def test_upsample_before_the_first_or_the_second_convolution(upsample_at, sizes):
    torch.manual_seed(0)
    block = ResBlock(6, 6, "up", upsample_at=upsample_at)
    convs = [m for m in block.modules() if isinstance(m, Conv2d) and m.conv.kernel_size == (3, 3)]
    assert input_sizes(convs, lambda: block(torch.randn(2, 6, 4, 4))) == sizes
    assert count_parameters(block) == 2 * (6 * 6 * 9 + 6) + (6 * 6 + 6) + 2 * 2 * 6


def test_resnet_refuses_bad_configurations():
    with pytest.raises(ConfigError, match="upsample_at"):
        ResNetGenerator(128, 3, 32, 8, upsample_at="middle")
    with pytest.raises(ConfigError, match="32×32"):
        ResNetCritic(3, 64, 8)


def test_resnet_glorot_output_conv():
    out = ResNetGenerator(128, 3, 32, 128).output[2].conv.weight
    bound = 3 ** 0.5 * (2 / (128 * 9 + 3 * 9)) ** 0.5  # tflib he_init=False: fan_in 128·9, fan_out 3·9
    assert out.abs().max() <= bound and out.abs().max() > 0.9 * bound


def test_mnist_parameter_counts_by_hand():
    # gan_mnist.py: DIM 64, z 128; 5×5 (de)convolutions and Linears with biases.
    d = 64
    generator = (128 * 64 * d + 64 * d) + (4 * d * 2 * d * 25 + 2 * d) + (2 * d * d * 25 + d) + (d * 25 + 1)
    bn_g = 2 * 64 * d + 2 * 2 * d + 2 * d  # per unit after the Linear, per channel after the two deconvs
    assert count_parameters(MNISTGenerator(128, 1, 28, d)) == generator == 1_554_177
    assert count_parameters(MNISTGenerator(128, 1, 28, d, batch_norm=True)) == generator + bn_g == 1_562_753
    critic = (25 * d + d) + (d * 2 * d * 25 + 2 * d) + (2 * d * 4 * d * 25 + 4 * d) + (16 * 4 * d + 1)
    assert count_parameters(MNISTCritic(1, 28, d, norm="none")) == critic == 1_030_145
    for norm in ("batch", "layer"):
        assert count_parameters(MNISTCritic(1, 28, d, norm=norm)) == critic + 2 * 2 * d + 2 * 4 * d == 1_030_913


def test_mnist_shapes_range_and_crop():
    generator = MNISTGenerator(128, 1, 28, 8)
    second_deconv = [m for m in generator.modules() if isinstance(m, Deconv2d)][1]
    shapes = []
    second_deconv.register_forward_pre_hook(lambda _, args: shapes.append(tuple(args[0].shape)))
    images = generator(torch.randn(5, 128))
    assert shapes == [(5, 16, 7, 7)]
    assert images.shape == (5, 1, 28, 28) and images.min() >= 0 and images.max() <= 1  # sigmoid, not tanh
    assert MNISTCritic(1, 28, 8, norm="batch")(images).shape == (5,)
    # on the odd 7×7 input the deconvolution is still TF 'SAME': the adjoint of the 14 → 7 'SAME' convolution
    conv = Conv2d(3, 2, 5, 2, biases=False).double()
    deconv = Deconv2d(2, 3, 5, biases=False).double()
    with torch.no_grad():
        deconv.deconv.weight.copy_(conv.conv.weight)
    x, y = torch.randn(2, 3, 14, 14, dtype=torch.float64), torch.randn(2, 2, 7, 7, dtype=torch.float64)
    torch.testing.assert_close((conv(x) * y).sum(), (x * deconv(y)).sum())


def test_mnist_critic_pads_7_pixels_as_tensorflow_same():
    conv = MNISTCritic(1, 28, 1, norm="none").main[-2]
    with torch.no_grad():
        conv.conv.weight.zero_()
        conv.conv.weight[:, :, 2, 2] = 1  # the centre tap of every channel pair
        conv.conv.bias.zero_()
    x = torch.randn(3, 2, 7, 7)
    # TF 'SAME' on 7 pixels pads 2 each side: output i is centred on input 2i, giving 4 pixels, not 3
    torch.testing.assert_close(conv(x), x[:, :, ::2, ::2].sum(1, keepdim=True).expand(3, 4, 4, 4))


def test_mnist_nets_refuse_bad_configurations():
    with pytest.raises(ConfigError, match="critic_norm"):
        MNISTCritic(1, 28, 8, norm="instance")
    with pytest.raises(ConfigError, match="28×28"):
        MNISTGenerator(128, 1, 32, 8)
