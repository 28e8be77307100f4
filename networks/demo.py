"""Run a short demonstration of one component and save a picture.

Usage::

    python -m networks.demo NAME [--out DIR] [--quick]
    python -m networks.demo --list

Each demo lives in ``networks/demos/NAME.py`` as ``main(out_dir, quick=False) -> Path``.
Pictures are drawn with matplotlib (``pip install 'go-engine[networks]'``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

DEMOS = {
    "hopfield": "Hopfield recall of noisy patterns",
    "oja": "Oja's weight vector converging onto the first principal component",
    "som": "the SOM map of the digits",
    "rbm": "RBM filters and samples",
    "lstm": "LSTM vs plain RNN learning curves on the adding problem",
    "resnet": "ResNet vs plain-network training curves (the degradation problem)",
}


def run(name: str, out_dir: Path, quick: bool = False) -> Path:
    """Run demo ``name``, save its picture under ``out_dir`` and return the picture's path."""
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose from {', '.join(sorted(DEMOS))}")
    import matplotlib

    matplotlib.use("Agg")  # pictures go to files; no display needed
    out_dir.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(f"networks.demos.{name}")
    return module.main(out_dir, quick=quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m networks.demo",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("name", nargs="?", help="the demo to run (see --list)")
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="folder for pictures")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster version")
    parser.add_argument("--list", action="store_true", help="list the demos and exit")
    args = parser.parse_args(argv)
    if args.list or not args.name:
        for name, what in DEMOS.items():
            print(f"{name:10s} {what}")
        return 0
    try:
        path = run(args.name, args.out, quick=args.quick)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"saved {path}")
    print(f"demo={args.name} picture={path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
