"""A private single-node SLURM cluster on localhost, for the tests marked `cluster`.

The session fixture `slurm_cluster` needs Debian's `slurm-wlm` and `munge` (`.ci/run` installs them) and root
(slurmd launches the jobs); otherwise the tests skip, saying why, or fail where REPRO_REQUIRE_CLUSTER=1 (`.ci/run`
sets it, so CI cannot pass without having run them). It writes its own slurm.conf into a temporary
directory (no accounting, no cgroups, state, spool, pid files and logs all inside that directory, ports picked
free), starts `munged` with its own key and socket, `slurmctld` and `slurmd` as foreground children, waits
until the node is idle, and at the end cancels what is left in the queue, stops the three daemons and deletes
the directory. Nothing under /etc or /run is touched; every client call goes through `SLURM_CONF`.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import skip_or_fail_without

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "squeue", "scancel", "sinfo", "scontrol")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
REQUIRED = "REPRO_REQUIRE_CLUSTER"  # "1": a cluster test that cannot run fails instead of skipping


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cluster: submits real jobs to a private single-node SLURM cluster that the slurm_cluster "
        "fixture starts on localhost (skips unless Debian's slurm-wlm and munge are installed and it runs as root)")


def why_not_available() -> str | None:
    """The reason the test cluster cannot start here, or None."""
    if not sys.platform.startswith("linux"):
        return "the SLURM test cluster runs on Linux only"
    missing = [name for name in DAEMONS + CLIENTS if shutil.which(name) is None]
    if missing:
        return (f"SLURM test cluster: {', '.join(missing)} not on PATH - install Debian's slurm-wlm and munge "
                f"(apt-get install slurm-wlm munge, as .ci/run does)")
    if os.geteuid() != 0:
        return "SLURM test cluster: slurmd must run as root to launch jobs - run the cluster tests as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _real_memory_mb() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def slurm_conf(root: Path, host: str) -> str:
    return f"""\
# Written by tests/cluster/conftest.py: one node, no accounting, no cgroups, everything under {root}.
ClusterName=repro-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/run/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig={root}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MailProg=/bin/true
# squeue sees finished jobs for MinJobAge seconds: the executor plugin's squeue status checks need >= 3 x its
# initial check interval.
MinJobAge=300
KillWait=10
NodeName={host} NodeAddr=127.0.0.1 NodeHostname={host} CPUs=2 RealMemory={_real_memory_mb()} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class Cluster(SimpleNamespace):
    """root, conf, env (for every subprocess that talks to the cluster), host, logs."""

    def cmd(self, *args, check=True, timeout=30) -> str:
        out = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and out.returncode:
            raise RuntimeError(f"{' '.join(args)}: exit {out.returncode}: {out.stderr.strip()}")
        return out.stdout.strip()

    def queue(self, *args) -> list[str]:
        return self.cmd("squeue", "--noheader", *args).splitlines()

    def log_tails(self, lines=15) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)


def _wait(condition, timeout, what, daemons, cluster):
    deadline = time.monotonic() + timeout
    while not condition():
        dead = [name for name, proc in daemons.items() if proc.poll() is not None]
        if dead:
            raise RuntimeError(f"SLURM test cluster: {', '.join(dead)} exited while waiting for {what}\n"
                               f"{cluster.log_tails()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"SLURM test cluster: no {what} after {timeout} s\n{cluster.log_tails()}")
        time.sleep(0.25)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def slurm_cluster():
    skip_or_fail_without(why_not_available(), REQUIRED, "cluster")
    # munged wants every directory above its socket searchable by all, and a short path (sockets: 108 bytes)
    root = Path(tempfile.mkdtemp(prefix="repro-slurm-", dir="/tmp" if os.path.isdir("/tmp") else None))
    root.chmod(0o755)
    for sub in ("run", "state", "spool", "log", "bin"):
        (root / sub).mkdir()
    (root / "munge").mkdir(mode=0o700)
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(128))
    key.chmod(0o600)
    (root / "plugstack.conf").write_text("")
    host = socket.gethostname().split(".")[0]
    conf = root / "slurm.conf"
    conf.write_text(slurm_conf(root, host))

    # snakemake-executor-plugin-slurm-jobstep drops every SLURM_* variable but the job's identity before its
    # inner `srun`, SLURM_CONF included; a real cluster has /etc/slurm/slurm.conf (or configless slurmd), this
    # private one only SLURM_CONF, so the jobs find an `srun` on PATH that puts it back.
    srun = root / "bin" / "srun"
    srun.write_text(f'#!/bin/sh\nSLURM_CONF={conf}\nexport SLURM_CONF\nexec {shutil.which("srun")} "$@"\n')
    srun.chmod(0o755)

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_", "SQUEUE_", "SNAKEMAKE_"))}
    env["SLURM_CONF"] = str(conf)
    # the rules' `python` is this interpreter (the venv's), the jobs' `srun` the wrapper above
    env["PATH"] = os.pathsep.join([str(root / "bin"), os.path.dirname(sys.executable), env.get("PATH", "")])
    cluster = Cluster(root=root, conf=conf, env=env, host=host)

    daemons: dict[str, subprocess.Popen] = {}

    def start(name, *args):
        with open(root / "log" / f"{name}.out", "w") as out:
            daemons[name] = subprocess.Popen([shutil.which(name), *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)

    try:
        start("munged", "--foreground", f"--socket={root}/run/munge.socket", f"--key-file={key}",
              f"--log-file={root}/log/munged.log", f"--pid-file={root}/run/munged.pid",
              f"--seed-file={root}/munge/munged.seed")
        _wait(lambda: (root / "run" / "munge.socket").exists(), START_TIMEOUT_S, "munge socket", daemons, cluster)
        start("slurmctld", "-D")
        start("slurmd", "-D", "-N", host)

        def node_idle():
            try:
                return cluster.cmd("sinfo", "--noheader", "--Node", "--format=%T", check=False, timeout=10) == "idle"
            except subprocess.TimeoutExpired:
                return False

        _wait(node_idle, START_TIMEOUT_S, "idle node in sinfo", daemons, cluster)
        yield cluster
    finally:
        try:
            jobs = cluster.queue("--format=%i") if "slurmctld" in daemons else []
            if jobs:
                cluster.cmd("scancel", *jobs, check=False)
                deadline = time.monotonic() + 30
                while cluster.queue("--format=%i") and time.monotonic() < deadline:
                    time.sleep(0.5)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        for name in ("slurmd", "slurmctld", "munged"):
            if name in daemons:
                _stop(daemons[name])
        shutil.rmtree(root, ignore_errors=True)
