"""ResNet vs plain networks: training-loss curves that show the degradation problem.

He et al. (2016), Section 4.1 and Fig. 1/6: a deeper *plain* network trains worse than a
shallower one (its training loss is higher, so this is not overfitting), while the residual
network of the same depth trains at least as well as the shallow one. Here the networks learn
the 8x8 digits with the same optimizer, schedule, seed and number of steps; the picture shows
each one's training loss per epoch (solid: residual, dashed: plain).
"""

from __future__ import annotations

from pathlib import Path

import torch

from networks.deep.resnet import ResNet
from networks.tasks.images import TrainConfig, load_digit_images, train_classifier


def _curves(depths: tuple[int, ...], images: int, config: TrainConfig
            ) -> dict[tuple[int, bool], list[float]]:
    """Training-loss history of ResNet and plain net at every depth, on ``images`` digits."""
    X, _, y, _ = load_digit_images(size=8)
    X, y = X[:images], y[:images]
    curves = {}
    for depth in depths:
        for shortcut in (True, False):
            torch.manual_seed(config.seed)
            # residual blocks start as the identity (a plain block cannot: it would output 0)
            model = ResNet(depth, num_classes=10, in_channels=1, shortcut=shortcut,
                           zero_init_residual=True)
            curves[depth, shortcut] = train_classifier(model, X, y, config)
    return curves


def main(out_dir: Path, quick: bool = False) -> Path:
    """Train residual and plain networks of two depths and save their loss curves."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator

    if quick:  # a smoke run: shallow nets and a few steps, too short to show degradation
        depths, images = (8, 14), 128
        config = TrainConfig(epochs=4, batch_size=32, optimizer="sgd", lr=0.1,
                             weight_decay=1e-4, warmup_epochs=1, max_shift=1)
    else:
        depths, images = (20, 56), 1257
        config = TrainConfig(epochs=12, batch_size=64, optimizer="sgd", lr=0.1,
                             weight_decay=1e-4, warmup_epochs=1, max_shift=1)
    curves = _curves(depths, images, config)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = dict(zip(depths, ("tab:blue", "tab:red"), strict=False))
    for (depth, shortcut), history in curves.items():
        epochs = range(1, len(history) + 1)
        label = f"{'ResNet' if shortcut else 'plain'}-{depth}"
        ax.plot(epochs, history, color=colours[depth], linestyle="-" if shortcut else "--",
                marker="o" if shortcut else "x", label=label)
    losses = [loss for history in curves.values() for loss in history]
    if max(losses) > 10 * min(losses):  # a log scale only pays when losses span decades
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    title = "Degradation: deeper plain nets train worse; shortcuts fix it (He et al. 2016)"
    if quick:
        title = "Smoke run (too few steps to show degradation)"
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.tight_layout()
    path = out_dir / "resnet.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
