"""A network made ready for play: evaluation mode, batch norm folded, run by ONNX Runtime.

:func:`export_for_inference` returns a module with the network's call signature
(``x [B, C, N, N] -> (policy_logits, value)``) that runs faster on a CPU thread than the
network in plain ``eval()`` mode. Positions per CPU-second on one thread of this project's
shared 2-core machine (AMD EPYC, AVX2), 48 input planes, from ``python benchmarks/network.py
--no-gpu --runs 3`` (2026-11-28, a 19x19 match running beside it; the three forms measured in
turn in the same run, so their ratios hold better than the rates):

=========  =====  =====  ==========  ======  ============  =============
size       board  batch  plain eval  frozen  onnx runtime  onnx / frozen
=========  =====  =====  ==========  ======  ============  =============
b6c64      19     1      80.8        108.6   190.3         1.75x
b6c64      19     8      122.5       133.1   210.0         1.58x
b6c64      9      1      182.6       282.3   633.6         2.24x
b6c64      9      8      429.5       526.9   860.8         1.63x
b10c128    19     1      18.4        19.8    33.2          1.68x
b10c128    9      1      48.1        65.9    112.7         1.71x
b15c192    19     1      6.0         6.9     10.0          1.44x
b15c192    19     8      8.8         8.6     10.6          1.22x
=========  =====  =====  ==========  ======  ============  =============

Three forms exist (``method``):

* ``"onnx"``: the network, batch norm folded, exported to ONNX by torch's exporter and run by
  ONNX Runtime's CPU provider with one intra-op thread (it then computes on the calling thread
  and keeps no spinning thread pool). It was the fastest in every case measured, by 1.2-2.2x
  over the frozen graph: the largest gains at batch 1, the search's usual case. Board size and
  batch stay free (dynamic axes), so one export plays every board. ``"auto"``, the default,
  picks it for a network on the CPU when ``onnx`` and ``onnxruntime`` are installed.
* ``"freeze"``: ``torch.jit.trace`` then ``torch.jit.freeze`` (which folds batch norm into the
  convolutions); the form for a network on a GPU. ``torch.jit`` is deprecated in recent torch
  releases (it still works in 2.13); when it is gone the export falls back to ``"fold"``.
* ``"fold"``: the eager network with batch norm folded into the convolutions.

:func:`quantize_onnx` turns the ONNX form into an 8-bit one (the trunk's convolutions, ranges
from real positions): another 1.6-1.8x on one thread at about 0.3 points of top-1 on expert
moves. It needs calibration positions, so it is not a ``method`` here:
``go-engine quantize-network`` makes it once per checkpoint and the engine loads it.

In an earlier comparison (same machine) ``torch.jit.optimize_for_inference`` (oneDNN layouts)
was no better than frozen on average, and ``torch.compile`` took 10 to 40 s to compile each
input shape and was no faster than frozen at batch 1; neither is kept.
"""

from __future__ import annotations

import copy
import io
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from networks.go.onnx_model import OnnxModel

METHODS = ("auto", "onnx", "freeze", "fold")


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode where every batch norm that directly follows a
    convolution in the same container (``Sequential`` or module attributes declared in that
    order, as in :class:`networks.deep.resnet.BasicBlock`) is folded into the convolution's
    weights and bias and replaced by an identity. Outputs are unchanged up to rounding."""
    model = copy.deepcopy(model).eval()
    for module in model.modules():
        names = list(module._modules)
        for first, second in zip(names, names[1:], strict=False):
            conv, norm = module._modules[first], module._modules[second]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                module._modules[first] = fuse_conv_bn_eval(conv, norm)
                module._modules[second] = nn.Identity()
    return model


def export_for_inference(model: nn.Module, *, method: str = "auto", board_size: int = 19,
                         check: bool = True, threads: int | None = None) -> nn.Module:
    """The fastest inference form of ``model`` (a network from :mod:`networks.go`).

    Parameters
    ----------
    model : the network; it is not modified (the export works on a copy).
    method : ``"onnx"`` (ONNX Runtime on the CPU), ``"freeze"`` (trace and freeze with
        TorchScript; falls back to ``"fold"`` when ``torch.jit`` cannot trace), ``"fold"``
        (eager, batch norm folded) or ``"auto"``: ``"onnx"`` for a network on the CPU when
        ONNX Runtime is installed and the export works, ``"freeze"`` otherwise.
    board_size : board of the example input used for tracing. Residual networks keep working
        on every board size and batch size after the export; AlphaGo's networks take their own
        ``board_size``.
    check : compare the export's outputs with the model's on a random input and raise
        ``RuntimeError`` if they differ by more than float rounding.
    threads : ONNX Runtime's threads (default: torch's, ``torch.get_num_threads()``).

    Returns
    -------
    A module in eval mode with the same call signature, to be called under
    ``torch.inference_mode()``; it does no input checks and cannot be trained.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    model = copy.deepcopy(model).eval()
    config = getattr(model, "config", None)
    fixed_size = getattr(config, "board_size", None)
    param = next(model.parameters())
    example = torch.randn(1, config.in_planes, fixed_size or board_size,
                          fixed_size or board_size, device=param.device)
    exported = None
    if method == "onnx" or (method == "auto" and param.device.type == "cpu"):
        exported = _onnx(model, example, fixed_size is None, threads,
                         required=method == "onnx")
    if exported is None and method != "fold":
        exported = _freeze(model, example)
    if exported is None:
        exported = fold_batch_norm(model)
    if check:
        _check_same(model, exported, example.repeat(3, 1, 1, 1).normal_())
    return exported


