"""min_x max_y x·y by gradient steps: why simultaneous GAN updates can spiral away from the equilibrium.

Simultaneous steps map (x, y) to (x − ηy, y + ηx), a rotation scaled by √(1 + η²): the distance to the
equilibrium (0, 0) grows at every step. Alternating steps (x first, then y at the new x) have determinant 1 and
eigenvalues on the unit circle for η < 2, so the iterates circle at a bounded distance.
"""

import numpy as np

from repro.registry import MinMax


def trajectories(game: MinMax) -> dict[str, np.ndarray]:
    """(steps + 1)×2 iterates of each update rule, starting at `game.start`."""
    lr = game.lr
    out = {}
    for rule in ("simultaneous", "alternating"):
        x, y = game.start
        points = [(x, y)]
        for _ in range(game.steps):
            if rule == "simultaneous":
                x, y = x - lr * y, y + lr * x
            else:
                x = x - lr * y
                y = y + lr * x
            points.append((x, y))
        out[rule] = np.array(points)
    return out
