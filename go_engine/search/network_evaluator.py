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
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from go_engine.features import FeatureSet, encode_batch, get_feature_set
from go_engine.features.symmetry import NUM_SYMMETRIES, move_table, transform_planes
from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.search.evaluation import Evaluation
from networks.go.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from networks.go.inference import (
    METHODS,
    OnnxRuntimeNet,
    export_for_inference,
    resolve_device,
)

BUNDLED_NETWORK = Path(__file__).parent / "weights" / "network.pt"
EXPORTS = (*METHODS, "onnx-int8", "none")


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
        model: a module mapping planes ``[B, C, N, N]`` to ``(logits [B, N*N+1], value [B])``.
        feature_set: the planes it was trained on.
        config: device, threads, cache and symmetry settings.
    """

    def __init__(self, model: torch.nn.Module, feature_set: FeatureSet,
                 config: NetworkConfig | None = None) -> None:
        self.config = config or NetworkConfig()
        self.device = resolve_device(self.config.device)
        if self.device.type == "cpu":
            torch.set_num_threads(max(1, self.config.threads))
        self.model = model.to(self.device).eval()
        exported = isinstance(self.model, OnnxRuntimeNet)  # e.g. an 8-bit model
        if self.device.type == "cpu" and self.config.export != "none" and not exported:
            self.model = export_for_inference(self.model, method=self.config.export,
                                              threads=max(1, self.config.threads))
        self.feature_set = feature_set
        self.rng = np.random.default_rng(self.config.seed)
        self.cache: OrderedDict[tuple, tuple[np.ndarray, float]] = OrderedDict()
        self.forward_positions = 0  # positions that went through the network
        self.cache_hits = 0

    @classmethod
    def from_checkpoint(cls, path: str | Path, config: NetworkConfig | None = None
                        ) -> NetworkEvaluator:
        """Load a ``train-sl`` checkpoint (see :func:`load_network`) and, when ``config``
        asks for it (``auto``, ``onnx-int8``) and the network runs on the CPU, the 8-bit
        model made from it."""
        config = config or NetworkConfig()
        checkpoint, feature_set = load_network(path)
        model = checkpoint.model
        if (config.export in ("auto", "onnx-int8")
                and resolve_device(config.device).type == "cpu"):
            quantized = load_quantized(path, max(1, config.threads))
            if quantized is not None:
                model = quantized
            elif config.export == "onnx-int8":
                raise CheckpointError(f"{path}: no 8-bit model made from it at "
                                      f"{quantized_path(path)} (go-engine quantize-network)")
        return cls(model, feature_set, config)

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

    @torch.inference_mode()
    def _forward(self, boards: Sequence[Board]) -> tuple[np.ndarray, np.ndarray]:
        """Policies (softmax over every action) and values of ``boards``, one pass."""
        size = boards[0].size
        planes = encode_batch(boards, self.feature_set)
        symmetries = (self.rng.integers(0, NUM_SYMMETRIES, len(boards))
                      if self.config.random_symmetry else np.zeros(len(boards), np.int64))
        for s in np.unique(symmetries):
            rows = np.flatnonzero(symmetries == s)
            planes[rows] = transform_planes(planes[rows], int(s))
        batch = torch.from_numpy(planes).to(self.device)
        logits, values = self.model(batch)
        policy = torch.softmax(logits.float(), dim=1).cpu().numpy()
        maps = np.stack([move_table(size, int(s)) for s in symmetries])
        # The network saw symmetry s: action a of the real board is action maps[i, a] there.
        policy = policy[np.arange(len(boards))[:, None], maps]
        self.forward_positions += len(boards)
        return policy, values.float().cpu().numpy()

    def _remember(self, key: tuple, policy: np.ndarray, value: float) -> None:
        self.cache[key] = (policy, value)
        if len(self.cache) > self.config.cache_size:
            self.cache.popitem(last=False)


def _cache_key(board: Board) -> tuple:
    meta = board.meta
    return (board.size, int(meta[core.M_HASH]), int(meta[core.M_TO_MOVE]),
            int(meta[core.M_KO_POINT]), int(meta[core.M_LAST_MOVE]),
            int(meta[core.M_LAST_MOVE_2]), int(meta[core.M_MOVES]))


def load_network(path: str | Path, map_location: str | torch.device = "cpu"
                 ) -> tuple[Checkpoint, FeatureSet]:
    """A ``train-sl`` checkpoint and the feature set it was trained on.

    Raises :class:`~networks.go.checkpoint.CheckpointError` that says clearly what is wrong
    with a missing, corrupt or mismatched file, including features this engine does not have
    or has in another version."""
    checkpoint = load_checkpoint(path, map_location=map_location)
    try:
        feature_set = get_feature_set(checkpoint.feature_set)
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None
    if feature_set.version != checkpoint.feature_version:
        raise CheckpointError(
            f"{path} was trained on features {feature_set.name!r} "
            f"v{checkpoint.feature_version}; this engine feeds v{feature_set.version}")
    return checkpoint, feature_set


def quantized_path(checkpoint: str | Path) -> Path:
    """Where the 8-bit model of ``checkpoint`` lives: beside it, as ``NAME.int8.onnx``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".int8.onnx")


def checkpoint_digest(path: str | Path) -> str:
    """The sha256 of a checkpoint file: the 8-bit model records the one it was made from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_quantized(checkpoint: str | Path, threads: int = 1) -> OnnxRuntimeNet | None:
    """The 8-bit model beside ``checkpoint`` when it was made from this very file (its
    ``checkpoint_sha256`` metadata), else None: a model left from an older checkpoint, or an
    unreadable one, is passed over and the float network runs instead."""
    path = quantized_path(checkpoint)
    if not path.is_file():
        return None
    try:
        model = OnnxRuntimeNet(path.read_bytes(), threads)
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
