"""The policy/value network as the search's evaluator: priors and values in batched calls.

:class:`NetworkEvaluator` implements :class:`~go_engine.search.evaluation.Evaluator`: the
search hands it the leaves of one round (selected together under virtual loss) and it answers
them with *one* forward pass. Three things AlphaGo did (Silver et al. 2016, Methods, "Search
algorithm") are done here too:

- each position is evaluated under one of the 8 board symmetries drawn at random, and the
  policy is turned back, so the search averages the network's small asymmetries away;
- evaluations are cached by position (Zobrist hash, side to move, ko point, the last two
  moves and the move number: everything the input planes see), so a leaf visited again before
  it is expanded, or a transposition, costs no second forward pass;
- the policy is a softmax over the legal candidates only (the mask the search gives).

The bundled network (``go_engine/search/weights/network.pt``) is what ``--network default``
loads; ``--network none`` keeps the rollout-only engine and ``--network PATH`` loads any
checkpoint written by ``go-engine train-sl``.

On a CPU, when the checkpoint's 8-bit model lies beside it, the engine runs that model
(:class:`~networks.go.onnx_model.OnnxModel`) and never imports torch: start-up is about 3 s
shorter and each engine process about 200 MB smaller. Everything else (a GPU, a float
export, a checkpoint without its 8-bit model) loads the checkpoint with torch.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from go_engine.features import FeatureSet, encode_batch, get_feature_set
from go_engine.features.symmetry import NUM_SYMMETRIES, move_table, transform_planes
from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.search.evaluation import Evaluation
from networks.go.errors import CheckpointError
from networks.go.onnx_model import OnnxModel

if TYPE_CHECKING:
    import torch

    from networks.go.checkpoint import Checkpoint

BUNDLED_NETWORK = Path(__file__).parent / "weights" / "network.pt"
# networks.go.inference.METHODS, then the 8-bit model and the module as given (spelt out, not
# imported: that module imports torch; a test checks they agree).
EXPORTS = ("auto", "onnx", "freeze", "fold", "onnx-int8", "none")
# NVIDIA's driver and AMD's ROCm driver create these; torch finds no GPU on a machine without.
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")
# Runs a batch of planes [B, C, N, N] (float32) to (policy logits [B, A], values [B]).
Runner = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class NetworkConfig:
    """How the network is run inside the search.

    Attributes:
        device: ``cpu``, ``cuda`` or ``auto`` (a GPU when torch sees one).
        threads: torch's CPU threads in this process (1: the rollout threads and other
            engine processes get the other cores).
        cache_size: evaluations kept (least recently used ones are dropped).
        random_symmetry: evaluate each position under a random one of the 8 symmetries.
        seed: seeds the symmetry draws.
        export: how the network runs on the CPU: ``onnx-int8`` (the checkpoint's 8-bit
            model, ``NAME.int8.onnx`` beside it, made by ``go-engine quantize-network``),
            ``onnx`` (ONNX Runtime in float), ``freeze`` or ``fold`` (TorchScript, see
            :func:`networks.go.inference.export_for_inference`), ``none`` (the module as
            given) or ``auto``: the 8-bit model when one made for this very checkpoint lies
            beside it, else ``onnx`` when ONNX Runtime is installed, else ``freeze``. On one
            thread ONNX Runtime is 1.2-2.2x faster than frozen TorchScript at the search's
            batch sizes and the bundled network's 8-bit model 1.6-1.8x faster again, for 0.3
            points of top-1 on expert moves (``benchmarks/network.py``,
            ``docs/benchmarks.md``).
    """

    device: str = "auto"
    threads: int = 1
    cache_size: int = 200_000
    random_symmetry: bool = True
    seed: int = 0
    export: str = "auto"

    def __post_init__(self) -> None:
        if self.export not in EXPORTS:
            raise ValueError(f"export must be one of {EXPORTS}, not {self.export!r}")


class NetworkEvaluator:
    """Priors and values from a policy/value network, batched, cached and symmetrised.

    Args:
        model: a torch module mapping planes ``[B, C, N, N]`` to ``(logits [B, N*N+1],
            value [B])`` (exported for the CPU as ``config.export`` says), or an
            :class:`~networks.go.onnx_model.OnnxModel` doing the same on numpy arrays.
        feature_set: the planes it was trained on.
        config: device, threads, cache and symmetry settings.
    """

    def __init__(self, model: torch.nn.Module | OnnxModel, feature_set: FeatureSet,
                 config: NetworkConfig | None = None) -> None:
        self.config = config or NetworkConfig()
        if isinstance(model, OnnxModel):
            self.model, self._run = model, model
        else:
            self.model, self._run = _prepare_torch(model, self.config)
        self.feature_set = feature_set
        self.rng = np.random.default_rng(self.config.seed)
        self.cache: OrderedDict[tuple, tuple[np.ndarray, float]] = OrderedDict()
        self.forward_positions = 0  # positions that went through the network
        self.cache_hits = 0

    @classmethod
    def from_checkpoint(cls, path: str | Path, config: NetworkConfig | None = None
                        ) -> NetworkEvaluator:
        """Load a ``train-sl`` checkpoint (see :func:`load_network`) or, when ``config``
        asks for it (``auto``, ``onnx-int8``) and the network runs on the CPU, the 8-bit
        model made from it (without torch: :func:`load_quantized`)."""
        config = config or NetworkConfig()
        if config.export in ("auto", "onnx-int8") and _runs_on_cpu(config.device):
            if not Path(path).is_file():
                load_network(path)  # the checkpoint's own clear error
            quantized = load_quantized(path, max(1, config.threads))
            if quantized is not None:
                return cls(quantized, _quantized_features(path, quantized), config)
            if config.export == "onnx-int8":
                raise CheckpointError(f"{path}: no 8-bit model made from it at "
                                      f"{quantized_path(path)} (go-engine quantize-network)")
        checkpoint, feature_set = load_network(path)
        return cls(checkpoint.model, feature_set, config)

    # -- the Evaluator protocol -------------------------------------------------------------

    def evaluate(self, boards: Sequence[Board], masks: np.ndarray) -> Evaluation:
        """Priors over each board's candidates (``masks``) and values for the player to move."""
        count = len(boards)
        size = boards[0].size if count else 0
        policies = np.zeros((count, size * size + 1), dtype=np.float32)
        values = np.zeros(count, dtype=np.float32)
        keys = [_cache_key(board) for board in boards]
        missing = []
        for i, key in enumerate(keys):
            hit = self.cache.get(key)
            if hit is None:
                missing.append(i)
            else:
                self.cache.move_to_end(key)
                policies[i], values[i] = hit
                self.cache_hits += 1
        if missing:
            fresh_policies, fresh_values = self._forward([boards[i] for i in missing])
            for row, i in enumerate(missing):
                policies[i], values[i] = fresh_policies[row], fresh_values[row]
                self._remember(keys[i], fresh_policies[row], float(fresh_values[row]))
        priors = policies * masks
        totals = priors.sum(axis=1, keepdims=True)
        empty = totals[:, 0] <= 0  # the network put no mass on any candidate: spread evenly
        priors[empty] = masks[empty]
        priors /= np.maximum(priors.sum(axis=1, keepdims=True), 1e-30)
        return Evaluation(priors.astype(np.float32), values)

    # -- internals --------------------------------------------------------------------------

    def _forward(self, boards: Sequence[Board]) -> tuple[np.ndarray, np.ndarray]:
        """Policies (softmax over every action) and values of ``boards``, one pass."""
        size = boards[0].size
        planes = encode_batch(boards, self.feature_set)
        symmetries = (self.rng.integers(0, NUM_SYMMETRIES, len(boards))
                      if self.config.random_symmetry else np.zeros(len(boards), np.int64))
        for s in np.unique(symmetries):
            rows = np.flatnonzero(symmetries == s)
            planes[rows] = transform_planes(planes[rows], int(s))
        logits, values = self._run(planes)
        policy = _softmax(np.asarray(logits, dtype=np.float32))
        maps = np.stack([move_table(size, int(s)) for s in symmetries])
        # The network saw symmetry s: action a of the real board is action maps[i, a] there.
        policy = policy[np.arange(len(boards))[:, None], maps]
        self.forward_positions += len(boards)
        return policy, np.asarray(values, dtype=np.float32)

    def _remember(self, key: tuple, policy: np.ndarray, value: float) -> None:
        self.cache[key] = (policy, value)
        if len(self.cache) > self.config.cache_size:
            self.cache.popitem(last=False)


