"""``go-engine quantize-network``: the 8-bit model of a network checkpoint, for CPU play.

The network's trunk convolutions are quantized to 8 bits by ONNX Runtime's static
quantization (:func:`networks.go.inference.quantize_onnx`), their activation ranges measured
on positions of the checkpoint's *training* games; then the float and the 8-bit models are
both measured on positions of its *held-out* games (top-1 and top-5 accuracy, value MSE, how
often their top moves agree) and the 8-bit model is written beside the checkpoint as
``NAME.int8.onnx``, carrying the checkpoint's sha256. The engine runs it instead of the float
network on the CPU when it finds it there and the digest matches
(:class:`go_engine.search.network_evaluator.NetworkConfig`, ``export="auto"``); a model made
from another checkpoint is ignored. ``train-sl`` calls :func:`quantize_checkpoint` on the
network it has just trained.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from go_engine.data.dataset import GameDataset


def add_quantize_network_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``go-engine quantize-network``."""
    from go_engine.training.commands import _add_io_arguments, _add_split_arguments

    parser.add_argument("--network", default="default", metavar="default|PATH",
                        help="the checkpoint (default: the bundled network)")
    parser.add_argument("--games", nargs="+", required=True, metavar="PATH",
                        help="SGF files, folders of them, .tar.xz archives or a dataset .npz")
    parser.add_argument("--max-games", type=int, default=None,
                        help="use at most this many games")
    parser.add_argument("--calibration-positions", type=int, default=400,
                        help="training positions that set the activation ranges (default 400)")
    parser.add_argument("--eval-positions", type=int, default=5000,
                        help="held-out positions both models are measured on (default 5000)")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="where to write it (default: beside the checkpoint, NAME.int8.onnx)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the position samples")
    _add_split_arguments(parser, defaults=False)
    _add_io_arguments(parser)


def run_quantize_network(args: argparse.Namespace) -> int:
    """Quantize, measure both models, write the 8-bit one; 2 on a bad checkpoint."""
    from go_engine.search.network_evaluator import load_network, network_path
    from go_engine.training.sl_commands import load_games, network_games
    from networks.go.checkpoint import CheckpointError

    network = network_path(args.network)
    try:
        checkpoint, _ = load_network(network)
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dataset = load_games(args.games, args)
    training = network_games(dataset, checkpoint, "train", args)
    heldout = network_games(dataset, checkpoint, "heldout", args)
    if len(training) == 0 or len(heldout) == 0:
        print("error: need training and held-out games of the network's board size",
              file=sys.stderr)
        return 2
    report = quantize_checkpoint(network, dataset, training, heldout,
                                 calibration_positions=args.calibration_positions,
                                 eval_positions=args.eval_positions, seed=args.seed,
                                 out=Path(args.out) if args.out else None)
    print(report.describe())
    print(" ".join(f"{key}={value}" for key, value in report.figures().items()))
    return 0


@dataclass(frozen=True)
class QuantizeReport:
    """What :func:`quantize_checkpoint` wrote and measured."""

    network: Path
    path: Path
    size_bytes: int
    calibration_positions: int
    seconds: float
    float_metrics: dict[str, float]
    int8_metrics: dict[str, float]
    agreement: float  # share of held-out positions where both models' top moves are the same

    def describe(self) -> str:
        """The report for people, several lines."""
        lines = [f"8-bit model of {self.network}: {self.path} ({self.size_bytes / 1e6:.2f} MB; "
                 f"calibrated on {self.calibration_positions} training positions, quantized "
                 f"in {self.seconds:.1f} s)"]
        for name, metrics in (("float", self.float_metrics), ("int8", self.int8_metrics)):
            lines.append(f"{name:>5}: top-1 {metrics['top1']:.2%}, top-5 {metrics['top5']:.2%}, "
                         f"value MSE {metrics['value_mse']:.4f} over "
                         f"{int(metrics['positions'])} held-out positions")
        lines.append(f"the same top move in {self.agreement:.2%} of them")
        return "\n".join(lines)

    def figures(self) -> dict[str, str | int]:
        """The machine-readable figures (``top1_float``, ``top1_int8``, ``agreement`` ...)."""
        pairs: dict[str, str | int] = {
            f"{key}_{name}": f"{metrics[key]:.4f}"
            for name, metrics in (("float", self.float_metrics), ("int8", self.int8_metrics))
            for key in ("top1", "top5", "value_mse")}
        pairs.update(agreement=f"{self.agreement:.4f}",
                     positions=int(self.int8_metrics["positions"]), bytes=self.size_bytes)
        return pairs


def quantize_checkpoint(network: Path, dataset: GameDataset, training: np.ndarray,
                        heldout: np.ndarray, *, calibration_positions: int = 400,
                        eval_positions: int = 5000, seed: int = 0,
                        out: Path | None = None) -> QuantizeReport:
    """Quantize the checkpoint at ``network``, its activation ranges set on positions of the
    ``training`` games; measure it and the float network on positions of the ``heldout``
    games; write it (atomically) to ``out``, by default ``NAME.int8.onnx`` beside it."""
    import torch

    from go_engine.search.network_evaluator import checkpoint_digest, load_network, quantized_path
    from go_engine.training.sl_data import encode_positions, sample_positions
    from go_engine.training.supervised import HeldOut, evaluate_with_moves
    from networks.go.inference import (
        OnnxRuntimeNet,
        export_for_inference,
        quantize_onnx,
        with_metadata,
    )

    torch.set_num_threads(1)
    checkpoint, feature_set = load_network(network)
    games, moves = sample_positions(dataset, training, calibration_positions, seed)
    calibration = encode_positions(dataset, games, moves, feature_set)["planes"]
    measured = HeldOut.encode(dataset, *sample_positions(dataset, heldout, eval_positions, seed),
                              feature_set)
    start = time.perf_counter()
    float_model = export_for_inference(checkpoint.model, method="onnx")
    int8 = quantize_onnx(float_model.onnx_model, calibration)
    int8 = with_metadata(int8, {"checkpoint_sha256": checkpoint_digest(network),
                                "feature_set": feature_set.name,
                                "feature_version": str(feature_set.version)})
    seconds = time.perf_counter() - start
    int8_model = OnnxRuntimeNet(int8, 1)
    cpu = torch.device("cpu")
    out = out or quantized_path(network)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(int8)
    partial.replace(out)
    float_metrics, float_moves = evaluate_with_moves(float_model, measured, cpu, batch_size=64)
    int8_metrics, int8_moves = evaluate_with_moves(int8_model, measured, cpu, batch_size=64)
    return QuantizeReport(
        network=network, path=out, size_bytes=len(int8),
        calibration_positions=len(calibration), seconds=seconds,
        float_metrics=float_metrics, int8_metrics=int8_metrics,
        agreement=float(np.mean(float_moves == int8_moves)) if len(int8_moves) else 0.0)
