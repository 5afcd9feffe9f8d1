"""The compiled paths (profile key train.compile) and channels-last nets (train.channels_last) train the same run
as the eager, standard-layout one, within float rounding."""

import dataclasses

import pytest
import torch

from repro.config import resolve
from repro.engine import Engine

pytestmark = pytest.mark.usefixtures("one_thread")


def logged(engine: Engine, iters: int = 3) -> list[dict]:
    return [{k: float(v) for k, v in engine.iteration(g)[1].items()} for g in range(iters)]


def losses(cfg, device: str) -> list[dict]:
    return logged(Engine(cfg, torch.device(device)))


def assert_same_losses(ours: list[dict], eager: list[dict]) -> None:
    assert [row.keys() for row in ours] == [row.keys() for row in eager]
    for row, expected in zip(ours, eager):
        assert row == pytest.approx(expected, rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("run", ["wgan-dcgan", "mnist-gp"])  # clipping with a BN critic; the penalty
def test_compiled_nets_give_the_eager_losses(run, tiny_profile):
    cfg = dataclasses.replace(resolve(run, tiny_profile, 0), warmup=None)
    eager = losses(cfg, "cpu")
    assert_same_losses(losses(dataclasses.replace(cfg, compile="default"), "cpu"), eager)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
def test_cuda_graphs_give_the_eager_losses(tiny_profile):
    cfg = dataclasses.replace(resolve("wgan-dcgan", tiny_profile, 0), warmup=None)
    assert_same_losses(losses(dataclasses.replace(cfg, compile="reduce-overhead"), "cuda"), losses(cfg, "cuda"))


@pytest.mark.parametrize("run", ["wgan-dcgan", "mnist-gp", "cifar-gp-adam"])  # + a penalty through conv weights
def test_channels_last_nets_give_the_standard_layout_losses(run, tiny_profile):
    cfg = dataclasses.replace(resolve(run, tiny_profile, 0), warmup=None)
    engine = Engine(dataclasses.replace(cfg, channels_last=True), torch.device("cpu"))
    assert engine.channels_last == [cfg.generator, cfg.critic]
    kernels = [p for net in (engine.G, engine.D) for p in net.parameters() if p.dim() == 4]
    assert kernels and all(k.is_contiguous(memory_format=torch.channels_last) for k in kernels)
    assert_same_losses(logged(engine), losses(cfg, "cpu"))


def test_channels_last_leaves_unmarked_nets_alone(tiny_profile):
    engine = Engine(dataclasses.replace(resolve("wgan-mlpg", tiny_profile, 0), channels_last=True), torch.device("cpu"))
    assert engine.channels_last == ["dcgan_d"]  # the MLP generator has no convolution to speed up
    assert all(p.is_contiguous() for p in engine.G.parameters())