class OnnxRuntimeNet(nn.Module):
    """An :class:`~networks.go.onnx_model.OnnxModel` called like the torch module:
    ``x [B, C, N, N] -> (policy_logits [B, N*N+1], value [B])`` as CPU tensors.

    ``runner`` is the torch-free model itself (the search calls it directly). Pickling (and
    ``copy.deepcopy``) keeps the ONNX bytes and builds a new session."""

    def __init__(self, onnx_model: bytes | OnnxModel, threads: int = 1) -> None:
        super().__init__()
        self.runner = (onnx_model if isinstance(onnx_model, OnnxModel)
                       else OnnxModel(onnx_model, threads))

    @property
    def onnx_model(self) -> bytes:
        """The serialized ONNX model."""
        return self.runner.onnx_model

    @property
    def metadata(self) -> dict[str, str]:
        """The model's metadata fields (see :func:`with_metadata`)."""
        return self.runner.metadata

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        policy, value = self.runner(x.detach().cpu().numpy())
        return torch.from_numpy(policy), torch.from_numpy(value)


def quantize_onnx(onnx_model: bytes, calibration: np.ndarray, *, batch: int = 16) -> bytes:
    """``onnx_model`` (from :class:`OnnxRuntimeNet`) with the convolutions of its trunk in
    8 bits: ONNX Runtime's static quantization, weights per output channel, activations
    ranged (min-max) on ``calibration``, the planes ``[P, C, N, N]`` of real positions.

    The heads (every node of a module whose name contains ``head``) stay in float: they are
    small, and the value head's output is where rounding would show most. Unsigned 8 bits for
    weights and activations: on AVX2 processors without VNNI, signed weights with
    ``reduce_range`` lost more accuracy at the same speed (``docs/benchmarks.md``)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as folder:
        source, prepared, target = (Path(folder) / name for name in
                                    ("model.onnx", "prepared.onnx", "int8.onnx"))
        source.write_bytes(onnx_model)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        heads = [node.name for node in onnx.load(str(prepared)).graph.node
                 if "head" in node.name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # advice about pre-processing, done above
            quantize_static(str(prepared), str(target), _CalibrationBatches(calibration, batch),
                            quant_format=QuantFormat.QOperator, per_channel=True,
                            op_types_to_quantize=["Conv"], nodes_to_exclude=heads,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QUInt8,
                            calibrate_method=CalibrationMethod.MinMax)
        return target.read_bytes()


def with_metadata(onnx_model: bytes, fields: dict[str, str]) -> bytes:
    """``onnx_model`` carrying ``fields`` as metadata (read back by
    :attr:`OnnxRuntimeNet.metadata`)."""
    import onnx

    model = onnx.load_from_string(onnx_model)
    kept = {entry.key: entry.value for entry in model.metadata_props}
    onnx.helper.set_model_props(model, {**kept, **fields})
    return model.SerializeToString()


class _CalibrationBatches:
    """Calibration planes in batches, as ``quantize_static`` reads them."""

    def __init__(self, planes: np.ndarray, batch: int) -> None:
        self.planes = np.asarray(planes, dtype=np.float32)
        self.batch = batch
        self.start = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.start >= len(self.planes):
            return None
        part = self.planes[self.start:self.start + self.batch]
        self.start += self.batch
        return {"planes": part}

    def __iter__(self) -> _CalibrationBatches:
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        part = self.get_next()
        if part is None:
            raise StopIteration
        return part


def _onnx(model: nn.Module, example: torch.Tensor, any_size: bool, threads: int | None,
          required: bool) -> nn.Module | None:
    """``model`` exported to ONNX and loaded in ONNX Runtime; None when ONNX Runtime (or the
    ``onnx`` package torch's exporter needs) is missing or the export fails, unless
    ``required``, which raises instead."""
    try:
        import onnx  # noqa: F401  (torch's exporter imports it; fail here, clearly)
        import onnxruntime  # noqa: F401
    except ImportError as error:
        if required:
            raise ImportError("method='onnx' needs the onnx and onnxruntime packages "
                              f"({error})") from error
        return None
    axes = {0: "batch", 2: "height", 3: "width"} if any_size else {0: "batch"}
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript-based exporter's deprecation
            torch.onnx.export(fold_batch_norm(model).cpu(), (example.cpu(),), buffer,
                              input_names=["planes"], output_names=["policy", "value"],
                              dynamic_axes={"planes": axes}, opset_version=17, dynamo=False)
        return OnnxRuntimeNet(buffer.getvalue(), threads or torch.get_num_threads())
    except Exception:  # the exporter and the runtime raise many types; any means "not here"
        if required:
            raise
        return None


def _freeze(model: nn.Module, example: torch.Tensor) -> nn.Module | None:
    """``torch.jit.freeze(torch.jit.trace(model))``, or None when TorchScript is unavailable."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # deprecation and tracer warnings
            traced = torch.jit.trace(model, example, check_trace=False)
            return torch.jit.freeze(traced)
    except (AttributeError, RuntimeError, NotImplementedError):
        return None


def _check_same(model: nn.Module, exported: nn.Module, x: torch.Tensor) -> None:
    """Raise if ``exported`` does not compute what ``model`` computes on ``x``."""
    with torch.inference_mode():
        for name, want, got in zip(("policy", "value"), model(x), exported(x), strict=True):
            scale = 1.0 + want.abs().max().item()
            error = (want - got).abs().max().item()
            if error > 1e-3 * scale:
                raise RuntimeError(f"exported network differs from the model: {name} "
                                   f"max error {error:.3g}")


def resolve_device(name: str) -> torch.device:
    """The device ``name`` asks for: ``auto`` picks the GPU when torch sees one; ``cuda``
    without one is a ``ValueError`` (said before any work starts)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda, but torch sees no GPU")
    return torch.device(name)
