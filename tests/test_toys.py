"""The toy experiments' physics, at the default profile's settings: what each paper claims, measured.

Not the pictures: gradient norms through a 12-layer critic, where clipped weights pile up, what a trained critic
says about the distance between two parallel lines, how linear the WGAN critic and how saturated the GAN
discriminator is on two Gaussians, and the min-max game's two update rules.
"""

import dataclasses
import math

import numpy as np
import pytest
import torch

from repro.config import load_profile, resolve
from repro.data.toy import ParallelLines
from repro.errors import ConfigError, DataError
from repro.metrics.toy import exact_w1
from repro.nets.toy import ToyMLP
from repro.plots.toys import deep_measurements
from repro.registry import MINMAX, PARALLEL_LINES, VALUE_SURFACES, MinMax
from repro.toys import gaussians, load, minmax, run
from repro.toys.fit import fit_critics
from repro.toys.gradients import layer_gradient_norms, piled_at_clip
from repro.toys.parallel_lines import dual_constant, estimates, read_critic
from repro.train import train
from tests.conftest import ROOT

DEFAULT = load_profile(ROOT / "configs" / "default.yaml")


# --- the min-max game ------------------------------------------------------------------------------------------

def test_simultaneous_updates_spiral_out_at_every_step_alternating_ones_stay_bounded():
    paths = minmax.trajectories(dataclasses.replace(MINMAX, steps=1000))
    sim, alt = (np.linalg.norm(paths[r], axis=1) for r in ("simultaneous", "alternating"))
    assert np.all(np.diff(sim) > 0)
    # each simultaneous step multiplies the distance by exactly √(1 + η²)
    assert sim[-1] / sim[0] == pytest.approx(math.sqrt(1 + MINMAX.lr ** 2) ** 1000, rel=1e-9)
    assert alt.max() <= 1.1 * alt[0] and alt.min() >= 0.9 * alt[0]


def test_alternating_updates_blow_up_only_past_the_stability_limit():
    """η < 2 keeps the alternating map's eigenvalues on the unit circle; η = 2.5 does not - the bound is real."""
    far = minmax.trajectories(MinMax(lr=2.5, steps=50))["alternating"]
    assert np.linalg.norm(far[-1]) > 1e6


# --- WGAN Fig 1: parallel lines ----------------------------------------------------------------------------------

def test_dual_constant_recovers_the_slope_of_a_linear_critic():
    """f(x) = 3·x₁ between P_0 and P_θ: the gap is 3θ, the least dual-feasible constant 3, so gap / L = θ."""
    a, b = ParallelLines(200, 1).next().double(), ParallelLines(200, 2, theta=0.4).next().double()
    fa, fb = -3 * a[:, 0], -3 * b[:, 0]
    assert dual_constant(fa, fb, a, b) == pytest.approx(3.0)
    assert (fa.mean() - fb.mean()) / dual_constant(fa, fb, a, b) == pytest.approx(0.4)


def test_rescaled_critic_estimate_is_a_lower_bound_of_the_exact_w1():
    torch.manual_seed(0)
    critic = ToyMLP(2, 1, 16, 3)  # untrained: any function must obey the bound
    a, b = ParallelLines(300, 1).next(), ParallelLines(300, 2, theta=0.5).next()
    assert read_critic("wgan", critic, a, b)["em"] <= exact_w1(a, b) + 1e-9


@pytest.fixture(scope="module")
def line_fits():
    return {name: DEFAULT.toys.fit("wgan-fig1", fit) for name, fit in PARALLEL_LINES.fits.items()}


def test_trained_critics_estimate_em_within_10_percent(line_fits):
    thetas = np.array([0.3, -1.0])
    clipped = [row["em"] for row in estimates(line_fits["wgan"], thetas, 0, 1024)]
    penalised = [row["gap"] for row in estimates(line_fits["wgan-gp"], thetas, 0, 1024)]
    assert clipped == pytest.approx(np.abs(thetas), rel=0.10)
    assert penalised == pytest.approx(np.abs(thetas), rel=0.10)


