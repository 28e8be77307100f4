"""Classic neural networks in numpy, with scikit-learn's estimator conventions.

Each model lives in its own module; :mod:`networks.classic._base` holds the few helpers they
share (random state, input checks, the fitted check, ``get_params``).
"""
