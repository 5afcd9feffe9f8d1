"""repro.metrics.fidelity: IS/FID/KID through torch-fidelity's real calculate_metrics path, with a small registered
feature extractor (tests/fidelity_extractor.py) instead of Inception, whose weights an offline machine lacks."""

import hashlib
import itertools
import math
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
import torch_fidelity
from torch import nn

from repro.data.store import load_store, write_store
from repro.errors import ConfigError, DataError
from repro.metrics.fidelity import (
    INCEPTION,
    INCEPTION_FILE,
    INCEPTION_SHA256,
    INCEPTION_URL,
    _ReferenceImages,
    _Uint8Generator,
    fidelity_metrics,
    inception_weights,
    to_uint8_rgb,
)
from tests import fidelity_extractor

NZ, N = 8, 256
EXTRACTOR = fidelity_extractor.register()
HUB_WEIGHTS = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors


class TinyGenerator(nn.Module):
    """z ∈ R^NZ → nc×16×16 in [−1, 1] (plus Gaussian noise of std `sigma`), with a BatchNorm like DCGAN's."""

    def __init__(self, nc: int = 3, sigma: float = 0.0):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(0)
            self.fc = nn.Linear(NZ, 16 * 4 * 4)
            self.bn = nn.BatchNorm2d(16)
            self.conv = nn.Conv2d(16, nc, 3, padding=1)
        self.sigma, self.noise = sigma, torch.Generator().manual_seed(1)
        self.modes = []

    def forward(self, z):
        self.modes.append(self.training)
        h = self.bn(self.fc(z).view(-1, 16, 4, 4)).relu()
        x = torch.tanh(self.conv(nn.functional.interpolate(h, scale_factor=4, mode="bilinear")))
        return x + self.sigma * torch.randn(x.shape, generator=self.noise)


def samples(generator: TinyGenerator, n: int, seed: int, batch: int = 64) -> np.ndarray:
    """What torch-fidelity feeds the metric for rng_seed=`seed`: its RandomState normal noise, in `batch`es
    (train-mode BN sees the same batches), as uint8 N×C×H×W."""
    z = torch.from_numpy(np.random.RandomState(seed).randn(n, NZ)).float()
    generator.train()
    with torch.no_grad():
        return torch.cat([to_uint8_rgb(generator(b))[:, :generator.conv.out_channels] for b in z.split(batch)]).numpy()


def store(tmp_path: Path, images: np.ndarray, name: str = "store") -> tuple[np.ndarray, str]:
    """`images` written as a real image store and memory-mapped back: (images, manifest sha256)."""
    manifest = write_store(tmp_path / name, [images], len(images), images.shape[1:], {"source": "test"})
    return load_store(tmp_path / name), manifest["sha256"]


def measure(generator, reference, sha, cache_root, **kwargs):
    kwargs = {"n_samples": N, "extractor": EXTRACTOR, "device": "cpu", "seed": 0, **kwargs}
    return fidelity_metrics(generator, NZ, reference, sha, cache_root=cache_root, **kwargs)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The clean generator's own samples for seed 0, as a store."""
    return store(tmp_path_factory.mktemp("ref"), samples(TinyGenerator(), N, seed=0))


def test_uint8_conversion_and_reference_dataset(tmp_path):
    x = torch.tensor([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0]).view(1, 1, 1, 6)
    pixels = to_uint8_rgb(x)
    assert pixels.dtype == torch.uint8 and pixels.shape == (1, 3, 1, 6)
    assert pixels[0, 0, 0].tolist() == [0, 0, 128, 191, 255, 255] and (pixels[0, 1:] == pixels[0, 0]).all()
    gray, _ = store(tmp_path, np.arange(2 * 16 * 16, dtype=np.uint8).reshape(2, 1, 16, 16))
    item = _ReferenceImages(gray)[1]
    assert torch.is_tensor(item) and item.dtype == torch.uint8 and item.shape == (3, 16, 16)
    assert (item == torch.from_numpy(np.array(gray[1]))).all()


