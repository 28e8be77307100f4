"""Checkpoints of the Go networks: versioned, written atomically, read back with clear errors.

A checkpoint is one ``torch.save`` file holding a plain dict, so that
``torch.load(path, weights_only=True)`` reads it (no pickled classes, no code run on load)::

    format          "go-engine-checkpoint"
    format_version  1
    net_config      NetConfig.to_dict(): enough to rebuild the network
    features        {"name": str, "version": int}: the input planes it was trained on
    state_dict      fp32 CPU tensors, without torch.compile's "_orig_mod." prefixes
    step            training steps taken
    optimizer       optimizer.state_dict() or None
    scheduler       scheduler.state_dict() or None
    extra           any plain dict (metrics, run name, data description) or None
    torch_version   the torch that wrote it

Writing goes to ``PATH.tmp`` first (flushed and synced) and then replaces ``PATH`` in one
``os.replace``, so a crash or an error midway leaves the previous checkpoint intact.

Every problem found while reading raises :class:`CheckpointError` with the path and what is
wrong: no file, not a torch file (truncated, corrupt, foreign), not ours, a newer format, weights
that do not fit the stored config (naming the first offending key), or features other than the
ones the engine feeds.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from networks.go.errors import CheckpointError  # raised here; importable from here too
from networks.go.policy_value import GoNetwork, NetConfig, build_network

FORMAT = "go-engine-checkpoint"
FORMAT_VERSION = 1
_PREFIXES = ("_orig_mod.", "module.")  # torch.compile wrappers; DataParallel / DDP wrappers
_SCALARS = (str, int, float, bool, type(None))  # exact types: subclasses do not load


@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt network (weights loaded, eval mode) and its metadata."""

    model: GoNetwork
    net_config: NetConfig
    feature_set: str
    feature_version: int
    step: int
    optimizer_state: dict | None
    scheduler_state: dict | None
    extra: dict
    """The saved ``extra`` dict; empty when none was saved."""
    path: Path
    torch_version: str


