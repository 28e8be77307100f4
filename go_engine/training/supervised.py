"""Supervised training of the policy/value network on expert games (AlphaGo's SL stage).

After Silver et al. 2016 (Methods, "Supervised learning of policy networks" and "Reinforcement
learning of value networks"), with the single dual-head network of AlphaGo Zero (Silver et al.
2017): the policy head learns the expert's move by cross-entropy, the value head the game's
result by mean squared error. AlphaGo found that a value net trained on every position of
whole expert games memorises the games (successive positions share their outcome), so the
value loss is weighted down here (``value_weight``, 0.25 by default) rather than given equal
say; the held-out MSE shows whether it still overfits.

The loop, one step at a time:

1. a :class:`~go_engine.training.sl_data.PositionBatches` loader hands over batch ``b`` of
   the epoch (planes encoded in worker processes, random symmetry applied);
2. forward and backward under ``bfloat16`` autocast on a GPU (fp32 on the CPU), AdamW;
3. the learning rate follows a linear warm-up and a cosine decay over the run's *progress*,
   the larger of steps done / ``steps`` and time spent / ``max_minutes``, so a run bounded by
   the clock still anneals to the end;
4. every ``eval_every`` steps: held-out accuracy and value MSE on a fixed sample of positions
   from whole held-out games, logged to TensorBoard (when installed) and ``metrics.jsonl``;
5. every ``checkpoint_every`` steps and at the end: an atomic checkpoint ``latest.pt`` with
   the optimiser, the position in the epoch and the time spent, so ``train-sl`` run again
   with the same ``--out`` resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from go_engine.data.dataset import GameDataset
from go_engine.features import FeatureSet, get_feature_set
from go_engine.training.sl_config import SLConfig
from go_engine.training.sl_data import (
    BatchPlan,
    PositionBatches,
    encode_positions,
    sample_positions,
)
from networks.go.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from networks.go.inference import resolve_device
from networks.go.policy_value import NetConfig, PolicyValueNet

LATEST = "latest.pt"
MODEL = "model.pt"
METRICS = "metrics.jsonl"


@dataclass
class TrainState:
    """Where a run stands; saved in every checkpoint."""

    step: int = 0
    epoch: int = 0
    batch: int = 0  # the next batch of the epoch
    seconds: float = 0.0  # training time spent over all sessions
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HeldOut:
    """A fixed sample of held-out positions, encoded once."""

    planes: torch.Tensor
    targets: torch.Tensor
    values: torch.Tensor
    value_mask: torch.Tensor

    @classmethod
    def encode(cls, dataset: GameDataset, games: np.ndarray, moves: np.ndarray,
               feature_set: FeatureSet) -> HeldOut:
        """Encode the positions (``games[i]``, ``moves[i]``), as played (no symmetry)."""
        arrays = encode_positions(dataset, games, moves, feature_set)
        return cls(*(torch.from_numpy(arrays[k])
                     for k in ("planes", "targets", "values", "value_mask")))


def progress_of(config: SLConfig, state: TrainState, steps_per_epoch: int) -> float:
    """How far the run is, in [0, 1]: the largest of its step, time and epoch fractions."""
    fractions = []
    if config.steps > 0:
        fractions.append(state.step / config.steps)
    if config.max_minutes > 0:
        fractions.append(state.seconds / (60.0 * config.max_minutes))
    if config.epochs > 0 and steps_per_epoch > 0:
        fractions.append(state.step / (config.epochs * steps_per_epoch))
    return min(max(fractions), 1.0)


def learning_rate(config: SLConfig, progress: float) -> float:
    """Linear warm-up to the peak, then a cosine decay to zero at progress 1."""
    if progress < config.warmup_fraction:
        return config.learning_rate * progress / config.warmup_fraction
    rest = (progress - config.warmup_fraction) / max(1.0 - config.warmup_fraction, 1e-9)
    return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(rest, 1.0)))


def losses(model: torch.nn.Module, batch: dict[str, torch.Tensor], value_weight: float
           ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The training loss of a batch and its parts (policy cross-entropy, value MSE)."""
    logits, values = model(batch["planes"])
    policy_loss = F.cross_entropy(logits.float(), batch["targets"])
    mask = batch["value_mask"]
    value_loss = ((values.float() - batch["values"]) ** 2 * mask).sum() / mask.sum().clamp(min=1)
    return policy_loss + value_weight * value_loss, {"policy_loss": policy_loss,
                                                     "value_loss": value_loss}


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """Move a batch to ``device``; the 0/1 planes become floats there."""
    moved = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    moved["planes"] = moved["planes"].float().contiguous(memory_format=torch.channels_last)
    return moved


