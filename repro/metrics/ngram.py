"""Character n-gram statistics of WGAN-GP's language model (spec/wgangp.md §3.6; official language_helpers.py's
NgramLanguageModel, as gan_language.py uses it with tokenize=False).

An n-gram is n consecutive symbols inside one sequence: windows never cross from one line to the next, and the
backtick padding and the `unk` symbol count like any other symbol (the official code counts the padded, 32-symbol
lines it trains on, and the argmax-decoded samples including their padding). A sequence is anything indexable of
hashable symbols: a str (one symbol per character), a tuple of vocabulary symbols (where 'unk' is one symbol), or
a row of token ids (`from_tokens`, the fast path for a whole dataset).

Units, as in the official code: `log_likelihood` and `kl_to` are in nats, `js_with` in bits. The official JS sums
p·log(p/m) over p's n-grams and q·log(q/m) over q's, m = (p + q)/2: that is the textbook Jensen–Shannon divergence
(base 2, in [0, 1]) exactly, since the terms it leaves out are zero. gan_language.py logs `js{n}` for n = 1…4 as
NgramLanguageModel(n, samples).js_with(NgramLanguageModel(n, all training lines)).
"""

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

import numpy as np

TOKEN_ROWS_PER_CHUNK = 1 << 20  # bounds from_tokens' memory: one chunk's n-gram codes at a time


class NgramLanguageModel:
    """Counts of the n-grams of `samples`: the maximum-likelihood n-gram distribution, no smoothing."""

    def __init__(self, n: int, samples: Iterable[Sequence[Hashable]] = (), counts: dict[tuple, int] | None = None):
        if n < 1:
            raise ValueError(f"n-gram order {n}: must be at least 1")
        self.n = n
        self.counts: dict[tuple, int] = counts if counts is not None else Counter(
            tuple(sample[i:i + n]) for sample in samples for i in range(len(sample) - n + 1))
        self.total = sum(self.counts.values())

    @classmethod
    def from_tokens(cls, n: int, tokens: np.ndarray) -> "NgramLanguageModel":
        """The model of the rows of an integer array [N, L] (n-grams as tuples of ints), counted with numpy: a
        10M-line dataset in seconds, where the tuple loop takes many minutes. Same counts as the rows as tuples."""
        tokens = np.asarray(tokens)
        base = int(tokens.max()) + 1 if tokens.size else 1
        if base ** n > 2 ** 64:
            raise ValueError(f"{n}-grams of {base} symbols do not fit a 64-bit code")
        codes, weights = [], []
        for start in range(0, len(tokens), TOKEN_ROWS_PER_CHUNK):
            rows = tokens[start:start + TOKEN_ROWS_PER_CHUNK].astype(np.uint64)
            chunk = np.zeros((len(rows), max(rows.shape[1] - n + 1, 0)), dtype=np.uint64)
            for k in range(n):
                chunk = chunk * np.uint64(base) + rows[:, k:k + chunk.shape[1]]
            unique, count = np.unique(chunk, return_counts=True)
            codes.append(unique)
            weights.append(count)
        unique, inverse = np.unique(np.concatenate(codes or [np.zeros(0, np.uint64)]), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate(weights or [np.zeros(0)]), minlength=len(unique))
        digits = [(unique // np.uint64(base ** (n - 1 - k))) % np.uint64(base) for k in range(n)]
        return cls(n, counts={tuple(map(int, gram)): int(c) for *gram, c in zip(*digits, totals)})

    def unique_ngrams(self) -> set[tuple]:
        return set(self.counts)

    def log_likelihood(self, ngram: Sequence[Hashable]) -> float:
        """ln P(ngram) under the counts; −inf for an n-gram never seen."""
        count = self.counts.get(tuple(ngram), 0)
        return math.log(count) - math.log(self.total) if count else -math.inf

    def kl_to(self, p: "NgramLanguageModel") -> float:
        """KL(p ‖ self) in nats: the mean over p's n-gram occurrences of ln p − ln self (inf when self misses one
        of them), as the official code averages it; nan when p has no n-grams."""
        if p.total == 0:
            return math.nan
        return sum(count * (p.log_likelihood(gram) - self.log_likelihood(gram))
                   for gram, count in p.counts.items()) / p.total

    def js_with(self, p: "NgramLanguageModel") -> float:
        """Jensen–Shannon divergence between p and self in bits (0 for equal distributions, 1 for disjoint ones)."""
        return 0.5 * (_kl_to_mixture(p, self) + _kl_to_mixture(self, p)) / math.log(2)


def _kl_to_mixture(p: NgramLanguageModel, q: NgramLanguageModel) -> float:
    """KL(p ‖ (p + q)/2) in nats, summed over p's n-grams (the official loop over `p.unique_ngrams()`)."""
    grams = list(p.counts)
    log_p = np.array([p.log_likelihood(g) for g in grams])
    log_q = np.array([q.log_likelihood(g) for g in grams])
    log_m = np.logaddexp(log_p - math.log(2), log_q - math.log(2))
    return float(np.sum(np.exp(log_p) * (log_p - log_m)))


def ngram_js(samples: Iterable[Sequence[Hashable]], reference: Iterable[Sequence[Hashable]],
             n_max: int = 4) -> dict[int, float]:
    """{n: JS divergence (bits) between the n-gram distributions of `samples` and `reference`} for n = 1…n_max,
    gan_language.py's js1…js4 monitoring numbers."""
    samples, reference = list(samples), list(reference)
    return {n: NgramLanguageModel(n, samples).js_with(NgramLanguageModel(n, reference)) for n in range(1, n_max + 1)}
