"""The 2-D toy distributions of WGAN-GP's gan_toy.py, exactly as coded (spec/wgangp.md §2.4).

Each is an endless batch sampler driven by its own seeded torch.Generator, so a checkpoint can resume it.
"""

import math

import torch

from repro.data import TOY_SOURCES


class ToySampler:
    shape = (2,)

    def __init__(self, batch_size: int, seed: int, device: torch.device = torch.device("cpu")):
        self.batch_size, self.device = batch_size, device
        self.rng = torch.Generator().manual_seed(seed)

    def next(self) -> torch.Tensor:
        return self._draw().to(self.device)

    def _draw(self) -> torch.Tensor:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"rng": self.rng.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["rng"])


class EightGaussians(ToySampler):
    """A random one of 8 centres on the radius-2 circle + N(0, 0.02²), the batch divided by 1.414."""

    CENTERS = 2 * torch.tensor([(1, 0), (-1, 0), (0, 1), (0, -1)] + [
        (sx / math.sqrt(2), sy / math.sqrt(2)) for sx, sy in [(1, 1), (1, -1), (-1, 1), (-1, -1)]])

    def _draw(self):
        which = torch.randint(0, 8, (self.batch_size,), generator=self.rng)
        points = self.CENTERS[which] + 0.02 * torch.randn(self.batch_size, 2, generator=self.rng)
        return points / 1.414


class TwentyFiveGaussians(ToySampler):
    """A fixed set: 4000 points around each of the 5×5 grid centres (2i, 2j), i, j ∈ −2…2, noise N(0, 0.05²),
    shuffled once and divided by 2.828; served in order, whole batches only, cycled without reshuffling."""

    def __init__(self, batch_size, seed, device=torch.device("cpu")):
        super().__init__(batch_size, seed, device)
        grid = torch.tensor([(2.0 * x, 2.0 * y) for x in range(-2, 3) for y in range(-2, 3)])
        points = grid.repeat(4000, 1) + 0.05 * torch.randn(100_000, 2, generator=self.rng)
        self.points = points[torch.randperm(100_000, generator=self.rng)] / 2.828
        self.n_batches = 100_000 // batch_size
        self.position = 0

    def _draw(self):
        start = self.position * self.batch_size
        self.position = (self.position + 1) % self.n_batches
        return self.points[start:start + self.batch_size]

    def state_dict(self):
        return {"position": self.position}

    def load_state_dict(self, state):
        self.position = int(state["position"])


class SwissRoll(ToySampler):
    """sklearn make_swiss_roll(n, noise=0.25) rebuilt in torch, coordinates 0 and 2 kept, divided by 7.5."""

    def _draw(self):
        n = self.batch_size
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=self.rng, dtype=torch.float64))
        height = 21 * torch.rand(n, generator=self.rng, dtype=torch.float64)
        roll = torch.stack([t * torch.cos(t), height, t * torch.sin(t)])
        roll += 0.25 * torch.randn(3, n, generator=self.rng, dtype=torch.float64)
        return (roll[[0, 2]].T / 7.5).float()


class ParallelLines(ToySampler):
    """WGAN Example 1 (Fig 1): (θ, z) with z ~ U[0, 1]; θ = 0 is P_0, the vertical segment through the origin."""

    def __init__(self, batch_size, seed, device=torch.device("cpu"), theta: float = 0.0):
        super().__init__(batch_size, seed, device)
        self.theta = theta

    def _draw(self):
        z = torch.rand(self.batch_size, generator=self.rng)
        return torch.stack([torch.full_like(z, self.theta), z], dim=1)


class Gaussian1D(ToySampler):
    """N(mean, std²) on the line (WGAN Fig 2 compares two of them; the paper gives no values, issue 6 picks)."""

    shape = (1,)

    def __init__(self, batch_size, seed, device=torch.device("cpu"), mean: float = 0.0, std: float = 1.0):
        super().__init__(batch_size, seed, device)
        self.mean, self.std = mean, std

    def _draw(self):
        return self.mean + self.std * torch.randn(self.batch_size, 1, generator=self.rng)


# Training sources a registry run can name; ParallelLines and Gaussian1D are parameterised by their experiments.
TOY_DATASETS = dict(zip(TOY_SOURCES, (EightGaussians, TwentyFiveGaussians, SwissRoll)))