def test_gan_js_estimate_is_log2_off_zero_and_zero_at_zero(line_fits):
    off, at = (row["js"] for row in estimates(line_fits["gan"], np.array([0.1, 0.0]), 0, 1024))
    assert off == pytest.approx(math.log(2), rel=0.10)
    assert abs(at) < 0.05 * math.log(2)


@pytest.mark.parametrize("name", ["wgan", "gan"])
def test_critics_trained_side_by_side_equal_critics_trained_alone(line_fits, name):
    """The stack is an implementation detail: each of its critics ends where a lone fit on its data ends (the
    clipped critic's RMSProp and the discriminator's Adam; the GP's ε draws are shared along the stack instead)."""
    fit = dataclasses.replace(line_fits[name], steps=40, width=16)
    thetas = (0.5, -0.2, 1.0)

    def lines():
        return ParallelLines(fit.batch_size, 1), [ParallelLines(fit.batch_size, 2, theta=t) for t in thetas]

    real, fakes = lines()
    together = fit_critics(fit, lambda: real.next().repeat(3, 1), lambda _: torch.cat([f.next() for f in fakes]), 2,
                           0, 3)
    for k, critic in enumerate(together):
        real, fakes = lines()
        (alone,) = fit_critics(fit, real.next, lambda _: fakes[k].next(), 2, 0)
        for a, b in zip(alone.parameters(), critic.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_a_reused_real_batch_meets_a_fresh_fake_batch_at_every_critic_step():
    """wgan_toy.py (WGAN-GP Fig 1a's script) feeds one real batch to 10 critic steps, and its "generator" (real +
    N(0, I), built in the graph) draws new noise at each of them."""
    fit = dataclasses.replace(VALUE_SURFACES["figure"].fits["wgan-gp"], steps=6, reuse=3, batch_size=4, width=8)
    reals, fakes = [], []

    def draw_real():
        reals.append(torch.randn(4, 2))
        return reals[-1]

    def draw_fake(real):
        fakes.append((real, real + torch.randn(real.shape)))
        return fakes[-1][1]

    fit_critics(fit, draw_real, draw_fake, 2, 0)
    assert len(reals) == 2 and len(fakes) == 6
    assert all(real is reals[step // 3] for step, (real, _) in enumerate(fakes))
    assert len({tuple(fake.flatten().tolist()) for _, fake in fakes}) == 6
    assert VALUE_SURFACES["figure"].fits["wgan-gp"].reuse == VALUE_SURFACES["figure"].fits["wgan"].reuse == 10


# --- WGAN Fig 2: two Gaussians -------------------------------------------------------------------------------------

def test_wgan_critic_is_linear_and_gan_discriminator_saturates():
    arrays, settings = gaussians.compute(DEFAULT, DEFAULT.toy_seeds[0])
    x, bulk = arrays["x"], arrays["bulk"]
    assert float(arrays["wgan.r2"]) >= 0.95
    # the GAN discriminator: ~1 over the real Gaussian's bulk, ~0 over the fake's, flat (no gradient) at the fake mode
    real_bulk = np.abs(x - settings["real"][0]) <= settings["real"][1]
    fake_bulk = np.abs(x - settings["fake"][0]) <= settings["fake"][1]
    assert arrays["gan.value"][real_bulk].min() >= 0.99 and arrays["gan.value"][fake_bulk].max() <= 0.01
    at_fake = np.argmin(np.abs(x - settings["fake"][0]))
    gan_slope, critic_slope = np.abs(arrays["gan.slope"]), np.abs(arrays["wgan.slope"])
    assert gan_slope[at_fake] <= 1e-3 * gan_slope.max()
    # while the critic's slope there is of the order of its largest
    assert critic_slope[at_fake] >= 0.1 * critic_slope[bulk].max()


# --- WGAN-GP Fig 1b: 12-layer critics -------------------------------------------------------------------------------

def _deep(tmp_path, run_name: str, iters: int) -> dict:
    cfg = resolve(run_name, DEFAULT, 0, iters)
    train(cfg, tmp_path / run_name, "cpu", quiet=True)
    return deep_measurements(tmp_path / run_name)


def test_layer_gradient_norms_of_a_linear_stack_are_the_weight_products():
    """Layers of identity-scaled weights w·I (biases 1 so every ReLU is open): ∂L/∂a grows by w per layer back."""
    critic = ToyMLP(2, 1, 4, 4)
    with torch.no_grad():
        for m in critic.main:
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(2.0 * torch.eye(*m.weight.shape))
                m.bias.fill_(1.0)
    norms = layer_gradient_norms(critic, torch.ones(3, 2), torch.ones(5, 2))
    assert norms[-1] == pytest.approx(math.sqrt(1 / 5 ** 2 * 5 + 1 / 3 ** 2 * 3))  # ∂L/∂output: 1/5 fake, −1/3 real
    assert np.diff(np.log2(norms)) == pytest.approx([-1.0, -1.0, -1.0])  # each layer back doubles it


@pytest.mark.slow(seconds=20)
def test_clipped_12_layer_critic_gradients_explode_at_c_0_1(tmp_path):
    norms = _deep(tmp_path, "toy-deep-clip0.1", DEFAULT.iters_per_run["toy-deep-clip0.1"])["norms"]
    assert norms[0] / norms[-1] >= 10  # growing on the way back from the output (layer 13) to layer 1


def test_clipped_12_layer_critic_gradients_vanish_at_c_0_001_and_weights_pile_at_c(tmp_path):
    measured = _deep(tmp_path, "toy-deep-clip0.001", 10)
    assert measured["norms"][0] / measured["norms"][-1] <= 0.1
    assert piled_at_clip(_deep(tmp_path, "toy-deep-clip0.01", 10)["weights"], 0.01) >= 0.5


def test_gradient_penalty_critic_keeps_gradients_within_10x_and_weights_off_the_clip_values(tmp_path):
    measured = _deep(tmp_path, "toy-deep-gp", 20)
    ratio = measured["norms"][0] / measured["norms"][-1]
    assert 0.1 <= ratio <= 10
    assert piled_at_clip(measured["weights"], 0.01) < 0.1


# --- the experiment files ------------------------------------------------------------------------------------------

def test_experiment_result_round_trips_with_its_settings(tiny_profile, tmp_path):
    out = run("wgan-fig2", tiny_profile, tmp_path / "fig2.npz")
    arrays, settings = load(out)
    assert settings["fits"]["wgan"]["steps"] == max(1, round(5000 * 0.01))
    assert settings["fits"]["wgan"]["width"] == 16  # the tiny profile's cap
    assert arrays["x"].shape == arrays["wgan.value"].shape == arrays["gan.slope"].shape


def test_unknown_experiment_and_missing_result_are_clear_errors(tiny_profile, tmp_path):
    with pytest.raises(ConfigError, match="unknown toy experiment 'wgan-fig11'.*did you mean"):
        run("wgan-fig11", tiny_profile, tmp_path / "x.npz")
    with pytest.raises(DataError, match="python -m repro toy wgan-fig1 --config"):
        load(tmp_path / "wgan-fig1.npz")


def test_both_value_surface_settings_run_and_keep_their_grids(tiny_profile, tmp_path):
    """Fig 1a's two settings (wgan_toy.py's figure script, gan_toy.py FIXED_GENERATOR): their grids and λ differ."""
    for setting, extent, gp_lambda in (("figure", 2.0, 10.0), ("official", 3.0, 0.1)):
        toys = dataclasses.replace(tiny_profile.toys, surfaces=setting, scale={"wgangp-fig1a": 1e-4})
        profile = dataclasses.replace(tiny_profile, toys=toys)
        arrays, settings = load(run("wgangp-fig1a", profile, tmp_path / f"{setting}.npz"))
        assert arrays["axis"][-1] == extent and settings["fits"]["wgan-gp"]["gp_lambda"] == gp_lambda
        assert arrays["swissroll.wgan"].shape == (128, 128) and np.isfinite(arrays["swissroll.wgan-gp"]).all()
