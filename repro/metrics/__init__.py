"""Sample-quality metrics: Inception metrics through torch-fidelity (fidelity.py), the weight-free multi-scale
sliced Wasserstein distance (swd.py), exact W1 and mode coverage on the toy sets (toy.py), and how they relate to
the critic's own estimate over training (curves.py). `python -m repro evaluate` (evaluate.py) drives them.

Metric names carry their protocol (DESIGN.md §3): `swd_2k`, `fid_50k_train`, `is_50k_10split`, `w1_1k`.
"""


def count_tag(n: int) -> str:
    """'50k' for 50000, '16k' for 16384 (Karras et al.'s binary thousands), '300' otherwise."""
    for unit in (1000, 1024):
        if n >= unit and n % unit == 0:
            return f"{n // unit}k"
    return str(n)


def to_uint8(images):
    """Generator output in [−1, 1] → uint8 pixels, the inverse of training's 2·(x/255) − 1 (what every metric sees)."""
    import torch

    return ((images.clamp(-1, 1) * 0.5 + 0.5) * 255).round().to(torch.uint8)