def test_protocol_names_and_values(reference, tmp_path):
    images, sha = reference
    out = measure(TinyGenerator(), images, sha, tmp_path)
    assert set(out) == {"is_256_10split", "is_256_10split_std", "fid_256_train", "kid_256_train", "kid_256_train_std",
                        "extractor", "weights_sha256", "kid_subset_size", "n_reference"}
    assert all(math.isfinite(v) for v in out.values() if isinstance(v, float))
    assert 1 <= out["is_256_10split"] <= 10  # 10 classes
    assert out["extractor"] == EXTRACTOR and out["weights_sha256"] is None
    assert out["kid_subset_size"] == N and out["n_reference"] == N
    only = measure(TinyGenerator(), images, sha, tmp_path, metrics=("fid",), n_samples=2048)
    assert set(only) == {"fid_2k_train", "extractor", "weights_sha256", "kid_subset_size", "n_reference"}
    assert only["kid_subset_size"] is None
    assert measure(TinyGenerator(), images, sha, tmp_path, metrics=("kid",), n_samples=20)["kid_subset_size"] == 20


def test_fid_of_a_set_against_itself_is_zero_and_grows_with_noise(reference, tmp_path):
    """Same seed and same batches: the generator's samples are the reference exactly, so FID ≈ 0; Gaussian
    pixel noise of growing σ moves FID up monotonically; another seed (a fresh draw) lands in between."""
    images, sha = reference
    fids = [measure(TinyGenerator(sigma=s), images, sha, tmp_path, metrics=("fid",))["fid_256_train"]
            for s in (0.0, 0.05, 0.1, 0.2, 0.4)]
    assert abs(fids[0]) < 1e-6
    assert all(a < b for a, b in itertools.pairwise(fids)), fids
    fresh = measure(TinyGenerator(), images, sha, tmp_path, metrics=("fid",), seed=1)["fid_256_train"]
    assert fids[0] < fresh < fids[-1]


def test_generator_samples_in_train_mode_and_is_left_as_found(reference, tmp_path):
    images, sha = reference
    generator = TinyGenerator().eval()
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    measure(generator, images, sha, tmp_path, metrics=("fid",))
    assert generator.modes and all(generator.modes)  # batch-statistics BN while sampling
    assert not generator.training
    assert all(torch.equal(before[k], v) for k, v in generator.state_dict().items())  # BN running stats restored


def test_gray_images_are_repeated_to_three_channels(tmp_path):
    gray = TinyGenerator(nc=1)
    images, sha = store(tmp_path, samples(gray, N, seed=0))
    out = measure(gray, images, sha, tmp_path / "cache", metrics=("fid", "isc"))
    assert abs(out["fid_256_train"]) < 1e-6 and math.isfinite(out["is_256_10split"])
    assert any("1x16x16gray2rgb" in p.name for p in (tmp_path / "cache").iterdir())


def test_reference_cache_is_keyed_by_content(reference, tmp_path):
    images, sha = reference
    cache = tmp_path / "cache"

    def fid(reference, sha, cache_root):
        return measure(TinyGenerator(sigma=0.1), reference, sha, cache_root, metrics=("fid",))["fid_256_train"]

    first = fid(images, sha, cache)
    cached = sorted(p.name for p in cache.iterdir())
    assert cached and all(sha[:16] in name for name in cached)
    # the same sha256 is the same reference: its features come from the cache (shown by lying about the data)
    assert fid(np.ascontiguousarray(images[::-1, :, ::-1]), sha, cache) == first
    assert sorted(p.name for p in cache.iterdir()) == cached
    # a changed store (new sha256) in the same cache_root is measured afresh, not served stale
    other, other_sha = store(tmp_path, samples(TinyGenerator(sigma=0.3), N, seed=0), "other")
    second = fid(other, other_sha, cache)
    assert second != first and second == fid(other, other_sha, tmp_path / "fresh")


def test_changed_extractor_weights_are_not_served_stale(reference, tmp_path):
    images, sha = reference
    paths = []
    for seed in (1, 2):
        paths.append(tmp_path / f"weights{seed}.pt")
        torch.save(fidelity_extractor.random_state(seed), paths[-1])
    outs = [measure(TinyGenerator(sigma=0.1), images, sha, tmp_path / "cache", metrics=("fid",), weights=p)
            for p in paths]
    assert outs[0]["weights_sha256"] != outs[1]["weights_sha256"]
    fresh = measure(TinyGenerator(sigma=0.1), images, sha, tmp_path / "fresh", metrics=("fid",), weights=paths[1])
    assert outs[1]["fid_256_train"] == fresh["fid_256_train"] != outs[0]["fid_256_train"]
    assert len({p.name for p in (tmp_path / "cache").iterdir()}) == 2  # the FID layer's features, per weights file


