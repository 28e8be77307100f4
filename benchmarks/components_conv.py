"""Convolutional networks on the digits: LeNet-5, a small AlexNet, ResNet and its plain twins.

References. torchvision is not a dependency, so each of our LeNet-5 and AlexNet modules is
compared with the same architecture written compactly from plain ``torch.nn`` layers
(``nn.Sequential`` of ``nn.Conv2d``, ``nn.AvgPool2d``, ...; torch's default initialisation),
trained on the same images, batches, shifts, optimizer, schedule and seeds. Our classic LeNet-5
differs from its reference where the paper does (scaled tanh, trainable subsampling, C3's
partial connection table, LeCun's initialisation). For ResNet the comparison is the paper's
own: the plain networks of the same depths, trained identically.

Budget. Everything runs single-threaded on a shared 2-core machine, so the tasks are sized to
take minutes: LeNet-5 and AlexNet see the digits upsampled to 32x32; the four ResNets of the
degradation experiment (depth 20 and 56, residual and plain) see the raw 8x8 digits, because
at 32x32 one epoch of ResNet-56 costs 16 times as much, and ResNet-20's accuracy is measured
at 16x16. ``quick`` shrinks every task to a smoke run.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from components_common import Row, stopwatch
from torch import nn

from networks.deep.alexnet import AlexNet
from networks.deep.lenet import LeNet5
from networks.deep.resnet import ResNet
from networks.tasks.images import TrainConfig, evaluate, load_digit_images, train_classifier

SEED = 0
Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _fit(make: Callable[[], nn.Module], data: Data, config: TrainConfig
         ) -> tuple[nn.Module, float]:
    """Build ``make()`` under the task's seed, train it; return it and the seconds taken."""
    X_train, _, y_train, _ = data
    torch.manual_seed(config.seed)
    model = make()
    with stopwatch() as elapsed:
        train_classifier(model, X_train, y_train, config)
    return model, elapsed()


def _test_accuracy(make: Callable[[], nn.Module], data: Data, config: TrainConfig
                   ) -> tuple[float, float]:
    model, seconds = _fit(make, data, config)
    _, accuracy = evaluate(model, data[1], data[3])
    return accuracy, seconds


# -- LeNet-5 ---------------------------------------------------------------------------------

def reference_lenet5() -> nn.Sequential:
    """LeNet-5 as usually written with torch.nn: tanh, average pooling, full C3."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def lenet5(quick: bool) -> list[Row]:
    """Classic LeNet-5 on 32x32 digits, without and with random shifts of up to 3 pixels."""
    data = load_digit_images(size=32, seed=SEED)
    if quick:
        data = (data[0][:256], data[1][:200], data[2][:256], data[3][:200])
    rows = []
    for shift, bar, issue in ((0, 0.96, 0.973), (3, 0.985, 0.992)):
        config = TrainConfig(epochs=2 if quick else 30, batch_size=64, optimizer="adam",
                             lr=2e-3, max_shift=shift, seed=SEED)
        ours, seconds = _test_accuracy(lambda: LeNet5(form="classic"), data, config)
        reference, _ = _test_accuracy(reference_lenet5, data, config)
        task = "digits 32x32, 70/30" + (f", shifts +-{shift}px" if shift else "")
        rows.append(Row("LeNet5", task, "test accuracy", f"{ours:.3f}",
                        f"{reference:.3f} nn.Sequential (issue: {issue})", f">= {bar}",
                        ours >= bar, seconds))
    return rows


# -- AlexNet ---------------------------------------------------------------------------------

ALEXNET_WIDTH = 0.125  # 12-32-48-48-32 kernels, 512-unit hidden layers


def reference_alexnet(width: float = ALEXNET_WIDTH) -> nn.Sequential:
    """The same small single-tower AlexNet for 1x32x32 images from plain torch.nn layers."""
    c1, c2, c3, c4, c5 = (round(c * width) for c in (96, 256, 384, 384, 256))
    hidden = round(4096 * width)
    return nn.Sequential(
        nn.Conv2d(1, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(),
        nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(c5 * 3 * 3, hidden), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def alexnet(quick: bool) -> list[Row]:
    """A width-1/8 AlexNet on 32x32 digits with random shifts of up to 2 pixels."""
    data = load_digit_images(size=32, seed=SEED)
    if quick:
        data = (data[0][:256], data[1][:200], data[2][:256], data[3][:200])
    config = TrainConfig(epochs=2 if quick else 20, batch_size=64, optimizer="adam", lr=1e-3,
                         max_shift=2, seed=SEED)
    ours, seconds = _test_accuracy(
        lambda: AlexNet(10, in_channels=1, image_size=32, width=ALEXNET_WIDTH), data, config)
    reference, _ = _test_accuracy(reference_alexnet, data, config)
    return [Row("AlexNet", f"digits 32x32, 70/30, width {ALEXNET_WIDTH}, shifts +-2px",
                "test accuracy", f"{ours:.3f}",
                f"{reference:.3f} nn.Sequential (issue: 0.986)", ">= 0.975", ours >= 0.975,
                seconds)]


# -- ResNet ----------------------------------------------------------------------------------

def _resnet_runs(depths: tuple[int, ...], size: int, config: TrainConfig, quick: bool, *,
                 shortcuts: tuple[bool, ...] = (True, False), zero_init: bool = True
                 ) -> dict[str, tuple[float, float, float]]:
    """``"ResNet-20"``/``"plain-20"``/... ``-> (training loss, test accuracy, seconds)``.

    The training loss is the cross-entropy in eval mode on the whole (unshifted) training
    set after the same number of steps for every network.
    """
    data = load_digit_images(size=size, seed=SEED)
    if quick:
        data = (data[0][:256], data[1][:200], data[2][:256], data[3][:200])
    runs = {}
    for depth in depths:
        for shortcut in shortcuts:
            name = f"{'ResNet' if shortcut else 'plain'}-{depth}"
            model, seconds = _fit(lambda d=depth, s=shortcut: ResNet(
                d, 10, 1, shortcut=s, zero_init_residual=zero_init), data, config)
            train_loss, _ = evaluate(model, data[0], data[2])
            _, accuracy = evaluate(model, data[1], data[3])
            runs[name] = (train_loss, accuracy, seconds)
    return runs


def _resnet_config(quick: bool) -> TrainConfig:
    """The paper's optimizer (SGD, momentum 0.9, lr 0.1, weight decay 1e-4), short budget."""
    return TrainConfig(epochs=2 if quick else 15, batch_size=64, optimizer="sgd", lr=0.1,
                       weight_decay=1e-4, warmup_epochs=1, max_shift=1, seed=SEED)


