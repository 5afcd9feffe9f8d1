"""The n-gram statistics of gan_language.py (official language_helpers.NgramLanguageModel): what an n-gram is, and
JS values worked out by hand."""

import math

import numpy as np
import pytest

from repro.metrics.ngram import NgramLanguageModel, ngram_js


def test_ngrams_stay_inside_a_line_and_padding_counts():
    model = NgramLanguageModel(2, ["ab``", "cd"])
    assert model.counts == {("a", "b"): 1, ("b", "`"): 1, ("`", "`"): 1, ("c", "d"): 1}  # no ("`", "c") across lines
    assert model.total == 4
    assert NgramLanguageModel(3, ["ab"]).total == 0  # a line shorter than n has no n-grams


def test_a_tuple_symbol_like_unk_is_one_symbol():
    model = NgramLanguageModel(2, [("unk", "a", "unk")])
    assert model.counts == {("unk", "a"): 1, ("a", "unk"): 1}


def test_identical_text_has_zero_divergence_for_every_order():
    text = ["the cat sat on the mat`````", "a dog``"]
    assert ngram_js(text, list(text)) == pytest.approx({1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}, abs=1e-12)


def test_disjoint_symbols_are_exactly_one_bit_apart():
    assert ngram_js(["abab", "ba"], ["xyzx", "zz"]) == pytest.approx({1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}, abs=1e-12)


def test_half_and_half_against_all_one_symbol_by_hand():
    # unigrams P = {a: 1/2, b: 1/2} ("ab"), Q = {a: 1} ("aa"), M = (P + Q)/2 = {a: 3/4, b: 1/4}
    # KL(P‖M) = 1/2·log2((1/2)/(3/4)) + 1/2·log2((1/2)/(1/4)) = 1/2·(1 − log2 3) + 1/2 = 1 − 0.5·log2 3
    # KL(Q‖M) = 1·log2(1/(3/4)) = 2 − log2 3
    # JS = (KL(P‖M) + KL(Q‖M))/2 = 1.5 − 0.75·log2 3 = 1.5 − 0.75·1.5849625007 = 0.3112781245
    # (the official loop over each model's own n-grams is this textbook JS: the terms it skips are 0)
    assert NgramLanguageModel(1, ["ab"]).js_with(NgramLanguageModel(1, ["aa"])) == pytest.approx(0.3112781245)
    assert NgramLanguageModel(1, ["aa"]).js_with(NgramLanguageModel(1, ["ab"])) == pytest.approx(0.3112781245)
    # bigrams {ab} vs {aa}: disjoint
    assert ngram_js(["ab"], ["aa"], n_max=2)[2] == pytest.approx(1.0)


def test_log_likelihood_and_kl_are_in_nats_as_the_official_code_has_them():
    # P = "aa" (a: 1), self = "ab" (a: 1/2, b: 1/2): KL(P‖self) = 1·ln(1/(1/2)) = ln 2 = 0.6931471806
    half = NgramLanguageModel(1, ["ab"])
    assert half.log_likelihood(("a",)) == pytest.approx(-0.6931471806)
    assert half.log_likelihood(("z",)) == -math.inf
    assert half.kl_to(NgramLanguageModel(1, ["aa"])) == pytest.approx(0.6931471806)
    assert NgramLanguageModel(1, ["aa"]).kl_to(half) == math.inf  # self never saw "b"


def test_counting_token_rows_with_numpy_matches_counting_tuples():
    tokens = np.random.default_rng(0).integers(0, 7, size=(50, 9)).astype(np.uint16)
    rows = [tuple(map(int, row)) for row in tokens]
    for n in (1, 2, 3, 4):
        fast = NgramLanguageModel.from_tokens(n, tokens)
        assert fast.counts == NgramLanguageModel(n, rows).counts and fast.total == 50 * (9 - n + 1)
    assert NgramLanguageModel.from_tokens(2, tokens[:20]).js_with(NgramLanguageModel.from_tokens(2, tokens)) == \
        pytest.approx(NgramLanguageModel(2, rows[:20]).js_with(NgramLanguageModel(2, rows)))
