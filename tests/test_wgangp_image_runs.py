"""Every WGAN-GP Fig 2 architecture (gan_64x64.py) trains under the gradient penalty with its layer-norm critic,
on a real engine and the bundled digits at 64×64, with the paper's z of 128."""

import dataclasses

import pytest
import torch

from repro.config import resolve
from repro.engine import Engine
from repro.registry import ZOO_ARCHITECTURES

CPU = torch.device("cpu")


@pytest.mark.parametrize("arch", list(ZOO_ARCHITECTURES))
def test_every_fig2_architecture_trains_under_the_gradient_penalty(tiny_profile, arch):
    generator, critic = ZOO_ARCHITECTURES[arch]
    widths = tiny_profile.widths
    # batch 8 instead of 64 keeps the 101-layer double backward quick on a CPU
    cfg = dataclasses.replace(resolve("cifar-gp-adam", tiny_profile, 0), generator=generator, critic=critic,
                              critic_norm="layer", image_size=64, nz=128, batch_size=8,
                              width_g=widths["zoo64_fc" if arch == "mlp-g" else "zoo64"], width_d=widths["zoo64"])
    engine = Engine(cfg, CPU)
    assert engine.data.shape[1:] == (64, 64)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in engine.D.modules())
    _, stats = engine.iteration(0)
    assert torch.isfinite(stats["loss_d"]) and torch.isfinite(stats["loss_g"]) and stats["gp"] > 0
