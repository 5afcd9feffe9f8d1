"""Issue 19 item 6: no code runs from a data file. torch-fidelity 0.4.0 reads its feature cache and the Inception
weights with `torch.load(weights_only=False)`, which runs whatever a pickle says; the reference features are ours,
in npz read without pickle, and the weights must have their full sha256 before torch-fidelity opens them."""

import hashlib
import operator
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from repro.data.store import load_store, write_store
from repro.errors import DataError
from repro.metrics import fidelity
from repro.metrics.fidelity import INCEPTION, INCEPTION_FILE, INCEPTION_URL, fidelity_metrics, inception_weights
from repro.metrics.fidelity import reference_cache_name
from tests import fidelity_extractor

NZ, N = 8, 64
EXTRACTOR = fidelity_extractor.register()
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"  # 95,628,359 bytes

pytestmark = pytest.mark.usefixtures("one_thread")


class _Touch:
    """Unpickles by calling open(path, "w"): the file appears exactly when the pickle is loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


class _Planted:
    """Unpickles to `value`, creating `marker` on the way: a cache file that looks right and runs code."""

    def __init__(self, marker, value):
        self.marker, self.value = marker, value

    def __reduce__(self):
        return operator.itemgetter(1), ((_Touch(self.marker), self.value),)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(0)
            self.fc = nn.Linear(NZ, 3 * 16 * 16)

    def forward(self, z):
        return torch.tanh(self.fc(z)).view(-1, 3, 16, 16)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    images = np.random.default_rng(0).integers(0, 256, (N, 3, 16, 16), dtype=np.uint8)
    directory = tmp_path_factory.mktemp("ref") / "store"
    manifest = write_store(directory, [images], N, images.shape[1:], {"source": "test"})
    return load_store(directory), manifest["sha256"]


def measure(reference, cache_root, **kwargs):
    images, sha = reference
    kwargs = {"n_samples": N, "extractor": EXTRACTOR, "device": "cpu", **kwargs}
    return fidelity_metrics(Generator(), NZ, images, sha, cache_root=cache_root, **kwargs)


def test_planted_torch_fidelity_cache_files_are_never_loaded(reference, tmp_path):
    """Pickles under every name torch-fidelity 0.4.0 would load for IS+FID+KID of this reference (features of both
    layers, FID statistics), each a valid value that creates a file when unpickled: none runs, cold or warm."""
    images, sha = reference
    name = f"{reference_cache_name(sha, images.shape, None)}-{EXTRACTOR}"
    marker = tmp_path / "PWNED"
    cache = tmp_path / "cache"
    cache.mkdir()
    planted = {f"{name}-features-feat.pt": torch.zeros(N, fidelity_extractor.N_FEATURES),
               f"{name}-features-logits.pt": torch.zeros(N, 10),
               f"{name}-stat-fid-feat.pt": {"mu": np.zeros(fidelity_extractor.N_FEATURES, np.float32),
                                            "sigma": np.zeros((fidelity_extractor.N_FEATURES,) * 2)}}
    for file, value in planted.items():
        torch.save(_Planted(marker, value), cache / file)
    probe = tmp_path / "probe"
    torch.save(_Planted(probe, 1), tmp_path / "probe.pt")
    assert torch.load(tmp_path / "probe.pt", weights_only=False) == 1 and probe.exists()  # the payload is live

    clean = measure(reference, tmp_path / "clean")
    for _ in ("cold", "warm"):
        out = measure(reference, cache)
        assert not marker.exists(), "a planted cache file ran"
        assert out == clean
    assert {p.name for p in cache.glob("*.pt")} == set(planted)  # left alone, never read


def test_reference_features_are_npz_read_without_pickle(reference, tmp_path):
    """The reference features are cached as npz; a pickle, an npz of pickled objects or a truncated file under that
    name is not run but measured afresh and replaced."""
    images, sha = reference
    cache = tmp_path / "cache"
    clean = measure(reference, cache, metrics=("fid", "kid"))
    cached = cache / f"{reference_cache_name(sha, images.shape, None)}-{EXTRACTOR}-features-feat.npz"
    assert sorted(p.name for p in cache.iterdir()) == [cached.name]
    with np.load(cached, allow_pickle=False) as npz:
        assert npz["features"].shape == (N, fidelity_extractor.N_FEATURES)
    good = cached.read_bytes()
    marker = tmp_path / "PWNED"
    with open(tmp_path / "objects.npz", "wb") as f:
        np.savez(f, features=np.array([_Touch(marker)], dtype=object))
    for bad in (pickle.dumps(_Planted(marker, 0)), (tmp_path / "objects.npz").read_bytes(), good[:len(good) // 2]):
        cached.write_bytes(bad)
        assert measure(reference, cache, metrics=("fid", "kid")) == clean
        assert not marker.exists() and cached.read_bytes() == good


def test_inception_weights_need_their_full_sha256(reference, tmp_path, monkeypatch):
    """The weights are unpickled by torch-fidelity, so only the file with the published sha256 (all 64 digits, not
    the 8 in its name) reaches it; the refusal names the file, both hashes and the download."""
    weights = tmp_path / INCEPTION_FILE
    marker = tmp_path / "PWNED"
    torch.save(_Planted(marker, {}), weights)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    with pytest.raises(DataError) as error:
        inception_weights(str(weights))
    message = str(error.value)
    assert str(weights) in message and digest in message and INCEPTION_SHA256 in message
    assert f"curl -L -o {weights} {INCEPTION_URL}" in message
    with pytest.raises(DataError, match=INCEPTION_SHA256):
        measure(reference, tmp_path / "cache", extractor=INCEPTION, weights=weights)
    assert not marker.exists()
    # every digit counts: a hash that differs from the file's in the last one is refused, the file's own accepted
    monkeypatch.setattr(fidelity, "INCEPTION_SHA256", digest[:-1] + ("1" if digest[-1] == "0" else "0"))
    with pytest.raises(DataError, match=f"sha256 {digest} is not"):
        inception_weights(str(weights))
    monkeypatch.setattr(fidelity, "INCEPTION_SHA256", digest)
    assert inception_weights(str(weights)) == weights