def save_checkpoint(path: str | os.PathLike, model: nn.Module, *, net_config: NetConfig,
                    feature_set: str, feature_version: int, optimizer_state: dict | None = None,
                    scheduler_state: dict | None = None, step: int = 0,
                    extra: dict | None = None) -> Path:
    """Write ``model``'s weights and metadata to ``path`` atomically; returns the path.

    ``model`` may live on any device or be wrapped by ``torch.compile``: the stored weights are
    fp32 CPU tensors under the plain module's names. ``optimizer_state``, ``scheduler_state``
    and ``extra`` must hold only tensors, dicts, lists, tuples, str, int, float, bool and None
    (what ``weights_only`` loading accepts); anything else raises ``TypeError`` before a byte
    is written.
    """
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "net_config": net_config.to_dict(),
        "features": {"name": str(feature_set), "version": int(feature_version)},
        "state_dict": portable_state_dict(model),
        "step": int(step),
        "optimizer": optimizer_state,
        "scheduler": scheduler_state,
        "extra": extra,
        "torch_version": str(torch.__version__),
    }
    for key in ("optimizer", "scheduler", "extra"):
        _check_plain(payload[key], key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def portable_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s state dict as fp32 (floating tensors) CPU tensors, wrapper prefixes
    (``_orig_mod.`` from ``torch.compile``, ``module.`` from data parallelism) removed."""
    model = getattr(model, "_orig_mod", model)
    out = {}
    for key, value in model.state_dict().items():
        while key.startswith(_PREFIXES):
            key = key[key.index(".") + 1:]
        value = value.detach().to("cpu")
        out[key] = value.float() if value.is_floating_point() else value.clone()
    return out


def load_checkpoint(path: str | os.PathLike, *, map_location: str | torch.device = "cpu",
                    expect_features: tuple[str, int] | None = None) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` and rebuild its network.

    Parameters
    ----------
    path : the checkpoint file.
    map_location : device for the network and the optimizer state.
    expect_features : ``(name, version)`` of the feature set the caller will feed; a checkpoint
        trained on other features is refused.

    Raises
    ------
    CheckpointError : see the module docstring for the cases.
    """
    path = Path(path)
    payload = _read(path, map_location)
    config = _net_config(path, payload)
    features = payload.get("features")
    if not (isinstance(features, dict) and isinstance(features.get("name"), str)
            and isinstance(features.get("version"), int)):
        raise CheckpointError(f"{path} has no valid feature set entry: {features!r}")
    name, version = features["name"], features["version"]
    if expect_features is not None and (name, version) != tuple(expect_features):
        want_name, want_version = expect_features
        raise CheckpointError(f"{path} was trained on features {name!r} v{version}; this "
                              f"engine feeds {want_name!r} v{want_version}")
    model = build_network(config)
    _load_weights(path, model, payload.get("state_dict"))
    model.to(map_location).eval()
    return Checkpoint(model=model, net_config=config, feature_set=name, feature_version=version,
                      step=int(payload.get("step", 0)), optimizer_state=payload.get("optimizer"),
                      scheduler_state=payload.get("scheduler"), extra=payload.get("extra") or {},
                      path=path, torch_version=str(payload.get("torch_version", "unknown")))


def _read(path: Path, map_location: str | torch.device) -> dict[str, Any]:
    """The checkpoint's dict, after checking that it is a torch file of our format."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many kinds here: pickle, zip, EOF, key, runtime
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        refused = [line for line in lines if line.startswith("WeightsUnpickler error:")]
        if refused:  # a torch file, but with pickled Python objects (a whole model, say)
            reason = refused[0].removeprefix("WeightsUnpickler error:").split(" was not")[0]
            raise CheckpointError(f"{path} is not a go-engine checkpoint (it pickles objects "
                                  f"that weights-only loading refuses: {reason.strip()})"
                                  ) from error
        reason = lines[0] if lines else repr(error)
        raise CheckpointError(f"{path} is not a readable checkpoint: "
                              f"{type(error).__name__}: {reason}") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a go-engine checkpoint ({_describe(payload)})")
    version = payload.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path} has an invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path} has checkpoint format version {version}; this engine "
                              f"reads versions up to {FORMAT_VERSION} (update the engine)")
    return payload


def _describe(payload: object) -> str:
    """A short description of a foreign object loaded from a torch file."""
    if isinstance(payload, dict):
        keys = list(payload)
        if keys and all(isinstance(v, torch.Tensor) for v in payload.values()):
            return f"a bare state dict of {len(keys)} tensors, without a config"
        shown = ", ".join(repr(k) for k in keys[:5]) + (", ..." if len(keys) > 5 else "")
        return f"a dict with keys [{shown}] and no format 'go-engine-checkpoint'"
    return f"a {type(payload).__name__}, not a dict"


def _net_config(path: Path, payload: dict[str, Any]) -> NetConfig:
    """The stored :class:`NetConfig`, or a :class:`CheckpointError` saying why not."""
    data = payload.get("net_config")
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} has no network config")
    try:
        return NetConfig.from_dict(data)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path} has an invalid network config: {error}") from error


def _load_weights(path: Path, model: GoNetwork, state: object) -> None:
    """Load ``state`` into ``model``, naming the first key that does not fit."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} has no state dict")
    expected = model.state_dict()
    name = model.config.name
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        key, what = (missing[0], "missing key") if missing else (unexpected[0], "unexpected key")
        more = len(missing) + len(unexpected) - 1
        raise CheckpointError(f"{path}: weights do not fit the network config {name}: "
                              f"{what} {key!r}" + (f" (and {more} more)" if more else ""))
    for key, want in expected.items():
        got = state[key]
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = list(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise CheckpointError(f"{path}: weights do not fit the network config {name}: "
                                  f"{key!r} has shape {shape}, the network expects "
                                  f"{list(want.shape)}")
    model.load_state_dict(state)


def _check_plain(value: object, where: str) -> None:
    """Raise ``TypeError`` unless ``value`` is made of what ``weights_only`` loading accepts."""
    if type(value) in (dict, OrderedDict):
        for key, item in value.items():
            _check_plain(key, f"{where} key")
            _check_plain(item, f"{where}[{key!r}]")
    elif type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
    elif not (type(value) in _SCALARS or isinstance(value, torch.Tensor)):
        raise TypeError(f"checkpoint field {where} holds a {type(value).__name__}; only tensors, "
                        "dicts, lists, tuples, str, int, float, bool and None can be stored")