def evaluate(model: torch.nn.Module, heldout: HeldOut, device: torch.device,
             batch_size: int = 1024) -> dict[str, float]:
    """Top-1/top-5 accuracy, policy loss and value MSE of ``model`` on ``heldout``.

    The value MSE is reported twice: on outcomes in {-1, +1} (``value_mse``) and divided by 4
    (``value_mse01``, outcomes in {0, 1}), the scale on which AlphaGo reported 0.234 (Silver et
    al. 2017 compare on that scale).
    """
    return evaluate_with_moves(model, heldout, device, batch_size)[0]


@torch.no_grad()
def evaluate_with_moves(model: torch.nn.Module, heldout: HeldOut, device: torch.device,
                        batch_size: int = 1024) -> tuple[dict[str, float], np.ndarray]:
    """:func:`evaluate`'s figures and the move ``model`` ranks first on each position, from
    the same pass (two models' moves compare without running either again)."""
    model.eval()
    moves = []
    top1 = top5 = 0.0
    policy_loss = value_se = value_count = 0.0
    count = len(heldout.targets)
    for start in range(0, count, batch_size):
        part = {"planes": heldout.planes[start:start + batch_size],
                "targets": heldout.targets[start:start + batch_size],
                "values": heldout.values[start:start + batch_size],
                "value_mask": heldout.value_mask[start:start + batch_size]}
        part = to_device(part, device)
        with _autocast(device):
            logits, values = model(part["planes"])
        logits = logits.float()
        best = logits.topk(5, dim=1).indices
        targets = part["targets"]
        moves.append(best[:, 0].cpu().numpy())
        top1 += (best[:, 0] == targets).sum().item()
        top5 += (best == targets[:, None]).any(dim=1).sum().item()
        policy_loss += F.cross_entropy(logits, targets, reduction="sum").item()
        mask = part["value_mask"]
        value_se += (((values.float() - part["values"]) ** 2) * mask).sum().item()
        value_count += mask.sum().item()
    model.train()
    mse = value_se / max(value_count, 1.0)
    metrics = {"top1": top1 / max(count, 1), "top5": top5 / max(count, 1),
               "policy_loss": policy_loss / max(count, 1), "value_mse": mse,
               "value_mse01": mse / 4.0, "positions": float(count)}
    return metrics, np.concatenate(moves) if moves else np.zeros(0, np.int64)


