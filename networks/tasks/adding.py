"""The adding problem: a long-range memory task for recurrent networks.

Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", experiment 4; in the form used by
Le, Jaitly & Hinton (2015), "A Simple Way to Initialize Recurrent Networks of Rectified Linear
Units". Each input is a sequence of ``T`` pairs ``(value, marker)``: the values are drawn
uniformly from [0, 1]; the markers are 0 except at two steps, one in the first half of the
sequence and one in the second half. The target is the sum of the two marked values. A network
must keep the first marked value in memory across, on average, ``T / 2`` steps of distractors.

Predicting the mean, 1.0, whatever the input gives an MSE of 1/6 ~ 0.167 (the variance of the
sum of two uniforms). We call the task *solved* when the test MSE falls below
:data:`SOLVED_MSE` = 0.01, checked every ``eval_every`` training steps on a fixed test set.

Everything here is shared by the tests, ``benchmarks/components_recurrent.py`` and
``python -m networks.demo lstm``, so that our modules and torch's see the same batches, the
same head, the same optimiser and the same seeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

SOLVED_MSE = 0.01
"""Test MSE below which the adding problem counts as solved (predicting 1.0 scores 0.167)."""


def adding_problem(n: int, length: int, generator: int | torch.Generator = 0
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` adding-problem sequences of ``length`` steps.

    Parameters
    ----------
    n : number of sequences.
    length : number of time steps ``T`` (at least 2).
    generator : a seed or a ``torch.Generator`` (advanced in place, so successive calls with
        the same generator give fresh batches).

    Returns
    -------
    x : float32 tensor of shape ``(n, T, 2)``; ``x[..., 0]`` the values, ``x[..., 1]`` the markers.
    y : float32 tensor of shape ``(n,)``, the sum of the two marked values.
    """
    if length < 2:
        raise ValueError(f"length must be at least 2, got {length}")
    if not isinstance(generator, torch.Generator):
        generator = torch.Generator().manual_seed(int(generator))
    values = torch.rand(n, length, generator=generator)
    half = length // 2
    # one marker in each half, so the two marked steps are distinct and far apart on average
    first = torch.randint(0, half, (n,), generator=generator)
    second = torch.randint(half, length, (n,), generator=generator)
    markers = torch.zeros(n, length)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return torch.stack([values, markers], dim=-1), y


class LastStepRegressor(nn.Module):
    """A recurrent module followed by a linear read-out of its output at the last step.

    ``rnn`` must follow ``torch.nn.LSTM(batch_first=True)``'s contract: ``rnn(x)`` returns
    ``(output, state)`` with ``output`` of shape ``(B, T, hidden_size)``.
    """

    def __init__(self, rnn: nn.Module, hidden_size: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` of shape ``(B, T, in)`` -> predictions of shape ``(B,)``."""
        output, _ = self.rnn(x)
        return self.head(output[:, -1]).squeeze(-1)


@dataclass(frozen=True)
class AddingConfig:
    """Hyperparameters of one training run on the adding problem."""

    length: int = 50
    """Sequence length ``T``."""
    hidden_size: int = 64
    """Units per recurrent layer."""
    batch_size: int = 50
    """Fresh sequences per training step (the data stream is infinite)."""
    lr: float = 1e-3
    """Adam's learning rate."""
    clip: float = 1.0
    """Maximum global gradient norm (Pascanu et al. 2013), against exploding gradients."""
    max_steps: int = 2000
    """Training steps before giving up."""
    eval_every: int = 250
    """Steps between two measurements of the test MSE."""
    test_size: int = 1000
    """Sequences in the fixed test set."""
    threshold: float = SOLVED_MSE
    """Test MSE below which the task counts as solved."""
    stop_when_solved: bool = True
    """Stop at the first check below ``threshold`` (False: train for ``max_steps``)."""
    seed: int = 0
    """Seeds the model's initial weights, the training stream and (offset) the test set."""


@dataclass
class AddingRun:
    """What one training run measured."""

    steps: list[int] = field(default_factory=list)
    """Training steps at which the test MSE was measured (0 = before training)."""
    test_mse: list[float] = field(default_factory=list)
    """Test MSE at each of ``steps``."""
    solved_at: int | None = None
    """First measured step with test MSE below the threshold, or None if never."""
    seconds: float = 0.0
    """Wall time of the run."""


def train_adding(make_rnn: Callable[[int, int], nn.Module], config: AddingConfig) -> AddingRun:
    """Train ``make_rnn(2, hidden_size)`` plus a linear head on the adding problem.

    The model is built right after ``torch.manual_seed(config.seed)``, and the training batches
    and test set come from generators seeded from ``config.seed``: two calls with the same
    config see exactly the same data, whatever the module.
    """
    start = time.perf_counter()
    torch.manual_seed(config.seed)
    model = LastStepRegressor(make_rnn(2, config.hidden_size), config.hidden_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    stream = torch.Generator().manual_seed(config.seed)
    x_test, y_test = adding_problem(config.test_size, config.length, 10_000 + config.seed)
    run = AddingRun()
    for step in range(config.max_steps + 1):
        if step % config.eval_every == 0 and _check(model, x_test, y_test, step, run, config):
            break
        if step == config.max_steps:
            break
        x, y = adding_problem(config.batch_size, config.length, stream)
        _train_step(model, optimizer, x, y, config.clip)
    run.seconds = time.perf_counter() - start
    return run


def _train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                y: torch.Tensor, clip: float) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()


def _check(model: nn.Module, x_test: torch.Tensor, y_test: torch.Tensor, step: int,
           run: AddingRun, config: AddingConfig) -> bool:
    """Record the test MSE at ``step``; True if training should stop (solved)."""
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(x_test), y_test).item()
    run.steps.append(step)
    run.test_mse.append(mse)
    if run.solved_at is None and mse < config.threshold:
        run.solved_at = step
    return run.solved_at is not None and config.stop_when_solved
