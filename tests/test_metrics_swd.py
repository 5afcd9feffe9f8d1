"""Multi-scale sliced Wasserstein distance (repro.metrics.swd): Karras et al.'s protocol checked against a direct
all-in-memory implementation, its behaviour on degraded, shifted and recoloured images, and the streaming machinery
(batch size, direction chunks, seeds, memmaps, CUDA)."""

import numpy as np
import pytest
import scipy.ndimage
import torch

import repro.metrics.swd as swd_module
from repro.data.vision import mnist_bundled
from repro.metrics.swd import SlicedWasserstein, _draw_directions, _draw_positions, sliced_wasserstein

FAST = {"nhoods_per_image": 64, "dir_repeats": 1, "dirs_per_repeat": 64}  # 64 directions: enough for comparisons


def swd(real, fake, **kwargs) -> dict:
    return sliced_wasserstein(real, fake, **{**FAST, **kwargs})


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """The bundled MNIST test digits at 32×32: centred content, 1 channel."""
    return mnist_bundled(32)


def fields(n: int, seed: int, size: int = 64) -> np.ndarray:
    """Smooth colour textures (white noise blurred with wrap-around, so statistically the same at every position and
    under cyclic shifts), uint8 within 40…215 so that ±40 grey levels never clip."""
    noise = np.random.default_rng(seed).standard_normal((n, 3, size, size))
    x = scipy.ndimage.gaussian_filter(noise, (0, 0, 2, 2), mode="wrap")
    return np.clip(np.round(128 + 35 * x / x.std()), 40, 215).astype(np.uint8)


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    return np.round(scipy.ndimage.gaussian_filter(images.astype(np.float32), (0, 0, sigma, sigma))).astype(np.uint8)


def noisy(images: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, images.shape)
    return np.clip(np.round(images + noise), 0, 255).astype(np.uint8)


def karras_reference(real, fake, *, seed, nhoods_per_image, nhood_size, dir_repeats, dirs_per_repeat,
                     min_resolution):
    """Karras's metrics/sliced_wasserstein.py written out directly: scipy's mirror convolution, every descriptor in
    memory, float64; only the neighbourhood positions and directions are drawn as repro's streaming version draws
    them (Karras draws them from numpy's global generator)."""
    kernel = (np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0)[None, None]

    def pyramid(x, n_levels):
        levels = [x.astype(np.float64)]
        for _ in range(1, n_levels):
            levels.append(scipy.ndimage.convolve(levels[-1], kernel, mode="mirror")[:, :, ::2, ::2])
            up = np.zeros(levels[-2].shape)
            up[:, :, ::2, ::2] = levels[-1]
            levels[-2] = levels[-2] - scipy.ndimage.convolve(up, 4 * kernel, mode="mirror")
        return levels

    n, c, h, w = real.shape
    resolutions = [h >> k for k in range(h.bit_length()) if h >> k >= min_resolution]
    pyramids = [pyramid(x, len(resolutions)) for x in (real, fake)]
    gen, r = torch.Generator().manual_seed(seed), nhood_size // 2
    result = {}
    for level, resolution in enumerate(resolutions):
        positions = _draw_positions(gen, n, nhoods_per_image, h >> level, w >> level, nhood_size).numpy()
        dirs = _draw_directions(gen, dir_repeats * dirs_per_repeat, c * nhood_size ** 2).double().numpy()
        projections = []
        for pyr in pyramids:
            desc = np.stack([pyr[level][i, :, y - r:y + r + 1, x - r:x + r + 1]
                             for i in range(n) for y, x in positions[i]])
            desc = (desc - desc.mean(axis=(0, 2, 3), keepdims=True)) / desc.std(axis=(0, 2, 3), keepdims=True)
            projections.append(np.sort(desc.reshape(len(desc), -1) @ dirs.T, axis=0))
        result[resolution] = np.abs(projections[0] - projections[1]).mean() * 1e3
    return result