def _autocast(device: torch.device):
    """bfloat16 autocast on a GPU; nothing on the CPU (fp32 is faster there)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


class _Logger:
    """Metrics to ``metrics.jsonl`` and, when the package is installed, to TensorBoard."""

    def __init__(self, out: Path) -> None:
        self.path = out / METRICS
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self.writer = None
            print("TensorBoard logging is off (pip install tensorboard); metrics go to "
                  f"{self.path}", flush=True)
        else:
            self.writer = SummaryWriter(str(out / "tensorboard"))

    def log(self, step: int, prefix: str, values: dict[str, float]) -> None:
        with self.path.open("a") as file:
            file.write(json.dumps({"step": step, "set": prefix, **values}) + "\n")
        if self.writer is not None:
            for name, value in values.items():
                self.writer.add_scalar(f"{prefix}/{name}", value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Trainer:
    """Everything one training run holds; :meth:`run` trains until the config says stop.

    Args:
        config: the run's settings.
        dataset: the games (one board size).
        train_games, heldout_games: indices of the training and held-out games.
        out: the run's folder (checkpoints, metrics, TensorBoard).
        report: called with a one-line status after every evaluation (printing by default).
    """

    config: SLConfig
    dataset: GameDataset
    train_games: np.ndarray
    heldout_games: np.ndarray
    out: Path
    report: Callable[[str], None] = print
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        torch.manual_seed(self.config.seed)
        self.device = resolve_device(self.config.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # one input shape: let cuDNN pick its kernels
        self.feature_set: FeatureSet = get_feature_set(self.config.features)
        self.net_config = NetConfig.named(self.config.net,
                                          in_planes=self.feature_set.num_planes)
        self.model = PolicyValueNet(self.net_config).to(self.device)
        self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.AdamW(self.model.parameters(),
                                           lr=self.config.learning_rate,
                                           weight_decay=self.config.weight_decay)
        self.state = TrainState()
        self.batches = PositionBatches(self.dataset, self.train_games, self.feature_set,
                                       BatchPlan(self.config.batch_size, self.config.seed,
                                                 self.config.symmetries))
        self.out.mkdir(parents=True, exist_ok=True)
        self._resume()
        if self.state.step == 0 and self.config.init_from:
            self._load_weights(Path(self.config.init_from))
        self.heldout = self._heldout_sample()

    # -- state -------------------------------------------------------------------------------

    def _matching_checkpoint(self, path: Path, hint: str) -> Checkpoint:
        """The checkpoint at ``path``, refused unless it holds this run's net and features."""
        checkpoint = load_checkpoint(path, map_location=self.device,
                                     expect_features=(self.feature_set.name,
                                                      self.feature_set.version))
        if checkpoint.net_config != self.net_config:
            raise ValueError(f"{path} holds a {checkpoint.net_config} network, not the "
                             f"{self.config.net} asked for; {hint}")
        return checkpoint

    def _load_weights(self, path: Path) -> None:
        checkpoint = self._matching_checkpoint(path, "give the --net it was trained as")
        self.model.load_state_dict(checkpoint.model.state_dict())
        self.report(f"starting from the weights of {path} (step {checkpoint.step})")

    def _resume(self) -> None:
        path = self.out / LATEST
        if not path.exists():
            return
        checkpoint = self._matching_checkpoint(path, "use another --out")
        self.model.load_state_dict(checkpoint.model.state_dict())
        if checkpoint.optimizer_state is not None:
            self.optimizer.load_state_dict(checkpoint.optimizer_state)
        saved = checkpoint.extra.get("train_state", {})
        self.state = TrainState(**saved)
        self.report(f"resumed from {path}: step {self.state.step}, epoch {self.state.epoch}, "
                    f"batch {self.state.batch}, {self.state.seconds / 60:.1f} min trained")

    def save(self, name: str = LATEST) -> Path:
        """Write a checkpoint (atomically) and return its path."""
        path = self.out / name
        save_checkpoint(path, self.model, net_config=self.net_config,
                        feature_set=self.feature_set.name,
                        feature_version=self.feature_set.version,
                        optimizer_state=self.optimizer.state_dict(), step=self.state.step,
                        extra={"train_state": asdict(self.state),
                               "sl_config": asdict(self.config), **self.info})
        return path

    def save_model(self, name: str = MODEL) -> Path:
        """Write the weights alone (no optimiser state): the file ``--network`` takes."""
        path = self.out / name
        save_checkpoint(path, self.model, net_config=self.net_config,
                        feature_set=self.feature_set.name,
                        feature_version=self.feature_set.version, step=self.state.step,
                        extra={"metrics": self.state.metrics, "sl_config": asdict(self.config),
                               **self.info})
        return path

    def _heldout_sample(self) -> HeldOut:
        games, moves = sample_positions(self.dataset, self.heldout_games,
                                        self.config.eval_positions, seed=self.config.seed)
        return HeldOut.encode(self.dataset, games, moves, self.feature_set)

    # -- the loop ----------------------------------------------------------------------------

    def _loader(self) -> torch.utils.data.DataLoader:
        self.batches.set_epoch(self.state.epoch)
        order = range(self.state.batch, len(self.batches))
        workers = self.config.workers
        return torch.utils.data.DataLoader(
            self.batches, batch_size=None, sampler=order, num_workers=workers,
            pin_memory=self.device.type == "cuda", persistent_workers=False,
            prefetch_factor=4 if workers else None,
            worker_init_fn=_quiet_worker if workers else None)

    def _done(self) -> bool:
        return progress_of(self.config, self.state, len(self.batches)) >= 1.0

    def run(self, on_step: Callable[[TrainState], None] | None = None) -> dict[str, float]:
        """Train until the config's end; returns the final held-out metrics."""
        config = self.config
        if len(self.batches) == 0:
            raise ValueError("fewer training positions than one batch")
        logger = _Logger(self.out)
        self.model.train()
        window = {"policy_loss": 0.0, "value_loss": 0.0, "count": 0}
        try:
            while not self._done():
                clock = time.perf_counter()
                for batch in self._loader():
                    self._step(to_device(batch, self.device), window)
                    now = time.perf_counter()
                    self.state.seconds += now - clock
                    clock = now
                    if on_step is not None:
                        on_step(self.state)
                    if self.state.step % config.eval_every == 0:
                        self._evaluate(logger, window)
                    if self.state.step % config.checkpoint_every == 0:
                        self.save()
                    if self._done():
                        break
                if self.state.batch >= len(self.batches):
                    self.state.epoch += 1
                    self.state.batch = 0
            evaluated_now = self.state.step % config.eval_every == 0 and self.state.metrics
            metrics = self.state.metrics if evaluated_now else self._evaluate(logger, window)
        finally:
            logger.close()
        self.save()
        return metrics

    def _step(self, batch: dict[str, torch.Tensor], window: dict[str, float]) -> None:
        progress = progress_of(self.config, self.state, len(self.batches))
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.config, progress)
        with _autocast(self.device):
            loss, parts = losses(self.model, batch, self.config.value_weight)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.state.step += 1
        self.state.batch += 1
        # Summed on the device: reading a number back every step would stall the GPU's queue.
        window["policy_loss"] += parts["policy_loss"].detach()
        window["value_loss"] += parts["value_loss"].detach()
        window["count"] += 1

    def _evaluate(self, logger: _Logger, window: dict[str, float]) -> dict[str, float]:
        metrics = evaluate(self.model, self.heldout, self.device)
        count = max(window["count"], 1)
        train = {"policy_loss": float(window["policy_loss"]) / count,
                 "value_loss": float(window["value_loss"]) / count}
        window.update(policy_loss=0.0, value_loss=0.0, count=0)
        rate = self.state.step * self.config.batch_size / max(self.state.seconds, 1e-9)
        logger.log(self.state.step, "train", {**train, "positions_per_second": rate,
                                              "learning_rate": self.optimizer.param_groups[0]
                                              ["lr"]})
        logger.log(self.state.step, "heldout", metrics)
        self.state.metrics = metrics
        self.report(f"step {self.state.step} epoch {self.state.epoch} "
                    f"train policy {train['policy_loss']:.3f} value {train['value_loss']:.3f} | "
                    f"held-out top1 {metrics['top1']:.3f} top5 {metrics['top5']:.3f} "
                    f"value mse {metrics['value_mse']:.3f} | {rate:.0f} positions/s")
        return metrics


def _quiet_worker(worker_id: int) -> None:
    """One torch thread per worker: the workers' parallelism is the processes."""
    torch.set_num_threads(1)
