"""Multi-scale sliced Wasserstein distance (SWD) of Karras et al. 2018 ("Progressive Growing of GANs", Sec. 5 and
the official metrics/sliced_wasserstein.py), in PyTorch on CPU or CUDA, with memory bounded whatever the image count.

The protocol: a Laplacian pyramid per image (5×5 binomial filter, mirror borders as scipy's "mirror" / cv2's
BORDER_REFLECT_101, the filter Karras uses), from full resolution down to `min_resolution`; per level and image,
`nhoods_per_image` random 7×7 neighbourhoods over all channels; each set's descriptors normalised per channel by that
set's own mean and std at that level; then the sliced Wasserstein distance between the two sets of a level over
`dir_repeats` × `dirs_per_repeat` random unit directions, reported ×1e3 as Karras does.

Because each set is normalised by its own statistics, the SWD is blind to a change of brightness and contrast applied
to a whole set, per channel (x → a·x + b, a > 0; up to uint8 rounding and clipping): the offset leaves the Laplacian
levels unchanged and shifts the coarsest (Gaussian) level, the gain scales every level, and the normalisation removes
both. A generator whose colours are off by a global shift or gain is not penalised; the SWD measures the distribution
of local structure only.

Why two passes: Karras holds every descriptor of a level in memory, 147 floats each for 3 channels, which for 16384
images of 3×64×64 is 1.2 GB per level and set. Here pass 1 streams image batches to accumulate the per-channel
statistics; pass 2, for each chunk of `dirs_per_chunk` directions, streams the batches again, recomputes the pyramid
level, re-extracts the same neighbourhoods (their positions are drawn once per level, from `seed`), normalises and
projects them, keeping only the N_desc × dirs_per_chunk projections of each set to sort. Beyond one batch, peak
memory is 2 × 4 bytes × N_desc × dirs_per_chunk on the CPU (numpy sorts in place), 5 × on CUDA (torch's sort adds
values and int64 indices); N_desc = N × nhoods_per_image.

Deviations from Karras: the neighbourhood positions are shared by the two sets (the same positions in image i of
either set; Karras draws them independently), which leaves each set's descriptor distribution unchanged and removes
the position noise from the difference, so SWD(x, x) is exactly 0; a channel whose descriptors are all equal
(a constant image set) is divided by 1 instead of 0, so the result stays finite where Karras's would be NaN.
"""

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

PROJECTION_BUDGET = 512 * 2**20  # bytes of projections held at once when dirs_per_chunk is not given
_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
_KERNEL = (torch.outer(_BINOMIAL, _BINOMIAL) / 256.0).view(1, 1, 5, 5)


def sliced_wasserstein(real, fake, *, seed: int = 0, device="cpu", **protocol) -> dict:
    """Multi-scale SWD ×1e3 between two equally shaped image sets N×C×H×W (uint8 tensors or numpy arrays, memmaps
    included, read one batch at a time and taken as float32 in 0…255); `protocol` as for SlicedWasserstein.

    Returns {"levels": {resolution: swd_x1e3, ...} (highest resolution first), "mean": mean over the levels}.
    The same `seed` gives the same neighbourhood positions and directions, so the same result for any `batch_size`
    and `dirs_per_chunk` (up to float rounding).
    """
    _check_same_shape(real, fake)
    return SlicedWasserstein(real, seed=seed, device=device, **protocol)(fake)


