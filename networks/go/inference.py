"""A network made ready for play: evaluation mode, batch norm folded, graph frozen.

:func:`export_for_inference` returns a module with the network's call signature
(``x [B, C, N, N] -> (policy_logits, value)``) that runs faster on a CPU thread than the
network in plain ``eval()`` mode. Positions per CPU-second on one thread of this project's
shared 2-core machine, 48 input planes, from ``python benchmarks/network.py`` (medians of
5 x 0.3 s, plain and exported measured alternately; figures wobble by ~15% between runs):

=========  =====  =====  ==========  ========  ========
size       board  batch  plain eval  exported  speed-up
=========  =====  =====  ==========  ========  ========
b6c64      19     1      83.3        106.3     1.28x
b6c64      19     8      109.4       120.9     1.10x
b6c64      9      1      155.4       257.4     1.66x
b6c64      9      8      413.4       528.4     1.28x
b10c128    19     1      18.9        21.6      1.14x
b10c128    9      1      48.9        64.9      1.33x
b15c192    19     1      6.4         7.3       1.13x
b15c192    19     8      6.7         6.8       1.02x
=========  =====  =====  ==========  ========  ========

The export traces the network and freezes it (``torch.jit.trace`` then ``torch.jit.freeze``,
which folds batch norm into the convolutions). It was faster in every case measured, mostly by
removing Python overhead: the gain is largest for small networks, small boards and batch 1, the
search's usual case. In an earlier comparison (same machine, 7 alternating runs) eager
batch-norm folding alone gained about half as much (b6c64, 9x9, batch 1: 198 plain, 251
folded, 346 frozen), ``torch.jit.optimize_for_inference`` (oneDNN layouts) was no better than
frozen on average and sometimes slower, and ``torch.compile`` took 10 to 40 s to compile each
input shape and was no faster than frozen at batch 1; none of those is kept.

``torch.jit`` is deprecated in recent torch releases (it still works in 2.13); when it is gone,
or with ``method="fold"``, the export keeps the eager network with batch norm folded into the
convolutions (the "folded" figure above).
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

METHODS = ("freeze", "fold")


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


def export_for_inference(model: nn.Module, *, method: str = "freeze", board_size: int = 19,
                         check: bool = True) -> nn.Module:
    """The fastest inference form of ``model`` (a network from :mod:`networks.go`).

    Parameters
    ----------
    model : the network; it is not modified (the export works on a copy).
    method : ``"freeze"`` (trace and freeze with TorchScript; falls back to ``"fold"`` when
        ``torch.jit`` cannot trace) or ``"fold"`` (eager, batch norm folded).
    board_size : board of the example input used for tracing. Residual networks keep working
        on every board size and batch size after tracing; AlphaGo's networks take their own
        ``board_size``.
    check : compare the export's outputs with the model's on a random input and raise
        ``RuntimeError`` if they differ by more than float rounding.

    Returns
    -------
    A module in eval mode with the same call signature, to be called under
    ``torch.inference_mode()``; it does no input checks and cannot be trained.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    model = copy.deepcopy(model).eval()
    config = getattr(model, "config", None)
    size = getattr(config, "board_size", None) or board_size
    param = next(model.parameters())
    example = torch.randn(1, config.in_planes, size, size, device=param.device)
    exported = _freeze(model, example) if method == "freeze" else None
    if exported is None:
        exported = fold_batch_norm(model)
    if check:
        _check_same(model, exported, example.repeat(3, 1, 1, 1).normal_())
    return exported


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
