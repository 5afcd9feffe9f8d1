"""`python -m repro check gpu`, the prepared GPU check: what of it runs without a GPU. The command itself refuses a
CPU-only machine in one line; its measurements run here CPU against CPU (the code paths a GPU session will take,
exact here); its report is written from a JSON recorded by a CPU dry run (tests/data/gpu-check-cpu-dry-run.json)."""

import copy
import json
import math
import time
from pathlib import Path

import pytest
import torch

from repro import check
from tests.conftest import repro_cli

RECORDED = Path(__file__).parent / "data" / "gpu-check-cpu-dry-run.json"
CPU = torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible: the check would run")
def test_without_a_gpu_the_check_exits_2_in_one_line():
    result = repro_cli("check", "gpu", "--out", "/nonexistent/never-written")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no CUDA device" in result.stderr and "check gpu" in result.stderr


def test_loss_error_is_relative_to_one_plus_the_reference():
    assert check.loss_error([{"a": 1.002, "b": -3.0}], [{"a": 1.0, "b": -3.0}]) == pytest.approx(0.002 / 2)
    assert check.loss_error([{"a": 0.0}], [{"a": 0.0005}]) == pytest.approx(0.0005 / 1.0005)
    assert check.loss_error([{"a": 1.0}], [{"a": 1.0, "gp": 0.1}]) == math.inf  # a column missing is a failure


def test_tf32_peaks_are_the_datasheets_dense_figures():
    assert check.tf32_peak("NVIDIA H100 80GB HBM3")["flops"] == 494.7e12  # SXM: 989 TFLOPS with 2:4 sparsity
    assert check.tf32_peak("NVIDIA H100 PCIe")["flops"] == 378e12
    assert check.tf32_peak("NVIDIA H200")["flops"] == 494.7e12
    assert check.tf32_peak("NVIDIA A100-SXM4-80GB")["flops"] == 156e12
    assert check.tf32_peak("Tesla T4") is None


@pytest.mark.parametrize("kind", list(check.PARITY_RUNS))
def test_each_parity_run_takes_its_steps_on_the_cpu(kind):
    """CPU against CPU: every logged number and weight agrees exactly, and training moved the weights."""
    result = check.parity(check.PARITY_RUNS[kind], CPU)
    assert result["holds"] and result["measured"] == {"loss": 0.0, "weights_G": 0.0, "weights_D": 0.0}


def test_the_noise_drawn_on_another_device_is_the_same_stream():
    """The mechanism the CUDA engine uses: a noise stream on a named device, moved to the run's."""
    from repro.config import resolve
    from repro.engine import Engine

    cfg = resolve("cifar-resnet-acgan", check.check_profile(), 0)  # noise for z, dequantisation and classes
    ours, default = Engine(cfg, CPU, noise_device=CPU), Engine(cfg, CPU)
    assert check.loss_error(check._steps(ours, 2), check._steps(default, 2)) == 0.0


def test_swd_placements_and_resume_hold_on_the_cpu():
    assert check.swd_parity(CPU) == {"measured": {"relative": 0.0}, "holds": True}
    assert check.placement_parity(CPU) == {"measured": {"max_abs": 0.0}, "holds": True}
    assert check.resume_parity(CPU) == {"measured": {"loss": 0.0}, "holds": True}


def test_speed_items_past_the_deadline_are_recorded_as_skipped():
    rows = check._speed(CPU, time.monotonic() - 1, None, ("wgan-dcgan", "cifar-resnet"), check.VARIANTS, 2)
    assert rows == [{"run": r, "variant": v, "skipped": "time budget"} for r in ("wgan-dcgan", "cifar-resnet")
                    for v in check.VARIANTS]


def test_targets_take_each_runs_best_variant():
    speed = [{"run": "wgan-dcgan", "variant": "eager", "speedup": 3.1, "fraction_of_tf32_peak": 0.1},
             {"run": "wgan-dcgan", "variant": "compiled", "speedup": 4.2, "fraction_of_tf32_peak": 0.2},
             {"run": "cifar-resnet", "variant": "eager", "skipped": "time budget"}]
    dcgan, resnet = check._targets(speed)
    assert (dcgan["run"], dcgan["value"], dcgan["threshold"], dcgan["holds"]) == ("wgan-dcgan", 4.2, 4.0, True)
    assert (resnet["run"], resnet["value"], resnet["holds"]) == ("cifar-resnet", None, None)


def test_the_report_of_a_recorded_run(tmp_path):
    recorded = json.loads(RECORDED.read_text())
    check.write_report(recorded, tmp_path)
    assert json.loads((tmp_path / "gpu-check.json").read_text()) == recorded
    md = (tmp_path / "gpu-check.md").read_text()
    assert md.startswith("# GPU check: cpu\n") and "none known for this device" in md
    for row in recorded["correctness"]:
        assert f"| {row['item']} | " in md
    assert md.count("| holds |") == len(recorded["correctness"])  # every item holds, CPU against itself
    dcgan, resnet = recorded["targets"]  # the CPU is 1.05x the official loop: not the GPU target of 4x
    assert f"| {dcgan['target']} | wgan-dcgan | 4 | {dcgan['value']:g} | **fails** |" in md and dcgan["value"] < 4
    assert f"| {resnet['target']} | cifar-resnet | 0.4 |  | not measured |" in md  # skipped in the dry run
    measured = next(r for r in recorded["speed"] if "skipped" not in r)
    assert f"| {measured['run']} | {measured['variant']} | {measured['ours_gen_iters_per_s']:g} | " \
           f"{measured['official_gen_iters_per_s']:g} | {measured['speedup']:g}× |" in md


def test_a_failed_item_and_a_known_peak_show_in_the_report():
    recorded = copy.deepcopy(json.loads(RECORDED.read_text()))
    recorded["correctness"][0].update(holds=False, measured={"loss": 0.25})
    recorded["tf32_peak"] = check.tf32_peak("NVIDIA H100 80GB HBM3")
    recorded["targets"][0].update(value=4.5, holds=True)
    md = check.report_markdown(recorded)
    assert f"| {recorded['correctness'][0]['item']} | loss 2.50e-01 | **fails** |" in md
    assert "TF32 peak used: 494.7 TFLOP/s (H100 SXM datasheet: 989 TFLOPS with sparsity, halved)." in md
    assert f"| {recorded['targets'][0]['target']} | wgan-dcgan | 4 | 4.5 | holds |" in md
