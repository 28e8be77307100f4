"""A trained linear softmax policy: its feature spec, pattern dictionary and weights.

:class:`LinearPolicy` is what the rollout policy (:mod:`go_engine.search.rollout_policy`) and
the tree policy (:mod:`go_engine.search.tree_policy`) share: a spec (which features of
:mod:`go_engine.search.policy_features` it uses), the canonical pattern keys it kept (one
weight each, after the ``N_FIXED`` fixed features) and the weights. It is saved as a small
``.npz`` (keys ``int64``, weights ``float32``, the spec, a JSON ``info`` string with how it was
trained). :meth:`LinearPolicy.tables` builds, once, the compiled lookup tables: a hash table
from each canonical pattern key to its weight index and ``exp(weight)``, a direct table of
``exp(weight)`` over every raw 3x3 code (for rollouts), and the weights.

The package ships three trained models (:func:`default_policy`): ``weights/rollout.npz`` and
``weights/tree.npz``, trained on expert games, and ``weights/balanced.npz``, the rollout policy
tuned by simulation balancing; ``weights/README.md`` has the commands that reproduce them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from go_engine.search import patterns as pat
from go_engine.search.config import SHIPPED_POLICIES
from go_engine.search.policy_features import (
    F_RESPONSE,
    N_FIXED,
    N_FIXED_V1,
    N_SPEC,
    fold_tactics,
    rollout_spec,
    tree_spec,
)

KINDS = ("rollout", "tree")  # the kinds of model (feature sets and what they are for)
FORMAT_VERSION = 2  # 2: the reading features (policy_features.SPEC_READING) were added


class PolicyTables(NamedTuple):
    """The arrays the compiled kernels read (all read-only)."""

    spec: np.ndarray  # int64 [N_SPEC]
    table: np.ndarray  # TABLE_DTYPE [capacity]: canonical key -> weight index, exp(weight);
    #                    TAG_CONTEXT keys -> their row of `responses`
    grid3: np.ndarray  # float32 [N_3X3_CODES]: per raw 3x3 code, exp of the 3x3 and tactical
    #                    weights (fold_tactics: 0 illegal or own eye, SLOW_PATH: ask tactics)
    responses: np.ndarray  # float32 [contexts, 12]: exp(response + F_RESPONSE weights) per place
    weights: np.ndarray  # float64 [F]
    exp_weights: np.ndarray  # float64 [F]


@dataclass
class LinearPolicy:
    """A linear softmax over move features.

    Attributes:
        kind: ``"rollout"`` or ``"tree"`` (what it was trained for).
        spec: ``int64 [N_SPEC]``: which features it uses (see ``SPEC_*``).
        pattern_keys: ``int64 [K]``: the canonical pattern keys of its dictionary.
        weights: ``float32 [N_FIXED + K]``: fixed features first, then one per pattern.
        info: how it was trained (command, data, accuracy), free-form.
    """

    kind: str
    spec: np.ndarray
    pattern_keys: np.ndarray
    weights: np.ndarray
    info: dict = field(default_factory=dict)
    _tables: PolicyTables | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        self.spec = np.asarray(self.spec, dtype=np.int64)
        self.pattern_keys = np.asarray(self.pattern_keys, dtype=np.int64)
        self.weights = np.asarray(self.weights, dtype=np.float32)
        if self.spec.shape != (N_SPEC,):
            raise ValueError(f"spec must have {N_SPEC} entries")
        if self.weights.shape != (N_FIXED + len(self.pattern_keys),):
            raise ValueError("weights must hold N_FIXED + one per pattern key")

    @classmethod
    def empty(cls, kind: str, pattern_keys: np.ndarray | None = None) -> LinearPolicy:
        """All-zero weights (a uniform policy) over ``pattern_keys``, with the kind's spec."""
        keys = np.zeros(0, np.int64) if pattern_keys is None else np.asarray(pattern_keys)
        spec = rollout_spec() if kind == "rollout" else tree_spec()
        return cls(kind, spec, keys, np.zeros(N_FIXED + len(keys), np.float32))

    @property
    def num_patterns(self) -> int:
        """Patterns in the dictionary."""
        return int(self.pattern_keys.shape[0])

    def with_temperature(self, temperature: float) -> LinearPolicy:
        """A copy whose softmax runs at ``temperature`` (weights divided by it: below 1
        sharper, above 1 flatter)."""
        if temperature <= 0:
            raise ValueError("temperature must be positive")
        info = dict(self.info, temperature=temperature)
        return LinearPolicy(self.kind, self.spec.copy(), self.pattern_keys.copy(),
                            self.weights / np.float32(temperature), info)

    def pattern_counts(self) -> dict[str, int]:
        """Patterns per kind: ``3x3``, ``response``, ``diamond``, ``nakade``."""
        tags = self.pattern_keys >> pat.TAG_SHIFT
        names = {pat.TAG_3X3: "3x3", pat.TAG_RESPONSE: "response", pat.TAG_DIAMOND: "diamond",
                 pat.TAG_NAKADE: "nakade"}
        return {name: int((tags == tag).sum()) for tag, name in names.items()}

    def tables(self) -> PolicyTables:
        """The compiled lookup tables (built on first use; rebuild with :meth:`refresh`)."""
        if self._tables is None:
            weights = self.weights.astype(np.float64)
            contexts, responses = self._responses()
            keys = np.concatenate([self.pattern_keys, contexts])
            indices = np.concatenate([N_FIXED + np.arange(self.num_patterns),
                                      np.arange(len(contexts))])
            exp_weights = np.exp(np.concatenate([weights[N_FIXED:], np.zeros(len(contexts))]))
            table = pat.build_table(keys, indices, exp_weights)
            grid3 = fold_tactics(self._raw_grid3(), self.spec, np.exp(weights))
            self._tables = PolicyTables(self.spec.copy(), table, grid3, responses, weights,
                                        np.exp(weights))
            for array in self._tables:
                array.setflags(write=False)
        return self._tables

    def _raw_grid3(self) -> np.ndarray:
        """``exp`` of the weight of every raw 3x3 code, all orientations filled in."""
        grid = np.ones(pat.N_3X3_CODES, np.float32)
        is_3x3 = (self.pattern_keys >> pat.TAG_SHIFT) == pat.TAG_3X3
        codes = self.pattern_keys[is_3x3] & ((1 << pat.TAG_SHIFT) - 1)
        values = np.exp(self.weights[N_FIXED:][is_3x3].astype(np.float64)).astype(np.float32)
        for s in range(8):
            grid[pat.orient_3x3_all(codes, s)] = values
        return grid

    def _responses(self) -> tuple[np.ndarray, np.ndarray]:
        """Context keys and their rows of response weights (see
        :func:`~go_engine.search.patterns.response_targets`)."""
        is_response = (self.pattern_keys >> pat.TAG_SHIFT) == pat.TAG_RESPONSE
        contexts, masks = pat.response_targets(self.pattern_keys[is_response])
        unique, row = np.unique(contexts, return_inverse=True)
        responses = np.ones((max(1, len(unique)), pat.N_DIAMOND), np.float32)
        values = np.exp(self.weights[N_FIXED:][is_response].astype(np.float64)
                        + float(self.weights[F_RESPONSE]))
        for place in range(pat.N_DIAMOND):
            hit = (masks >> place) & 1 == 1
            responses[row[hit], place] = values[hit]
        return unique, responses

    def refresh(self) -> None:
        """Forget the tables after the weights changed."""
        self._tables = None

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to a compressed ``.npz``."""
        np.savez_compressed(path, format_version=np.int64(FORMAT_VERSION),
                            kind=np.array(self.kind), spec=self.spec,
                            pattern_keys=self.pattern_keys, weights=self.weights,
                            info=np.array(json.dumps(self.info, sort_keys=True)))

    @classmethod
    def load(cls, path: str | os.PathLike) -> LinearPolicy:
        """Read a model written by :meth:`save`."""
        with np.load(path) as data:
            version = int(data["format_version"])
            if version not in (1, FORMAT_VERSION):
                raise ValueError(f"{path}: policy format {version}, expected {FORMAT_VERSION}")
            spec, weights = data["spec"], data["weights"]
            if version == 1:
                spec, weights = _upgrade_v1(spec, weights)
            return cls(str(data["kind"]), spec, data["pattern_keys"], weights,
                       json.loads(str(data["info"])))


def _upgrade_v1(spec: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A format-1 model in format 2: the same policy, with the reading features (which it
    never had) off in the spec and zero weights in their places."""
    spec = np.concatenate([spec, np.zeros(N_SPEC - len(spec), np.int64)])
    weights = np.concatenate([weights[:N_FIXED_V1], np.zeros(N_FIXED - N_FIXED_V1, np.float32),
                              weights[N_FIXED_V1:]])
    return spec, weights


