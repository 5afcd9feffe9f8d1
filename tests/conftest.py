import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "profiles" / "tiny.yaml"


@pytest.fixture
def tiny_profile():
    from repro.config import load_profile

    return load_profile(TINY)


def repro_cli(*args, check=False, **kwargs) -> subprocess.CompletedProcess:
    """`python -m repro …` in a child process, from the repository root."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "repro", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=env, check=check, **kwargs)


def read_log(path: Path, drop=("wall_s",)) -> list[dict]:
    import csv

    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]
