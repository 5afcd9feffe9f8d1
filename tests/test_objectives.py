"""Losses and Lipschitz enforcement against values known in closed form."""

import math

import pytest
import torch
from torch import nn

from repro.nets import Sizes, build
from repro.objectives import GAN, LSGAN, WGAN, WGANGP, gradient_penalty


class Linear(nn.Module):
    """D(x) = w·x over all non-batch dimensions: ∇ₓD = w for every sample."""

    def __init__(self, shape):
        super().__init__()
        self.w = nn.Parameter(torch.randn(shape))

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1)


class HalfSquare(nn.Module):
    """D(x) = ½‖x‖²: ∇ₓD = x, so the gradient norm differs per sample."""

    def forward(self, x):
        return 0.5 * x.flatten(1).pow(2).sum(1)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8, 8), (2,)])
def test_penalty_of_a_linear_critic_is_lambda_norm_minus_one_squared(shape):
    torch.manual_seed(0)
    critic = Linear(shape)
    real, fake = torch.randn(5, *shape), torch.randn(5, *shape)
    loss, stats = WGANGP(gp_lambda=10.0).critic_loss(critic, real, fake, torch.Generator().manual_seed(1))
    w_norm = critic.w.detach().norm()
    assert stats["gp"].item() == pytest.approx(10 * (w_norm.item() - 1) ** 2, rel=1e-5)
    # the penalty is differentiable in the critic's weights (double backprop): d/dw λ(‖w‖−1)² = 2λ(‖w‖−1)·w/‖w‖
    (grad,) = torch.autograd.grad(stats["gp"], critic.w)
    assert torch.allclose(grad, 2 * 10 * (w_norm - 1) * critic.w.detach() / w_norm, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 3])
def test_penalty_norm_is_per_sample_over_all_non_batch_dimensions(channels):
    real = torch.randn(6, channels, 4, 4)
    fake = torch.randn(6, channels, 4, 4)
    eps = torch.rand(6, 1, 1, 1, generator=torch.Generator().manual_seed(7))
    x_hat = eps * real + (1 - eps) * fake
    per_sample = x_hat.flatten(1).norm(dim=1)  # ∇ of ½‖x‖² is x
    expected = ((per_sample - 1) ** 2).mean()
    got = gradient_penalty(HalfSquare(), real, fake, torch.Generator().manual_seed(7))
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    one_sided = gradient_penalty(HalfSquare(), real * 0.01, fake * 0.01, torch.Generator().manual_seed(7), True)
    assert one_sided.item() == 0.0  # all norms < 1: the one-sided penalty ignores them


def test_wgan_loss_and_w_estimate_signs():
    critic = Linear((2,))
    with torch.no_grad():
        critic.w.copy_(torch.tensor([1.0, 0.0]))
    real, fake = torch.tensor([[3.0, 0.0]]), torch.tensor([[1.0, 0.0]])
    loss, stats = WGAN().critic_loss(critic, real, fake, None)
    assert stats["w_estimate"].item() == pytest.approx(2.0)  # E D(real) − E D(fake)
    assert stats["loss_d_real"].item() == -3.0 and stats["loss_d_fake"].item() == -1.0
    assert loss.item() == pytest.approx(-2.0)
    assert WGAN().generator_loss(critic, fake).item() == -1.0


def test_gan_js_estimate_bounds():
    class Constant(nn.Module):
        def __init__(self, real_logit, fake_logit):
            super().__init__()
            self.r, self.f = real_logit, fake_logit

        def forward(self, x):
            return torch.full((x.shape[0],), self.r if x.sum() > 0 else self.f)

    real, fake = torch.ones(4, 2), -torch.ones(4, 2)
    _, undecided = GAN().critic_loss(Constant(0.0, 0.0), real, fake, None)
    assert undecided["js_estimate"].item() == pytest.approx(0.0, abs=1e-6)  # D = ½ everywhere
    _, perfect = GAN().critic_loss(Constant(30.0, -30.0), real, fake, None)
    assert perfect["js_estimate"].item() == pytest.approx(math.log(2), abs=1e-6)  # JS saturates at log 2
    assert GAN().generator_loss(Constant(0.0, 0.0), fake).item() == pytest.approx(math.log(2))  # −log D(G(z))


def test_halved_gan_loss_is_the_mean_of_the_two_cross_entropies_and_keeps_the_js_estimate():
    """WGAN-GP's MODE dcgan (gan_cifar.py, gan_64x64.py, gan_mnist.py): disc_cost = ½[BCE(D(x̃), 0) + BCE(D(x), 1)];
    with real logit 2 and fake logit −1: ½[log(1 + e⁻²) + log(1 + e⁻¹)] = ½(0.126928 + 0.313262) = 0.220095."""
    critic = Linear((1,))
    with torch.no_grad():
        critic.w.fill_(1.0)
    real, fake = torch.tensor([[2.0]]), torch.tensor([[-1.0]])
    summed, whole = GAN().critic_loss(critic, real, fake, None)
    halved, half = GAN(halved=True).critic_loss(critic, real, fake, None)
    assert halved.item() == pytest.approx(0.220095, abs=1e-6) and summed.item() == pytest.approx(0.440190, abs=1e-6)
    assert half["loss_d"].item() == pytest.approx(half["loss_d_real"].item() + half["loss_d_fake"].item())
    assert half["loss_d_real"].item() == pytest.approx(0.5 * math.log(1 + math.exp(-2)), abs=1e-7)
    assert half["js_estimate"].item() == pytest.approx(whole["js_estimate"].item())  # ½·L + log 2 either way
    assert GAN(halved=True).generator_loss(critic, fake).item() == pytest.approx(math.log(1 + math.e))  # not halved


def test_lsgan_losses():
    critic = Linear((1,))
    with torch.no_grad():
        critic.w.fill_(1.0)
    loss, stats = LSGAN().critic_loss(critic, torch.tensor([[3.0]]), torch.tensor([[2.0]]), None)
    assert loss.item() == pytest.approx(0.5 * (3 - 1) ** 2 + 0.5 * 2 ** 2)
    assert LSGAN().generator_loss(critic, torch.tensor([[2.0]])).item() == pytest.approx(1.0)


@pytest.mark.parametrize("when", ["before_step", "after_step"])
def test_clipping_bounds_every_critic_parameter_including_batch_norm(when):
    critic = build("dcgan_d", Sizes(nc=3, isize=16, width=8))
    objective = WGAN(clip=0.01, clip_when=when)
    objective.before_critic_step(critic)
    objective.after_critic_step(critic)
    params = dict(critic.named_parameters())
    assert any(".weight" in k and p.dim() == 1 for k, p in params.items())  # BN γ is among them
    assert all(p.abs().max() <= 0.01 for p in params.values())
    running_vars = [b for name, b in critic.named_buffers() if name.endswith("running_var")]
    assert running_vars and all((v == 1).all() for v in running_vars)  # buffers are not parameters: untouched
