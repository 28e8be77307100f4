"""The self-organizing map of the handwritten digits.

A 20x20 Kohonen map (10x10 with ``--quick``) is trained on the 1,797 digits. The picture has two
panels: on the left every unit's weight vector drawn as an 8x8 image in its grid cell, so one
sees the digits morph smoothly into each other across the map; on the right the U-matrix (each
unit's mean distance to its neighbours, light = close) with the digit that most often picks each
unit as its best match written in the cell, one colour per digit. The dark ridges of the U-matrix
run between the regions of different digits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from networks.classic.som import SOM
from networks.tasks.digits import load_digits_all


def majority_labels(som: SOM, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The most frequent label among the samples won by each unit, -1 where a unit wins none."""
    units = som.predict(X)
    n_units = som.n_rows * som.n_cols
    counts = np.zeros((n_units, int(y.max()) + 1), dtype=np.int64)
    np.add.at(counts, (units, y), 1)
    labels = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)
    return labels.reshape(som.n_rows, som.n_cols)


def prototype_mosaic(som: SOM, side: int = 8) -> np.ndarray:
    """The weights of every unit as a ``side x side`` image, tiled in grid order.

    Tiles are separated by a one-pixel border of NaN, drawn in the colour map's "bad" colour.
    """
    w = som.weights_.reshape(som.n_rows, som.n_cols, side, side)
    w = np.pad(w, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=np.nan)
    return w.transpose(0, 2, 1, 3).reshape(som.n_rows * (side + 1), som.n_cols * (side + 1))


def main(out_dir: Path, quick: bool = False) -> Path:
    """Train the map, draw the prototypes and the labelled U-matrix, save ``som.png``."""
    import matplotlib.pyplot as plt

    X, y = load_digits_all()
    size, n_iter, sigma = (10, 3000, 2.0) if quick else (20, 20000, 3.0)
    som = SOM(size, size, sigma=sigma, learning_rate=0.5, n_iter=n_iter, random_state=0).fit(X)
    labels = majority_labels(som, X, y)
    colours = plt.get_cmap("tab10")

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 6.8), layout="constrained")
    pixels = plt.get_cmap("gray_r").with_extremes(bad="lightsteelblue")
    left.imshow(prototype_mosaic(som), cmap=pixels, interpolation="nearest")
    left.set_title(f"{size}x{size} SOM of the digits: unit weights")
    right.imshow(som.u_matrix(), cmap="Greys", interpolation="nearest")
    for (row, col), digit in np.ndenumerate(labels):
        if digit >= 0:
            right.text(col, row, str(digit), ha="center", va="center", fontsize=7 if size > 10
                       else 10, fontweight="bold", color=colours(digit))
    right.set_title(f"U-matrix and majority digit (QE {som.quantization_error(X):.2f}, "
                    f"TE {som.topographic_error(X):.3f})")
    for axis in (left, right):
        axis.set_xticks([])
        axis.set_yticks([])
    path = Path(out_dir) / "som.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
