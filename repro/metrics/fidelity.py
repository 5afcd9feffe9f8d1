"""Inception Score, FID and KID of a generator against its training images, through torch-fidelity 0.4.0.

torch-fidelity computes the numbers; this module closes the traps around it that were verified on torch-fidelity
0.4.0 (ANCHORS.md §5):

- Weights: online they download (as torch-fidelity would); offline, the default Inception extractor fails with a
  bare URLError, and torch-fidelity loads whatever file it is given with `torch.load(weights_only=False)`, which
  runs any code pickled into it. `inception_weights` resolves the file up front, checks its full sha256 (hashed once
  per path, size and mtime) before torch-fidelity reads it, and names the URL and the exact path in the error; the
  path is always passed explicitly, so a different TORCH_HOME can never trigger a download.
- Cache: torch-fidelity's feature cache is keyed by a name only (a changed store or weights file reused stale
  features) and read with `torch.load(weights_only=False)` (a file planted in the cache ran code). Its cache is off
  here; the reference features FID and KID need are kept in npz files read without pickle, under a project-local
  `cache_root`, named by the store's sha256, its shape and channel handling, the weights' sha256, the extractor
  and the layer. Generated samples are never cached. The numbers are still torch-fidelity's: `fidelity_metrics`
  assembles the building blocks its calculate_metrics uses.
- Arguments: an unknown keyword is silently ignored and `cuda` defaults to True, so every keyword is checked against
  torch_fidelity.defaults.DEFAULTS and `cuda` is always given. KID needs `kid_subset_size` ≤ both set sizes.
- Inputs: the Inception extractor takes uint8 3×H×W only, and a Dataset must return a bare tensor. The generator's
  [−1, 1] floats are converted to uint8 and gray images repeated to three channels; the store is read lazily.
- Sampling: the generator runs in train mode (batch-statistics BN, as the official WGAN codes sample) under
  torch-fidelity's no_grad, in batches of `batch_size` from its normal noise seeded by `seed`; the generator's mode
  and BN running statistics are restored afterwards. A conditional generator gets uniformly drawn classes, as
  gan_cifar_resnet.py scores its AC-GAN model; they are drawn here, from `seed`, because torch-fidelity's own
  conditional sampling calls `np.int`, which NumPy removed in 1.24.

Results are named by protocol (DESIGN.md §3): `fid_2k_train` is FID of 2048 samples against the training set.
"""

import contextlib
import functools
import importlib
import os
import socket
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch_fidelity
from torch.utils.data import Dataset
from torch_fidelity.defaults import DEFAULTS
from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_featuresdict_to_metric
from torch_fidelity.metric_kid import kid_featuresdict_to_metric
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import (
    create_feature_extractor,
    get_featuresdict_from_dataset,
    get_featuresdict_from_generative_model,
    resolve_feature_layer_for_metric,
)

from repro.atomic import atomic_path
from repro.data.store import sha256_file
from repro.errors import ConfigError, DataError, did_you_mean
from repro.metrics import count_tag, to_uint8

INCEPTION = "inception-v3-compat"
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/" + INCEPTION_FILE
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"  # 95,628,359 bytes

ISC_SPLITS = 10
KID_SUBSET_SIZE = 1000  # torch-fidelity's default, lowered to the smaller set's size when needed
METRICS = ("isc", "fid", "kid")


def import_extractors(module: str) -> None:
    """Imports `module` (profile key metrics.extractor_module), which registers feature extractors with
    torch_fidelity.register_feature_extractor."""
    try:
        importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(f"metrics.extractor_module {module!r}: cannot import it ({e}); put the folder that holds "
                          f"it on PYTHONPATH") from None


def inception_weights(configured: str | None) -> Path:
    """The Inception weights file: `configured` (profile key metrics.inception_weights) if given, else
    torch.hub.get_dir()/checkpoints/INCEPTION_FILE, where torch-fidelity itself would download it.

    Missing ⇒ DataError naming the URL and the path to put it at; present ⇒ its sha256 must be INCEPTION_SHA256,
    since torch-fidelity unpickles it with weights_only=False (the file name's 8-hex prefix is 32 bits, forgeable)."""
    default = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
    path = Path(configured).expanduser() if configured else default
    if not path.is_file() and not configured:
        _try_download(INCEPTION_URL, path)
    if not path.is_file():
        where = ("metrics.inception_weights" if configured else
                 "no metrics.inception_weights in the profile and nothing in the torch hub cache")
        raise DataError(f"Inception weights not found at {path} ({where}); on a machine with internet run "
                        f"`curl -L -o {path} {INCEPTION_URL}` and copy the file there"
                        + ("" if configured else ", or set metrics.inception_weights to a local copy"))
    digest = weights_sha256_of(path)
    if digest != INCEPTION_SHA256:
        raise DataError(f"{path}: sha256 {digest} is not {INCEPTION_SHA256}, the hash of torch-fidelity's Inception "
                        f"weights; replace it with a fresh download: `curl -L -o {path} {INCEPTION_URL}`")
    return path


