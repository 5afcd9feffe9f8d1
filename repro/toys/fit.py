"""A critic (or GAN discriminator) trained to near optimality between two fixed distributions.

WGAN Figs 1-2 and WGAN-GP Fig 1a all ask the same question - what does the optimal critic of each objective look
like, and what distance does it estimate - so one loop serves them: no generator, only critic steps on batches
from `draw`, with the objective and optimizer classes the training runs use.
"""

from typing import Callable

import torch

from repro.nets.toy import ToyMLP
from repro.objectives import make_objective
from repro.optim import make_optimizer
from repro.registry import CriticFit

Batches = Callable[[], tuple[torch.Tensor, torch.Tensor]]


def fit_critic(fit: CriticFit, draw: Batches, n_in: int, seed: int, steps: int | None = None,
               width: int | None = None) -> ToyMLP:
    """Trains a fresh `fit.depth`-layer ReLU MLP for `steps` (default `fit.steps`) critic steps on (real, fake)
    batches from `draw`; a drawn pair serves `fit.reuse` consecutive steps (wgan_toy.py's 10 critic steps per
    real batch). Deterministic for a seed on CPU."""
    torch.manual_seed(seed)
    critic = ToyMLP(n_in, 1, width or fit.width, fit.depth)
    objective = make_objective(fit.objective, fit.clip, "after_step", fit.gp_lambda, False)
    optimizer = make_optimizer(fit.opt, critic.parameters())
    rng = torch.Generator().manual_seed(seed)
    for step in range(steps or fit.steps):
        if step % fit.reuse == 0:
            real, fake = draw()
        objective.before_critic_step(critic)
        loss, _ = objective.critic_loss(critic, real, fake, rng)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        objective.after_critic_step(critic)
    return critic.eval()
