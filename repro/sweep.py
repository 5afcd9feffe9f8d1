"""WGAN-GP's random-architecture study (Tables 1, 2, 5, App. B-D) read back from the trained runs.

Every architecture of the profile's part of the sweep has a final score per method: the last evaluated snapshot's
`random_architectures.score`, mean over finished seeds. Table 2 counts, per threshold, the architectures only the
GAN, only WGAN-GP, both or neither trained to success; App. C counts which penalty scored better; App. D counts, per
threshold, the architectures that drew the smooth ELU stand-in which succeeded with it and with ELU itself. Tables
under results/<profile>/tables/: `wgangp-sweep` (each architecture's Table 1 point and scores), `wgangp-table2`,
`wgangp-appC`, `wgangp-appD`.
"""

import dataclasses
import math
from pathlib import Path

import pandas as pd
from scipy import stats

from repro.config import Profile
from repro.metrics import curves
from repro.nets.table1 import sample_architecture
from repro.registry import ONE_SIDED_SIZE, RUNS, SWEEP_METHODS, SWEEP_SEED, SWEEP_SIZE
from repro.tables import read_meta, read_metrics, scale_phrase, write_table

# WGAN-GP Table 5 (App. B; Table 2 is its rows 1.0, 3.0, 5.0, 7.0, 9.0): Inception-score threshold → architectures
# (of 200) that succeeded with only the GAN, only WGAN-GP, both, neither.
TABLE5 = {1.0: (0, 8, 192, 0), 1.5: (0, 50, 150, 0), 2.0: (0, 60, 140, 0), 2.5: (0, 74, 125, 1),
          3.0: (1, 88, 110, 1), 3.5: (0, 111, 86, 3), 4.0: (1, 126, 67, 6), 4.5: (0, 136, 55, 9),
          5.0: (0, 147, 42, 11), 5.5: (0, 148, 32, 20), 6.0: (0, 145, 21, 34), 6.5: (1, 131, 11, 57),
          7.0: (1, 104, 5, 90), 7.5: (2, 67, 3, 128), 8.0: (1, 34, 0, 165), 8.5: (0, 6, 0, 194), 9.0: (0, 0, 0, 200)}
OUTCOMES = ("only_gan", "only_wgan_gp", "both", "neither")
APP_C = {"two_sided_better": 100, "one_sided_better": 77, "architectures": 174}  # as printed (100 + 77 ≠ 174)


def final_score(profile: Profile, results: Path, run: str) -> float:
    """The run's last evaluated snapshot's score, mean over its finished seeds; NaN when none was evaluated."""
    values = []
    for seed in profile.seeds_of(run):
        metrics = read_metrics(results, run, seed)
        if read_meta(results / "runs" / run / f"seed{seed}") is None or metrics is None or metrics.empty:
            continue
        column = curves.score_column(metrics, profile.sweep.score)
        if column is not None:
            values.append(float(metrics[column].iloc[-1]))
    return sum(values) / len(values) if values else math.nan


def scores(profile: Profile, results: Path) -> pd.DataFrame:
    """One row per architecture the profile trains: its index, Table 1 point and final score per method (NaN where
    the method has no run for it: App. D's ELU runs exist only where the sweep drew the stand-in)."""
    rows = []
    for index in range(profile.sweep.architectures):
        row = {"architecture": index, **dataclasses.asdict(sample_architecture(index, SWEEP_SEED))}
        for method in SWEEP_METHODS:
            run = f"randarch-{index:03d}-{method}"
            row[method] = final_score(profile, results, run) if run in RUNS and profile.trains(run) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def succeeded(score: float, threshold: float, higher_is_better: bool) -> bool:
    """The paper's "Inception score > min score"; a distance succeeds at or below the threshold. A run without a
    finite score (diverged) failed."""
    if not math.isfinite(score):
        return False
    return score > threshold if higher_is_better else score <= threshold


def thresholds(profile: Profile, judged: pd.DataFrame, methods: tuple[str, str] = ("gan", "wgan-gp")) -> list[float]:
    """The profile's thresholds, else every finite score the judged runs of the two `methods` reached."""
    if profile.sweep.thresholds:
        return list(profile.sweep.thresholds)
    observed = pd.concat([judged[m] for m in methods])
    return sorted({float(v) for v in observed if math.isfinite(v)})


def table2(profile: Profile, table: pd.DataFrame) -> pd.DataFrame:
    """Per threshold, the outcome counts over the architectures whose GAN and WGAN-GP runs both have a score
    (finished and evaluated; a non-finite score counts as a failure), with the paper's Table 5 row beside."""
    judged = table.dropna(subset=["gan", "wgan-gp"], how="any")
    higher, rows = profile.sweep.higher_is_better, []
    for threshold in thresholds(profile, judged):
        counts = dict.fromkeys(OUTCOMES, 0)
        for gan, gp in zip(judged["gan"], judged["wgan-gp"]):
            ok = (succeeded(gan, threshold, higher), succeeded(gp, threshold, higher))
            counts[{(True, False): "only_gan", (False, True): "only_wgan_gp", (True, True): "both",
                    (False, False): "neither"}[ok]] += 1
        paper = TABLE5.get(threshold) if profile.sweep.score == "is" else None
        rows.append({"threshold": threshold, **counts, "architectures": len(judged),
                     **{f"paper_{k}": (paper[i] if paper else None) for i, k in enumerate(OUTCOMES)}})
    columns = ["threshold", *OUTCOMES, "architectures", *(f"paper_{k}" for k in OUTCOMES)]
    return pd.DataFrame(rows, columns=columns).astype({f"paper_{k}": "Int64" for k in OUTCOMES})


