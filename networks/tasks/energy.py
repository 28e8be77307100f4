"""Tasks for the energy-based models: the encoder problem and bars-and-stripes.

* The **n-m-n encoder** (Ackley, Hinton & Sejnowski 1985): two groups of ``n`` visible units,
  ``V1`` and ``V2``, talk only through ``m`` hidden units. Each training pattern switches on one
  unit of ``V1`` and the same unit of ``V2``, so the hidden units must invent a compact code
  (``m = log2 n`` bits in the 4-2-4 case) to pass the pattern across.
* **Bars and stripes** (MacKay 2003): ``size x size`` binary images in which every row is constant
  (horizontal stripes) or every column is (vertical bars). There are ``2 ** (size + 1) - 2``
  distinct images (the empty and the full image are both), 30 for 4x4; the data distribution is
  uniform over them, so an RBM's exact KL divergence from it can be computed for small sizes.

Unit order in every array here: visible units first (``V1`` then ``V2``), then hidden units.
"""

from __future__ import annotations

import itertools

import numpy as np


def encoder_patterns(n_group: int = 4) -> np.ndarray:
    """The ``n_group`` training patterns of the encoder problem, shape ``(n_group, 2 * n_group)``.

    Pattern ``i`` switches on unit ``i`` of ``V1`` and unit ``i`` of ``V2``; all others are off.
    """
    eye = np.eye(n_group)
    return np.hstack([eye, eye])


def encoder_connectivity(n_group: int = 4, n_hidden: int = 2,
                         hidden_lateral: bool = False) -> np.ndarray:
    """Which pairs of units are connected in the encoder network, a symmetric boolean matrix.

    Units are ordered ``V1, V2, H`` (``2 * n_group + n_hidden`` of them). Units are connected
    within ``V1`` and within ``V2``, and every visible unit to every hidden unit; there is no
    direct ``V1``-``V2`` connection, so everything ``V2`` learns about ``V1`` must flow through
    the hidden units. The hidden units are connected to each other only if ``hidden_lateral``.
    The diagonal is False.
    """
    group = np.repeat([0, 1, 2], [n_group, n_group, n_hidden])
    same_group = (group[:, None] == group[None, :]) & ((group[:, None] < 2) | hidden_lateral)
    via_hidden = (group[:, None] == 2) != (group[None, :] == 2)
    mask = same_group | via_hidden
    np.fill_diagonal(mask, False)
    return mask


def bars_and_stripes(size: int = 4) -> np.ndarray:
    """All distinct bars-and-stripes images flattened row by row, ``(2**(size+1)-2, size**2)``.

    The uniform distribution over these rows is the data distribution of the task.
    """
    images = set()
    for lines in itertools.product((0, 1), repeat=size):
        stripes = np.repeat(np.array(lines)[:, None], size, axis=1)  # every row constant
        images.add(tuple(stripes.ravel()))
        images.add(tuple(stripes.T.ravel()))  # every column constant
    return np.array(sorted(images), dtype=np.float64)


def sample_bars_and_stripes(n_samples: int, size: int = 4, seed=None) -> np.ndarray:
    """``n_samples`` images drawn uniformly from :func:`bars_and_stripes`, shape ``(n, size**2)``.

    ``seed`` is ``None``, an int or a ``numpy.random.Generator``.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    patterns = bars_and_stripes(size)
    return patterns[rng.integers(len(patterns), size=n_samples)]

