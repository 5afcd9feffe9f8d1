"""Bad input a user can make: profile values that look like shell code, Snakemake's string-typed `--config`
overrides, unknown runs, empty or unreadable profiles, and a CI that must not pass without the SLURM test cluster."""

import os
import re
import subprocess
import sys

import pytest
import yaml

from repro.config import check_profile, load_profile
from repro.errors import ConfigError
from tests.conftest import ROOT, TINY, repro_cli, snakemake


def test_a_profile_path_never_runs_as_shell_code(tmp_path, lsun_small):
    """The real prepare jobs of two data entries whose LMDB paths are shell code (a command substitution; a real
    LMDB, then a separator): each path reaches `prepare` as one argument (a missing LMDB), and nothing of it runs."""
    pwned = tmp_path / "PWNED"
    lmdbs = {"lsun-bedroom": f"/x$(touch {pwned})",
             "lsun-bedroom-64": f"{lsun_small} --out {tmp_path}/y; touch {pwned}; echo"}
    profile = tmp_path / "profile.yaml"
    profile.write_text(yaml.safe_dump({"profile": "odd", "train": {}, "data": {
        name: {"store": f"data/{name}", "prepare": {"dataset": "lsun", "lmdb": lmdb, "size": 16}}
        for name, lmdb in lmdbs.items()}}))
    work = tmp_path / "work"
    result = snakemake("--cores", 1, "--keep-going", *[f"data/{name}/manifest.json" for name in lmdbs],
                       "--configfile", profile, cwd=work)
    assert not pwned.exists() and not (tmp_path / "y").exists(), result.stdout + result.stderr
    assert result.returncode != 0
    for name, lmdb in lmdbs.items():  # one argument, verbatim
        assert lmdb in (work / f"results/odd/logs/prepare/{name}.log").read_text()


@pytest.mark.parametrize("data, metrics, key", [
    ({"mnist": "results/x\n/y"}, {}, "data.mnist"),
    ({"lsun-bedroom": {"store": "results/\x1b[2Jstore"}}, {}, "data.lsun-bedroom.store"),
    ({"lsun-bedroom": {"store": "s", "prepare": {"dataset": "lsun", "lmdb": "lmdb\x00"}}}, {},
     "data.lsun-bedroom.prepare.lmdb"),
    ({}, {"inception_weights": "w.pth\x7f"}, "metrics.inception_weights"),
])
def test_control_characters_in_a_profile_path_are_refused(tmp_path, data, metrics, key):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"profile": "p", "train": {}, "data": data, "metrics": metrics}))
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: {re.escape(key)} = .* contains a control "
                                          rf"character"):
        load_profile(path)


def test_nested_config_overrides_take_the_schema_types(tmp_path):
    """Snakemake reads every value inside `train={…}` as a string; the README's override works all the same."""
    result = snakemake("-n", "results/default/cost.json", "--config", "train={iters: 5, seeds: [0, 1], "
                       "channels_last: false}", "toys={scale: {wgan-fig1: 0.5}}", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    written = yaml.safe_load((tmp_path / "results/default/profile.yaml").read_text())
    train = written["train"]
    assert (train["iters"], train["seeds"], train["channels_last"]) == (5, [0, 1], False)
    default = yaml.safe_load((ROOT / "configs/default.yaml").read_text())
    assert written["toys"]["scale"] == {**default["toys"]["scale"], "wgan-fig1": 0.5} != default["toys"]["scale"]
    assert train["iters_per_run"] == default["train"]["iters_per_run"]  # the embedded default's other keys stay


def test_a_bad_nested_override_is_one_line_naming_the_key(tmp_path):
    result = snakemake("-n", "results/default/cost.json", "--config", "train={iters: 0}", cwd=tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "Job stats" not in out
    assert [line for line in out.splitlines() if "train.iters" in line] == \
        ["profile (--configfile / --config): train.iters = 0: 0 is less than the minimum of 1"], out
    from repro.config import typed_overrides

    with pytest.raises(ConfigError, match="^where: train.iters = 'five': 'five' is not of type 'integer'$"):
        check_profile({"profile": "p", "data": {}, **typed_overrides({"train": {"iters": "five"}})}, "where")


def one_line_error(result) -> str:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_run_names_the_three_nearest():
    line = one_line_error(repro_cli("train", "wgan-dcgn", "--config", TINY))
    assert line == "error: unknown run 'wgan-dcgn' (did you mean 'wgan-dcgan', 'gan-dcgan' or 'wgan-dcgan-adam'?); " \
                   f"`python -m repro runs` lists all {line.rsplit(' ', 1)[1]}"
    assert len(line) < 200


def test_an_empty_profile_says_it_is_empty(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert one_line_error(repro_cli("train", "wgan-dcgan", "--config", path)) == \
        f"error: {path}: the profile is empty; start from a copy of configs/default.yaml"
    path.write_text("# nothing but a comment\n")
    with pytest.raises(ConfigError, match="the profile is empty"):
        load_profile(path)


def test_a_directory_as_profile_is_one_line(tmp_path):
    assert one_line_error(repro_cli("table", "--config", tmp_path)) == \
        f"error: {tmp_path}: is a directory, not a profile; give a file such as configs/default.yaml"


@pytest.mark.parametrize("require, test, missing, packages", [
    ("REPRO_REQUIRE_CLUSTER", "tests/cluster/test_slurm.py::test_train_job_runs_through_slurm", "not on PATH",
     "slurm-wlm and munge (apt-get install slurm-wlm munge, as .ci/run does)"),
    ("REPRO_REQUIRE_BROWSER", "tests/test_report.py::test_a_table_page_keeps_its_styles_to_itself_so_the_report_"
     "can_embed_it", "chromium and chromedriver not on PATH",
     "chromium and chromium-driver (apt-get install chromium chromium-driver, as .ci/run does)")])
def test_ci_fails_where_the_cluster_or_browser_tests_would_skip(require, test, missing, packages):
    """`.ci/run` sets the variable before the README's test command; with it, a machine without SLURM (Chromium)
    fails the cluster (browser) tests instead of skipping them (here: the programs hidden from PATH)."""
    script = (ROOT / ".ci/run").read_text()
    assigned = re.search(rf"^export {require}=1$", script, re.M)
    assert assigned and assigned.start() < script.index(".venv/bin/python -m pytest"), script
    env = {**os.environ, "PATH": os.path.dirname(sys.executable), require: "1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", test],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "1 error" in result.stdout and "skipped" not in result.stdout, result.stdout
    assert f"{missing} - install Debian's {packages} ({require}=1: the " in result.stdout, result.stdout