def _try_download(url: str, path: Path) -> None:
    """Online, fetch the file as torch-fidelity would (atomically); offline, leave it missing for the error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)
    try:
        torch.hub.download_url_to_file(url, str(path), progress=False)
    except OSError:  # URLError, refused, timed out: no network here
        pass
    finally:
        socket.setdefaulttimeout(previous)


def fidelity_metrics(generator: torch.nn.Module, nz: int, reference, reference_sha256: str, *,
                     metrics=METRICS, n_samples: int, extractor: str = INCEPTION, weights: Path | None = None,
                     cache_root: Path, device, seed: int = 0, batch_size: int = 64) -> dict:
    """IS (10 splits), FID and KID of `n_samples` generator samples against `reference` (uint8 N×C×H×W array or
    memmap, the training store, whose sha256 is `reference_sha256`).

    Returns the requested metrics under their protocol names (`is_{n}_10split` and `_std`, `fid_{n}_train`,
    `kid_{n}_train` and `_std`, n as count_tag(n_samples)) as floats, plus `extractor`, `weights_sha256` (None for
    an extractor without a weights file), `kid_subset_size` (None without KID) and `n_reference`.
    """
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ConfigError(f"fidelity metrics {list(metrics)}: choose one or more of {list(METRICS)}"
                          + (did_you_mean(unknown[0], METRICS) if unknown else ""))
    if extractor not in FEATURE_EXTRACTORS_REGISTRY:
        registered = list(FEATURE_EXTRACTORS_REGISTRY)
        raise ConfigError(f"metrics.extractor {extractor!r} is not a torch-fidelity feature extractor; registered: "
                          f"{', '.join(registered)}{did_you_mean(extractor, registered)}")
    if extractor == INCEPTION:
        weights = inception_weights(str(weights) if weights else None)
    elif weights is not None and not Path(weights).is_file():
        raise DataError(f"{weights}: weights of feature extractor {extractor!r} not found")
    weights_sha256 = weights_sha256_of(Path(weights)) if weights is not None else None

    if n_samples < 2:
        raise ConfigError(f"{n_samples} samples: FID, KID and IS need at least 2 (the more, the less biased)")
    if "isc" in metrics and n_samples < ISC_SPLITS:
        raise ConfigError(f"{n_samples} samples: IS over {ISC_SPLITS} splits needs at least {ISC_SPLITS}")
    if reference.dtype != np.uint8 or reference.ndim != 4 or reference.shape[1] not in (1, 3):
        raise DataError(f"reference images: expected uint8 N×C×H×W with C = 1 or 3, found {reference.dtype} "
                        f"with shape {reference.shape}")
    if len(reference) < 2:
        raise DataError(f"reference images: {len(reference)} image(s), FID and KID need at least 2")

    device = torch.device(device)
    cuda = device.type == "cuda"
    kid_subset_size = min(KID_SUBSET_SIZE, n_samples, len(reference)) if "kid" in metrics else None
    kwargs = {  # calculate_metrics' arguments, which its building blocks below read
        "isc_splits": ISC_SPLITS, "feature_extractor": extractor, "cuda": cuda, "batch_size": batch_size,
        "rng_seed": seed, "save_cpu_ram": (os.cpu_count() or 1) <= 4, "verbose": False, "cache": False,
    }
    if kid_subset_size is not None:
        kwargs["kid_subset_size"] = kid_subset_size
    if weights is not None:
        kwargs["feature_extractor_weights_path"] = str(weights)
    unchecked = set(kwargs) - set(DEFAULTS)
    assert not unchecked, f"not torch-fidelity arguments (it would ignore them): {sorted(unchecked)}"
    layers = {metric: resolve_feature_layer_for_metric(metric, **kwargs) for metric in metrics}
    name = reference_cache_name(reference_sha256, reference.shape, weights_sha256)
    cached = {layer: Path(cache_root) / f"{name}-{extractor}-features-{layer}.npz"
              for layer in sorted({layers[m] for m in ("fid", "kid") if m in layers})}

    with torch.cuda.device(device) if cuda else contextlib.nullcontext():
        net = create_feature_extractor(extractor, sorted(set(layers.values())), **kwargs)
        with _sampling_mode(generator):
            fake = get_featuresdict_from_generative_model(
                _Uint8Generator(generator, nz, tuple(reference.shape[1:]), seed), net, n_samples, batch_size, cuda,
                seed, False)
        real = _reference_features(reference, cached, net, kwargs)
    values = {}
    if "isc" in metrics:
        values.update(isc_featuresdict_to_metric(fake, layers["isc"], **kwargs))
    if "fid" in metrics:
        statistics = [fid_featuresdict_to_statistics(features, layers["fid"]) for features in (fake, real)]
        values.update(fid_statistics_to_metric(*statistics, False))
    if "kid" in metrics:
        values.update(kid_featuresdict_to_metric(fake, real, layers["kid"], **kwargs))

    tag = count_tag(n_samples)
    out = {}
    if "isc" in metrics:
        out[f"is_{tag}_{ISC_SPLITS}split"] = float(values[torch_fidelity.KEY_METRIC_ISC_MEAN])
        out[f"is_{tag}_{ISC_SPLITS}split_std"] = float(values[torch_fidelity.KEY_METRIC_ISC_STD])
    if "fid" in metrics:
        out[f"fid_{tag}_train"] = float(values[torch_fidelity.KEY_METRIC_FID])
    if "kid" in metrics:
        out[f"kid_{tag}_train"] = float(values[torch_fidelity.KEY_METRIC_KID_MEAN])
        out[f"kid_{tag}_train_std"] = float(values[torch_fidelity.KEY_METRIC_KID_STD])
    return {**out, "extractor": extractor, "weights_sha256": weights_sha256, "kid_subset_size": kid_subset_size,
            "n_reference": len(reference)}


def reference_cache_name(reference_sha256: str, shape: tuple, weights_sha256: str | None) -> str:
    """The cache name of the reference features, from everything they depend on, so nothing stale is reused: the
    data, its shape and channel handling, and the weights (the extractor and layer follow it in the file name)."""
    _, c, h, w = shape
    channels = "gray2rgb" if c == 1 else "rgb"
    weights = weights_sha256[:16] if weights_sha256 else "noweights"
    name = f"ref-{reference_sha256[:16]}-{c}x{h}x{w}{channels}-w{weights}"
    assert os.sep not in name and "/" not in name, name
    return name


def _reference_features(reference, cached: dict, net, kwargs: dict) -> dict:
    """The reference's features per layer: read from the npz files `cached` names (layer → path), or, if any is
    missing or unreadable, extracted by torch-fidelity and written there."""
    features = {layer: _read_features(path, len(reference)) for layer, path in cached.items()}
    if any(f is None for f in features.values()):
        features = get_featuresdict_from_dataset(_ReferenceImages(reference), net, kwargs["batch_size"], kwargs["cuda"],
                                                 kwargs["save_cpu_ram"], False)
        for layer, path in cached.items():
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez(f, features=features[layer].numpy())
    return features


def _read_features(path: Path, n: int) -> torch.Tensor | None:
    """The n×D features in `path`, or None if it is missing or not such an npz. Read without pickle: a planted file
    is at worst wrong data, never code."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            features = npz["features"]
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    valid = features.ndim == 2 and len(features) == n and features.dtype.kind == "f"
    return torch.from_numpy(features) if valid else None