def app_c(profile: Profile, table: pd.DataFrame) -> pd.DataFrame:
    """App. C's count: over the architectures with both penalties scored, which scored better, and the two-sided
    sign test's p-value (ties left out), beside the paper's numbers."""
    judged = table.dropna(subset=["wgan-gp", "wgan-gp-one-sided"], how="any")
    sign = 1 if profile.sweep.higher_is_better else -1
    diff = sign * (judged["wgan-gp"] - judged["wgan-gp-one-sided"])
    two, one = int((diff > 0).sum()), int((diff < 0).sum())
    p = stats.binomtest(two, two + one).pvalue if two + one else math.nan
    return pd.DataFrame([
        {"source": "ours", "architectures": len(judged), "two_sided_better": two, "one_sided_better": one,
         "ties": len(judged) - two - one, "sign_test_p": p},
        {"source": "paper (App. C)", **APP_C, "ties": None, "sign_test_p": None}]
    ).astype({"ties": "Int64"})


def app_d(profile: Profile, table: pd.DataFrame) -> pd.DataFrame:
    """App. D's comparison: per threshold, how many of the architectures with both WGAN-GP runs scored (those that
    drew the smooth stand-in) succeeded with the stand-in and how many with ELU in its place."""
    judged = table.dropna(subset=["wgan-gp", "wgan-gp-elu"], how="any")
    higher = profile.sweep.higher_is_better
    rows = [{"threshold": t, "smooth_stand_in": sum(succeeded(v, t, higher) for v in judged["wgan-gp"]),
             "elu": sum(succeeded(v, t, higher) for v in judged["wgan-gp-elu"]), "architectures": len(judged)}
            for t in thresholds(profile, judged, ("wgan-gp", "wgan-gp-elu"))]
    return pd.DataFrame(rows, columns=["threshold", "smooth_stand_in", "elu", "architectures"])


def _sweep_header(profile: Profile) -> str:
    sweep = profile.sweep
    return (f"{scale_phrase(profile)}: the first {sweep.architectures} of the {SWEEP_SIZE} architectures drawn "
            f"from WGAN-GP Table 1 (seed {SWEEP_SEED}; filter counts are Table 1's, scaled by the profile's width "
            f"/ 64), and each method's score: `{sweep.score}` of the last evaluated snapshot, mean over finished "
            f"seeds (empty: not trained or not evaluated).")


def _table2_header(profile: Profile, table: pd.DataFrame) -> str:
    sweep = profile.sweep
    rule = "> threshold" if sweep.higher_is_better else "≤ threshold"
    paper = ("The paper_* columns are Table 5's counts of 200 architectures on 32×32 ImageNet (Inception score)."
             if sweep.score == "is" else "The paper's counts are Inception scores and are not shown beside a "
             "distance.")
    picked = "the profile's" if sweep.thresholds else "every score observed (so each row changes one count)"
    return (f"{scale_phrase(profile)}: WGAN-GP Table 2 / Table 5. Success = the last snapshot's `{sweep.score}` "
            f"{rule}; thresholds: {picked}. Counted over the {int(table['architectures'].max()) if len(table) else 0}"
            f" architectures whose GAN and WGAN-GP runs were both scored. {paper}")


def _app_c_header(profile: Profile) -> str:
    return (f"{scale_phrase(profile)}: WGAN-GP App. C. For each architecture of the first "
            f"{min(profile.sweep.architectures, ONE_SIDED_SIZE)} with both penalties scored, which scored better "
            f"(`{profile.sweep.score}`, {'higher' if profile.sweep.higher_is_better else 'lower'} is better); "
            f"sign_test_p is the two-sided binomial test of the two counts (ties left out). The paper printed 100 "
            f"and 77 of 174 (they sum to 177) and found no significant difference at p < 0.05.")


def _app_d_header(profile: Profile) -> str:
    return (f"{scale_phrase(profile)}: WGAN-GP App. D. Over the architectures of the first "
            f"{profile.sweep.architectures} that drew Table 1's smooth stand-in for ELU (softplus(2x + 2)/2 − 1) and "
            f"have both WGAN-GP runs scored, how many succeeded (`{profile.sweep.score}` "
            f"{'> threshold' if profile.sweep.higher_is_better else '≤ threshold'}) with the stand-in and how many "
            f"with ELU in its place. The paper reports that ELU could not be trained and the stand-in could.")


def write_tables(profile: Profile, results: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """The four tables under `out` (default results/<profile>/tables)."""
    results = Path(results or f"results/{profile.name}")
    out = Path(out or results / "tables")
    table = scores(profile, results)
    counts = table2(profile, table)
    name = profile.name
    return (write_table(out, "wgangp-sweep", f"WGAN-GP random architectures, profile `{name}`",
                        _sweep_header(profile), table)
            + write_table(out, "wgangp-table2", f"WGAN-GP Table 2, profile `{name}`",
                          _table2_header(profile, counts), counts)
            + write_table(out, "wgangp-appC", f"WGAN-GP App. C, profile `{name}`", _app_c_header(profile),
                          app_c(profile, table))
            + write_table(out, "wgangp-appD", f"WGAN-GP App. D, profile `{name}`", _app_d_header(profile),
                          app_d(profile, table)))
