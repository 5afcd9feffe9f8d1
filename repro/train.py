"""`python -m repro train`: a run directory that survives crashes, signals and divergence.

Layout (DESIGN.md §3): config.yaml, log.csv (one row per generator iteration), samples/, ckpt/ (rolling,
undeclared), snapshots/ (the generator every `snapshot_every` iterations, for `python -m repro evaluate`; on 2-D
toys the critic too), meta.json and final.pt (written last). Rerunning the same command resumes from the newest
readable checkpoint of this run and reproduces the uninterrupted log exactly; a NaN/Inf loss ends the run as
`diverged`, a result. One process at a time trains a directory (repro.lock), and a finished run's final.pt and
meta.json are only replaced by those of a completed extension.
"""

import csv
import datetime
import errno
import hashlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

import repro
from repro import atomic, lock
from repro import state as saved_state
from repro.config import RunConfig
from repro.engine import STAT_COLUMNS, Engine, resolve_device
from repro.errors import ConfigError, ReproError, ResumeError
from repro.monitor import Monitor

LOG_COLUMNS = ("gen_iter", "critic_iters", "wall_s") + STAT_COLUMNS + ("val_w_estimate",)
KEEP_CHECKPOINTS = 2
LOG_FETCH_EVERY = 10  # generator iterations whose logged values stay on the device: no host sync in between
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def log_rows(path: Path, keep: int) -> list[dict]:
    """log.csv's complete rows up to iteration `keep` (the checkpoint a run resumes from); fewer is an error."""
    rows = []
    if path.exists():
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if row.get("gen_iter", "").isdigit() and int(row["gen_iter"]) <= keep and None not in row:
                    rows.append(row)
    if len(rows) != keep:
        raise ResumeError(f"{path}: holds {len(rows)} complete rows but the checkpoint is at iteration {keep}; "
                          f"delete the run directory to start over")
    return rows


class RunLog:
    """log.csv: the `rows` kept from before a resume, then one flushed row per generator iteration."""

    def __init__(self, path: Path, rows: list[dict]):
        with atomic.atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, LOG_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        self.file = open(path, "a", newline="")
        self.writer = csv.DictWriter(self.file, LOG_COLUMNS)

    def append(self, row: dict) -> None:
        self.writer.writerow({k: "" if v is None else repr(v) if isinstance(v, float) else v for k, v in row.items()})
        self.file.flush()

    def sync(self) -> None:
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


class StopSignals:
    """SIGTERM/SIGINT (SLURM's warning, Ctrl-C) only set a flag: the loop checkpoints at the iteration's end."""

    def __init__(self):
        self.received: int | None = None

    def __enter__(self):
        self.previous = {s: signal.signal(s, self._handle) for s in (signal.SIGTERM, signal.SIGINT)}
        return self

    def _handle(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for s, handler in self.previous.items():
            signal.signal(s, handler)


def _checkpoints(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "ckpt").glob("iter_*.pt"))


def config_sha256(cfg: RunConfig) -> str:
    """The hash of what a resumed run must share with its checkpoint: the settings `RunConfig.differing_keys`
    compares, less those at their default, so a setting added later (at its default) keeps older hashes."""
    settings = cfg.to_dict()
    kept = {key: settings[key] for key in cfg.differing_keys({})}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()


def _identity(cfg: RunConfig) -> dict:
    """What every checkpoint records of its run, so that no other run, seed or config resumes from it."""
    return {"run": cfg.run, "seed": cfg.seed, "config_sha256": config_sha256(cfg)}


def _describe(identity: dict) -> str:
    return f"run {identity.get('run')} seed {identity.get('seed')} (config {str(identity.get('config_sha256'))[:12]})"


def _resume_state(run_dir: Path, cfg: RunConfig, config_checked: bool) -> dict | None:
    """The newest readable checkpoint, which must be this run's; each unreadable (truncated, garbage) one newer
    than it is reported in one line. None: nothing to resume."""
    found, unreadable = _checkpoints(run_dir), []
    for path in reversed(found):
        try:
            state = saved_state.load(path, {"gen_iter", "wall_s"})
        except saved_state.UnreadableState as e:
            unreadable.append(f"{path}: truncated or corrupt ({e})")
            continue
        mine = _identity(cfg)
        if not any(key in state for key in mine):  # written before checkpoints recorded their run
            if not config_checked:
                raise ResumeError(f"{path}: records no run and {run_dir / 'config.yaml'} is missing, so nothing "
                                  f"says it is {cfg.run} seed {cfg.seed}; restore config.yaml or use another --out")
        elif {key: state.get(key) for key in mine} != mine:
            raise ResumeError(f"{path}: a checkpoint of {_describe(state)}, not of {_describe(mine)}; train "
                              f"{cfg.run} seed {cfg.seed} into another --out directory")
        for line in unreadable:
            print(f"warning: {line}; resuming from {path.name} instead", file=sys.stderr)
        return state
    if found:
        raise ResumeError(f"{run_dir / 'ckpt'}: no readable checkpoint ({', '.join(p.name for p in found)} are "
                          f"truncated or corrupt); delete them to train the run from the start")
    return None


