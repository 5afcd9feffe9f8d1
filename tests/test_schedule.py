"""The critic schedule, counted by hooking the real optimizers of a real engine."""

import dataclasses

import pytest
import torch

from repro.config import resolve
from repro.engine import Engine, critic_steps
from repro.registry import RUNS, Warmup


def test_official_warmup_rule():
    w = Warmup()
    assert [critic_steps(g, 5, w) for g in (0, 24, 25, 26, 499, 500, 501, 1000)] == [100, 100, 5, 5, 5, 100, 5, 100]
    assert critic_steps(0, 5, None) == 5
    assert all(RUNS[r].warmup == Warmup() for r in ("wgan-dcgan", "wgan-mlpg", "wgan-nobn"))
    assert all(RUNS[r].warmup is None and RUNS[r].n_critic == 1 for r in ("gan-dcgan", "gan-mlpg", "gan-mlp"))


def _record_steps(engine):
    """Sequence of 'D'/'G' optimizer steps, and a snapshot of G's weights at every critic step."""
    order, g_snapshots = [], []

    def critic_step(*_):
        order.append("D")
        g_snapshots.append(torch.cat([p.detach().flatten() for p in engine.G.parameters()]))

    engine.opt_d.register_step_pre_hook(critic_step)
    engine.opt_g.register_step_pre_hook(lambda *_: order.append("G"))
    return order, g_snapshots


def test_first_30_generator_iterations_with_warmup_run_2525_critic_steps(tiny_profile):
    cfg = dataclasses.replace(resolve("toy-swissroll-wgan", tiny_profile, 0), warmup=Warmup())
    engine = Engine(cfg, torch.device("cpu"))
    order, _ = _record_steps(engine)
    counts = [engine.iteration(g)[0] for g in range(30)]
    assert sum(counts) == 25 * 100 + 5 * 5 == order.count("D")
    assert order.count("G") == 30


def test_generator_changes_only_after_its_n_critic_critic_steps(tiny_profile):
    engine = Engine(resolve("toy-8gaussians-gp", tiny_profile, 0), torch.device("cpu"))
    order, g_snapshots = _record_steps(engine)
    for g in range(4):
        engine.iteration(g)
    assert "".join(order) == "DDDDDG" * 4
    # G's weights are identical across each block of 5 critic steps, and change across a G step
    for block in range(4):
        snaps = g_snapshots[5 * block:5 * block + 5]
        assert all(torch.equal(snaps[0], s) for s in snaps)
        if block:
            assert not torch.equal(g_snapshots[5 * block - 1], snaps[0])


@pytest.mark.parametrize("multiple", [1, 2])
def test_generator_step_draws_gen_batch_multiple_critic_batches(tiny_profile, multiple):
    """gan_cifar_resnet.py's GEN_BS_MULTIPLE: the generator step sees 2 × 64 samples, each critic step 64 + 64."""
    cfg = dataclasses.replace(resolve("toy-8gaussians-gp", tiny_profile, 0), gen_batch_multiple=multiple)
    engine = Engine(cfg, torch.device("cpu"))
    sizes = []
    engine.G.register_forward_hook(lambda module, args, out: sizes.append(out.shape[0]))
    engine.iteration(0)
    assert sizes == [cfg.batch_size] * cfg.n_critic + [cfg.batch_size * multiple]


def _params_within(module, c):
    return all(p.abs().max().item() <= c for p in module.parameters())


@pytest.mark.parametrize("run", ["wgan-dcgan", "toy-25gaussians-wgan"])
def test_clip_before_step_critic_is_clipped_for_every_critic_forward_but_not_for_the_generator(run, tiny_profile):
    cfg = dataclasses.replace(resolve(run, tiny_profile, 0), clip_when="before_step", warmup=None)
    engine = Engine(cfg, torch.device("cpu"))
    at_critic_step, at_generator_step = [], []
    engine.opt_d.register_step_pre_hook(lambda *a: at_critic_step.append(_params_within(engine.D, cfg.clip)))
    engine.opt_g.register_step_pre_hook(lambda *a: at_generator_step.append(_params_within(engine.D, cfg.clip)))
    for g in range(3):
        engine.iteration(g)
    assert all(at_critic_step) and len(at_critic_step) == 15
    assert not any(at_generator_step)  # the official code: G sees the critic as its last RMSProp step left it


def test_clip_after_step_is_algorithm_1(tiny_profile):
    cfg = dataclasses.replace(resolve("wgan-dcgan", tiny_profile, 0), clip_when="after_step", warmup=None)
    engine = Engine(cfg, torch.device("cpu"))
    assert not _params_within(engine.D, cfg.clip)  # initial N(1, 0.02) BN γ are not clipped before any step
    at_critic_step, at_generator_step = [], []
    engine.opt_d.register_step_pre_hook(lambda *a: at_critic_step.append(_params_within(engine.D, cfg.clip)))
    engine.opt_g.register_step_pre_hook(lambda *a: at_generator_step.append(_params_within(engine.D, cfg.clip)))
    for g in range(3):
        engine.iteration(g)
    assert all(at_generator_step) and len(at_generator_step) == 3  # clipped after the last critic update
    assert at_critic_step[0] is False and all(at_critic_step[1:])  # each later forward used clipped weights
