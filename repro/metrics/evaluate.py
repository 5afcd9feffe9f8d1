"""`python -m repro evaluate RUN_DIR --out FILE`: every generator snapshot of a run, measured.

One CSV row per snapshot (`snapshots/G_*.pt`, written by training every `metrics.every` iterations):
gen_iter, wall_s (training seconds at that point) and each metric under its protocol name. Toy runs get exact W1
against fresh real points (and mode coverage on the Gaussian mixtures); image runs the profile's `metrics.image`
against the run's training images; language runs (WGAN-GP Table 4) gan_language.py's character n-gram JS
divergences to the training lines, n = 1…4, beside those of as many real held-out lines. Every snapshot uses the
same noise and the same real subset, so the curve moves only with the generator. Beside FILE, FILE.json records the protocol (settings, reference images' and
extractor weights' sha256, seed); rows already in FILE under the same protocol are kept, so an interrupted
evaluation resumes, and a changed protocol starts over. One process at a time writes FILE (repro.lock); other
seeds' tables beside it are written meanwhile.
"""

import functools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from tqdm import tqdm

from repro import atomic, lock
from repro import state as saved_state
from repro.config import MetricsSpec, RunConfig
from repro.data import TEXT_DATASETS
from repro.data.sampler import load_images, split
from repro.data.store import read_manifest
from repro.data.toy import TOY_DATASETS
from repro.engine import build_net, resolve_device
from repro.errors import DataError
from repro.metrics import count_tag, to_uint8

EVAL_SEED = 2020  # torch-fidelity's default rng_seed; one fixed draw of noise and real data for every snapshot
NGRAM_ORDERS = (1, 2, 3, 4)  # gan_language.py's js1…js4


def snapshots(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "snapshots").glob("G_*.pt"))


def read_run_config(run_dir: Path) -> RunConfig:
    path = run_dir / "config.yaml"
    if not path.exists():
        raise DataError(f"{run_dir}: not a run directory (no config.yaml); train it with `python -m repro train`")
    try:
        return RunConfig.from_dict(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, TypeError, KeyError, ValueError) as e:
        raise DataError(f"{path}: not a run config ({type(e).__name__}: {str(e).strip().splitlines()[0]}); restore "
                        f"it, or delete it and rerun the run's `python -m repro train` command, which writes it "
                        f"again") from None


@torch.no_grad()
def generate(G: torch.nn.Module, nz: int, n: int, device: torch.device, batch: int = 64) -> torch.Tensor:
    """n samples in [−1, 1] on the CPU from fixed noise, in batches of `batch` (the run's `eval_batch`) with
    batch-statistics BN (train mode), as the official codes sample."""
    noise = torch.Generator().manual_seed(EVAL_SEED)
    G.train()
    out = []
    for start in range(0, n, batch):
        z = torch.randn(min(batch, n - start), nz, generator=noise).to(device)
        classes = getattr(G, "n_classes", None)  # a conditional generator samples uniform classes
        out.append((G(z, torch.randint(classes, (len(z),), generator=noise).to(device)) if classes else G(z)).cpu())
    images = torch.cat(out)
    return images * 2.0 - 1.0 if getattr(G, "unit_range", False) else images  # a sigmoid G draws in [0, 1]


