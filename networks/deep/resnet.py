"""Residual networks (He, Zhang, Ren & Sun, 2016), with their plain no-shortcut twins.

He, K., Zhang, X., Ren, S. & Sun, J. (2016). "Deep Residual Learning for Image Recognition".
CVPR 2016, pp. 770-778. arXiv:1512.03385.

A residual block learns a correction ``F(x)`` to its input instead of a whole new mapping::

    y = relu(F(x) + shortcut(x))        F = conv3x3 -> BN -> relu -> conv3x3 -> BN

With ``shortcut=False`` the same block computes ``y = relu(F(x))``: the *plain* network of the
paper's Section 4.1, whose training error *rises* with depth (the degradation problem), while
the residual network's falls.

Building blocks for other networks
----------------------------------
The Go engine's policy/value trunk (and any other network) builds on :class:`BasicBlock`
and :func:`conv3x3` rather than redefining them. The contract it relies on:

* ``BasicBlock(in_channels, out_channels, stride=1, norm_layer=..., shortcut=True)`` maps
  ``(N, in_channels, H, W)`` to ``(N, out_channels, H, W)`` for *any* ``H x W`` (9x9, 19x19,
  ...): every convolution is 3x3 with padding 1, so with ``stride=1`` the board size is kept.
* No assumption about image size, the number of classes or a classification head.
* ``norm_layer`` is injectable: any callable ``channels -> nn.Module`` (the default is
  :class:`torch.nn.BatchNorm2d`; ``lambda channels: nn.Identity()`` drops normalization).
* When ``in_channels != out_channels`` (or ``stride > 1``) the shortcut becomes a 1x1 projection
  (the paper's option B) unless another ``downsample`` module is given; ``shortcut=False``
  removes it altogether.

For example, a six-block trunk for 19x19 boards with 17 input planes::

    trunk = nn.Sequential(conv3x3(17, 64), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                          *[BasicBlock(64, 64) for _ in range(6)])

The CIFAR-style networks of the paper's Section 4.2 are :class:`ResNet` with ``depth = 6n + 2``
(ResNet-20, -32, -44, -56, -110): a 3x3 stem of 16 channels, three stages of ``n`` blocks with
16, 32 and 64 channels on feature maps halved in size at each stage, global average pooling and
a linear classifier. Their shortcuts across stages are the paper's option A (parameter-free:
subsample and pad with zero channels), so ResNet-20 has 0.27M parameters and ResNet-56 0.85M, as
in the paper's Table 6.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

NormLayer = Callable[[int], nn.Module]


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a norm layer follows it).

    With ``stride=1`` the output has the input's height and width.
    """
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1,
                     bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias (projection shortcuts and bottleneck layers)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


def projection(in_channels: int, out_channels: int, stride: int = 1,
               norm_layer: NormLayer | None = None) -> nn.Sequential:
    """The paper's option-B shortcut: a strided 1x1 convolution followed by normalization."""
    norm_layer = norm_layer or nn.BatchNorm2d
    return nn.Sequential(conv1x1(in_channels, out_channels, stride), norm_layer(out_channels))


class PadShortcut(nn.Module):
    """The paper's option-A shortcut: identity with subsampling and extra zero channels.

    Parameter-free, so a residual network has exactly the parameters of its plain twin. The
    input is subsampled by ``stride`` and padded with ``out_channels - in_channels`` zero
    channels.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError("option-A shortcuts can only add channels")
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, H, W)`` -> ``(N, C_out, ceil(H / stride), ceil(W / stride))``."""
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


def _default_shortcut(in_channels: int, out_channels: int, stride: int,
                      norm_layer: NormLayer) -> nn.Module | None:
    """Identity (None) when shapes match, otherwise an option-B projection."""
    if stride == 1 and in_channels == out_channels:
        return None
    return projection(in_channels, out_channels, stride, norm_layer)