def _prepare_torch(model: torch.nn.Module, config: NetworkConfig
                   ) -> tuple[torch.nn.Module, Runner]:
    """A torch network on its device, exported for the CPU as ``config.export`` says, and the
    function that runs it on numpy planes."""
    import torch

    from networks.go.inference import OnnxRuntimeNet, export_for_inference, resolve_device

    device = resolve_device(config.device)
    if device.type == "cpu":
        torch.set_num_threads(max(1, config.threads))
    model = model.to(device).eval()
    exported = isinstance(model, OnnxRuntimeNet)
    if device.type == "cpu" and config.export != "none" and not exported:
        model = export_for_inference(model, method=config.export,
                                     threads=max(1, config.threads))
    if isinstance(model, OnnxRuntimeNet):
        return model, model.runner

    @torch.inference_mode()
    def run(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, values = model(torch.from_numpy(planes).to(device))
        return logits.float().cpu().numpy(), values.float().cpu().numpy()

    return model, run


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _runs_on_cpu(device: str) -> bool:
    """Whether a network on ``device`` runs on the CPU. For ``auto`` that is whether torch
    sees no GPU, and where the machine has no GPU device file at all that is known without
    importing torch (3 s)."""
    if device == "cpu":
        return True
    if device == "auto" and not any(os.path.exists(name) for name in GPU_DEVICE_FILES):
        return True
    from networks.go.inference import resolve_device

    return resolve_device(device).type == "cpu"


def _cache_key(board: Board) -> tuple:
    meta = board.meta
    return (board.size, int(meta[core.M_HASH]), int(meta[core.M_TO_MOVE]),
            int(meta[core.M_KO_POINT]), int(meta[core.M_LAST_MOVE]),
            int(meta[core.M_LAST_MOVE_2]), int(meta[core.M_MOVES]))


def load_network(path: str | Path, map_location: str | torch.device = "cpu"
                 ) -> tuple[Checkpoint, FeatureSet]:
    """A ``train-sl`` checkpoint and the feature set it was trained on.

    Raises :class:`~networks.go.errors.CheckpointError` that says clearly what is wrong
    with a missing, corrupt or mismatched file, including features this engine does not have
    or has in another version."""
    from networks.go.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(path, map_location=map_location)
    return checkpoint, _features(path, checkpoint.feature_set, checkpoint.feature_version)


def _features(path: str | Path, name: str, version: int) -> FeatureSet:
    """The feature set ``name`` when this engine has it in ``version``."""
    try:
        feature_set = get_feature_set(name)
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None
    if feature_set.version != version:
        raise CheckpointError(f"{path} was trained on features {feature_set.name!r} "
                              f"v{version}; this engine feeds v{feature_set.version}")
    return feature_set


def _quantized_features(path: str | Path, model: OnnxModel) -> FeatureSet:
    """The feature set the 8-bit model of checkpoint ``path`` records."""
    metadata = model.metadata
    try:
        return _features(path, metadata["feature_set"], int(metadata["feature_version"]))
    except (KeyError, ValueError):
        raise CheckpointError(f"{quantized_path(path)}: no feature set recorded; make it "
                              "again with go-engine quantize-network") from None


def quantized_path(checkpoint: str | Path) -> Path:
    """Where the 8-bit model of ``checkpoint`` lives: beside it, as ``NAME.int8.onnx``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".int8.onnx")


def checkpoint_digest(path: str | Path) -> str:
    """The sha256 of a checkpoint file: the 8-bit model records the one it was made from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_quantized(checkpoint: str | Path, threads: int = 1) -> OnnxModel | None:
    """The 8-bit model beside ``checkpoint`` when it was made from this very file (its
    ``checkpoint_sha256`` metadata), else None: a model left from an older checkpoint, or an
    unreadable one, is passed over and the float network runs instead."""
    path = quantized_path(checkpoint)
    if not path.is_file():
        return None
    try:
        model = OnnxModel(path.read_bytes(), threads)
    except Exception:  # ONNX Runtime missing, or a broken file: use the float network
        return None
    if model.metadata.get("checkpoint_sha256") != checkpoint_digest(checkpoint):
        return None
    return model


def load_evaluator(spec: str, config: NetworkConfig | None = None) -> NetworkEvaluator | None:
    """The evaluator ``--network SPEC`` asks for: ``none`` (no network: ``None``),
    ``default`` (the bundled network) or a checkpoint path."""
    if spec == "none":
        return None
    return NetworkEvaluator.from_checkpoint(network_path(spec), config)


def network_path(spec: str) -> Path:
    """The checkpoint ``--network SPEC`` names: ``default`` is the bundled network."""
    return BUNDLED_NETWORK if spec == "default" else Path(spec)