class Evaluator:
    """The metrics of one run, with everything that is the same for all its snapshots prepared once."""

    def __init__(self, cfg: RunConfig, spec: MetricsSpec, device: torch.device, cache_root: Path):
        self.cfg, self.spec, self.device, self.cache_root = cfg, spec, device, cache_root
        self.toy, self.text = cfg.data_source in TOY_DATASETS, cfg.dataset in TEXT_DATASETS
        self.protocol = {"run": cfg.run, "seed": cfg.seed, "data_source": cfg.data_source, "eval_seed": EVAL_SEED}
        if self.text:
            self._prepare_text()
            return
        if self.toy:
            real = TOY_DATASETS[cfg.data_source](spec.toy_samples, EVAL_SEED)
            self.real = real.next().numpy()
            self.shape = real.shape
            self.protocol.update(toy_samples=spec.toy_samples)
            return
        self.weights, weights_sha256 = None, None
        if spec.fidelity and spec.extractor_module:
            from repro.metrics.fidelity import import_extractors

            import_extractors(spec.extractor_module)
        if spec.fidelity and spec.extractor == "inception-v3-compat":
            from repro.metrics.fidelity import inception_weights, weights_sha256_of

            self.weights = inception_weights(spec.inception_weights)  # offline without them: fail before any work
            weights_sha256 = weights_sha256_of(self.weights)  # hashed once; fidelity_metrics reuses it
        self.images = load_images(cfg.data_source, cfg.image_size)
        self.shape = tuple(self.images.shape[1:])
        if len(self.images) < spec.samples and "swd" in spec.image:
            raise DataError(f"{cfg.data_source}: {len(self.images)} images, fewer than metrics.samples = "
                            f"{spec.samples}; lower metrics.samples in the profile")
        pick = np.sort(np.random.default_rng(EVAL_SEED).choice(len(self.images), spec.samples, replace=False))
        self.real = torch.from_numpy(self.images[pick]) if "swd" in spec.image else None
        self.sha256 = _content_sha256(cfg.data_source, self.images)
        self.protocol.update(image=list(spec.image), every=spec.every, samples=spec.samples,
                             final_samples=spec.final_samples, reference_sha256=self.sha256,
                             n_reference=len(self.images), inception_every=cfg.inception_every,
                             inception_samples=cfg.inception_samples, eval_batch=cfg.eval_batch)
        if spec.fidelity:
            self.protocol.update(extractor=spec.extractor, weights_sha256=weights_sha256)

    def _prepare_text(self) -> None:
        """The n-gram models of the training lines, built once, and the JS divergences of `text_samples` real
        lines to them: the held-out ones where the profile holds lines out, else (gan_language.py) the store's
        first lines, which are also trained on."""
        from repro.data.text import open_text_store
        from repro.metrics.ngram import NgramLanguageModel

        store, n = open_text_store(self.cfg.data_source), self.spec.text_samples
        tokens = np.asarray(store.tokens)
        if self.cfg.hold_out:
            trained, held = split(len(tokens), self.cfg.data_source, None, self.cfg.hold_out)
            tokens, real = tokens[trained], tokens[held][:n]
        else:
            real = tokens[:n]
        self.models = {k: NgramLanguageModel.from_tokens(k, tokens) for k in NGRAM_ORDERS}
        self.tag = count_tag(n)
        self.real_js = {f"js{k}_real_{count_tag(len(real))}": NgramLanguageModel.from_tokens(k, real)
                        .js_with(self.models[k]) for k in NGRAM_ORDERS}
        self.shape = (len(store.vocab), store.manifest["seq_len"])
        self.protocol.update(text_samples=n, tokens_sha256=store.manifest["tokens_sha256"],
                             hold_out=self.cfg.hold_out)

    def generator(self, snapshot: Path) -> tuple[torch.nn.Module, dict]:
        try:
            state = saved_state.load(snapshot, {"G", "gen_iter", "wall_s"})
        except saved_state.UnreadableState as e:
            raise DataError(f"{snapshot}: truncated or corrupt generator snapshot ({e}); delete it "
                            f"to measure the others, or retrain the run") from None
        G = build_net(self.cfg, "generator", self.shape)
        G.load_state_dict(state["G"])
        return G.to(self.device), state

    def measure(self, G: torch.nn.Module, gen_iter: int, final: bool) -> dict:
        """The profile's metrics, the final samples' at the last snapshot and, where the run's script logs its own
        Inception score and the profile measures IS, that score at its cadence (`inception_every`): the profile's
        metrics then only every `metrics.every` iterations. The last snapshot gets all of them."""
        if self.toy:
            return self._toy(G)
        if self.text:
            return self._text(G)
        curve = self.cfg.inception_every if "is" in self.spec.image else 0
        row = {}
        if not curve or gen_iter % self.spec.every == 0 or final:
            row.update(self._images(G, self.spec.samples))
        if final and self.spec.final_samples and self.spec.final_samples != self.spec.samples:
            row.update(self._images(G, self.spec.final_samples, swd=False))
        n = self.cfg.inception_samples
        if curve and (gen_iter % curve == 0 or final) and f"is_{count_tag(n)}_10split" not in row:
            row.update(self._images(G, n, swd=False, fidelity=("isc",)))
        return row

    @functools.cached_property
    def _swd(self):
        """The SWD against this run's real subset, its side prepared at the first snapshot and reused."""
        from repro.metrics.swd import SlicedWasserstein

        return SlicedWasserstein(self.real, seed=EVAL_SEED, device=self.device)

    def _text(self, G) -> dict:
        """js1…js4 of `text_samples` argmax-decoded samples, then the real lines' (repeated in every row)."""
        from repro.metrics.ngram import NgramLanguageModel

        fake = generate(G, self.cfg.nz, self.spec.text_samples, self.device, self.cfg.eval_batch).argmax(1).numpy()
        return {**{f"js{k}_{self.tag}": NgramLanguageModel.from_tokens(k, fake).js_with(self.models[k])
                   for k in NGRAM_ORDERS}, **self.real_js}

    def _toy(self, G) -> dict:
        from repro.metrics.toy import MIXTURES, exact_w1, mode_coverage

        fake = generate(G, self.cfg.nz, self.spec.toy_samples, self.device, self.cfg.eval_batch).numpy()
        tag = count_tag(self.spec.toy_samples)
        row = {f"w1_{tag}": exact_w1(self.real, fake)}
        if self.cfg.data_source in MIXTURES:
            covered, quality = mode_coverage(fake, MIXTURES[self.cfg.data_source])
            row.update({f"modes_{tag}": covered, f"high_quality_{tag}": quality})
        return row

    def _images(self, G, n: int, swd: bool = True, fidelity: tuple[str, ...] | None = None) -> dict:
        """SWD and the profile's torch-fidelity metrics (or `fidelity`) of n samples."""
        fidelity = self.spec.fidelity if fidelity is None else fidelity
        row = {}
        if swd and "swd" in self.spec.image:
            fake = to_uint8(generate(G, self.cfg.nz, n, self.device, self.cfg.eval_batch))
            result = self._swd(fake)
            tag = count_tag(n)
            row.update({f"swd_{tag}_{res}px": v for res, v in result["levels"].items()})
            row[f"swd_{tag}"] = result["mean"]
        if fidelity:
            from repro.metrics.fidelity import fidelity_metrics

            values = fidelity_metrics(G, self.cfg.nz, self.images, self.sha256, metrics=fidelity,
                                      n_samples=n, extractor=self.spec.extractor, weights=self.weights,
                                      cache_root=self.cache_root, device=self.device, seed=EVAL_SEED,
                                      batch_size=self.cfg.eval_batch)
            self.protocol[f"kid_subset_size_{count_tag(n)}"] = values.get("kid_subset_size")
            row.update({k: v for k, v in values.items() if isinstance(v, float)})
        return row