def to_uint8_rgb(images: torch.Tensor) -> torch.Tensor:
    """[−1, 1] floats N×C×H×W → uint8 N×3×H×W pixels (inverse of training's 2·x/255 − 1; gray repeated)."""
    pixels = to_uint8(images)
    return pixels.repeat(1, 3, 1, 1) if pixels.shape[1] == 1 else pixels


class _Uint8Generator(torch_fidelity.GenerativeModelBase):
    """The generator as torch-fidelity's input1: normal noise N×nz in, uint8 N×3×H×W out; a conditional generator
    (`n_classes`) is given uniform random classes from a generator seeded by `seed`. torch-fidelity is told
    `num_classes` 0, so its own label draw never runs."""

    def __init__(self, generator: torch.nn.Module, nz: int, item_shape: tuple, seed: int):
        super().__init__()
        self.generator, self.nz, self.item_shape = generator, nz, item_shape
        self.n_classes = getattr(generator, "n_classes", None) or 0
        self.classes = torch.Generator().manual_seed(seed)

    @property
    def z_size(self):
        return self.nz

    @property
    def z_type(self):
        return "normal"

    @property
    def num_classes(self):
        return 0

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.n_classes:
            labels = torch.randint(self.n_classes, (len(z),), generator=self.classes).to(z.device)
            images = self.generator(z, labels)
        else:
            images = self.generator(z)
        if tuple(images.shape[1:]) != self.item_shape:
            raise DataError(f"the generator makes {'×'.join(map(str, images.shape[1:]))} images but the reference "
                            f"store holds {'×'.join(map(str, self.item_shape))}; measure against the run's own data")
        return to_uint8_rgb(images)


class _ReferenceImages(Dataset):
    """The store as torch-fidelity's input2: uint8 3×H×W tensors, no labels, read from the memmap one at a time."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        image = torch.from_numpy(np.array(self.images[i]))
        return image.repeat(3, 1, 1) if image.shape[0] == 1 else image


@contextlib.contextmanager
def _sampling_mode(generator: torch.nn.Module):
    """Train mode while sampling; afterwards the previous mode and BN running statistics, as if never sampled."""
    was_training = generator.training
    saved = [b.detach().clone() for b in generator.buffers()]
    generator.train()
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in zip(generator.buffers(), saved):
                buffer.copy_(value)
        generator.train(was_training)


def weights_sha256_of(path: Path) -> str:
    """sha256 of a file, hashed once per (path, size, mtime): a 100 MB weights file is checked on every call."""
    stat = path.stat()
    return _sha256_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(Path(path))
