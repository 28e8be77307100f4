"""``go-engine quantize-network``: the 8-bit model of a network checkpoint, for CPU play.

The network's trunk convolutions are quantized to 8 bits by ONNX Runtime's static
quantization (:func:`networks.go.inference.quantize_onnx`), their activation ranges measured
on positions of the checkpoint's *training* games; then the float and the 8-bit models are
both measured on positions of its *held-out* games (top-1 and top-5 accuracy, value MSE) and
the 8-bit model is written beside the checkpoint as ``NAME.int8.onnx``, carrying the
checkpoint's sha256. The engine runs it instead of the float network on the CPU when it finds
it there and the digest matches (:class:`go_engine.search.network_evaluator.NetworkConfig`,
``export="auto"``); a model made from another checkpoint is ignored.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


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
    import torch

    from go_engine.search.network_evaluator import (
        checkpoint_digest,
        load_network,
        network_path,
        quantized_path,
    )
    from go_engine.training.sl_commands import load_games, network_games
    from go_engine.training.sl_data import encode_positions, sample_positions
    from go_engine.training.supervised import HeldOut, evaluate
    from networks.go.checkpoint import CheckpointError
    from networks.go.inference import (
        OnnxRuntimeNet,
        export_for_inference,
        quantize_onnx,
        with_metadata,
    )

    torch.set_num_threads(1)
    network = network_path(args.network)
    try:
        checkpoint, feature_set = load_network(network)
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
    games, moves = sample_positions(dataset, training, args.calibration_positions, args.seed)
    calibration = encode_positions(dataset, games, moves, feature_set)["planes"]
    measured = HeldOut.encode(dataset, *sample_positions(dataset, heldout, args.eval_positions,
                                                         args.seed), feature_set)
    start = time.perf_counter()
    float_model = export_for_inference(checkpoint.model, method="onnx")
    int8 = quantize_onnx(float_model.onnx_model, calibration)
    int8 = with_metadata(int8, {"checkpoint_sha256": checkpoint_digest(network),
                                "feature_set": feature_set.name,
                                "feature_version": str(feature_set.version)})
    seconds = time.perf_counter() - start
    cpu = torch.device("cpu")
    results = {name: evaluate(model, measured, cpu, batch_size=64) for name, model in
               (("float", float_model), ("int8", OnnxRuntimeNet(int8, 1)))}
    out = Path(args.out) if args.out else quantized_path(network)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(int8)
    partial.replace(out)
    print(f"8-bit model of {network}: {out} ({len(int8) / 1e6:.2f} MB; calibrated on "
          f"{len(calibration)} training positions, quantized in {seconds:.1f} s)")
    for name, metrics in results.items():
        print(f"{name:>5}: top-1 {metrics['top1']:.2%}, top-5 {metrics['top5']:.2%}, value MSE "
              f"{metrics['value_mse']:.4f} over {int(metrics['positions'])} held-out positions")
    pairs = {f"{key}_{name}": f"{metrics[key]:.4f}" for name, metrics in results.items()
             for key in ("top1", "top5", "value_mse")}
    pairs.update(positions=int(results["int8"]["positions"]), bytes=len(int8))
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))
    return 0
