"""Hopfield recall of noisy patterns: stored digits, corrupted probes, and what each rule recalls.

Six 8x8 digits, binarized to +-1, are stored in a 64-unit network by Hebb's rule and by the
pseudo-inverse rule. Each is probed with 15% of its pixels flipped and recalled asynchronously.
Digits are strongly correlated, so Hebb's rule merges them into spurious mixtures while the
projection rule (Personnaz et al. 1985) recalls them; the last panel shows the energy falling
during recall.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from networks.classic.hopfield import HopfieldNetwork
from networks.tasks.digits import load_digits_all
from networks.tasks.linear import flip_noise


def _binary_digits(n: int) -> np.ndarray:
    """The first image of each digit ``0..n-1`` as +-1 vectors of 64 pixels."""
    X, y = load_digits_all(scale=True)
    firsts = [X[np.flatnonzero(y == digit)[0]] for digit in range(n)]
    return np.where(np.array(firsts) > 0.4, 1.0, -1.0)


def main(out_dir: Path, quick: bool = False) -> Path:
    """Store digits, recall them from noisy probes with both rules, save the picture grid."""
    import matplotlib.pyplot as plt

    patterns = _binary_digits(4 if quick else 6)
    probes = flip_noise(patterns, 0.15, seed=0)
    rows = {"stored": patterns, "probe\n15% flipped": probes}
    energies = {}
    for rule in ("hebbian", "pseudoinverse"):
        net = HopfieldNetwork(rule=rule, random_state=0).fit(patterns)
        rows[f"recalled\n{rule}"], energies[rule] = net.recall(probes, return_energies=True)

    n = len(patterns)
    fig = plt.figure(figsize=(1.4 * n + 5.5, 6.0))
    grid = fig.add_gridspec(len(rows), n + 4)
    for r, (label, images) in enumerate(rows.items()):
        for c, image in enumerate(images):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    ax = fig.add_subplot(grid[:, n + 1 :])  # one empty column keeps the axis labels apart
    for rule, trace in energies.items():
        ax.plot(trace.mean(axis=1) / patterns.shape[1], label=rule)
    ax.set_xlabel("single-unit updates")
    ax.set_ylabel("mean energy per unit")
    ax.set_title("energy during recall")
    ax.legend()
    fig.suptitle("Hopfield network: recall of noisy digits")
    path = Path(out_dir) / "hopfield.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
