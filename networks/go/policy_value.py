"""The Go engine's policy/value networks: a residual tower with two board-size-free heads, and
AlphaGo's separate policy and value networks as configurations of the same building blocks.

Conventions
-----------
* Input: ``x`` of shape ``[B, C, N, N]`` float, ``C = config.in_planes`` feature planes from the
  engine (this package never imports ``go_engine``: the planes are just numbers here). Nothing
  outside the board is fed in: the zero padding of every 3x3 convolution is where the edge is.
  Feature sets usually include a plane of ones, which turns that padding into a visible edge.
* Output: ``(policy_logits, value)``. ``policy_logits`` is ``[B, N*N + 1]``: point ``(row,
  col)`` at index ``row * N + col`` (row-major, the engine's flat index), **pass last** at
  index ``N*N``. Logits are unnormalized (apply ``log_softmax``). ``value`` is ``[B]`` in
  ``[-1, 1]``, the expected outcome **for the player to move** (+1: the mover wins).

The residual network (``kind="resnet"``)
----------------------------------------
AlphaGo Zero's dual-head tower (Silver et al., 2017): a 3x3 stem with batch norm and ReLU,
``blocks`` residual blocks of ``channels`` channels (:class:`networks.deep.resnet.BasicBlock`),
then a policy head and a value head. AlphaGo Zero's heads end in fully connected layers over
the ``N*N`` points, which ties the weights to one board size. Here both heads follow KataGo
(Wu, 2019, "Accelerating Self-Play Learning in Go", arXiv:1902.10565, Section 3.3) instead:

* **global pooling** (:func:`global_pool`): for each channel, the mean over the board, the mean
  times ``(sqrt(N*N) - 14) / 10`` (KataGo's board-size term: -0.5 on 9x9, +0.5 on 19x19, so a
  head can tell board sizes apart) and the max over the board. Three numbers per channel,
  whatever ``N`` is.
* **policy head**: conv1x1 -> BN -> ReLU gives ``policy_channels`` maps; their pooled summary
  goes through a linear layer and is added back as one bias per channel (board-wide context,
  such as "a ladder breaker exists" or "the game is nearly over", reaches every point), then
  ReLU and a conv1x1 to one map: the ``N*N`` point logits. The pass logit is a linear function
  of the same pooled summary.
* **value head**: conv1x1 -> BN -> ReLU -> global pooling -> linear -> ReLU -> linear -> tanh.

Every layer is convolutional or acts on pooled features, so one set of weights plays 7x7 to
19x19 (KataGo trains on mixed sizes; a net trained on one size still runs on the others, with
whatever strength transfers).

Named sizes
-----------
``NetConfig.named("b6c64", in_planes=48)``: ``blocks`` residual blocks of ``channels``
channels, heads of 32/32 maps and 128 hidden units. Learned parameters with 48 input planes:

=======  ==========  =============================================================
name     parameters  use
=======  ==========  =============================================================
b2c16        33,218  tests
b6c64       491,682  CPU play, quick experiments
b10c128   3,033,890
b15c192  10,076,322  the size of Leela Zero's and KataGo's 15-block, 192-filter nets
b20c256  23,756,834  the size of AlphaGo Zero's 20-block, 256-filter network
=======  ==========  =============================================================

AlphaGo's networks (``kind="alphago_policy"`` and ``"alphago_value"``)
--------------------------------------------------------------------
Silver et al. (2016), "Mastering the game of Go with deep neural networks and tree search",
Nature 529, Methods "Neural network architecture": a plain (no shortcut) stack of a 5x5
convolution with ``k`` filters, then ``layers - 2`` 3x3 convolutions with ``k`` filters, each
followed by ReLU. ``blocks`` counts those 3x3 layers here and ``channels`` is ``k``; see
:meth:`NetConfig.alphago_policy`.

* policy: a final 1x1 convolution with one filter plus a separate bias for every point, then
  softmax. The paper's network has no pass output; here a single learned logit stands in for it
  (a constant, so the network can learn how often pass is the answer, nothing more). Its
  ``value`` output is zeros (the network does not estimate values; ``has_value`` is False).
* value: the same stack, then a 1x1 convolution with one filter, a 256-unit fully connected
  layer with ReLU and one tanh output. Its ``policy_logits`` are zeros (uniform;
  ``has_policy`` is False).

Differences from the paper, kept small on purpose: batch norm after each convolution (the 2016
networks predate it in Go; without it plain stacks this deep need careful learning rates), and
the value network drops the paper's extra 12th hidden convolution (add one to ``blocks`` to get
it back). Both have per-point parameters (the position bias, the fully connected layer), so they
only run on the ``board_size`` they were built for.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

import torch
import torch.nn.functional as F
from torch import nn

from networks.deep.resnet import BasicBlock, conv1x1, conv3x3

KINDS = ("resnet", "alphago_policy", "alphago_value")
HEADS = ("pooled",)
NAMED_SIZES = ("b2c16", "b6c64", "b10c128", "b15c192", "b20c256")
"""Sizes used in tests, docs and benchmarks; :meth:`NetConfig.named` parses any ``b{B}c{C}``."""

_NAME = re.compile(r"b(\d+)c(\d+)")


@dataclass(frozen=True)
class NetConfig:
    """Everything needed to rebuild a network (stored in every checkpoint).

    Plain values only, so it pickles, compares by value and round-trips through
    :meth:`to_dict` / :meth:`from_dict`.
    """

    in_planes: int
    """Input feature planes ``C`` (the engine's feature set decides it)."""
    blocks: int = 6
    """Residual blocks (``resnet``), or plain 3x3 convolution layers after the 5x5 one
    (AlphaGo kinds: ``layers - 2``)."""
    channels: int = 64
    """Width of the trunk (AlphaGo's ``k`` filters)."""
    policy_channels: int = 32
    """Maps of the policy head's 1x1 convolution (``resnet`` only)."""
    value_channels: int = 32
    """Maps of the value head's 1x1 convolution (``resnet`` only)."""
    value_hidden: int = 128
    """Units of the value head's hidden fully connected layer (AlphaGo's value network: 256)."""
    head: str = "pooled"
    """Head design of the ``resnet`` kind: ``"pooled"`` (global pooling, any board size)."""
    kind: str = "resnet"
    """``"resnet"``, ``"alphago_policy"`` or ``"alphago_value"``."""
    board_size: int | None = None
    """Board size the network is tied to: required by the AlphaGo kinds (per-point weights),
    None for ``resnet`` (any size)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, not {self.head!r}")
        for name in ("in_planes", "channels", "policy_channels", "value_channels",
                     "value_hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.blocks < 0:
            raise ValueError(f"blocks must be at least 0, not {self.blocks}")
        if self.kind != "resnet" and not self.board_size:
            raise ValueError(f"kind {self.kind!r} has per-point weights: give board_size")

    @property
    def name(self) -> str:
        """Short name: ``b6c64`` for residual networks, ``alphago_policy_l13k192_19`` else."""
        if self.kind == "resnet":
            return f"b{self.blocks}c{self.channels}"
        return f"{self.kind}_l{self.blocks + 2}k{self.channels}_{self.board_size}"

    @classmethod
    def named(cls, name: str, *, in_planes: int, **overrides) -> NetConfig:
        """A residual network of a named size ``b{blocks}c{channels}`` (see
        :data:`NAMED_SIZES`); ``overrides`` set any other field."""
        match = _NAME.fullmatch(name)
        if match is None:
            raise ValueError(f"network size {name!r} is not of the form b<blocks>c<channels>, "
                             f"e.g. {', '.join(NAMED_SIZES)}")
        blocks, channels = int(match[1]), int(match[2])
        return cls(in_planes=in_planes, blocks=blocks, channels=channels, **overrides)

    @classmethod
    def alphago_policy(cls, *, filters: int = 192, layers: int = 13, in_planes: int = 48,
                       board_size: int = 19) -> NetConfig:
        """AlphaGo's SL/RL policy network: ``layers`` convolutions of ``filters`` filters
        (the paper's 13 and 192; 48 input planes)."""
        return cls(in_planes=in_planes, blocks=layers - 2, channels=filters,
                   kind="alphago_policy", board_size=board_size)

    @classmethod
    def alphago_value(cls, *, filters: int = 192, layers: int = 13, in_planes: int = 49,
                      board_size: int = 19) -> NetConfig:
        """AlphaGo's value network: the policy network's convolutions, then a 1x1 convolution,
        256 hidden units and a tanh output (49 input planes: the 48 plus the colour to play)."""
        return cls(in_planes=in_planes, blocks=layers - 2, channels=filters, value_hidden=256,
                   kind="alphago_value", board_size=board_size)

    def to_dict(self) -> dict:
        """Plain dict of every field (what checkpoints store)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NetConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown network config fields {unknown}")
        return cls(**data)

    def with_(self, **changes) -> NetConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)


def global_pool(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, N, N]`` -> ``[B, 3C]``: per channel the board mean, the mean times KataGo's
    size term ``(sqrt(N*N) - 14) / 10``, and the board max.

    The board area is read with a tensor operation rather than from ``x.shape``, so a traced
    (exported) network still works on every board size.
    """
    mean = x.mean(dim=(2, 3))
    area = torch.ones_like(x[:1, :1], dtype=torch.float32).sum()
    size_term = (area.sqrt() - 14.0) / 10.0
    return torch.cat([mean, mean * size_term, x.amax(dim=(2, 3))], dim=1)


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int = 3) -> nn.Sequential:
    """A plain layer: ``kernel_size`` convolution (same padding, no bias), batch norm, ReLU."""
    if kernel_size == 3:
        conv = conv3x3(in_channels, out_channels)
    elif kernel_size == 1:
        conv = conv1x1(in_channels, out_channels)
    else:
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2,
                         bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class PolicyHead(nn.Module):
    """Board logits from a 1x1 convolution with pooled per-channel biases; pass from the pool.

    ``[B, C, N, N]`` -> ``[B, N*N + 1]``.
    """

    def __init__(self, channels: int, head_channels: int) -> None:
        super().__init__()
        self.reduce = conv_bn_relu(channels, head_channels, kernel_size=1)
        self.pool_bias = nn.Linear(3 * head_channels, head_channels)
        self.point_logits = conv1x1(head_channels, 1)
        self.pass_logit = nn.Linear(3 * head_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, N, N]`` trunk features -> ``[B, N*N + 1]`` logits, pass last."""
        h = self.reduce(x)                                    # [B, P, N, N]
        pooled = global_pool(h)                               # [B, 3P]
        h = F.relu(h + self.pool_bias(pooled)[:, :, None, None])
        points = self.point_logits(h).flatten(1)              # [B, N*N]
        return torch.cat([points, self.pass_logit(pooled)], dim=1)


class ValueHead(nn.Module):
    """1x1 convolution, global pooling, two linear layers, tanh: ``[B, C, N, N]`` -> ``[B]``."""

    def __init__(self, channels: int, head_channels: int, hidden: int) -> None:
        super().__init__()
        self.reduce = conv_bn_relu(channels, head_channels, kernel_size=1)
        self.hidden = nn.Linear(3 * head_channels, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, N, N]`` trunk features -> ``[B]`` values in [-1, 1]."""
        pooled = global_pool(self.reduce(x))                  # [B, 3V]
        return torch.tanh(self.out(F.relu(self.hidden(pooled)))).squeeze(1)


class GoNetwork(nn.Module):
    """What every network here shares: its :class:`NetConfig`, the ``(policy_logits, value)``
    output, and which of the two outputs it really computes."""

    has_policy = True
    has_value = True

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config

    def num_parameters(self) -> int:
        """Number of learned parameters (batch-norm running statistics not included)."""
        return sum(p.numel() for p in self.parameters())

    def _init_weights(self) -> None:
        """He et al. (2015) normal init for hidden convolutions, unit/zero batch norms.
        Convolutions with a single output map (logits, AlphaGo's value map) use the fan-in
        variant for a linear output, so the first logits are of order one rather than large.
        Linear layers keep torch's default (uniform, fan-in)."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                if module.out_channels == 1:
                    nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="linear")
                else:
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _check_input(self, x: torch.Tensor) -> None:
        """Shape checks with readable messages (cheap; skipped while tracing)."""
        if x.dim() != 4 or x.shape[1] != self.config.in_planes or x.shape[2] != x.shape[3]:
            raise ValueError(f"expected input [B, {self.config.in_planes}, N, N], "
                             f"got {list(x.shape)}")
        size = self.config.board_size
        if size is not None and x.shape[2] != size:
            raise ValueError(f"this {self.config.kind} network only plays {size}x{size} "
                             f"(per-point weights), got a {x.shape[2]}x{x.shape[3]} board")


class PolicyValueNet(GoNetwork):
    """Residual tower with global-pooling policy and value heads (any board size).

    Parameters
    ----------
    config : a ``kind="resnet"`` :class:`NetConfig`.
    zero_init_residual : start each block's last batch-norm scale at zero, so that every block
        starts as the identity (Goyal et al., 2017). Off by default: with it, the first
        gradient step reaches no weight inside the blocks but their last norm.
    """

    def __init__(self, config: NetConfig, *, zero_init_residual: bool = False) -> None:
        if config.kind != "resnet":
            raise ValueError(f"PolicyValueNet builds kind 'resnet', not {config.kind!r}; "
                             "use build_network")
        super().__init__(config)
        c = config.channels
        self.stem = conv_bn_relu(config.in_planes, c)
        self.trunk = nn.Sequential(*[BasicBlock(c, c) for _ in range(config.blocks)])
        self.policy_head = PolicyHead(c, config.policy_channels)
        self.value_head = ValueHead(c, config.value_channels, config.value_hidden)
        self._init_weights()
        if zero_init_residual:
            for block in self.trunk:
                nn.init.zeros_(block.last_norm.weight)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [B, C, N, N]`` -> ``(policy_logits [B, N*N + 1], value [B])``."""
        if not torch.jit.is_tracing():
            self._check_input(x)
        h = self.trunk(self.stem(x))                          # [B, channels, N, N]
        return self.policy_head(h), self.value_head(h)


class AlphaGoTrunk(nn.Sequential):
    """AlphaGo's plain stack: 5x5 conv then ``blocks`` 3x3 convs, ``channels`` filters each,
    every one followed by batch norm and ReLU. ``[B, C, N, N]`` -> ``[B, channels, N, N]``."""

    def __init__(self, config: NetConfig) -> None:
        k = config.channels
        super().__init__(conv_bn_relu(config.in_planes, k, kernel_size=5),
                         *[conv_bn_relu(k, k) for _ in range(config.blocks)])


class AlphaGoPolicyNet(GoNetwork):
    """AlphaGo's policy network (Silver et al., 2016): plain convolutions, a 1x1 convolution to
    one map and a per-point bias. ``value`` is always zeros (``has_value`` is False)."""

    has_value = False

    def __init__(self, config: NetConfig) -> None:
        if config.kind != "alphago_policy":
            raise ValueError(f"AlphaGoPolicyNet builds kind 'alphago_policy', not {config.kind!r}")
        super().__init__(config)
        n = config.board_size
        self.trunk = AlphaGoTrunk(config)
        self.point_logits = conv1x1(config.channels, 1)
        self.point_bias = nn.Parameter(torch.zeros(n * n))
        self.pass_logit = nn.Parameter(torch.zeros(1))
        self._init_weights()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [B, C, n, n]`` -> ``(policy_logits [B, n*n + 1], zeros [B])``."""
        self._check_input(x)
        points = self.point_logits(self.trunk(x)).flatten(1) + self.point_bias
        passes = self.pass_logit.expand(x.shape[0], 1)
        return torch.cat([points, passes], dim=1), x.new_zeros(x.shape[0])


class AlphaGoValueNet(GoNetwork):
    """AlphaGo's value network (Silver et al., 2016): plain convolutions, a 1x1 convolution to
    one map, a fully connected ReLU layer and a tanh output. ``policy_logits`` are always zeros
    (uniform; ``has_policy`` is False)."""

    has_policy = False

    def __init__(self, config: NetConfig) -> None:
        if config.kind != "alphago_value":
            raise ValueError(f"AlphaGoValueNet builds kind 'alphago_value', not {config.kind!r}")
        super().__init__(config)
        n = config.board_size
        self.trunk = AlphaGoTrunk(config)
        self.value_map = nn.Conv2d(config.channels, 1, kernel_size=1)
        self.hidden = nn.Linear(n * n, config.value_hidden)
        self.out = nn.Linear(config.value_hidden, 1)
        self._init_weights()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [B, C, n, n]`` -> ``(zeros [B, n*n + 1], value [B])``."""
        self._check_input(x)
        h = F.relu(self.value_map(self.trunk(x))).flatten(1)  # [B, n*n]
        value = torch.tanh(self.out(F.relu(self.hidden(h)))).squeeze(1)
        return x.new_zeros(x.shape[0], x.shape[2] * x.shape[3] + 1), value


_BUILDERS: dict[str, type[GoNetwork]] = {
    "resnet": PolicyValueNet, "alphago_policy": AlphaGoPolicyNet,
    "alphago_value": AlphaGoValueNet}


def build_network(config: NetConfig) -> GoNetwork:
    """The freshly initialized network a config describes (what checkpoints rebuild)."""
    return _BUILDERS[config.kind](config)


def parameter_count(config: NetConfig) -> int:
    """Learned parameters of the network ``config`` describes (builds it: ~1 s for b20c256)."""
    return build_network(config).num_parameters()

