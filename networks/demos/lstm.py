"""LSTM against a plain (Elman) RNN on the adding problem: test-MSE learning curves.

The LSTM's cell state carries the first marked value across the sequence and its error drops
to near zero; the plain RNN's stays at the 1/6 of guessing the mean, because the gradient that
should tie the target to a value many steps back vanishes on the way (Hochreiter &
Schmidhuber 1997). The full demo uses the benchmark's settings at T = 50 (about three minutes
of CPU); ``quick`` a short sequence and a larger learning rate (a few seconds).
"""

from __future__ import annotations

from pathlib import Path

from networks.deep.recurrent import LSTM, ElmanRNN
from networks.tasks.adding import SOLVED_MSE, AddingConfig, train_adding

FULL = AddingConfig(length=50, hidden_size=64, batch_size=50, lr=1e-3, max_steps=4000,
                    eval_every=100, test_size=500, stop_when_solved=False)
QUICK = AddingConfig(length=10, hidden_size=32, batch_size=50, lr=1e-2, max_steps=300,
                     eval_every=25, test_size=256, stop_when_solved=False)
MODELS = {
    "LSTM": lambda i, h: LSTM(i, h),
    "Elman RNN": lambda i, h: ElmanRNN(i, h),
}


def main(out_dir: Path, quick: bool = False) -> Path:
    """Train each model on the same batches, plot its test MSE against steps, save ``lstm.png``."""
    import matplotlib.pyplot as plt

    config = QUICK if quick else FULL
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, make in MODELS.items():
        run = train_adding(make, config)
        label = name + (f" (solved at step {run.solved_at})" if run.solved_at is not None else "")
        ax.semilogy(run.steps, run.test_mse, marker=".", label=label)
    ax.axhline(1 / 6, color="grey", linestyle="--", label="always predict 1.0 (MSE 1/6)")
    ax.axhline(SOLVED_MSE, color="green", linestyle=":", label=f"solved (MSE {SOLVED_MSE})")
    ax.set_xlabel("training step (batches of 50 sequences)")
    ax.set_ylabel("test MSE")
    ax.set_title(f"Adding problem, T = {config.length}: LSTM vs plain RNN")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(out_dir) / "lstm.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