@pytest.mark.parametrize("metrics", [("isc", "fid", "kid"), ("fid",), ("isc",)])
def test_numbers_are_torch_fidelitys_calculate_metrics_cold_and_warm(reference, tmp_path, metrics):
    """fidelity_metrics assembles torch-fidelity's building blocks around its own cache: its numbers are exactly
    calculate_metrics' on the same inputs, on the first call and from the cache (FID alone takes another path
    through calculate_metrics; IS alone needs no reference features). 64 samples: KID's 100 subsets stay cheap."""
    images, sha = reference
    flags = {m: m in metrics for m in ("isc", "fid", "kid")}
    values = torch_fidelity.calculate_metrics(
        input1=_Uint8Generator(TinyGenerator(sigma=0.1).train(), NZ, images.shape[1:], 0), input1_model_z_type="normal",
        input1_model_z_size=NZ, input1_model_num_samples=64, input2=_ReferenceImages(images), **flags,
        kid_subset_size=64, feature_extractor=EXTRACTOR, cuda=False, batch_size=64, rng_seed=0, save_cpu_ram=True,
        cache=False, verbose=False)
    names = {"is_64_10split": torch_fidelity.KEY_METRIC_ISC_MEAN,
             "is_64_10split_std": torch_fidelity.KEY_METRIC_ISC_STD, "fid_64_train": torch_fidelity.KEY_METRIC_FID,
             "kid_64_train": torch_fidelity.KEY_METRIC_KID_MEAN, "kid_64_train_std": torch_fidelity.KEY_METRIC_KID_STD}
    expected = {ours: values[theirs] for ours, theirs in names.items() if theirs in values}
    assert len(expected) == 2 * flags["isc"] + flags["fid"] + 2 * flags["kid"]
    cache = tmp_path / "cache"
    for _ in ("cold", "warm"):
        out = measure(TinyGenerator(sigma=0.1), images, sha, cache, metrics=metrics, n_samples=64)
        assert {k: v for k, v in out.items() if isinstance(v, float)} == expected
    assert [p.suffix for p in cache.glob("*")] == ([] if metrics == ("isc",) else [".npz"])


def test_user_errors(reference, tmp_path):
    images, sha = reference
    with pytest.raises(ConfigError, match="at least 2"):
        measure(TinyGenerator(), images, sha, tmp_path, metrics=("fid",), n_samples=1)
    with pytest.raises(ConfigError, match="10 splits"):
        measure(TinyGenerator(), images, sha, tmp_path, metrics=("isc",), n_samples=5)
    with pytest.raises(ConfigError, match="did you mean 'fid'"):
        measure(TinyGenerator(), images, sha, tmp_path, metrics=("fdi",))
    with pytest.raises(ConfigError, match=f"registered: .*{INCEPTION}.*{EXTRACTOR}"):
        measure(TinyGenerator(), images, sha, tmp_path, extractor="inception-v3")
    with pytest.raises(DataError, match="generator makes 1×16×16 images but the reference store holds 3×16×16"):
        measure(TinyGenerator(nc=1), images, sha, tmp_path, metrics=("fid",))
    with pytest.raises(DataError, match="missing.pt: weights of feature extractor"):
        measure(TinyGenerator(), images, sha, tmp_path, weights=tmp_path / "missing.pt")
    assert fidelity_extractor.register() == EXTRACTOR  # registering again is a no-op, not torch-fidelity's error


