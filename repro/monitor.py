"""Where a training run shows its progress while it trains, beside log.csv.

In a terminal, a tqdm bar: generator iteration, critic steps, the W estimate (the JS estimate for a standard GAN,
the least-squares loss for LSGAN), it/s and ETA. Elsewhere (a Snakemake or SLURM job's log), one plain line every
twentieth of the run. With TensorBoard on (`--tensorboard`, profile `train.tensorboard`), event files in
`<run>/tb/` of every log.csv column and of the sample sheets, written through PyTorch's SummaryWriter (the optional
`tensorboard` package); a resumed run reopens the stream with a purge at its first new step, so TensorBoard drops
what the interrupted run had logged past its checkpoint and every step appears once.
"""

import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repro.config import RunConfig
from repro.errors import ConfigError

ESTIMATES = {"gan": "js_estimate"}  # the log column that stands for the distance; W for every other objective
PROGRESS_LINES = 20  # plain progress lines per run when stderr is no terminal


class Monitor:
    def __init__(self, cfg: RunConfig, run_dir: Path, start: int, quiet: bool, tensorboard: bool):
        self.cfg, self.run_dir, self.start = cfg, run_dir, start
        self.estimate = ESTIMATES.get(cfg.objective, "w_estimate")
        self.terminal = not quiet and sys.stderr.isatty()
        self.plain = not quiet and not self.terminal
        self.every = max(1, math.ceil(cfg.iters / PROGRESS_LINES))
        self.bar = tqdm(total=cfg.iters, initial=start, desc=f"{cfg.run} seed{cfg.seed}", unit="it",
                        disable=not self.terminal)
        self.tick, self.writer = time.monotonic(), None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise ConfigError("--tensorboard: the tensorboard package is not installed; pip install "
                                  "'repro[tensorboard]' (or tensorboard), or train without it") from None
            self.writer = SummaryWriter(run_dir / "tb", purge_step=start + 1 if start else None)

    def rows(self, rows: list[dict]) -> None:
        """Rows just written to log.csv: the bar, a plain line where one is due, TensorBoard scalars."""
        if not rows:
            return
        last = rows[-1]
        self.bar.update(last["gen_iter"] - self.bar.n)
        value = last.get(self.estimate)
        postfix = {"critic": last["critic_iters"]}
        if value is not None:
            postfix[self.estimate.removesuffix("_estimate").upper()] = f"{value:.4g}"
        self.bar.set_postfix(postfix, refresh=False)
        if self.plain and any(row["gen_iter"] % self.every == 0 for row in rows):
            done = last["gen_iter"] - self.start
            rate = done / max(time.monotonic() - self.tick, 1e-9)
            eta = (self.cfg.iters - last["gen_iter"]) / rate if rate else math.inf
            shown = "—" if value is None else f"{value:.4g}"
            print(f"{self.cfg.run} seed{self.cfg.seed}: generator iteration {last['gen_iter']:,} of "
                  f"{self.cfg.iters:,}, {last['critic_iters']} critic steps, {self.estimate} {shown}, "
                  f"{rate:.2f} it/s, ETA {_duration(eta)}", flush=True)
        if self.writer:
            for row in rows:
                for key, v in row.items():
                    if key != "gen_iter" and v is not None and math.isfinite(v):
                        self.writer.add_scalar(key, v, row["gen_iter"])

    def samples(self, gen_iter: int, grid: np.ndarray | None = None, lines: list[str] | None = None) -> None:
        """A sample sheet (H×W×3 uint8) or a language run's decoded lines, into TensorBoard."""
        if self.writer is None:
            return
        if grid is not None:
            self.writer.add_image("samples", grid, gen_iter, dataformats="HWC")
        if lines is not None:
            self.writer.add_text("samples", "\n".join(f"    {line}" for line in lines), gen_iter)

    def close(self) -> None:
        self.bar.close()
        if self.writer:
            self.writer.close()


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, s = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{s:02d}"