def _content_sha256(source: str, images: np.ndarray) -> str:
    """The store's manifest hash, or a hash of the pixels of a bundled set: the key of cached reference features."""
    manifest = read_manifest(Path(source)) if source != "mnist-bundled" else None
    if manifest:
        return manifest["sha256"]
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()


def evaluate(run_dir: str | Path, out: str | Path, spec: MetricsSpec, device: str = "auto",
             cache_root: str | Path | None = None, quiet: bool = False) -> Path:
    """Writes (or completes) the per-snapshot table `out`, the only process writing it meanwhile; returns its path."""
    run_dir, out = Path(run_dir), Path(out)
    with lock.exclusive(out.parent, "evaluates into it", name=f".{out.name}.lock"):
        return _evaluate(run_dir, out, spec, device, cache_root, quiet)


def _evaluate(run_dir: Path, out: Path, spec: MetricsSpec, device: str, cache_root: str | Path | None,
              quiet: bool) -> Path:
    cfg = read_run_config(run_dir)
    found = snapshots(run_dir)
    if not found:
        raise DataError(f"{run_dir}/snapshots: no generator snapshots; train the run first (training writes one "
                        f"every metrics.every generator iterations)")
    dev = resolve_device(device)
    evaluator = Evaluator(cfg, spec, dev, Path(cache_root or out.parent / "cache"))
    protocol_path = out.with_name(out.name + ".json")
    same = protocol_path.exists() and out.exists() and _protocol_key(protocol_path) == _protocol_key(evaluator)
    rows = pd.read_csv(out).to_dict("records") if same else []
    done = {int(r["gen_iter"]) for r in rows}
    last = _gen_iter(found[-1])
    todo = [s for s in found if _gen_iter(s) not in done]
    for snapshot in tqdm(todo, desc=f"evaluate {cfg.run} seed{cfg.seed}", unit="snapshot",
                         disable=quiet or not sys.stderr.isatty()):
        G, state = evaluator.generator(snapshot)
        values = evaluator.measure(G, state["gen_iter"], final=state["gen_iter"] == last)
        rows.append({"gen_iter": state["gen_iter"], "wall_s": round(state["wall_s"], 3), **values})
        atomic.write_json(protocol_path, evaluator.protocol)
        atomic.write_text(out, pd.DataFrame(rows).sort_values("gen_iter").to_csv(index=False))
    return out


def _gen_iter(snapshot: Path) -> int:
    return int(snapshot.stem.split("_")[1])


def _protocol_key(source) -> dict:
    """The protocol without what is only learned while measuring (KID subset sizes)."""
    protocol = json.loads(source.read_text()) if isinstance(source, Path) else source.protocol
    return {k: v for k, v in protocol.items() if not k.startswith("kid_subset_size")}
