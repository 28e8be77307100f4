"""Policy/value network speed: positions per second on one CPU thread (plain eval against the
forms made for inference), and on a GPU when there is one.

Usage::

    python benchmarks/network.py [--sizes b6c64 b10c128 b15c192] [--boards 19 9]
                                 [--batches 1 8] [--planes 48] [--runs 5] [--seconds 0.3]
                                 [--gpu-batches 256 1024] [--no-gpu] [--no-cpu] [--quick]
                                 [--search default [--search-seconds 3]]

Measured:

* **CPU, one thread** (``torch.set_num_threads(1)``): :class:`networks.go.PolicyValueNet` of
  each named size in ``eval()`` mode under ``torch.inference_mode()`` ("plain eval"), and the
  same network after :func:`networks.go.export_for_inference` as TorchScript ("frozen":
  traced, frozen, batch norm folded), as ONNX run by ONNX Runtime with one thread, and as
  that ONNX model with its trunk quantized to 8 bits (what the engine runs for a network
  that ``go-engine quantize-network`` has prepared; here its ranges come from random planes,
  which sets its speed, not its accuracy), measured in turn in the same run on random
  ``--planes``-plane inputs.
  Rates are positions per CPU-second of the calling thread (``time.thread_time``), so other
  processes on a shared machine disturb them less; ONNX Runtime with one thread computes on
  the calling thread, so its CPU time is counted too. The search evaluates batch 1 (one leaf
  at a time) or small batches (virtual loss); those are the batches measured.
* **GPU** (when ``torch.cuda.is_available()`` and not ``--no-gpu``): plain eval at self-play
  batch sizes, fp32 and bf16 autocast, wall-clock positions per second with the device
  synchronized around each measurement, ``cudnn.benchmark`` on. "fp32" uses torch's defaults,
  under which cuDNN convolutions may use TF32 on Ampere and newer GPUs.

* **The search** (``--search NETWORK``): simulations per second on one thread from the empty
  board, with the engine's defaults on each board, with lambda 0.5 and 0 for each form of the
  network, and with the rollout-only engine's defaults as the anchor (:func:`search_rates`).

Each figure is the median of ``--runs`` measurements of at least ``--seconds`` each, after a
warm-up. The default run takes about two minutes on one CPU thread; ``--quick`` measures
b6c64 only, briefly. The last line printed is machine-readable ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from rich.console import Console
from rich.table import Table

from networks.go.inference import OnnxRuntimeNet, export_for_inference, quantize_onnx
from networks.go.onnx_model import OnnxModel
from networks.go.policy_value import NetConfig, build_network

if TYPE_CHECKING:
    from go_engine.search.config import SearchConfig


def rate(forward: Callable[[torch.Tensor], object], x: torch.Tensor, seconds: float,
         clock: Callable[[], float] = time.thread_time,
         sync: Callable[[], None] = lambda: None) -> float:
    """Positions per second of ``clock``: calls ``forward(x)`` until ``seconds`` pass."""
    calls = 0
    sync()
    start = clock()
    while True:
        forward(x)
        calls += 1
        sync()
        elapsed = clock() - start
        if elapsed >= seconds:
            return calls * x.shape[0] / elapsed


CPU_FORMS = ("plain eval", "frozen", "onnx runtime", "onnx 8-bit")


def cpu_rates(name: str, planes: int, boards: list[int], batches: list[int], runs: int,
              seconds: float) -> tuple[int, dict[tuple[int, int], tuple[float, ...]]]:
    """Parameters and ``{(board, batch): rates}`` median positions/s, one rate for each of
    :data:`CPU_FORMS`, measured in turn within each run."""
    torch.manual_seed(0)
    model = build_network(NetConfig.named(name, in_planes=planes)).eval()
    onnx = export_for_inference(model, method="onnx")
    # Speed only: random binary planes set the 8-bit ranges (accuracy needs real positions,
    # which go-engine quantize-network uses).
    calibration = (torch.rand(64, planes, 19, 19) < 0.3).float().numpy()
    int8 = OnnxRuntimeNet(quantize_onnx(onnx.onnx_model, calibration), 1)
    forms = (model, export_for_inference(model, method="freeze"), onnx, int8)
    out = {}
    with torch.inference_mode():
        for board in boards:
            for batch in batches:
                x = torch.randn(batch, planes, board, board)
                for forward in forms:  # warm-up (first calls allocate, optimize)
                    forward(x), forward(x)
                measured = [[] for _ in forms]
                for _ in range(runs):
                    for rates, forward in zip(measured, forms, strict=True):
                        rates.append(rate(forward, x, seconds))
                out[board, batch] = tuple(statistics.median(rates) for rates in measured)
    return model.num_parameters(), out


def gpu_rates(name: str, planes: int, boards: list[int], batches: list[int], runs: int,
              seconds: float) -> dict[tuple[int, int], tuple[float, float]]:
    """``{(board, batch): (fp32, bf16 autocast)}`` median positions/s on the GPU."""
    torch.manual_seed(0)
    device = torch.device("cuda")
    model = build_network(NetConfig.named(name, in_planes=planes)).to(device).eval()

    def bf16(x: torch.Tensor) -> object:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return model(x)

    out = {}
    with torch.inference_mode():
        for board in boards:
            for batch in batches:
                x = torch.randn(batch, planes, board, board, device=device)
                medians = []
                for forward in (model, bf16):
                    for _ in range(3):
                        forward(x)
                    runs_ = [rate(forward, x, seconds, time.perf_counter, torch.cuda.synchronize)
                             for _ in range(runs)]
                    medians.append(statistics.median(runs_))
                out[board, batch] = (medians[0], medians[1])
    return out


def search_rates(network: str, boards: list[int], seconds: float, runs: int
                 ) -> dict[tuple[int, str, str], float]:
    """Simulations per second of the engine's search on one thread, from the empty board.

    Measured: the engine's defaults on each board (``engine_config``: lambda 0.5 on 13x13 and
    up, network priors with rollout values on smaller boards) with the network as the engine
    runs it (its 8-bit model when there is one); lambda 0.5 (value and rollouts, expansion at
    the first visit) and 0 (value only) with that model, with ONNX Runtime in float and as
    frozen TorchScript; and the rollout-only engine's defaults (tree-policy priors, trained
    rollouts) as the anchor."""
    from go_engine.search.config import engine_config
    from go_engine.search.network_evaluator import NetworkConfig, load_evaluator

    default = load_evaluator(network)  # 8-bit when quantize-network made a model for it
    kind = "8-bit" if _is_int8(default) else "float"
    onnx = load_evaluator(network, NetworkConfig(export="onnx"))
    frozen = load_evaluator(network, NetworkConfig(export="freeze"))
    mixes = {f"network ({kind}), lambda 0.5": ("lambda0.5", default, 0.5),
             "network (float ONNX), lambda 0.5": ("lambda0.5_onnx", onnx, 0.5),
             "network (frozen), lambda 0.5": ("lambda0.5_frozen", frozen, 0.5),
             f"network ({kind}), lambda 0": ("lambda0", default, 0.0),
             "network (frozen), lambda 0": ("lambda0_frozen", frozen, 0.0)}
    limits = {"playouts": 0, "seconds": seconds}
    out = {}
    for board in boards:
        configs = {f"network ({kind}), the engine's defaults": (
            "engine", default, engine_config(board, network=True, **limits))}
        for label, (key, evaluator, mixing) in mixes.items():
            configs[label] = (key, evaluator, engine_config(
                board, network=True, mixing_lambda=mixing, expand_threshold=1, **limits))
        configs["no network (rollout-only engine)"] = (
            "none", None, engine_config(board, network=False, **limits))
        # One measurement per distinct search: on 19x19 the defaults are the lambda 0.5 row.
        rates: dict[tuple[int, SearchConfig], float] = {}
        for label, (key, evaluator, config) in configs.items():
            if (id(evaluator), config) not in rates:
                rates[id(evaluator), config] = _search_rate(config, evaluator, board, runs)
            out[board, label, key] = rates[id(evaluator), config]
    return out


def _search_rate(config: SearchConfig, evaluator: object, board: int, runs: int) -> float:
    """Median simulations per second of ``runs`` fresh searches from the empty board, after
    one more that warms caches and compiled code."""
    from go_engine.rules.game import Game, Rules
    from go_engine.search.mcts import MCTS

    measured = []
    for run in range(runs + 1):
        search = MCTS(config, evaluator)
        if evaluator is not None:
            evaluator.cache.clear()
        result = search.search(Game(board, Rules(komi=7.5)))
        search.close()
        if run:
            measured.append(result.playouts / result.seconds)
    return statistics.median(measured)


def _is_int8(evaluator: object) -> bool:
    """Whether an evaluator runs an 8-bit model (one made by quantize-network)."""
    model = evaluator.model
    return isinstance(model, OnnxModel) and "checkpoint_sha256" in model.metadata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["b6c64", "b10c128", "b15c192"],
                        help="named sizes b<blocks>c<channels> (b20c256 is slow on a CPU)")
    parser.add_argument("--boards", nargs="+", type=int, default=[19, 9])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--planes", type=int, default=48, help="input feature planes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--gpu-batches", nargs="+", type=int, default=[256, 1024])
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU even if present")
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU measurements")
    parser.add_argument("--search", default=None, metavar="NETWORK",
                        help="also measure the search's simulations/s with this network "
                             "(default, or a checkpoint) beside the rollout-only search")
    parser.add_argument("--search-seconds", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true",
                        help="b6c64 only, 3 runs of 0.15 s (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs, args.seconds = ["b6c64"], 3, 0.15
    torch.set_num_threads(1)
    console = Console()
    pairs: dict[str, object] = {"planes": args.planes, "threads": 1}

    table = Table(title=f"One CPU thread: positions/CPU-s ({args.planes} planes, "
                        f"medians of {args.runs} x {args.seconds:g} s)")
    for column in ("size", "parameters", "board", "batch", *CPU_FORMS, "onnx / frozen",
                   "8-bit / onnx"):
        table.add_column(column, justify="left" if column == "size" else "right")
    for name in [] if args.no_cpu else args.sizes:
        params, rates = cpu_rates(name, args.planes, args.boards, args.batches, args.runs,
                                  args.seconds)
        pairs[f"{name}_params"] = params
        for (board, batch), (plain, frozen, onnx, int8) in rates.items():
            table.add_row(name, f"{params:,}", f"{board}x{board}", str(batch), f"{plain:,.1f}",
                          f"{frozen:,.1f}", f"{onnx:,.1f}", f"{int8:,.1f}",
                          f"{onnx / frozen:.2f}x", f"{int8 / onnx:.2f}x")
            for key, value in (("eval", plain), ("frozen", frozen), ("onnx", onnx),
                               ("int8", int8)):
                pairs[f"{name}_{board}_b{batch}_{key}"] = f"{value:.1f}"
        table.add_section()
    if not args.no_cpu:
        console.print(table)

    if torch.cuda.is_available() and not args.no_gpu:
        torch.backends.cudnn.benchmark = True
        gpu = Table(title=f"{torch.cuda.get_device_name()}: positions per second "
                          f"(plain eval; medians of {args.runs} x {args.seconds:g} s)")
        for column in ("size", "board", "batch", "fp32", "bf16 autocast", "speed-up"):
            gpu.add_column(column, justify="left" if column == "size" else "right")
        for name in args.sizes:
            for (board, batch), (fp32, bf16) in gpu_rates(
                    name, args.planes, args.boards, args.gpu_batches, args.runs,
                    args.seconds).items():
                gpu.add_row(name, f"{board}x{board}", str(batch), f"{fp32:,.0f}",
                            f"{bf16:,.0f}", f"{bf16 / fp32:.2f}x")
                pairs[f"gpu_{name}_{board}_b{batch}_fp32"] = f"{fp32:.0f}"
                pairs[f"gpu_{name}_{board}_b{batch}_bf16"] = f"{bf16:.0f}"
            gpu.add_section()
        console.print(gpu)
    else:
        console.print("no GPU measured (torch.cuda.is_available() is False or --no-gpu)")
    if args.search:
        search = Table(title=f"The search on one thread: simulations/s from the empty board "
                             f"(--network {args.search}; medians of {args.runs} x "
                             f"{args.search_seconds:g} s)")
        for column in ("board", "setting", "simulations/s"):
            search.add_column(column, justify="right")
        for (board, label, key), value in search_rates(args.search, args.boards,
                                                       args.search_seconds, args.runs).items():
            search.add_row(f"{board}x{board}", label, f"{value:,.0f}")
            pairs[f"search_{board}_{key}"] = f"{value:.0f}"
        console.print(search)
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))


if __name__ == "__main__":
    main()
