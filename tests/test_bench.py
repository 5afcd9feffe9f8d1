"""The benchmark's two measuring sticks: the official loop does our math, and the FLOP count is the hand count."""

import copy
import dataclasses

import pytest
import torch

from repro.baseline import OfficialLoop
from repro.bench import iteration_flops
from repro.config import resolve
from repro.engine import Engine

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("run", ["wgan-dcgan", "mnist-gp"])
def test_the_official_loop_makes_the_same_updates_as_ours(run, tiny_profile):
    """Same nets, real batches and noise: after two generator iterations both loops hold the same weights, so the
    benchmark compares two ways of running one computation (clipping and the gradient penalty alike). The GP run
    is gan_mnist.py's, whose nets have no batch norm: Adam turns the float noise of a gradient that batch norm
    makes exactly zero (a bias before it) into steps of ±lr, which would hide a real difference."""
    cfg = dataclasses.replace(resolve(run, tiny_profile, 0), warmup=None)
    engine = Engine(cfg, torch.device("cpu"))
    data_state = copy.deepcopy(engine.data.state_dict())
    batches = [engine._real() for _ in range(2 * cfg.n_critic)]  # what the Engine will draw, in its range
    engine.data.load_state_dict(data_state)
    official = OfficialLoop(engine, batches)
    official.noise.set_state(engine.noise.get_state())
    for g in range(2):
        engine.iteration(g)
        official.iteration()
    for ours, theirs in ((engine.G, official.G), (engine.D, official.D)):
        for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_iteration_flops_are_the_hand_count_for_the_toy_mlps(tiny_profile):
    """toy-8gaussians-wgan: G 2→w→w→w→2, D 2→w→w→w→1 (w = 32), batch B = 256, 5 critic steps. A linear layer
    costs 2·B·in·out FLOPs forward, the same for its weight gradient and again for its input gradient, which
    is skipped where the input needs none (the data, the noise)."""
    cfg = dataclasses.replace(resolve("toy-8gaussians-wgan", tiny_profile, 0), warmup=None)
    w, batch = cfg.width_g, cfg.batch_size
    assert (w, batch, cfg.n_critic) == (32, 256, 5)
    mac_g = 2 * w + w * w + w * w + w * 2  # multiply-adds per sample
    mac_d = 2 * w + w * w + w * w + w * 1
    first_g = first_d = 2 * w  # the first layers, whose inputs need no gradient
    critic_step = (2 * batch * mac_g  # fakes, no grad
                   + 2 * (2 * batch * mac_d)  # D(real), D(fake)
                   + 2 * (2 * batch * mac_d)  # their weight gradients
                   + 2 * (2 * batch * (mac_d - first_d)))  # their input gradients above the first layer
    generator_step = (2 * batch * mac_g + 2 * batch * mac_d  # D(G(z))
                      + 2 * batch * mac_d  # input gradients through the frozen critic, first layer included
                      + 2 * batch * mac_g + 2 * batch * (mac_g - first_g))  # G's weight and input gradients
    assert iteration_flops(Engine(cfg, torch.device("cpu"))) == 5 * critic_step + generator_step