class _ResidualBlock(nn.Module):
    """What both blocks share: the shortcut (identity, projection or none) and the final
    ``relu(residual + shortcut(x))``."""

    def _init_shortcut(self, in_channels: int, out_channels: int, stride: int,
                       norm_layer: NormLayer, shortcut: bool,
                       downsample: nn.Module | None) -> None:
        self.shortcut = shortcut
        if shortcut and downsample is None:
            downsample = _default_shortcut(in_channels, out_channels, stride, norm_layer)
        self.downsample = downsample if shortcut else None

    def _join(self, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.shortcut:
            residual = residual + (x if self.downsample is None else self.downsample(x))
        return self.relu(residual)

    def extra_repr(self) -> str:
        return "" if self.shortcut else "shortcut=False (plain)"


class BasicBlock(_ResidualBlock):
    """Two 3x3 convolutions with batch norm and an identity shortcut (the paper's Fig. 2).

    ``y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``

    Parameters
    ----------
    in_channels, out_channels : channels of the input and of the output.
    stride : stride of the first convolution; 1 keeps the height and width of the input.
    norm_layer : factory ``channels -> nn.Module`` for the normalization after each
        convolution (default :class:`torch.nn.BatchNorm2d`).
    shortcut : False gives the plain block ``y = relu(F(x))`` (no shortcut at all).
    downsample : module applied to ``x`` on the shortcut path when its shape must change.
        Default: None when shapes match, else a 1x1 projection with normalization (option B).
    """

    expansion = 1  # output channels per unit of stage width

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *,
                 norm_layer: NormLayer | None = None, shortcut: bool = True,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = norm_layer(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = norm_layer(out_channels)
        self._init_shortcut(in_channels, out_channels, stride, norm_layer, shortcut, downsample)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, H, W)`` -> ``(N, C_out, H / stride, W / stride)`` (rounded up)."""
        out = self.relu(self.bn1(self.conv1(x)))
        return self._join(self.bn2(self.conv2(out)), x)

    @property
    def last_norm(self) -> nn.Module:
        """The norm layer just before the addition (zeroed by ``zero_init_residual``)."""
        return self.bn2


class Bottleneck(_ResidualBlock):
    """1x1 reduce, 3x3, 1x1 expand, with batch norm and a shortcut (the paper's Fig. 5, right).

    ``y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))``.
    The 3x3 convolution works on ``width = out_channels // 4`` channels, which makes deep
    networks cheaper than with basic blocks of the same output width.

    Parameters
    ----------
    in_channels, out_channels : channels of the input and of the output.
    stride : stride of the 3x3 convolution; 1 keeps the height and width of the input.
    width : channels inside the bottleneck (default ``out_channels // expansion``).
    norm_layer, shortcut, downsample : as for :class:`BasicBlock`.
    """

    expansion = 4  # output channels per bottleneck channel

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *,
                 width: int | None = None, norm_layer: NormLayer | None = None,
                 shortcut: bool = True, downsample: nn.Module | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = width or max(1, out_channels // self.expansion)
        self.conv1 = conv1x1(in_channels, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = norm_layer(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self._init_shortcut(in_channels, out_channels, stride, norm_layer, shortcut, downsample)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, H, W)`` -> ``(N, C_out, H / stride, W / stride)`` (rounded up)."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self._join(self.bn3(self.conv3(out)), x)

    @property
    def last_norm(self) -> nn.Module:
        """The norm layer just before the addition (zeroed by ``zero_init_residual``)."""
        return self.bn3


BLOCKS: dict[str, type[BasicBlock] | type[Bottleneck]] = {
    "basic": BasicBlock, "bottleneck": Bottleneck}


def blocks_per_stage(depth: int, block: str = "basic", stages: int = 3) -> int:
    """``n`` of a CIFAR-style network: ``depth = 2 * stages * n + 2`` for basic blocks
    (6n + 2) and ``3 * stages * n + 2`` for bottlenecks (9n + 2)."""
    layers_per_block = 2 if block == "basic" else 3
    n, rest = divmod(depth - 2, layers_per_block * stages)
    if n < 1 or rest:
        form = f"{layers_per_block * stages}n + 2"
        raise ValueError(f"depth {depth} is not of the form {form} for {block} blocks")
    return n


class ResNet(nn.Module):
    """The CIFAR-style residual network of He et al. (2016), Section 4.2, or its plain twin.

    ``depth = 6n + 2`` with basic blocks (20, 32, 44, 56, 110) or ``9n + 2`` with bottlenecks
    (29, 47, 164, ...): a 3x3 stem, three stages of ``n`` blocks whose widths are ``widths``
    (times 4 for bottlenecks) on feature maps halved at each new stage, global average pooling
    and a linear classifier. Any input size works (the pooling is global).

    Parameters
    ----------
    depth : number of weighted layers (convolutions and the classifier).
    num_classes : outputs of the classifier.
    in_channels : channels of the input images (3 for CIFAR, 1 for grayscale digits).
    block : ``"basic"`` or ``"bottleneck"``.
    widths : stage widths (the paper's 16, 32, 64).
    shortcut : False builds the plain network of the same depth (no shortcuts at all).
    shortcut_option : ``"A"`` (zero-padding identity, parameter-free, the paper's CIFAR choice)
        or ``"B"`` (1x1 projections) for the shortcuts that change shape.
    norm_layer : factory ``channels -> nn.Module`` (default :class:`torch.nn.BatchNorm2d`).
    zero_init_residual : start each block's last norm at zero scale, so that every residual
        block starts as the identity (Goyal et al., 2017); ignored for plain networks.
    """

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3, *,
                 block: str = "basic", widths: tuple[int, int, int] = (16, 32, 64),
                 shortcut: bool = True, shortcut_option: str = "A",
                 norm_layer: NormLayer | None = None, zero_init_residual: bool = False) -> None:
        super().__init__()
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {sorted(BLOCKS)}, not {block!r}")
        if shortcut_option not in ("A", "B"):
            raise ValueError(f"shortcut_option must be 'A' or 'B', not {shortcut_option!r}")
        self.depth, self.shortcut, self.shortcut_option = depth, shortcut, shortcut_option
        self.block = BLOCKS[block]
        self._norm_layer = norm_layer or nn.BatchNorm2d
        n = blocks_per_stage(depth, block, stages=len(widths))

        self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = self._norm_layer(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self._channels = widths[0]
        self.layer1 = self._make_stage(widths[0], n, stride=1)
        self.layer2 = self._make_stage(widths[1], n, stride=2)
        self.layer3 = self._make_stage(widths[2], n, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self._channels, num_classes)
        self._init_weights(zero_init_residual and shortcut)

    @classmethod
    def cifar(cls, depth: int, num_classes: int = 10, in_channels: int = 3,
              **kwargs) -> ResNet:
        """ResNet-``depth`` exactly as in the paper's CIFAR-10 experiments (basic blocks,
        widths 16/32/64, option-A shortcuts); ``kwargs`` as for :class:`ResNet`."""
        return cls(depth, num_classes, in_channels, **kwargs)

    def _make_stage(self, width: int, n: int, stride: int) -> nn.Sequential:
        """``n`` blocks of output width ``width * expansion``; the first one may downsample."""
        out_channels = width * self.block.expansion
        blocks = []
        for i in range(n):
            in_channels, s = (self._channels, stride) if i == 0 else (out_channels, 1)
            blocks.append(self.block(in_channels, out_channels, s, norm_layer=self._norm_layer,
                                     shortcut=self.shortcut,
                                     downsample=self._shortcut(in_channels, out_channels, s)))
        self._channels = out_channels
        return nn.Sequential(*blocks)

    def _shortcut(self, in_channels: int, out_channels: int, stride: int) -> nn.Module | None:
        """The shortcut module of a block that changes shape (None: identity or plain)."""
        if not self.shortcut or (stride == 1 and in_channels == out_channels):
            return None
        if self.shortcut_option == "A":
            return PadShortcut(in_channels, out_channels, stride)
        return projection(in_channels, out_channels, stride, self._norm_layer)

    def _init_weights(self, zero_init_residual: bool) -> None:
        """He et al. (2015) normal init for convolutions (as the paper does), unit-scale norms,
        torch's uniform init kept for the classifier."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)) and hasattr(
                        module.last_norm, "weight"):
                    nn.init.zeros_(module.last_norm.weight)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, H, W)`` -> pooled features ``(N, widths[-1] * expansion)``."""
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, H, W)`` images -> ``(N, num_classes)`` logits."""
        return self.fc(self.features(x))