def test_streaming_matches_a_direct_implementation_of_karras():
    real, fake = fields(24, 1, size=32), blurred(fields(24, 2, size=32), 1.0)
    kwargs = {"seed": 3, "nhoods_per_image": 16, "nhood_size": 7, "dir_repeats": 2, "dirs_per_repeat": 24,
              "min_resolution": 16}
    ours = sliced_wasserstein(real, fake, batch_size=5, dirs_per_chunk=10, **kwargs)
    reference = karras_reference(real, fake, **kwargs)
    assert list(ours["levels"]) == [32, 16]
    for resolution, value in reference.items():
        assert ours["levels"][resolution] == pytest.approx(value, rel=1e-4)
    assert ours["mean"] == pytest.approx(np.mean(list(reference.values())), rel=1e-4)


def test_identical_sets_are_at_zero(digits):
    images = digits[:128]
    assert swd(images, images)["levels"] == {32: 0.0, 16: 0.0}  # same positions in both sets: exactly 0
    assert max(swd(images, images.copy())["levels"].values()) < 1e-9


def test_two_draws_are_close_and_blur_and_noise_grow_it(digits):
    real, other = digits[:256], digits[256:512]
    base = swd(real, other)["mean"]
    blur = [swd(real, blurred(other, sigma))["mean"] for sigma in (1, 2, 4)]
    noise = [swd(real, noisy(other, sigma))["mean"] for sigma in (8, 16, 32)]
    assert base < blur[0] / 2
    assert base < blur[0] < blur[1] < blur[2]
    assert base < noise[0] < noise[1] < noise[2]


def test_shifts_are_seen_on_centred_digits_but_not_on_stationary_textures(digits):
    """Karras's neighbourhoods sit at absolute positions, so the SWD sees a shift only through the content's
    statistics at those positions: centred digits moved off-centre by more pixels are further away (up to half the
    image), while a texture that is statistically the same everywhere stays at the two-draw sampling level."""
    real = digits[:256]
    moved = [swd(real, np.roll(real, k, axis=3))["mean"] for k in (1, 2, 4, 8)]
    assert swd(real, digits[256:512])["mean"] < moved[0] < moved[1] < moved[2] < moved[3]

    texture = fields(128, 1, size=32)
    base = swd(texture, fields(128, 2, size=32))["mean"]
    for k in (1, 4, 8, 16):
        assert swd(texture, np.roll(texture, k, axis=(2, 3)))["mean"] < 1.5 * base


def test_a_global_change_of_brightness_or_contrast_is_invisible():
    """Each set is normalised per channel by its own mean and std, so x → a·x + b over the whole set leaves the SWD
    at 0 (a property of Karras's protocol): only float and uint8 rounding shows. Offsets that differ between images are
    seen, at the coarsest (Gaussian) level only: the Laplacian levels do not see offsets at all."""
    real = fields(128, 1, size=32)
    base = swd(real, fields(128, 2, size=32))["mean"]
    assert max(swd(real, real + 40)["levels"].values()) < 1e-3 * base  # float rounding in the pyramid
    contrast = np.round((real - 40.0) * 0.6 + 60).astype(np.uint8)
    assert swd(real, contrast)["mean"] < 0.2 * base
    per_image = swd(real, (real + np.random.default_rng(0).integers(-40, 41, (128, 1, 1, 1))).astype(np.uint8))
    assert per_image["levels"][32] < 1e-3 * base
    assert per_image["levels"][16] > 2 * base


def test_levels_from_full_resolution_down_to_min_resolution(digits):
    colour = fields(16, 1)
    result = swd(colour, fields(16, 2))
    assert list(result["levels"]) == [64, 32, 16]
    assert all(v > 0 for v in result["levels"].values())
    assert result["mean"] == pytest.approx(np.mean(list(result["levels"].values())))
    assert list(swd(colour, fields(16, 2), min_resolution=32)["levels"]) == [64, 32]
    assert list(swd(digits[:16], digits[16:32])["levels"]) == [32, 16]  # 1 channel


