"""Files a lab can share: every artifact gets the user's umask (0644 under umask 022), as `open` would give it."""

import os
import stat

from repro import atomic
from tests.conftest import TINY, repro_cli


def modes(directory):
    return {str(p.relative_to(directory)): stat.S_IMODE(p.stat().st_mode) for p in directory.rglob("*")
            if p.is_file() and p.name != ".lock"}


def test_artifacts_follow_the_umask(tmp_path):
    umask, mode = 0o022, 0o644

    def with_umask():
        os.umask(umask)

    store, run = tmp_path / "store", tmp_path / "run"
    assert repro_cli("prepare", "mnist-bundled", "--size", 16, "--out", store, "--quiet",
                     preexec_fn=with_umask).returncode == 0
    assert repro_cli("train", "toy-8gaussians-gp", "--config", TINY, "--iters", 2, "--out", run, "--quiet",
                     preexec_fn=with_umask).returncode == 0
    written = {**modes(store), **{f"run/{k}": v for k, v in modes(run).items()}}
    assert {"manifest.json", "images.npy", "run/final.pt", "run/meta.json", "run/log.csv", "run/config.yaml"} <= \
        set(written)
    assert any(name.startswith("run/ckpt/") for name in written) and any(name.startswith("run/snapshots/")
                                                                          for name in written)
    assert {name: oct(m) for name, m in written.items() if m != mode} == {}


def test_a_strict_umask_stays_strict(tmp_path):
    previous = os.umask(0o077)
    try:
        atomic.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o600 and os.umask(previous) == previous
