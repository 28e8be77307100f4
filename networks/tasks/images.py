"""The digits as small images for the convolutional networks, and their training protocol.

The 8x8 digits of :func:`networks.tasks.digits.load_digits_split` (same stratified 70/30 split)
are upsampled bilinearly to ``size x size`` (32x32 by default: LeNet-5's input size) and
returned as torch tensors of shape ``(N, 1, size, size)`` with pixels in [0, 1]. Upsampling adds
no information; it gives the networks the input size their papers were designed for.

:func:`random_shifts` is the augmentation (each image moved by a few pixels, zeros shifted in),
and :func:`train_classifier` the one training loop that our networks and the references share,
so that both sides of a benchmark see the same batches, shifts and schedule for the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from networks.tasks.digits import load_digits_split


def upsample(X: np.ndarray, size: int = 32) -> torch.Tensor:
    """``(N, 64)`` flat 8x8 digits -> ``(N, 1, size, size)`` float32 images (bilinear)."""
    images = torch.as_tensor(np.asarray(X, dtype=np.float32)).reshape(-1, 1, 8, 8)
    if size == 8:
        return images.clone()
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def load_digit_images(size: int = 32, test_size: float = 0.3, seed: int = 0
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``X_train, X_test, y_train, y_test``: the digits split upsampled to ``size x size``.

    Images are float32 ``(N, 1, size, size)`` in [0, 1]; labels int64 ``(N,)``. The split is
    :func:`~networks.tasks.digits.load_digits_split`'s (1,257 training and 540 test images for
    the default 70/30).
    """
    X_train, X_test, y_train, y_test = load_digits_split(test_size=test_size, seed=seed)
    return (upsample(X_train, size), upsample(X_test, size),
            torch.as_tensor(y_train, dtype=torch.int64), torch.as_tensor(y_test, dtype=torch.int64))


def random_shifts(images: torch.Tensor, max_shift: int,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image moved by its own random ``(dy, dx)`` in ``[-max_shift, max_shift]``.

    Pixels shifted in from outside are zero (the background), so no digit wraps around.
    ``images`` is ``(N, C, H, W)``; the result has the same shape.
    """
    if max_shift <= 0:
        return images
    n, _, h, w = images.shape
    s = max_shift
    padded = F.pad(images, (s, s, s, s))
    offsets = torch.randint(0, 2 * s + 1, (n, 2), generator=generator)
    rows = offsets[:, :1] + torch.arange(h)  # (N, H): the rows each output row reads
    cols = offsets[:, 1:] + torch.arange(w)  # (N, W)
    batch = torch.arange(n)[:, None, None]
    # advanced indexing puts the indexed dimensions first: (N, H, W, C) -> (N, C, H, W)
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


@dataclass(frozen=True)
class TrainConfig:
    """How a classifier is trained on the digit images (shared by ours and the reference)."""

    epochs: int = 20
    """Passes over the training images."""
    batch_size: int = 64
    """Images per gradient step; the last, smaller batch of an epoch is kept."""
    optimizer: str = "adam"
    """``"adam"`` or ``"sgd"`` (SGD with momentum, as in the ResNet paper)."""
    lr: float = 1e-3
    """Peak learning rate, annealed to zero along a cosine after the warm-up."""
    warmup_epochs: float = 0.0
    """Epochs over which the learning rate first rises linearly from zero to ``lr`` (He et al.
    2016 start ResNet-110 at a tenth of the rate for the same reason: early divergence)."""
    momentum: float = 0.9
    """SGD momentum (ignored by Adam)."""
    weight_decay: float = 0.0
    """L2 penalty coefficient (coupled, as torch's SGD and Adam apply it)."""
    max_shift: int = 0
    """Random-shift augmentation in pixels of the training images (0: none)."""
    seed: int = 0
    """Seed of the batch order, the shifts and dropout."""


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr,
                                weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', not {config.optimizer!r}")


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """Learning-rate factor at ``step``: linear from 0 to 1 over ``warmup`` steps, then a
    half cosine from 1 to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def train_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                     config: TrainConfig) -> list[float]:
    """Train ``model`` (images -> logits) with cross-entropy; return the mean training loss of
    every epoch (measured on the augmented batches as they were trained on).

    The learning rate rises linearly over ``config.warmup_epochs``, then follows a cosine from
    ``config.lr`` to zero (Loshchilov & Hutter, 2017), which makes short budgets reliable.
    """
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout draws from torch's global generator
    optimizer = _optimizer(model, config)
    steps_per_epoch = -(-len(X) // config.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, partial(
        warmup_cosine, warmup=round(config.warmup_epochs * steps_per_epoch),
        total=config.epochs * steps_per_epoch))
    history = []
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(X), generator=generator)
        total = 0.0
        for start in range(0, len(X), config.batch_size):
            index = order[start:start + config.batch_size]
            images = random_shifts(X[index], config.max_shift, generator)
            loss = F.cross_entropy(model(images), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
        history.append(total / len(X))
    return history


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
             batch_size: int = 256) -> tuple[float, float]:
    """``(mean cross-entropy, accuracy)`` of ``model`` in eval mode on ``(X, y)``."""
    was_training = model.training
    model.eval()
    loss, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        logits = model(X[start:start + batch_size])
        target = y[start:start + batch_size]
        loss += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    model.train(was_training)
    return loss / len(X), correct / len(X)
