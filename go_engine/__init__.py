"""An AlphaGo-style Go engine: numba rules core, search, networks, GTP and a gymnasium env.

Importing the package stays light: it compiles nothing and imports neither numba nor torch. It
has two side effects: :func:`~go_engine.compile_cache.use_source_keyed_cache` points numba's
on-disk cache at a directory named after a hash of the sources its kernels depend on (numba
alone would keep running a kernel compiled against an older version of a function in another
file), and :func:`register_envs` registers ``go_engine/Go-v0`` with gymnasium by an
entry-point string, so :mod:`go_engine.interfaces.gym_env` (and the numba core behind it) is
only imported when ``gymnasium.make`` builds an environment.
"""

from __future__ import annotations

from go_engine.compile_cache import use_source_keyed_cache

use_source_keyed_cache()

ENV_ID = "go_engine/Go-v0"
ENV_ENTRY_POINT = "go_engine.interfaces.gym_env:GoEnv"


def register_envs() -> None:
    """Register the Go environment with gymnasium; calling it again does nothing.

    Without gymnasium installed this is a no-op, so the rules core works without it.
    """
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a declared dependency
        return
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point=ENV_ENTRY_POINT)


register_envs()