def test_a_conditional_generator_is_measured_on_uniformly_drawn_classes(tmp_path):
    """Table 3's AC-GAN ResNet: gan_cifar_resnet.py scores 50k samples of uniform random classes. Its generator
    needs one label per sample; IS, FID and KID go through torch-fidelity's calculate_metrics with the labels drawn
    from the evaluation seed (torch-fidelity's own label draw uses np.int, gone from NumPy since 1.24)."""
    from repro.nets import Sizes, build

    torch.manual_seed(0)
    generator = build("resnet32_cond_g", Sizes(nz=128, nc=3, isize=32, width=8))
    labels_seen = []
    generator.register_forward_pre_hook(lambda module, args: labels_seen.append(args[1]))
    images, sha = store(tmp_path, np.random.default_rng(0).integers(0, 256, (64, 3, 32, 32), dtype=np.uint8))
    run = lambda: fidelity_metrics(generator, 128, images, sha, n_samples=1000, extractor=EXTRACTOR,  # noqa: E731
                                   cache_root=tmp_path / "cache", device="cpu", seed=3, batch_size=100)
    out = run()
    assert {k for k, v in out.items() if isinstance(v, float)} == {
        "is_1k_10split", "is_1k_10split_std", "fid_1k_train", "kid_1k_train", "kid_1k_train_std"}
    assert all(math.isfinite(v) for v in out.values() if isinstance(v, float))
    labels = torch.cat(labels_seen)
    assert len(labels) == 1000 and [len(b) for b in labels_seen] == [100] * 10  # the batches of 100 sampled
    counts = torch.bincount(labels, minlength=10)
    assert len(counts) == 10 and counts.min() >= 60 and counts.max() <= 140  # uniform: 100 ± 4 standard deviations
    labels_seen.clear()
    assert run() == out and torch.equal(torch.cat(labels_seen), labels)  # the seed fixes the classes


def _no_network(url, dst, **kwargs):
    raise urllib.error.URLError("[Errno -2] Name or service not known")


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """torch hub pointed at an empty directory, as on an offline machine that never downloaded the weights.
    (torch.hub.set_dir could not be undone exactly: it pins the directory, which TORCH_HOME no longer moves.)"""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setattr(torch.hub, "download_url_to_file", _no_network)  # offline even on a machine with internet
    assert torch.hub.get_dir() == str(tmp_path / "hub")
    return tmp_path / "hub" / "checkpoints" / INCEPTION_FILE


def test_offline_inception_fails_fast_with_instructions(empty_hub, reference, tmp_path):
    with pytest.raises(DataError) as error:
        inception_weights(None)
    assert INCEPTION_URL in str(error.value) and str(empty_hub) in str(error.value)
    assert "metrics.inception_weights" in str(error.value)
    with pytest.raises(DataError, match=str(tmp_path / "nowhere.pth")):
        inception_weights(str(tmp_path / "nowhere.pth"))
    # before torch-fidelity would try a download (URLError), and before sampling anything
    images, sha = reference
    generator = TinyGenerator()
    with pytest.raises(DataError, match="Inception weights not found"):
        measure(generator, images, sha, tmp_path, extractor=INCEPTION)
    assert generator.modes == []


def test_inception_weights_with_a_wrong_hash(empty_hub):
    empty_hub.parent.mkdir(parents=True)
    empty_hub.write_bytes(b"not the weights")
    digest = hashlib.sha256(b"not the weights").hexdigest()
    with pytest.raises(DataError, match=f"{empty_hub}: sha256 {digest} is not {INCEPTION_SHA256}"):
        inception_weights(None)


@pytest.mark.skipif(not HUB_WEIGHTS.is_file(), reason=f"Inception weights not at {HUB_WEIGHTS}")
def test_real_inception_metrics(tmp_path):
    """The real protocol on a few 32×32 images (≈0.1 s an image on 2 CPU cores)."""
    images, sha = store(tmp_path, np.random.default_rng(0).integers(0, 256, (20, 3, 32, 32), dtype=np.uint8))
    generator = nn.Sequential(TinyGenerator(), nn.Upsample(scale_factor=2))
    out = fidelity_metrics(generator, NZ, images, sha, n_samples=20, cache_root=tmp_path / "cache", device="cpu",
                           batch_size=10)
    assert out["extractor"] == INCEPTION and out["weights_sha256"] == INCEPTION_SHA256
    assert 1 <= out["is_20_10split"] < 1008 and out["fid_20_train"] > 0 and math.isfinite(out["kid_20_train"])
    assert out["kid_subset_size"] == 20