def _save_checkpoint(run_dir: Path, engine: Engine, gen_iter: int, wall_s: float, log: RunLog,
                     identity: dict) -> None:
    log.sync()
    saved_state.save({**engine.state_dict(), "gen_iter": gen_iter, "wall_s": wall_s, **identity},
                     run_dir / "ckpt" / f"iter_{gen_iter:09d}.pt")
    for old in _checkpoints(run_dir)[:-KEEP_CHECKPOINTS]:
        old.unlink()


def _save_snapshot(run_dir: Path, engine: Engine, gen_iter: int, wall_s: float) -> None:
    """The generator (what `repro evaluate` measures over training) and, on 2-D toys, the critic too: small there,
    and the toy figure draws its value surface at each stage."""
    state = {"G": engine.G.state_dict(), "gen_iter": gen_iter, "wall_s": wall_s}
    if len(engine.data.shape) == 1:
        state["D"] = engine.D.state_dict()
    saved_state.save(state, run_dir / "snapshots" / f"G_{gen_iter:09d}.pt")


def sample_grid(images: torch.Tensor, columns: int = 8, padding: int = 2) -> np.ndarray:
    """N×C×H×W images in [0, 1] as one H×W×3 uint8 grid, pixel for pixel what torchvision's `save_image(images,
    nrow=8, padding=2)` writes (black gaps, gray repeated into RGB), without importing torchvision (2 s a job)."""
    n, channels, height, width = images.shape
    rows = -(-n // columns)
    grid = torch.zeros(3, rows * (height + padding) + padding, min(n, columns) * (width + padding) + padding)
    for k, image in enumerate(images):
        top, left = padding + (k // columns) * (height + padding), padding + (k % columns) * (width + padding)
        grid[:, top:top + height, left:left + width] = image.expand(3, -1, -1) if channels == 1 else image
    return grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()


def _save_samples(run_dir: Path, engine: Engine, gen_iter: int, monitor: Monitor) -> None:
    """The fixed-noise samples: an image grid (PNG), argmax-decoded lines of text (a language run), or points."""
    samples = engine.sample().cpu()
    if getattr(engine.data, "vocab", None) is not None:  # a text store's symbols (toy sets have none)
        from repro.data.text import decode, to_text

        lines = [to_text(line) for line in decode(samples.argmax(1).numpy(), engine.data.vocab)]
        atomic.write_text(run_dir / "samples" / f"gen_{gen_iter:09d}.txt", "\n".join(lines) + "\n")
        monitor.samples(gen_iter, lines=lines)
    elif samples.dim() == 4:
        grid = sample_grid(samples * 0.5 + 0.5, engine.cfg.sample_grid)
        with atomic.atomic_path(run_dir / "samples" / f"gen_{gen_iter:09d}.png") as tmp:
            Image.fromarray(grid).save(tmp, format="PNG")
        monitor.samples(gen_iter, grid=grid)
    else:
        with atomic.atomic_path(run_dir / "samples" / f"gen_{gen_iter:09d}.npy") as tmp:
            np.save(tmp, samples.numpy())


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(repro.__file__).parent, capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _read_config(path: Path) -> dict | None:
    """A run directory's config.yaml (None: there is none)."""
    if not path.exists():
        return None
    try:
        saved = yaml.safe_load(path.read_text())
        if not isinstance(saved, dict):
            raise ValueError("empty" if saved is None else f"a YAML {type(saved).__name__}, not a mapping")
    except (yaml.YAMLError, ValueError) as e:
        raise ResumeError(f"{path}: not a run config ({_first_line(e)}); restore it, or delete it to resume (each "
                          f"checkpoint records its run, seed and config), or use another --out") from None
    return saved


def _read_meta(run_dir: Path) -> dict | None:
    """meta.json of a run that has a result (None: unfinished: an extension in progress, or never finished)."""
    path = run_dir / "meta.json"
    if not (path.exists() and (run_dir / "final.pt").exists()):
        return None
    try:
        meta = json.loads(path.read_text())
        if not isinstance(meta, dict) or not {"status", "gen_iter"} <= meta.keys():
            raise ValueError("no status and gen_iter")
    except ValueError as e:
        raise ResumeError(f"{path}: not a run's meta.json ({_first_line(e)}); delete it and rerun the same command: "
                          f"the run resumes from its newest checkpoint and writes it again") from None
    return meta


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _restore_config(run_dir: Path, cfg: RunConfig) -> None:
    """A finished run's lost config.yaml, from final.pt after checking that final.pt is this run's."""
    path = run_dir / "final.pt"
    try:
        saved = saved_state.load(path, {"config"})["config"]
    except saved_state.UnreadableState as e:
        raise ResumeError(f"{path}: unreadable ({e}) and config.yaml is missing; delete both "
                          f"final.pt and meta.json to resume from the newest checkpoint") from None
    differing = cfg.differing_keys(saved)
    if differing:
        raise ResumeError(f"{path}: the result of run {saved.get('run')} seed {saved.get('seed')}, not of {cfg.run} "
                          f"seed {cfg.seed} ({', '.join(differing)} differ); use another --out directory")
    atomic.write_text(run_dir / "config.yaml", yaml.safe_dump(saved, sort_keys=False))


def _write_result(run_dir: Path, cfg: RunConfig, engine: Engine, dev: torch.device, status: str, gen_iter: int,
                  start: int, wall_s: float, started: str) -> None:
    """meta.json, then final.pt last: the two declared outputs of a training job. The old final.pt goes first: a
    kill before the new one is written leaves a run without final.pt, which reads as unfinished, and a rerun
    writes both again."""
    (run_dir / "final.pt").unlink(missing_ok=True)
    meta = {
        "status": status, "gen_iter": gen_iter, "iters": cfg.iters,
        "diverged_at": gen_iter if status == "diverged" else None,
        "run": cfg.run, "profile": cfg.profile, "seed": cfg.seed, "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu",
        "data": {"source": cfg.data_source, "shape": list(engine.data.shape)},
        "parameters": engine.parameter_counts,
        "wall_s": round(wall_s, 3), "started": started,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "gen_iters_per_s": round(gen_iter / wall_s, 4) if wall_s else None,
        "resumed_from": start or None,
        "versions": {"repro": repro.__version__, "python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__},
        "git_commit": _git_commit(), "torch_threads": torch.get_num_threads(), "tf32": engine.tf32,
        "channels_last": engine.channels_last,
    }
    atomic.write_json(run_dir / "meta.json", meta)
    saved_state.save({"G": engine.G.state_dict(), "D": engine.D.state_dict(), "config": cfg.to_dict(),
                      "status": status, "gen_iter": gen_iter}, run_dir / "final.pt")


def _write_rows(log: RunLog, pending: list[tuple[dict, dict]], monitor: Monitor) -> int | None:
    """The pending rows' statistics fetched in one host transfer and logged up to the first non-finite loss,
    whose iteration is returned (None: all finite)."""
    values = iter(torch.stack([v for _, stats in pending for v in stats.values()]).tolist())
    written, diverged_at = [], None
    for row, stats in pending:
        row_values = {key: next(values) for key in stats}
        written.append({**row, **{k: row_values.get(k) for k in STAT_COLUMNS}})
        log.append(written[-1])
        if not all(math.isfinite(row_values[k]) for k in ("loss_d", "loss_g")):
            diverged_at = row["gen_iter"]
            break
    monitor.rows(written)
    return diverged_at


def train(cfg: RunConfig, run_dir: str | Path, device: str = "auto", quiet: bool = False,
          tensorboard: bool = False) -> int:
    """Trains (or resumes) one run × seed, the only process writing `run_dir` meanwhile; `tensorboard` also writes
    event files (repro.monitor). Returns the process exit status: 0 done or diverged, 128+N on signal N."""
    run_dir = Path(run_dir)
    try:
        with lock.exclusive(run_dir, "trains this run"):
            return _train(cfg, run_dir, device, quiet, tensorboard)
    except OSError as e:
        error = _write_error(e, run_dir)
        if error is None:
            raise
        raise error from None


def _write_error(e: OSError, run_dir: Path) -> ReproError | None:
    """A full disk or an unwritable run directory as one line naming the path (None: another error, a bug, which
    keeps its traceback)."""
    path = Path(e.filename or run_dir)
    if e.errno in NO_SPACE:
        kept = _checkpoints(run_dir)
        intact = f"the older checkpoints ({', '.join(p.name for p in kept)}) are intact" if kept else \
            "no checkpoint had been written yet"
        return ResumeError(f"{path}: no space left on the device ({e.strerror}); {intact}: free some space and "
                           f"rerun the same command to resume")
    here = run_dir.absolute()
    if e.errno not in NOT_WRITABLE or (path.absolute() not in (here, *here.parents) and here not in
                                       path.absolute().parents):
        return None
    return ConfigError(f"{path}: cannot write there ({e.strerror}); train into a directory you can write (--out)")


def _train(cfg: RunConfig, run_dir: Path, device: str, quiet: bool, tensorboard: bool) -> int:
    """Everything is checked (config, result, device, data, checkpoint, log) before anything is written."""
    config_path = run_dir / "config.yaml"
    saved = _read_config(config_path)
    if saved is not None:
        differing = cfg.differing_keys(saved)
        if differing:
            raise ResumeError(f"{run_dir}: was trained with a different config ({', '.join(differing)} differ); "
                              f"only the iteration target may change on resume - use another --out directory")
    meta = _read_meta(run_dir)
    if meta and (meta["status"] == "diverged" or meta["gen_iter"] >= cfg.iters):
        if saved is None:
            _restore_config(run_dir, cfg)
        print(f"{run_dir}: already {meta['status']} at generator iteration {meta['gen_iter']}; nothing to do")
        return 0

    dev = resolve_device(device)
    engine = Engine(cfg, dev)
    identity = _identity(cfg)
    start, wall_s = 0, 0.0
    state = _resume_state(run_dir, cfg, config_checked=saved is not None)
    if state:
        engine.load_state_dict(state)
        start, wall_s = state["gen_iter"], state["wall_s"]
    rows = log_rows(run_dir / "log.csv", keep=start)
    atomic.write_text(config_path, yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    log = RunLog(run_dir / "log.csv", rows)
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    status, gen_iter = "completed", start
    monitor = Monitor(cfg, run_dir, start, quiet, tensorboard)
    if start == 0:
        _save_snapshot(run_dir, engine, 0, 0.0)
    with StopSignals() as stop:
        pending: list[tuple[dict, dict]] = []  # rows whose statistics are still on the device
        for gen_iter in range(start + 1, cfg.iters + 1):
            tick = time.perf_counter()
            n_steps, stats = engine.iteration(gen_iter - 1)
            wall_s += time.perf_counter() - tick
            validation = engine.validation_estimate(gen_iter) \
                if cfg.validation_every and gen_iter % cfg.validation_every == 0 else None
            pending.append(({"gen_iter": gen_iter, "critic_iters": n_steps, "wall_s": round(wall_s, 3),
                             "val_w_estimate": validation}, stats))
            if gen_iter % LOG_FETCH_EVERY and gen_iter % cfg.sample_every and gen_iter % cfg.snapshot_every and \
                    gen_iter % cfg.checkpoint_every and gen_iter < cfg.iters and not stop.received:
                continue
            diverged_at = _write_rows(log, pending, monitor)
            pending.clear()
            if diverged_at:
                status, gen_iter = "diverged", diverged_at
                break
            if gen_iter % cfg.sample_every == 0:
                _save_samples(run_dir, engine, gen_iter, monitor)
            if gen_iter % cfg.snapshot_every == 0:
                _save_snapshot(run_dir, engine, gen_iter, wall_s)
            if gen_iter % cfg.checkpoint_every == 0 or stop.received:
                _save_checkpoint(run_dir, engine, gen_iter, wall_s, log, identity)
            if stop.received:
                monitor.close()
                log.close()
                name = signal.Signals(stop.received).name
                print(f"{run_dir}: {name} at generator iteration {gen_iter}; checkpoint written, rerun the same "
                      f"command to resume", file=sys.stderr)
                return 128 + stop.received
    if status == "completed":
        _save_samples(run_dir, engine, gen_iter, monitor)
        _save_snapshot(run_dir, engine, gen_iter, wall_s)
    monitor.close()
    _save_checkpoint(run_dir, engine, gen_iter, wall_s, log, identity)
    log.close()
    _write_result(run_dir, cfg, engine, dev, status, gen_iter, start, wall_s, started)
    verdict = "diverged at generator iteration" if status == "diverged" else "completed generator iterations:"
    print(f"{run_dir}: {verdict} {gen_iter} ({wall_s:.1f} s of training)")
    return 0