def resnet(quick: bool) -> list[Row]:
    """The degradation problem and its removal by shortcuts (He et al. 2016, Section 4.1),
    then ResNet-20's test accuracy.

    Degradation: depth 20 and 56, residual and plain, on the 8x8 digits. Residual blocks
    start as the identity there (``zero_init_residual``, Goyal et al. 2017; a plain block
    cannot, it would output zeros): with the paper's init ResNet-56 diverges early at lr 0.1
    and does not recover within this short budget. Accuracy: ResNet-20 with the paper's init
    and its plain twin on the digits upsampled to 16x16 (at 8x8 it reaches about 0.98).
    """
    shallow, deep = (8, 14) if quick else (20, 56)
    config = _resnet_config(quick)
    runs = _resnet_runs((shallow, deep), 8, config, quick)
    accuracy_runs = _resnet_runs((shallow,), 16, config, quick, zero_init=False)
    loss = {name: run[0] for name, run in runs.items()}
    p_s, p_d = loss[f"plain-{shallow}"], loss[f"plain-{deep}"]
    r_s, r_d = loss[f"ResNet-{shallow}"], loss[f"ResNet-{deep}"]
    accuracy = {name: run[1] for name, run in accuracy_runs.items()}
    task = f"digits 8x8, 70/30, {config.epochs} epochs each"
    return [
        Row("ResNet", task, f"train loss plain-{deep} vs plain-{shallow}",
            f"{p_d:.3f} vs {p_s:.3f}", "issue: 1.45 vs 0.05",
            "deep plain > 2x shallow plain (degradation)", p_d > 2 * p_s,
            runs[f"plain-{deep}"][2] + runs[f"plain-{shallow}"][2]),
        Row("ResNet", task, f"train loss ResNet-{deep} vs ResNet-{shallow}",
            f"{r_d:.3f} vs {r_s:.3f}", f"plain-{deep} {p_d:.3f} (issue: ResNet-56 0.14)",
            f"ResNet-{deep} <= max(2x, +0.05) ResNet-{shallow}, < plain-{deep} / 2",
            r_d <= max(2 * r_s, r_s + 0.05) and r_d < p_d / 2,
            runs[f"ResNet-{deep}"][2] + runs[f"ResNet-{shallow}"][2]),
        Row("ResNet", "digits 16x16, 70/30, shifts +-1px", f"ResNet-{shallow} test accuracy",
            f"{accuracy[f'ResNet-{shallow}']:.3f}", f"plain-{shallow} "
            f"{accuracy[f'plain-{shallow}']:.3f}", ">= 0.99",
            accuracy[f"ResNet-{shallow}"] >= 0.99, accuracy_runs[f"ResNet-{shallow}"][2]),
    ]


TASKS: dict[str, Callable[[bool], list[Row]]] = {
    "LeNet5": lenet5,
    "AlexNet": alexnet,
    "ResNet": resnet,
}
