"""`python -m repro status`: where every run × seed of a profile stands, read from its run directory and its lock.

A run is running while a process holds its directory's lock (repro.lock), whatever its files say; otherwise
meta.json says completed or diverged, a log without meta.json is a run that stopped (rerun its command to resume),
and no log is a run not started.
"""

from pathlib import Path

from repro import lock
from repro.config import Profile, resolve
from repro.errors import DataError
from repro.tables import read_meta


def last_iteration(run_dir: Path) -> int:
    """The generator iteration of log.csv's last row (0 without one), read from the file's end."""
    path = run_dir / "log.csv"
    if not path.exists():
        return 0
    with open(path, "rb") as f:
        f.seek(0, 2)
        f.seek(max(f.tell() - 4096, 0))
        lines = f.read().splitlines()
    last = lines[-1].split(b",")[0] if lines else b""
    return int(last) if last.isdigit() else 0


def run_state(run_dir: Path, iters: int) -> str:
    if lock.holder(run_dir) is not None:
        return f"running at iteration {last_iteration(run_dir):,} of {iters:,}"
    try:
        meta = read_meta(run_dir)
    except ValueError:
        meta = None
    if meta and meta["status"] == "diverged":
        return f"diverged at iteration {meta['diverged_at']:,}"
    if meta and meta["gen_iter"] >= iters:
        return "completed"
    done = meta["gen_iter"] if meta else last_iteration(run_dir)
    if done or (run_dir / "config.yaml").exists():
        return f"stopped at iteration {done:,} of {iters:,} (rerun its command to continue)"
    return "not started"


def profile_status(profile: Profile, results: Path) -> list[tuple[str, int, str]]:
    """(run, seed, state) for every run × seed the profile trains, in registry order."""
    if not results.is_dir():
        raise DataError(f"{results}: no results directory; train a run of the profile first, or give --results")
    return [(run, seed, run_state(results / "runs" / run / f"seed{seed}", resolve(run, profile, seed).iters))
            for run in profile.runs for seed in profile.seeds_of(run)]


def print_status(profile: Profile, results: Path) -> None:
    rows = profile_status(profile, results)
    width = max(len(run) for run, _, _ in rows)
    for run, seed, state in rows:
        print(f"{run:{width}s}  seed{seed}  {state}")
    counts: dict[str, int] = {}
    for _, _, state in rows:
        kind = state.split(" at ")[0]  # completed, diverged, running, stopped, not started
        counts[kind] = counts.get(kind, 0) + 1
    print(", ".join(f"{n} {kind}" for kind, n in counts.items()))
