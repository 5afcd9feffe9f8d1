"""The WGAN-GP image runs (Fig 2 architecture zoo, Table 3 ResNets) carry the paper's settings and train."""

import dataclasses

import pytest
import torch

from repro.config import resolve
from repro.engine import Engine
from repro.registry import RUNS, ZOO_ARCHITECTURES, ZOO_METHODS

CPU = torch.device("cpu")
ZOO = [name for name in RUNS if name.startswith("lsun-")]


def test_fig2_grid_is_seven_architectures_by_four_methods_at_the_paper_settings():
    assert len(ZOO) == len(ZOO_ARCHITECTURES) * len(ZOO_METHODS) == 7 * 4
    for arch, method in ((a, m) for a in ZOO_ARCHITECTURES for m in ZOO_METHODS):
        run = RUNS[f"lsun-{arch}-{method}"]
        assert (run.generator, run.critic) == ZOO_ARCHITECTURES[arch]
        assert (run.iters, run.batch_size, run.nz, run.image_size) == (200_000, 64, 128, 64)
        if method == "wgan-gp":  # App. E, β1 0.5 at paper time; every critic norm becomes layer norm
            assert (run.opt_d.name, run.opt_d.lr, run.opt_d.betas) == ("adam", 1e-4, (0.5, 0.9))
            assert (run.critic_norm, run.gp_lambda, run.n_critic) == ("layer", 10.0, 5)
        elif method == "wgan":
            assert (run.opt_d.name, run.opt_d.lr, run.clip, run.clip_when) == ("rmsprop_tf", 5e-5, 0.01, "after_step")
            assert (run.critic_norm, run.n_critic) == ("batch", 5)
        elif method == "dcgan":
            assert (run.objective, run.opt_d.lr, run.opt_d.betas, run.n_critic) == ("gan", 2e-4, (0.5, 0.999), 1)
        else:
            assert (run.objective, run.opt_d.name, run.opt_d.lr, run.n_critic) == ("lsgan", "rmsprop_tf", 1e-4, 1)
        assert run.opt_g == run.opt_d


@pytest.mark.parametrize("arch", list(ZOO_ARCHITECTURES))
def test_every_fig2_architecture_trains_under_the_gradient_penalty(tiny_profile, arch):
    # batch 8 instead of 64 keeps the 101-layer double backward quick on a CPU; the run is otherwise as registered
    engine = Engine(dataclasses.replace(resolve(f"lsun-{arch}-wgan-gp", tiny_profile, 0), batch_size=8), CPU)
    assert engine.data.shape[1:] == (64, 64)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in engine.D.modules())
    _, stats = engine.iteration(0)
    assert torch.isfinite(stats["loss_d"]) and torch.isfinite(stats["loss_g"]) and stats["gp"] > 0


def test_table3_resnets_follow_gan_cifar_resnet_py(tiny_profile):
    for name in ("cifar-resnet", "cifar-resnet-acgan"):
        run = RUNS[name]
        assert (run.opt_d.lr, run.opt_d.betas, run.lr_decay, run.gen_batch_multiple) == (2e-4, (0.0, 0.9), True, 2)
        assert (run.iters, run.batch_size, run.n_critic, run.gp_lambda) == (100_000, 64, 5, 10.0)
    assert RUNS["cifar-resnet"].acgan_scales is None and RUNS["cifar-resnet-acgan"].acgan_scales == (1.0, 0.1)
    engine = Engine(resolve("cifar-resnet-acgan", tiny_profile, 0, iters=4), CPU)
    lrs = []
    for g in range(2):
        _, stats = engine.iteration(g)
        lrs.append(engine.opt_d.param_groups[0]["lr"])
    assert lrs == pytest.approx([2e-4 * 3 / 4, 2e-4 * 2 / 4]) and torch.isfinite(stats["acgan_d"])