class SlicedWasserstein:
    """The SWD of image sets against one fixed real set, which is prepared once: the neighbourhood positions and
    directions drawn from `seed`, the real set's per-level statistics and, when all its sorted projections fit in
    PROJECTION_BUDGET bytes, those too. Measuring a run's snapshots one after another then pays the real side once
    (peak memory: that cache plus one chunk of the fake set's projections, at most 1.5 × the budget).
    `dirs_per_chunk` None: as many directions per pass as fit the budget with both sets' projections."""

    def __init__(self, real, *, seed: int = 0, device="cpu", nhoods_per_image: int = 128, nhood_size: int = 7,
                 dirs_per_repeat: int = 128, dir_repeats: int = 4, min_resolution: int = 16, batch_size: int = 256,
                 dirs_per_chunk: int | None = None):
        resolutions = _resolutions(real, nhood_size, min_resolution)
        n, c, h, w = real.shape
        self.real = real
        self.n_desc, self.n_dirs = n * nhoods_per_image, dir_repeats * dirs_per_repeat
        if dirs_per_chunk is None:  # fewer passes over the images is the main speed lever (both sets, float32)
            dirs_per_chunk = max(1, min(self.n_dirs, PROJECTION_BUDGET // (2 * 4 * self.n_desc)))
        cache = len(resolutions) * self.n_dirs * self.n_desc * 4 <= PROJECTION_BUDGET
        gen = torch.Generator().manual_seed(seed)
        self.levels = []
        for level, resolution in enumerate(resolutions):
            positions = _draw_positions(gen, n, nhoods_per_image, h >> level, w >> level, nhood_size)
            directions = _draw_directions(gen, self.n_dirs, c * nhood_size ** 2)
            descriptors = partial(_descriptors, level=level, n_levels=len(resolutions), positions=positions,
                                  size=nhood_size, batch_size=batch_size, device=device)
            stats = _channel_stats(descriptors(real))
            chunks = [chunk.to(device) for chunk in directions.split(dirs_per_chunk)]
            self.levels.append((resolution, descriptors, stats, chunks,
                                [self._sorted(descriptors, real, stats, chunk) for chunk in chunks] if cache else None))

    def _sorted(self, descriptors, images, stats, chunk) -> torch.Tensor:
        return _sort_rows(_project(descriptors(images), *stats, chunk, self.n_desc))

    def __call__(self, fake) -> dict:
        _check_same_shape(self.real, fake)
        levels = {}
        for resolution, descriptors, real_stats, chunks, real_sorted in self.levels:
            fake_stats = _channel_stats(descriptors(fake))
            total = 0.0
            for k, chunk in enumerate(chunks):
                real_k = real_sorted[k] if real_sorted else self._sorted(descriptors, self.real, real_stats, chunk)
                fake_k = self._sorted(descriptors, fake, fake_stats, chunk)
                total += fake_k.sub_(real_k).abs_().mean(dim=1).sum().item()
            levels[resolution] = total / self.n_dirs * 1e3
        return {"levels": levels, "mean": float(np.mean(list(levels.values())))}


def _check_same_shape(real, fake) -> None:
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(f"real and fake image sets differ in shape: real {tuple(real.shape)}, "
                         f"fake {tuple(fake.shape)}")


def _resolutions(real, nhood_size: int, min_resolution: int) -> list[int]:
    """The pyramid's resolutions (image heights, highest first); ValueError for sets the protocol cannot handle."""
    if len(real.shape) != 4 or real.shape[0] == 0:
        raise ValueError(f"expected non-empty image sets N×C×H×W, got shape {tuple(real.shape)}")
    h, w = real.shape[2:]
    if h < min_resolution:
        raise ValueError(f"images of {h}×{w} are smaller than min_resolution {min_resolution}: no pyramid level")
    resolutions = [h >> k for k in range(h.bit_length()) if h >> k >= min_resolution]
    last = len(resolutions) - 1
    if any((h >> k) % 2 or (w >> k) % 2 for k in range(last)) or min(h >> last, w >> last) < nhood_size:
        raise ValueError(f"images of {h}×{w} cannot be halved down to {min_resolution} (levels {resolutions}) "
                         f"with even sides and {nhood_size}×{nhood_size} neighbourhoods fitting in the smallest")
    return resolutions


def _descriptors(images, *, level: int, n_levels: int, positions: torch.Tensor, size: int, batch_size: int, device):
    """The descriptors of one pyramid level, batch by batch, each (batch·P)×C×size² on the device."""
    for start in range(0, len(positions), batch_size):
        x = _load(images, start, start + batch_size, device)
        yield _extract(_laplacian_level(x, level, n_levels), positions[start:start + batch_size].to(device), size)


def _load(images, start: int, stop: int, device) -> torch.Tensor:
    """Images [start, stop) as float32 on the device (uint8 moved first: four times less to transfer)."""
    batch = images[start:stop]
    if not isinstance(batch, torch.Tensor):
        batch = torch.from_numpy(np.array(batch))  # a copy: memmap slices are read-only
    return batch.to(device).float()


def _filter(x: torch.Tensor, kernel: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Each channel convolved with the 5×5 kernel, mirror borders (scipy's 'mirror' = torch's 'reflect'), keeping
    every `stride`-th pixel. One depthwise convolution over all B·C planes: fast on the CPU; on CUDA, PyTorch sends
    contiguous float32 depthwise convolutions to its native kernel, not to cuDNN (which may compute them in TF32)."""
    b, c, h, w = x.shape
    planes = F.pad(x.reshape(1, b * c, h, w), (2, 2, 2, 2), mode="reflect")
    planes = F.conv2d(planes, kernel.to(x.device).expand(b * c, 1, 5, 5), stride=stride, groups=b * c)
    return planes.reshape(b, c, *planes.shape[2:])


def _pyr_down(x: torch.Tensor) -> torch.Tensor:
    """Filter, then keep every second pixel (cv2.pyrDown)."""
    return _filter(x, _KERNEL, stride=2)


def _pyr_up(x: torch.Tensor) -> torch.Tensor:
    """Insert zeros between pixels, then filter with 4× the kernel (cv2.pyrUp)."""
    b, c, h, w = x.shape
    up = x.new_zeros(b, c, 2 * h, 2 * w)
    up[:, :, ::2, ::2] = x
    return _filter(up, 4.0 * _KERNEL)


def _laplacian_level(x: torch.Tensor, level: int, n_levels: int) -> torch.Tensor:
    """Level `level` of the Laplacian pyramid: G_k − up(G_k+1), the last level the Gaussian G_k itself."""
    for _ in range(level):
        x = _pyr_down(x)
    return x if level == n_levels - 1 else x - _pyr_up(_pyr_down(x))


def _draw_positions(gen: torch.Generator, n: int, per_image: int, h: int, w: int, size: int) -> torch.Tensor:
    """n×per_image×2 neighbourhood centres (y, x), uniform over those whose size×size square lies in the image."""
    r = size // 2
    y = torch.randint(r, h - r, (n, per_image), generator=gen, dtype=torch.int32)
    x = torch.randint(r, w - r, (n, per_image), generator=gen, dtype=torch.int32)
    return torch.stack([y, x], dim=-1)


def _draw_directions(gen: torch.Generator, n: int, dim: int) -> torch.Tensor:
    """n random unit vectors of length dim, float32 (drawn in float64 on the CPU: the same on every device)."""
    dirs = torch.randn(n, dim, generator=gen, dtype=torch.float64)
    return (dirs / dirs.norm(dim=1, keepdim=True)).float()


def _extract(x: torch.Tensor, positions: torch.Tensor, size: int) -> torch.Tensor:
    """The size×size neighbourhoods (all channels) at positions B×P×2 of x B×C×H×W, as (B·P)×C×size²."""
    b, c, h, w = x.shape
    r = size // 2
    image = torch.arange(b, device=x.device).view(b, 1)
    corner = (image * c * h + positions[..., 0] - r) * w + positions[..., 1] - r  # flat index of (image, 0, y-r, x-r)
    offsets = (torch.arange(c, device=x.device).view(c, 1, 1) * h + torch.arange(size, device=x.device).view(size, 1)
               ) * w + torch.arange(size, device=x.device)
    return torch.take(x, corner.view(-1, 1, 1) + offsets.view(1, c, -1))


def _channel_stats(batches) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std (population, as numpy's) over all descriptors of a set, shaped C×1 for broadcasting."""
    count, total, squares = 0, 0.0, 0.0
    for desc in batches:
        d = desc.double()
        count += d.shape[0] * d.shape[2]
        total = total + d.sum(dim=(0, 2))
        squares = squares + d.square().sum(dim=(0, 2))
    mean = total / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt()
    std = torch.where(std > 0, std, 1.0)  # a constant channel: its centred descriptors are 0 already
    return mean.float().view(-1, 1), std.float().view(-1, 1)


def _sort_rows(p: torch.Tensor) -> torch.Tensor:
    """p with each row sorted; on the CPU in place by numpy, about 3× faster there than torch and without an index
    buffer."""
    if p.device.type == "cpu":
        p.numpy().sort(axis=1)
        return p
    return p.sort(dim=1).values


def _project(batches, mean: torch.Tensor, std: torch.Tensor, dirs: torch.Tensor, n_desc: int) -> torch.Tensor:
    """The normalised descriptors projected on dirs (K×D), as K×n_desc (one row per direction, ready to sort)."""
    out = torch.empty(len(dirs), n_desc, device=dirs.device)
    start = 0
    for desc in batches:
        out[:, start:start + len(desc)] = dirs @ ((desc - mean) / std).flatten(1).T
        start += len(desc)
    return out
