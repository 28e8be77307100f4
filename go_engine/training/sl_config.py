"""The settings of supervised training (:class:`SLConfig`), apart from the trainer so that
reading them (the command line's defaults) does not import torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SLConfig:
    """How a network is trained on expert games.

    Attributes:
        net: a named size (``b6c64``, ``b10c128``, ...; see :class:`NetConfig`).
        features: the input feature set (``alphago``, ``compact``, ...).
        batch_size: positions per step.
        learning_rate: AdamW's peak step size.
        weight_decay: AdamW's decoupled weight decay.
        warmup_fraction: share of the run spent warming the learning rate up from zero.
        value_weight: weight of the value loss beside the policy's cross-entropy.
        steps: stop after this many steps (0: no step limit; then ``max_minutes`` bounds it).
        max_minutes: stop after this much training time (0: no time limit).
        epochs: passes over the training positions at most.
        eval_every: steps between held-out evaluations.
        eval_positions: held-out positions in the fixed evaluation sample.
        checkpoint_every: steps between checkpoints.
        workers: data-loader worker processes (0: encode in the main process).
        device: ``auto`` (a GPU when there is one), ``cpu`` or ``cuda``.
        seed: seeds the network's initialisation, the order of positions and the symmetries.
        symmetries: apply a random board symmetry to every training position.
        init_from: start from this checkpoint's weights (same net and features: fine-tuning
            or a longer run warm-started from a shorter one); the optimiser and the
            learning-rate schedule start afresh. Ignored when the run resumes.
    """

    net: str = "b6c64"
    features: str = "alphago"
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    warmup_fraction: float = 0.02
    value_weight: float = 0.25
    steps: int = 0
    max_minutes: float = 0.0
    epochs: int = 1
    eval_every: int = 500
    eval_positions: int = 10_000
    checkpoint_every: int = 1000
    workers: int = 2
    device: str = "auto"
    seed: int = 0
    symmetries: bool = True
    init_from: str = ""

    def __post_init__(self) -> None:
        if self.steps <= 0 and self.max_minutes <= 0 and self.epochs <= 0:
            raise ValueError("give steps, max_minutes or epochs: the run needs an end")
        if self.batch_size < 1:
            raise ValueError("batch_size must be positive")