def test_a_constant_set_gives_a_finite_distance(digits):
    black = np.zeros_like(digits[:64])
    result = swd(digits[:64], black)
    assert all(np.isfinite(v) and v > 100 for v in result["levels"].values())


def test_shapes_the_protocol_cannot_take_are_refused():
    with pytest.raises(ValueError, match=r"real \(8, 3, 64, 64\).*fake \(8, 3, 32, 32\)"):
        swd(fields(8, 1), fields(8, 2, size=32))
    with pytest.raises(ValueError, match="smaller than min_resolution 16"):
        swd(fields(8, 1, size=8), fields(8, 2, size=8))
    odd = np.zeros((4, 1, 66, 66), np.uint8)  # 66 → 33 → 16: 33 cannot be halved
    with pytest.raises(ValueError, match="even sides"):
        swd(odd, odd)


def test_batch_size_and_direction_chunks_do_not_change_the_result(digits):
    real, fake = digits[:64], blurred(digits[64:128], 1)
    reference = swd(real, fake, batch_size=256, dirs_per_chunk=64)["levels"]
    for batch_size, dirs_per_chunk in [(27, 7), (5, 64), (64, 3)]:
        levels = swd(real, fake, batch_size=batch_size, dirs_per_chunk=dirs_per_chunk)["levels"]
        assert levels == pytest.approx(reference, rel=1e-4)


def test_a_prepared_real_set_gives_each_fake_set_its_own_result(digits, monkeypatch):
    """One SlicedWasserstein measures several fake sets in a row (a run's snapshots) with the real side prepared
    once: each result equals a fresh pair's, whether the real projections are cached or (over budget) streamed."""
    real, fakes = digits[:64], [blurred(digits[64:128], s) for s in (0.5, 2)] + [digits[128:192]]
    fresh = [swd(real, fake) for fake in fakes]
    prepared = SlicedWasserstein(real, **FAST)
    assert prepared.levels[0][4] is not None  # 64 images × 64 nhoods × 64 directions: cached
    same = lambda results: all(r["levels"] == pytest.approx(f["levels"], rel=1e-6)  # noqa: E731 - float rounding
                               for r, f in zip(results, fresh, strict=True))  # of matmuls, as buffers align
    assert same([prepared(fake) for fake in fakes])
    monkeypatch.setattr(swd_module, "PROJECTION_BUDGET", 64 * 64 * 64 * 4)  # one level's worth: not cached
    streamed = SlicedWasserstein(real, **FAST)
    assert streamed.levels[0][4] is None
    assert same([streamed(fake) for fake in fakes])
    with pytest.raises(ValueError, match="differ in shape"):
        prepared(digits[:32])


def test_the_seed_fixes_the_result(digits):
    real, fake = digits[:128], digits[128:256]
    first = swd(real, fake, seed=5)
    assert swd(real, fake, seed=5) == first
    other = swd(real, fake, seed=6)
    assert other != first and other["mean"] == pytest.approx(first["mean"], rel=0.5)


def test_memmaps_and_tensors_give_the_same_result(digits, tmp_path):
    real, fake = digits[:96], digits[96:192]
    np.save(tmp_path / "real.npy", real)
    np.save(tmp_path / "fake.npy", fake)
    mapped = [np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("real", "fake")]
    expected = swd(real, fake, batch_size=32)
    assert swd(*mapped, batch_size=32) == expected
    assert swd(torch.from_numpy(real), torch.from_numpy(fake), batch_size=32) == expected


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_agrees_with_the_cpu():
    real, fake = fields(128, 1), blurred(fields(128, 2), 1.0)
    cpu = swd(real, fake)["levels"]
    assert swd(real, fake, device="cuda")["levels"] == pytest.approx(cpu, rel=1e-3)  # float32 summation order
    on_device = [torch.from_numpy(x).cuda() for x in (real, fake)]
    assert swd(*on_device, device="cuda")["levels"] == pytest.approx(cpu, rel=1e-3)
