import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Subnormal floats flushed in every thread, as `python -m repro` runs (repro.engine.flush_denormals); under
    pytest-xdist each worker gets its share of the cores, so workers' PyTorch threads do not oversubscribe them,
    and runs trained in the worker and in its `python -m repro` children use the same number of threads."""
    import torch

    from repro.engine import flush_denormals

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 1))
    if workers > 1:  # `python -m repro` children too: a run's floats depend on the thread count
        threads = max(1, (os.cpu_count() or 1) // workers)
        torch.set_num_threads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)
    flush_denormals()


def pytest_collection_modifyitems(items):
    """The heaviest test files first, by the sum of their tests' `slow(seconds=…)` times: pytest-xdist hands whole
    files to whichever worker is free (--dist=loadfile, --no-loadscope-reorder), so the long end-to-end tests start
    at once and the short files fill the gaps, instead of the paper smoke DAG starting last and running alone."""
    weight = {}
    for item in items:
        seconds = max((mark.kwargs.get("seconds", 0) for mark in item.iter_markers("slow")), default=0)
        weight[item.path] = weight.get(item.path, 0) + seconds
    items.sort(key=lambda item: -weight[item.path])  # stable: files of equal weight and each file's tests keep order


def pytest_terminal_summary(terminalreporter):
    """What an end-to-end test measured (its `summary` property, e.g. the paper smoke DAG's job count per rule and
    time), printed at the end of the session; the property travels from xdist workers with the test's report."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "summary":
                terminalreporter.write_line(f"{report.nodeid}: {value}")


TINY = ROOT / "tests" / "profiles" / "tiny.yaml"


@pytest.fixture
def tiny_profile():
    from repro.config import load_profile

    return load_profile(TINY)


@pytest.fixture(scope="module")
def one_thread():
    """Many tiny tensor ops: intra-op threads only cost time, most of all on a loaded 2-core machine. A module
    opts in with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def skip_or_fail_without(reason: str | None, required: str, tests: str) -> None:
    """Skips the test where a real component it needs cannot start here (`reason`), saying why; fails instead
    where the environment variable `required` is "1", as `.ci/run` sets it, so CI cannot pass without it."""
    if reason is None:
        return
    if os.environ.get(required) == "1":
        pytest.fail(f"{reason} ({required}=1: the {tests} tests must run here)", pytrace=False)
    pytest.skip(reason)


def repro_cli(*args, check=False, **kwargs) -> subprocess.CompletedProcess:
    """`python -m repro …` in a child process, from the repository root."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "repro", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=env, check=check, **kwargs)


def read_log(path: Path, drop=("wall_s",)) -> list[dict]:
    import csv

    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


@pytest.fixture(scope="session")
def lsun_small(tmp_path_factory):
    """Six real bedrooms, two synthetic landscape/portrait images, one WebP, three corrupt entries."""
    from PIL import Image

    from repro.data.lsun import synthetic_entries, write_lmdb
    from tests.lsun_fixture import corrupt_entries, encode, real_entries

    webp = [(b"a" * 40, encode(Image.open(next((ROOT / "tests/data/lsun_bedroom_sample").glob("*.png"))), "WEBP"))]
    items = real_entries() + list(synthetic_entries(2, seed=1)) + webp + corrupt_entries()
    return write_lmdb(tmp_path_factory.mktemp("lsun") / "bedroom_train_lmdb", items)


@pytest.fixture(scope="session")
def lsun_large(tmp_path_factory):
    """Thousands of generated JPEGs: for resume and speed."""
    from repro.data.lsun import synthetic_entries, write_lmdb

    return write_lmdb(tmp_path_factory.mktemp("lsun_large") / "bedroom_train_lmdb", synthetic_entries(3000))


def snakemake(*args, cwd: Path, timeout=900, env=None) -> subprocess.CompletedProcess:
    """`snakemake` on the repository's Snakefile, working in `cwd`, with this venv's `python` on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    return subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                           "--directory", str(cwd), *map(str, args)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def job_counts(output: str) -> dict[str, int]:
    table = output[output.index("Job stats:"):]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def input_sizes(modules, run) -> list[int]:
    """Spatial size of the input each module sees while `run()` executes, in call order."""
    sizes = []
    hooks = [m.register_forward_pre_hook(lambda _, args: sizes.append(args[0].shape[-1])) for m in modules]
    run()
    for hook in hooks:
        hook.remove()
    return sizes
