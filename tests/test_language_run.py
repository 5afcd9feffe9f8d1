"""WGAN-GP Table 4 end to end on the in-memory stand-in text: batches, training, evaluation, figure and claim."""

import dataclasses
import math
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch

from repro import claims
from repro.config import load_profile, resolve
from repro.data.sampler import open_sampler, split
from repro.data.text import BUILTIN, builtin_sentences, builtin_store
from repro.metrics.evaluate import evaluate
from repro.plots import draw
from repro.train import train
from tests.conftest import TINY

RUNS = ("language-gp", "language-gan")


def textbook_js(a: list[str], b: list[str], n: int) -> float:
    """Jensen–Shannon divergence in bits between the n-gram distributions of two sets of lines (within lines)."""
    p, q = (Counter(line[i:i + n] for line in lines for i in range(len(line) - n + 1)) for lines in (a, b))
    total_p, total_q = sum(p.values()), sum(q.values())
    js = 0.0
    for gram in set(p) | set(q):
        pp, qq = p[gram] / total_p, q[gram] / total_q
        m = (pp + qq) / 2
        js += 0.5 * (pp * math.log2(pp / m) if pp else 0) + 0.5 * (qq * math.log2(qq / m) if qq else 0)
    return js


def _lines(tokens: np.ndarray, vocab: list[str]) -> list[str]:
    return ["".join(vocab[i] for i in row) for row in tokens.tolist()]


def test_the_stand_in_text_is_pythons_help_sentences_padded_to_32():
    store = builtin_store()
    lines = sorted(_lines(store.tokens, store.vocab))
    expected = sorted(s[:32].ljust(32, "`") for s in builtin_sentences())
    assert lines == expected and store.vocab[0] == "unk" and len(store.vocab) == len(set("".join(expected))) + 1


def test_text_batches_are_one_hot_training_lines_never_the_held_out_ones():
    store = builtin_store()
    sampler = open_sampler(BUILTIN, 32, 64, 0, torch.device("cpu"), hold_out=640, text=True)
    trained, held = split(len(store.tokens), BUILTIN, None, 640)
    batch = sampler.next()
    assert batch.shape == (64, len(store.vocab), 32) and torch.equal(batch.sum(1), torch.ones(64, 32))
    drawn = set(_lines(batch.argmax(1).numpy(), store.vocab))
    assert drawn <= set(_lines(store.tokens[trained], store.vocab))
    assert not drawn & (set(_lines(store.tokens[held], store.vocab)) - set(_lines(store.tokens[trained], store.vocab)))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Both Table 4 runs, 10 generator iterations each (snapshots at 0, 5, 10), evaluated, and the figure."""
    profile = load_profile(TINY)
    root = tmp_path_factory.mktemp("language") / "tiny"
    for run in RUNS:
        run_dir = root / "runs" / run / "seed0"
        assert train(dataclasses.replace(resolve(run, profile, 0, iters=10), batch_size=16), run_dir, "cpu",
                     quiet=True) == 0
        evaluate(run_dir, root / "metrics" / run / "seed0.csv", profile.metrics, "cpu", quiet=True)
    draw("wgangp-table4", profile, results=root, out_dir=root / "figures")
    return profile, root


def test_samples_are_saved_as_64_decoded_lines_of_32_symbols(results):
    """One line per fixed-noise sample; the unknown symbol is written 'unk', as gan_language.py decodes it."""
    _, root = results
    lines = (root / "runs/language-gp/seed0/samples/gen_000000010.txt").read_text().splitlines()
    vocab = set(builtin_store().vocab)
    assert len(lines) == 64
    for line in lines:
        symbols = re.findall("unk|.", line)
        assert len(symbols) == 32 and set(symbols) <= vocab


def test_evaluation_gives_the_ngram_js_of_samples_and_of_the_held_out_lines(results):
    _, root = results
    metrics = pd.read_csv(root / "metrics/language-gp/seed0.csv")
    assert metrics["gen_iter"].tolist() == [0, 5, 10]
    store = builtin_store()
    trained, held = split(len(store.tokens), BUILTIN, None, 640)
    training, real = _lines(store.tokens[trained], store.vocab), _lines(store.tokens[held], store.vocab)
    for n in (1, 2, 3, 4):
        assert metrics[f"js{n}_real_640"].iloc[-1] == pytest.approx(textbook_js(real, training, n), rel=1e-9)
        assert metrics[f"js{n}_640"].between(0, 1).all()
    # real lines share most n-grams with the training lines; an untrained generator's samples do not
    assert (metrics["js4_640"] > metrics["js4_real_640"] + 0.3).all()


def test_figure_caption_prints_the_samples_and_the_final_divergences(results):
    profile, root = results
    caption = (root / "figures/wgangp-table4.md").read_text()
    for run in RUNS:
        metrics = pd.read_csv(root / "metrics" / run / "seed0.csv")
        row = next(line for line in caption.splitlines() if f"| `{run}` |" in line)
        assert row.endswith(" | ".join(f"{metrics[f'js{n}_640'].iloc[-1]:.3f}" for n in (1, 2, 3, 4)) + " |")
        lines = (root / "runs" / run / "seed0/samples/gen_000000010.txt").read_text().splitlines()
        assert f"\n{lines[0]:<34}{lines[9]}\n" in caption  # 18 lines in two columns of 9, as the paper prints them
    assert "stand-in text (Python's own help texts)" in caption


def test_the_claim_compares_the_final_4_gram_divergences(results):
    profile, root = results
    final = {run: pd.read_csv(root / "metrics" / run / "seed0.csv")["js4_640"].iloc[-1] for run in RUNS}
    measured = claims.language_gap(claims.Evidence(profile, root))
    assert measured.values == {"seed 0": pytest.approx(final["language-gan"] / final["language-gp"] - 1)}
