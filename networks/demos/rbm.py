"""RBM filters and samples: a Bernoulli RBM trained on the 8x8 digits by persistent CD.

Left: the weights of the hidden units, each drawn as an 8x8 image (red: pixels that switch the
unit on, blue: pixels that switch it off). Right: Gibbs chains started from test digits, drawn
as ``P(v | h)`` after 0, 1, 10, 100 and 1000 steps; the chains wander away from their starting
digit while staying digit-like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from networks.classic.rbm import RBM
from networks.tasks.digits import load_digits_split

CHAIN_STEPS = (0, 1, 10, 100, 1000)


def _train(quick: bool) -> tuple[RBM, np.ndarray]:
    """An RBM fitted on the training digits, and some test digits to start chains from."""
    X_train, X_test, _, _ = load_digits_split()
    rbm = RBM(n_components=16 if quick else 64, learning_rate=0.05, batch_size=20,
              n_iter=2 if quick else 40, k=1, persistent=True, momentum=0.5, random_state=0)
    return rbm.fit(X_train), X_test[:4 if quick else 8]


def _chains(rbm: RBM, starts: np.ndarray, steps: tuple[int, ...]) -> list[np.ndarray]:
    """Visible states of Gibbs chains from ``starts`` after each number of ``steps``."""
    rng = np.random.default_rng(1)
    states, snapshots, done = starts, [], 0
    for n in steps:
        states = rbm.gibbs(states, n_steps=n - done, random_state=rng)
        done = n
        # draw P(v | h) one step on rather than the binary state: easier to read
        snapshots.append(rbm.gibbs(states, probabilities=True, random_state=rng) if n else states)
    return snapshots


def main(out_dir: Path, quick: bool = False) -> Path:
    """Train the RBM, draw its filters and Gibbs chains side by side, save and return the png."""
    import matplotlib.pyplot as plt

    rbm, starts = _train(quick)
    steps = CHAIN_STEPS[:3] if quick else CHAIN_STEPS
    snapshots = _chains(rbm, starts, steps)
    n_filters = len(rbm.components_)
    side = int(np.ceil(np.sqrt(n_filters)))
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(max(side, len(starts)), side + 1 + len(steps))
    for j, weights in enumerate(rbm.components_):
        ax = fig.add_subplot(grid[j // side, j % side])
        ax.imshow(weights.reshape(8, 8), cmap="RdBu_r")
        ax.set_axis_off()
    for column, (n, states) in enumerate(zip(steps, snapshots, strict=True)):
        for row, image in enumerate(states):
            ax = fig.add_subplot(grid[row, side + 1 + column])
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_axis_off()
            if row == 0:
                ax.set_title(str(n), fontsize=9)
    fig.suptitle(f"RBM on the digits (persistent CD): {n_filters} filters (left) and "
                 f"Gibbs chains after {', '.join(map(str, steps))} steps (right)")
    path = out_dir / "rbm.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