def shipped_path(name: str) -> os.PathLike:
    """The path of the shipped model ``name`` (one of ``SHIPPED_POLICIES``) in the package."""
    if name not in SHIPPED_POLICIES:
        raise ValueError(f"shipped models: {', '.join(SHIPPED_POLICIES)}; got {name!r}")
    return resources.files("go_engine.search") / "weights" / f"{name}.npz"


@lru_cache(maxsize=4)
def default_policy(name: str) -> LinearPolicy:
    """The shipped model ``name``: ``rollout`` and ``tree`` (trained on expert games, of those
    kinds) or ``balanced`` (the rollout policy tuned by simulation balancing). Loaded once per
    process; treat it as read-only."""
    return LinearPolicy.load(shipped_path(name))


def load_policy(name: str) -> LinearPolicy:
    """A shipped model's name (``SHIPPED_POLICIES``) or the path of a saved model (loaded
    once per process while the file stays the same; treat it as read-only, like the shipped
    ones)."""
    if name in SHIPPED_POLICIES:
        return default_policy(name)
    path = Path(name).resolve()
    stat = path.stat()
    return _load_file(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_file(path: str, mtime_ns: int, size: int) -> LinearPolicy:
    """:meth:`LinearPolicy.load`, cached by path and file stamp (the stamp is the key)."""
    return LinearPolicy.load(path)
