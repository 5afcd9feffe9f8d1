"""repro.metrics.curves: Spearman ρ with bootstrap intervals and the smoothed estimate."""

import numpy as np
import pandas as pd
import pytest

from repro.metrics import curves


def test_a_monotone_pair_has_rho_one_with_a_degenerate_interval():
    x = np.linspace(0, 1, 20)
    corr = curves.spearman([(x, np.exp(3 * x))])  # monotone, not linear: ranks agree exactly
    assert corr.rho == pytest.approx(1.0)
    assert corr.low == pytest.approx(1.0) and corr.high == pytest.approx(1.0)
    assert corr.points == 20


def test_a_shuffled_pair_has_rho_near_zero_with_an_interval_around_it():
    rng = np.random.default_rng(0)
    x = np.arange(200.0)
    corr = curves.spearman([(x, rng.permutation(x))])
    assert abs(corr.rho) < 0.15
    assert corr.low < 0 < corr.high < curves.STRONG


def test_an_anti_monotone_pair_is_minus_one_and_does_not_track():
    x = np.arange(10.0)
    corr = curves.spearman([(x, -x)])
    assert corr.rho == pytest.approx(-1.0) and corr.high < 0


def test_seeds_average_and_the_interval_is_seeded():
    rng = np.random.default_rng(1)
    x = np.arange(30.0)
    pairs = [(x, x + rng.normal(0, 5, 30)), (x, x + rng.normal(0, 5, 30))]
    single = [curves.spearman([p]).rho for p in pairs]
    both = curves.spearman(pairs)
    assert both.rho == pytest.approx(np.mean(single))
    assert curves.spearman(pairs, seed=0) == both and curves.spearman(pairs, seed=1) != both


def test_nan_is_dropped():
    corr = curves.spearman([(np.array([1.0, 2, 3, np.nan]), np.array([1.0, 2, 3, 4]))])
    assert corr.points == 3 and corr.rho == pytest.approx(1.0)


def test_smoothed_estimate_is_a_centred_running_median_without_zero_padding():
    log = pd.DataFrame({"gen_iter": np.arange(1, 301), "w_estimate": np.full(300, 2.0)})
    log.loc[149, "w_estimate"] = 100.0  # one spike: a median ignores it
    values = curves.smoothed_estimate(log, "w_estimate", [1, 150, 300])
    np.testing.assert_array_equal(values, [2.0, 2.0, 2.0])  # scipy's medfilt would give 0 at both ends
    ramp = pd.DataFrame({"gen_iter": np.arange(1, 1001), "w_estimate": np.arange(1000.0)})
    assert curves.smoothed_estimate(ramp, "w_estimate", [500])[0] == 499.0  # centred, not trailing


def test_quality_column_prefers_exact_w1_then_the_swd_average():
    assert curves.quality_column(pd.DataFrame(columns=["gen_iter", "w1_1k", "modes_1k"])) == "w1_1k"
    columns = ["gen_iter", "wall_s", "swd_2k_32px", "swd_2k_16px", "swd_2k", "fid_2k_train"]
    assert curves.quality_column(pd.DataFrame(columns=columns)) == "swd_2k"
    with pytest.raises(ValueError, match="no distance metric"):
        curves.quality_column(pd.DataFrame(columns=["gen_iter", "is_2k_10split"]))


def test_the_window_never_spans_more_than_the_snapshot_spacing():
    assert curves.smoothing_window([0, 5, 10, 15]) == 5
    assert curves.smoothing_window([0, 50, 100]) == 49  # odd, so the median is centred on the snapshot
    assert curves.smoothing_window([0, 20_000, 40_000]) == curves.SMOOTHING
    short = pd.DataFrame({"gen_iter": np.arange(1, 31), "w_estimate": np.arange(30.0)})
    values = curves.smoothed_estimate(short, "w_estimate", [5, 10, 15, 20, 25, 30])
    assert len(set(values)) == 6  # not one median of the whole log


def test_rank_correlation_equals_scipys_spearman_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 40).astype(float), rng.normal(size=40)
    assert curves.spearman([(x, y)]).rho == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
