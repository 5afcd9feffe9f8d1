"""The four objectives compared by the papers, and how each keeps its critic in check.

Sign convention: every critic D scores real data high (the papers' f). The logged values then equal the
official codes' printouts: `loss_d_real` = −E[D(x)] and `loss_d_fake` = −E[D(G(z))] are the WGAN code's
Loss_D_real / Loss_D_fake (its critic is −f), `loss_d` = their difference (+ penalty) is both codes' critic
cost, `w_estimate` = −(loss_d_real − loss_d_fake) the Wasserstein estimate of WGAN Fig 3, and `loss_g` the
generator cost. Critics return per-sample scores; the batch mean is taken here.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from repro.errors import ConfigError

Stats = dict[str, torch.Tensor]


class Objective:
    """Losses of one GAN family. `before_critic_step` / `after_critic_step` enforce the Lipschitz constraint."""

    name = ""

    def critic_loss(self, critic: nn.Module, real, fake, rng: torch.Generator) -> tuple[torch.Tensor, Stats]:
        raise NotImplementedError

    def generator_loss(self, critic: nn.Module, fake) -> torch.Tensor:
        raise NotImplementedError

    def before_critic_step(self, critic: nn.Module) -> None:
        pass

    def after_critic_step(self, critic: nn.Module) -> None:
        pass


class GAN(Objective):
    """Standard GAN: BCE on logits for D, the −log D(G(z)) trick for G (WGAN paper's baseline, spec/wgan.md §6.3).

    loss_d = BCE(real, 1) + BCE(fake, 0) = −L(D, g), so the JS estimate of WGAN Fig 4 is ½·L + log 2. `halved`: the
    WGAN-GP scripts' MODE dcgan, whose discriminator cost is half that sum (so are the logged real and fake terms);
    the JS estimate is the same either way.
    """

    name = "gan"

    def __init__(self, halved: bool = False):
        self.scale = 0.5 if halved else 1.0

    def critic_loss(self, critic, real, fake, rng):
        d_real, d_fake = critic(real), critic(fake)
        loss_real = self.scale * F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
        loss_fake = self.scale * F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        loss = loss_real + loss_fake
        return loss, {"loss_d": loss, "loss_d_real": loss_real, "loss_d_fake": loss_fake,
                      "js_estimate": math.log(2.0) - 0.5 / self.scale * loss}

    def generator_loss(self, critic, fake):
        d_fake = critic(fake)
        return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


class LSGAN(Objective):
    """Least squares GAN as in WGAN-GP's gan_64x64.py: D ½[(D(x)−1)² + D(G(z))²], G (D(G(z))−1)²."""

    name = "lsgan"

    def critic_loss(self, critic, real, fake, rng):
        loss_real = 0.5 * (critic(real) - 1).pow(2).mean()
        loss_fake = 0.5 * critic(fake).pow(2).mean()
        loss = loss_real + loss_fake
        return loss, {"loss_d": loss, "loss_d_real": loss_real, "loss_d_fake": loss_fake}

    def generator_loss(self, critic, fake):
        return (critic(fake) - 1).pow(2).mean()


class Wasserstein(Objective):
    """Critic maximises E[D(x)] − E[D(G(z))], the generator maximises E[D(G(z))]."""

    def critic_loss(self, critic, real, fake, rng):
        neg_real, neg_fake = -critic(real).mean(), -critic(fake).mean()
        loss = neg_real - neg_fake
        return loss, {"loss_d": loss, "loss_d_real": neg_real, "loss_d_fake": neg_fake, "w_estimate": -loss}

    def generator_loss(self, critic, fake):
        return -critic(fake).mean()


class WGAN(Wasserstein):
    """Lipschitz by clipping every critic parameter (BN γ/β included) to ±c.

    clip_when="before_step" is the official code (clamp at the start of each critic iteration, so the generator
    sees the critic as its last RMSProp step left it); "after_step" is the paper's Algorithm 1.
    """

    name = "wgan"

    def __init__(self, clip: float = 0.01, clip_when: str = "before_step"):
        if clip_when not in ("before_step", "after_step"):
            raise ConfigError(f"clip_when {clip_when!r}: allowed values are 'before_step', 'after_step'")
        self.clip, self.clip_when = clip, clip_when

    def _clip(self, critic):
        with torch.no_grad():
            params = list(critic.parameters())
            torch._foreach_clamp_min_(params, -self.clip)
            torch._foreach_clamp_max_(params, self.clip)

    def before_critic_step(self, critic):
        if self.clip_when == "before_step":
            self._clip(critic)

    def after_critic_step(self, critic):
        if self.clip_when == "after_step":
            self._clip(critic)


def gradient_penalty(critic, real, fake, rng: torch.Generator, one_sided: bool = False) -> torch.Tensor:
    """E[(‖∇D(x̂)‖₂ − 1)²] on x̂ = ε·x + (1−ε)·x̃, ε ~ U[0, 1] per sample (WGAN-GP Algorithm 1).

    The norm is per sample over all non-batch dimensions, so 1-channel and 3-channel images are treated alike;
    create_graph=True keeps the penalty differentiable with respect to the critic's weights (double backprop).
    One-sided (App. C): only norms above 1 are penalised.
    """
    stream = rng.device if rng is not None else real.device  # a CPU stream on a CUDA run: `check gpu`
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=rng, device=stream).to(real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    excess = grad.flatten(1).norm(2, dim=1) - 1
    if one_sided:
        excess = excess.clamp(min=0)
    return excess.pow(2).mean()


class WGANGP(Wasserstein):
    """WGAN loss plus λ·gradient penalty instead of clipping (WGAN-GP). The logged `gp` includes λ."""

    name = "wgan-gp"

    def __init__(self, gp_lambda: float = 10.0, one_sided: bool = False):
        self.gp_lambda, self.one_sided = gp_lambda, one_sided

    def critic_loss(self, critic, real, fake, rng):
        loss, stats = super().critic_loss(critic, real, fake, rng)
        gp = self.gp_lambda * gradient_penalty(critic, real, fake, rng, self.one_sided)
        return loss + gp, {**stats, "loss_d": loss + gp, "gp": gp}


OBJECTIVES = ("gan", "wgan", "wgan-gp", "lsgan")


def make_objective(name: str, clip: float, clip_when: str, gp_lambda: float, gp_one_sided: bool,
                   gan_halved: bool = False) -> Objective:
    if name == "gan":
        return GAN(gan_halved)
    if name == "lsgan":
        return LSGAN()
    if name == "wgan":
        return WGAN(clip, clip_when)
    if name == "wgan-gp":
        return WGANGP(gp_lambda, gp_one_sided)
    raise ConfigError(f"unknown objective {name!r}; allowed values: {', '.join(OBJECTIVES)}")
