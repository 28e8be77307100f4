"""The 8x8 handwritten digits (1,797 images, bundled with scikit-learn; no download).

Every component that is proven on the digits uses :func:`load_digits_split`, so ours and the
reference always see the same split.
"""

from __future__ import annotations

import numpy as np


def load_digits_split(test_size: float = 0.3, seed: int = 0, scale: bool = True
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test`` of the digits, stratified by class.

    Parameters
    ----------
    test_size : fraction of the images held out for testing (0.3 gives the issue's 70/30 split).
    seed : seed of the shuffle, so every caller gets the same split.
    scale : divide the pixel values (0..16) by 16 so that features lie in [0, 1].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X / 16.0 if scale else X.astype(np.float64)
    return tuple(train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y))


def load_digits_all(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images as ``(X, y)`` (pixels scaled to [0, 1] unless ``scale`` is False)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0 if scale else X.astype(np.float64)), y
