"""Every command of the README's "Train one run", "Data" and "Metrics" sections, run as written in a fresh copy of
the repository (its tracked files, nothing built) with the raw inputs where the README puts them."""

import re
import shutil
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT
from tests.lsun_fixture import SAMPLE_DIR
from tests.paper_fixtures import paper_data

SECTIONS = ("## Train one run", "## Data: image and text stores, built once", "## Metrics: every snapshot measured")
# the placeholders the README writes in capitals, and the value each takes here ([…] options are given)
VALUES = {"RUN_DIR": "results/default/runs/gan-dcgan/seed0", "RUN": "gan-dcgan", "PROFILE": "configs/default.yaml",
          "FILE": "readme-metrics.csv", "DIR": "results/default/runs/gan-dcgan/seed0", "S": "0", "N": "3",
          "auto|cpu|cuda": "cpu"}
NOT_RUN = {  # commands no test machine can run as written, and where what they do is tested instead
    "download": "fetches from the dataset's own server; tests/test_download.py runs it against a local one",
    "prepare cifar10 --root": "needs CIFAR-10's own archive (torchvision checks its md5); the --images route runs",
}


def readme_commands() -> list[str]:
    """The `python -m repro …` lines of the three sections' bash blocks, comments dropped."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for heading in SECTIONS:
        section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```bash\n(.*?)```", section, re.S):
            commands += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    return commands


def as_run(command: str) -> list[str] | None:
    """The command with its placeholders filled in and its optional parts given ([--download] left out: offline);
    None where NOT_RUN says why."""
    if any(command.startswith(f"python -m repro {prefix}") for prefix in NOT_RUN):
        return None
    command = command.replace("[--download]", "")
    command = re.sub(r"\[([^\]]*)\]", r"\1", command)
    for placeholder, value in VALUES.items():
        command = re.sub(rf"(?<![\w-]){re.escape(placeholder)}(?![\w-])", value, command)
    return shlex.split(command)


def fresh_copy(tmp_path: Path) -> Path:
    """The repository's files as a fresh clone of them has them (tracked, or new and not ignored)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout
    checkout = tmp_path / "checkout"
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            (checkout / name).write_bytes((ROOT / name).read_bytes())
    return checkout


def test_every_readme_command_is_run_here_or_says_why_not():
    commands = readme_commands()
    assert len(commands) == 18 and all(c.startswith("python -m repro ") for c in commands), commands
    skipped = [c for c in commands if as_run(c) is None]
    assert len(skipped) == 4 and all("download" in c or "cifar10 --root" in c for c in skipped)
    ran = [as_run(c) for c in commands if as_run(c) is not None]
    assert not any(word in VALUES or "[" in word or "|" in word for command in ran for word in command), ran


@pytest.mark.slow(seconds=60)
def test_the_readme_commands_work_as_written_in_a_fresh_copy(tmp_path):
    checkout = fresh_copy(tmp_path)
    paper_data(checkout)  # data/lsun, data/mnist, data/cifar10-images, data/imagenet32, data/billion-word
    with tarfile.open(checkout / "bedrooms.tar", "w") as tar:
        for path in sorted(SAMPLE_DIR.glob("*.png")):
            tar.add(path, arcname=f"bedrooms/{path.name}")
    (checkout / "my-sentences.txt").write_text("The critic is trained to optimality.\nClipping limits it.\n")
    outputs = {}
    for command in filter(None, map(as_run, readme_commands())):
        if "--images" in command and "lsun" in command:  # the README's alternative to the LMDB, same --out
            shutil.rmtree(checkout / command[command.index("--out") + 1])
        result = subprocess.run([sys.executable, *command[1:]], cwd=checkout, capture_output=True, text=True)
        assert result.returncode == 0, (shlex.join(command), result.stderr[-2000:])
        outputs[shlex.join(command[3:5])] = result.stdout
    assert "gan-dcgan" in outputs["runs"] and "dcgan_g" in outputs["models"]
    status = [line.split() for line in outputs["status --config"].splitlines()]
    assert [line[2:] for line in status if line[:2] == ["gan-dcgan", "seed0"]] == [
        "stopped at iteration 3 of 300 (rerun its command to continue)".split()]
    run = checkout / VALUES["RUN_DIR"]
    assert len(pd.read_csv(run / "log.csv")) == 3 and (run / "tb").is_dir()
    assert list(pd.read_csv(checkout / VALUES["FILE"])["gen_iter"]) == [0, 3]
    stores = {p.parent.relative_to(checkout).as_posix() for p in checkout.glob("results/**/manifest.json")}
    paper = "results/paper/data"  # the splits each README comment names
    assert stores == {f"{paper}/lsun-bedroom-64", f"{paper}/cifar10/train", f"{paper}/cifar10/test",
                      f"{paper}/mnist/train", f"{paper}/mnist/validation", f"{paper}/mnist/test",
                      f"{paper}/imagenet32/train", f"{paper}/imagenet32/validation", f"{paper}/billion-word",
                      "results/default/data/mnist32", "results/default/data/mnist-32", "results/mine/data/text"}
    assert (checkout / "results/default/tables/runs.csv").stat().st_size > 0
