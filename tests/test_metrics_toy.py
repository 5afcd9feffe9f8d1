"""Exact W1, mode coverage and WGAN Example 1's closed forms (repro/metrics/toy.py)."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import wasserstein_distance

from repro.data.toy import EightGaussians, ParallelLines, TwentyFiveGaussians
from repro.metrics.toy import MIXTURES, exact_w1, mode_coverage, parallel_lines


def test_w1_of_two_point_masses_is_their_distance():
    p, q = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    assert exact_w1(np.tile(p, (50, 1)), np.tile(q, (50, 1))) == pytest.approx(np.linalg.norm(p - q), rel=1e-12)


def test_w1_is_zero_on_itself_symmetric_and_blind_to_order():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 2)), rng.uniform(-2, 2, size=(300, 2))
    assert exact_w1(a, a) == 0
    assert exact_w1(a, b) == pytest.approx(exact_w1(b, a), rel=1e-12)
    assert exact_w1(a[rng.permutation(300)], b[rng.permutation(300)]) == pytest.approx(exact_w1(a, b), rel=1e-12)


def test_w1_takes_tensors():
    a, b = EightGaussians(100, 0).next(), EightGaussians(100, 1).next()
    assert exact_w1(a.requires_grad_(), b) == exact_w1(a.detach().numpy(), b.numpy())


def test_w1_matches_scipy_in_one_dimension():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=200), rng.exponential(size=200)
    on_plane = [np.stack([x, np.zeros_like(x)], axis=1) for x in (u, v)]
    assert abs(exact_w1(*on_plane) - wasserstein_distance(u, v)) < 1e-9


def test_w1_needs_equal_sizes():
    with pytest.raises(ValueError, match=r"300 and 299"):
        exact_w1(np.zeros((300, 2)), np.zeros((299, 2)))


@pytest.mark.parametrize("theta", [-1.0, 0.25, 0.5, 2.0])
def test_w1_between_parallel_lines_is_theta(theta):
    """WGAN Fig 1: W1(P_0, P_θ) = |θ|. Shared z's (same seed): matching each (0, z) to (θ, z) costs exactly |θ| and no
    match can cost less, so the sample W1 is |θ| to float precision. Independent z's: every match still moves
    |θ| across, and matching in z order is a coupling, so |θ| ≤ W1 ≤ mean √(θ² + Δz²) ≤ √(θ² + W2²(z, z')), a
    relative excess of at most W2²/(2θ²). For two sets of N = 500 uniforms W2² averages 1/(3N) ≈ 7e-4 and stays
    under 3.3e-3 in 99% of draws: at |θ| ≥ 1/4 the excess is ~0.5% typically, < 3% in 99% of draws, so 5% holds."""
    p0 = ParallelLines(500, 3).next()
    assert exact_w1(p0, ParallelLines(500, 3, theta=theta).next()) == pytest.approx(abs(theta), rel=1e-6)
    p_theta = ParallelLines(500, 4, theta=theta).next()
    w1 = exact_w1(p0, p_theta)
    z, z_other = (np.sort(x[:, 1].double().numpy()) for x in (p0, p_theta))
    assert abs(theta) - 1e-9 <= w1 <= math.sqrt(theta ** 2 + np.mean((z - z_other) ** 2)) + 1e-9
    assert w1 == pytest.approx(abs(theta), rel=0.05)


def test_mixtures_match_the_samplers():
    """The centres and σ retyped from repro/data/toy.py's inline constants are the samplers' per-mode means and
    per-coordinate spread."""
    for points, mixture in [(EightGaussians(16384, 0).next(), MIXTURES["8gaussians"]),
                            (TwentyFiveGaussians(256, 0).points, MIXTURES["25gaussians"])]:
        x = points.double().numpy()
        nearest = np.linalg.norm(x[:, None] - mixture.centers[None], axis=2).argmin(axis=1)
        assert np.bincount(nearest).min() > len(x) / len(mixture.centers) * 0.9  # every mode, about equally often
        for k, centre in enumerate(mixture.centers):
            assert np.abs(x[nearest == k].mean(axis=0) - centre).max() < 0.3 * mixture.sigma
        assert (x - mixture.centers[nearest]).std() == pytest.approx(mixture.sigma, rel=0.03)


def test_real_eight_gaussians_cover_every_mode():
    modes, quality = mode_coverage(EightGaussians(2000, 0).next(), MIXTURES["8gaussians"])
    assert modes == 8 and quality >= 0.99


def test_real_twenty_five_gaussians_cover_every_mode():
    modes, quality = mode_coverage(TwentyFiveGaussians(2000, 0).next(), MIXTURES["25gaussians"])
    assert modes == 25 and quality >= 0.99


def test_samples_from_three_modes_cover_three():
    points = EightGaussians(2000, 0).next()
    centres = torch.from_numpy(MIXTURES["8gaussians"].centers).float()
    kept = points[torch.isin(torch.cdist(points, centres).argmin(dim=1), torch.tensor([0, 3, 5]))]
    modes, quality = mode_coverage(kept, MIXTURES["8gaussians"])
    assert modes == 3 and quality >= 0.99


def test_stray_samples_do_not_cover_a_mode_unless_asked():
    """A collapsed generator: 993 samples on one mode, one on each of the other seven."""
    centres = MIXTURES["8gaussians"].centers
    samples = np.concatenate([np.repeat(centres[:1], 993, axis=0), centres[1:]])
    assert mode_coverage(samples, MIXTURES["8gaussians"]) == (1, 1.0)  # default: ⌈0.1·1000/8⌉ = 13 per mode
    assert mode_coverage(samples, MIXTURES["8gaussians"], min_count=1) == (8, 1.0)  # VEEGAN's count


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians"])
def test_uniform_noise_is_low_quality(name):
    noise = np.random.default_rng(2).uniform(-2, 2, size=(2000, 2))
    assert mode_coverage(noise, MIXTURES[name])[1] < 0.1


def test_parallel_lines_closed_forms():
    assert parallel_lines(0.0) == {"em": 0.0, "js": 0.0, "kl": 0.0, "tv": 0.0}
    for theta in (0.5, -0.5):
        assert parallel_lines(theta) == {"em": 0.5, "js": math.log(2), "kl": math.inf, "tv": 1.0}
    out = parallel_lines(np.array([-0.5, 0.0, 0.5]))
    np.testing.assert_array_equal(out["em"], [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(out["js"], [math.log(2), 0.0, math.log(2)])
    np.testing.assert_array_equal(out["kl"], [math.inf, 0.0, math.inf])
    np.testing.assert_array_equal(out["tv"], [1.0, 0.0, 1.0])
