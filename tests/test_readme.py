"""Every command of the README's "Train one run", "Data" and "Metrics" sections, run as written in a fresh copy of
the repository (its tracked files, nothing built) with the raw inputs where the README puts them. The downloads
go to the datasets' own URLs through a local HTTP proxy that answers them with archives of the test data."""

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from repro.data.download import BILLION_WORD, BILLION_WORD_URL, LSUN_URL
from tests.conftest import ROOT
from tests.lsun_fixture import SAMPLE_DIR
from tests.paper_fixtures import billion_word, cifar10_images, imagenet32_npz, lsun_lmdbs, mnist_raw

SECTIONS = ("## Train one run", "## Data: image and text stores, built once", "## Metrics: every snapshot measured")
# the placeholders the README writes in capitals, and the value each takes here ([…] options are given)
VALUES = {"RUN_DIR": "results/default/runs/gan-dcgan/seed0", "RUN": "gan-dcgan", "PROFILE": "configs/default.yaml",
          "FILE": "readme-metrics.csv", "DIR": "results/default/runs/gan-dcgan/seed0", "S": "0", "N": "3",
          "auto|cpu|cuda": "cpu"}
NOT_RUN = {  # commands no test machine can run as written, and why
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


class Proxy(BaseHTTPRequestHandler):
    """An HTTP proxy that answers the absolute URLs in `server.files` and nothing else."""

    def do_GET(self):
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def archives(origin: Path) -> dict[str, bytes]:
    """LSUN's bedroom zips (the test LMDBs, each folder at the zip's root) and Billion Word's tar.gz (its 99
    training files), at the URLs `download` fetches them from."""
    files = {}
    for folder in lsun_lmdbs(origin / "lsun"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(folder.iterdir()):
                z.write(path, f"{folder.name}/{path.name}")
        files[f"{LSUN_URL}/{folder.name}.zip"] = buffer.getvalue()
    billion_word(origin / BILLION_WORD)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(origin / BILLION_WORD, BILLION_WORD)
    files[BILLION_WORD_URL] = buffer.getvalue()
    return files


def test_every_readme_command_is_run_here_or_says_why_not():
    commands = readme_commands()
    assert len(commands) == 18 and all(c.startswith("python -m repro ") for c in commands), commands
    assert [c for c in commands if as_run(c) is None] == [
        "python -m repro prepare cifar10 --root data/cifar --out results/paper/data/cifar10 [--download]"]
    ran = [as_run(c) for c in commands if as_run(c) is not None]
    assert not any(word in VALUES or "[" in word or "|" in word for command in ran for word in command), ran


@pytest.mark.slow(seconds=70)
def test_the_readme_commands_work_as_written_in_a_fresh_copy(tmp_path):
    checkout = fresh_copy(tmp_path)
    data = checkout / "data"  # what no command of the README downloads, where it looks for it
    mnist_raw(data / "mnist", validation=1_000)
    cifar10_images(data / "cifar10-images")
    imagenet32_npz(data / "imagenet32")
    with tarfile.open(checkout / "bedrooms.tar", "w") as tar:
        for path in sorted(SAMPLE_DIR.glob("*.png")):
            tar.add(path, arcname=f"bedrooms/{path.name}")
    (checkout / "my-sentences.txt").write_text("The critic is trained to optimality.\nClipping limits it.\n")
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    proxy.files = archives(tmp_path / "origin")
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
    env["http_proxy"] = f"http://127.0.0.1:{proxy.server_address[1]}"
    outputs = {}
    try:
        for command in filter(None, map(as_run, readme_commands())):
            if "--images" in command and "lsun" in command:  # the README's alternative to the LMDB, same --out
                shutil.rmtree(checkout / command[command.index("--out") + 1])
            result = subprocess.run([sys.executable, *command[1:]], cwd=checkout, env=env, capture_output=True,
                                    text=True)
            assert result.returncode == 0, (shlex.join(command), result.stderr[-2000:])
            outputs[shlex.join(command[3:5])] = result.stdout
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert "gan-dcgan" in outputs["runs"] and "dcgan_g" in outputs["models"]
    status = [line.split() for line in outputs["status --config"].splitlines()]
    assert [line[2:] for line in status if line[:2] == ["gan-dcgan", "seed0"]] == [
        "stopped at iteration 3 of 300 (rerun its command to continue)".split()]
    run = checkout / VALUES["RUN_DIR"]
    assert len(pd.read_csv(run / "log.csv")) == 3 and (run / "tb").is_dir()
    assert list(pd.read_csv(checkout / VALUES["FILE"])["gen_iter"]) == [0, 3]
    assert sorted(p.name for p in (data / "lsun").iterdir()) == [  # the downloads, the zips kept
        "bedroom_train_lmdb", "bedroom_train_lmdb.zip", "bedroom_val_lmdb", "bedroom_val_lmdb.zip"]
    stores = {p.parent.relative_to(checkout).as_posix() for p in checkout.glob("results/**/manifest.json")}
    paper = "results/paper/data"  # the splits each README comment names
    assert stores == {f"{paper}/lsun-bedroom-64", f"{paper}/cifar10/train", f"{paper}/cifar10/test",
                      f"{paper}/mnist/train", f"{paper}/mnist/validation", f"{paper}/mnist/test",
                      f"{paper}/imagenet32/train", f"{paper}/imagenet32/validation", f"{paper}/billion-word",
                      "results/default/data/mnist32", "results/default/data/mnist-32", "results/mine/data/text"}
    assert (checkout / "results/default/tables/runs.csv").stat().st_size > 0
