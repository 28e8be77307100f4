"""Oja's rule: one linear unit's weight vector converging onto the first principal component.

A 2-D Gaussian cloud stretched along a tilted axis; a single unit ``y = w . x`` trained online
by ``Delta w = eta y (x - y w)`` (Oja 1982) starting from a small random ``w``. The left panel
draws the data, the path of the tip of ``w`` and the first principal axis from the SVD; the
right panel the angle between ``w`` and that axis, and the norm of ``w``, as samples arrive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from networks.classic.hebbian_pca import OjaPCA


def _cloud(n: int, seed: int = 0) -> np.ndarray:
    """Zero-mean 2-D Gaussian samples, standard deviations 2 and 0.5, rotated by 30 degrees."""
    rng = np.random.default_rng(seed)
    angle = np.radians(30.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (rng.standard_normal((n, 2)) * [2.0, 0.5]) @ rotation.T


def _trajectory(X: np.ndarray, chunk: int) -> np.ndarray:
    """The weight vector after every ``chunk`` samples of online training, shape (steps + 1, 2)."""
    oja = OjaPCA(1, learning_rate=0.002, learning_rate_decay=0.001, center=False,
                 shuffle=False, random_state=2)  # seed 2 starts about 80 degrees off the axis
    oja.partial_fit(X[:chunk])
    path = [oja.components_[0].copy()]
    for start in range(chunk, len(X), chunk):
        oja.partial_fit(X[start : start + chunk])
        path.append(oja.components_[0].copy())
    return np.array(path)


def main(out_dir: Path, quick: bool = False) -> Path:
    """Train Oja's unit on the cloud, save the trajectory picture and return its path."""
    import matplotlib.pyplot as plt

    X = _cloud(600 if quick else 3000)
    chunk = 5
    path = _trajectory(X, chunk)
    axis = np.linalg.svd(X, full_matrices=False)[2][0]
    norms = np.linalg.norm(path, axis=1)
    angles = np.degrees(np.arccos(np.clip(np.abs(path @ axis) / norms, 0.0, 1.0)))

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    left.scatter(X[:, 0], X[:, 1], s=3, alpha=0.25, color="grey", label="samples")
    scale = 3.0  # draw w three times longer so that its path stands out against the cloud
    left.plot(scale * path[:, 0], scale * path[:, 1], color="tab:blue", lw=1.2,
              label=f"{scale:.0f} w during training")
    left.plot(*(scale * path[0]), "o", color="tab:blue")
    left.annotate("", xy=scale * path[-1], xytext=(0, 0),
                  arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 2})
    left.plot(*(np.outer([-4, 4], axis).T), "--", color="tab:red", lw=1, label="SVD first axis")
    left.set_aspect("equal")
    left.legend(loc="lower right", fontsize=8)
    left.set_title("the weight vector settles on the first principal axis")
    seen = chunk * np.arange(1, len(path) + 1)
    lines = right.plot(seen, angles, color="tab:blue", label="angle to the axis (degrees)")
    right.set_xlabel("samples seen")
    right.set_yscale("log")
    right.set_ylabel("degrees")
    twin = right.twinx()
    lines += twin.plot(seen, norms, color="tab:green", label="|w| (right axis)")
    twin.set_ylabel("|w|")
    right.legend(lines, [line.get_label() for line in lines], loc="lower center", fontsize=8)
    right.set_title(f"final angle {angles[-1]:.2f} deg, |w| = {norms[-1]:.3f}")
    fig.suptitle("Oja's rule (1982): a Hebbian neuron finds the first principal component")
    out = Path(out_dir) / "oja.png"
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out
