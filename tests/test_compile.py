"""The compiled paths (profile key train.compile) train the same run as the eager one, within float rounding."""

import dataclasses

import pytest
import torch

from repro.config import resolve
from repro.engine import Engine

pytestmark = pytest.mark.usefixtures("one_thread")


def losses(cfg, device: str, iters: int = 3) -> list[dict]:
    engine = Engine(cfg, torch.device(device))
    return [{k: float(v) for k, v in engine.iteration(g)[1].items()} for g in range(iters)]


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
