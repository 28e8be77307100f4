"""Lazy attribute resolution for packages (PEP 562), shared by :mod:`networks` and
:mod:`networks.go`: a public name is imported from its module on first use, so importing a
package costs nothing (and ``from networks import Perceptron`` never imports torch)."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_names(package: str, locations: dict[str, str]
               ) -> tuple[list[str], Callable[[str], object], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package`` whose public names live in
    the modules ``locations`` gives (name -> module path)."""
    names = sorted(locations)

    def __getattr__(name: str) -> object:
        try:
            module = locations[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return names

    return names, __getattr__, __dir__
