"""Critics (or GAN discriminators) trained to near optimality between two fixed distributions.

WGAN Figs 1-2 and WGAN-GP Fig 1a all ask the same question - what does the optimal critic of each objective look
like, and what distance does it estimate - so one loop serves them: no generator, only critic steps on batches
from `draw`, with the objective and optimizer classes the training runs use. A figure needs many such critics of
one architecture (one per θ, per data set); they train side by side as one `CriticStack`: the same arithmetic as
training them one after another, in batched matmuls that pay Python's per-step cost once instead of once per critic.
"""

import copy
from typing import Callable

import torch
from torch import nn

from repro.nets.toy import ToyMLP
from repro.objectives import make_objective
from repro.optim import make_optimizer
from repro.registry import CriticFit

class CriticStack(nn.Module):
    """`count` copies of a ToyMLP critic (Linear layers with ReLU between) as one module of batched matmuls.

    A batch of count·B points is read as `count` blocks of B; block k is scored by critic k. The critics share no
    parameter, so a loss that sums their per-block mean losses gives each exactly its own gradient; elementwise
    optimizers (Adam, RMSProp) and clipping then update each as if it trained alone.
    """

    def __init__(self, critic: ToyMLP, count: int):
        super().__init__()
        self.count = count
        linears = [m for m in critic.main if isinstance(m, nn.Linear)]
        # weights as (count, in, out) so that a layer is one baddbmm: bias + x @ W
        self.weights = nn.ParameterList(nn.Parameter(m.weight.detach().t().repeat(count, 1, 1)) for m in linears)
        self.biases = nn.ParameterList(nn.Parameter(m.bias.detach().repeat(count, 1, 1)) for m in linears)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.view(self.count, -1, x.shape[-1])
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(bias, h, weight)
            if i < len(self.weights) - 1:
                h = torch.relu(h)
        return h.reshape(-1)

    def unstack(self, template: ToyMLP) -> list[ToyMLP]:
        """The trained critics as separate modules (copies of `template`), in eval mode."""
        critics = []
        for k in range(self.count):
            critic = copy.deepcopy(template)
            linears = [m for m in critic.main if isinstance(m, nn.Linear)]
            with torch.no_grad():
                for m, weight, bias in zip(linears, self.weights, self.biases):
                    m.weight.copy_(weight[k].t())
                    m.bias.copy_(bias[k, 0])
            critics.append(critic.eval())
        return critics


def fit_critics(fit: CriticFit, draw_real: Callable[[], torch.Tensor],
                draw_fake: Callable[[torch.Tensor], torch.Tensor], n_in: int, seed: int,
                count: int = 1) -> list[ToyMLP]:
    """Trains `count` fresh `fit.depth`-layer ReLU MLPs, all from the same seeded initialisation, for `fit.steps`
    critic steps. `draw_real()` returns `count` blocks of `fit.batch_size` rows, block k for critic k, and serves
    `fit.reuse` consecutive steps (wgan_toy.py's 10 critic steps per real batch); `draw_fake(real)` is called at
    every step (wgan_toy.py's "generator", real + fresh noise, is part of its graph). Deterministic for a seed on
    CPU."""
    torch.manual_seed(seed)
    template = ToyMLP(n_in, 1, fit.width, fit.depth)
    stack = CriticStack(template, count)
    objective = make_objective(fit.objective, fit.clip, "after_step", fit.gp_lambda, False)
    optimizer = make_optimizer(fit.opt, stack.parameters())
    rng = torch.Generator().manual_seed(seed)
    for step in range(fit.steps):
        if step % fit.reuse == 0:
            real = draw_real()
        fake = draw_fake(real)
        objective.before_critic_step(stack)
        loss, _ = objective.critic_loss(stack, real, fake, rng)
        optimizer.zero_grad(set_to_none=True)
        (loss * count).backward()  # the objectives average over all count·B rows: undo the 1/count
        optimizer.step()
        objective.after_critic_step(stack)
    return stack.unstack(template)
