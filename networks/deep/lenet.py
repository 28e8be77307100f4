"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998), in its classic and modern forms.

LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). "Gradient-Based Learning Applied to
Document Recognition". Proceedings of the IEEE 86(11), 2278-2324. Section II.B.

Seven layers on a 1x32x32 image (the paper's Fig. 2)::

    C1  6 maps 28x28   5x5 convolution
    S2  6 maps 14x14   2x2 subsampling
    C3 16 maps 10x10   5x5 convolution (classic: each map sees only some S2 maps, Table I)
    S4 16 maps 5x5     2x2 subsampling
    C5 120 units       5x5 convolution (a full connection to S4 on a 32x32 input)
    F6 84 units        full connection
    output             full connection to one unit per class

``form="classic"`` follows the paper: every layer up to F6 is squashed by the scaled tanh
``f(a) = 1.7159 tanh(2a/3)`` (Appendix A); a subsampling unit adds its four inputs, multiplies
the sum by a trainable coefficient, adds a trainable bias and squashes the result; C3's partial
connection table breaks the symmetry between its maps; weights start at LeCun's fan-in scale.
``form="modern"`` is the form used today: ReLU, 2x2 max pooling, C3 fully connected, He
initialisation.

One simplification in both forms: the paper's output layer of Euclidean radial basis units
with fixed 7x12 bitmap codes is replaced by a linear layer giving logits for cross-entropy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Table I of the paper: which S2 maps (rows) each of the 16 C3 maps (columns) is connected to.
# Maps 0-5 see three contiguous S2 maps, 6-11 four contiguous, 12-14 four non-contiguous and
# map 15 all six: 60 connections, 60 * 25 + 16 = 1,516 trainable parameters as in the paper.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    *((j, (j + 1) % 6, (j + 2) % 6) for j in range(6)),
    *((j, (j + 1) % 6, (j + 2) % 6, (j + 3) % 6) for j in range(6)),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


class ScaledTanh(nn.Module):
    """LeCun's squashing function ``A tanh(S a)`` with ``A = 1.7159``, ``S = 2/3``, chosen so
    that ``f(1) = 1`` and ``f(-1) = -1`` and the gain is near 1 around the origin."""

    def __init__(self, amplitude: float = 1.7159, slope: float = 2.0 / 3.0) -> None:
        super().__init__()
        self.amplitude, self.slope = amplitude, slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Any shape -> the same shape."""
        return self.amplitude * torch.tanh(self.slope * x)


class Subsampling(nn.Module):
    """The paper's S-layer: ``coefficient * (sum of a 2x2 block) + bias``, one trainable
    coefficient and bias per map, non-overlapping blocks (squashed by the next module)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.coefficient = nn.Parameter(torch.empty(channels))
        self.bias = nn.Parameter(torch.empty(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` -> ``(N, C, H // 2, W // 2)``."""
        block_sum = 4.0 * F.avg_pool2d(x, 2)
        return block_sum * self.coefficient[:, None, None] + self.bias[:, None, None]


class PartialConv2d(nn.Conv2d):
    """A convolution in which output map ``j`` sees only the input maps ``table[j]``.

    The weight keeps torch's dense ``(out, in, k, k)`` layout; a fixed 0/1 mask zeroes the
    absent connections in every forward pass, so their gradient is zero and they never learn.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 table: tuple[tuple[int, ...], ...]) -> None:
        super().__init__(in_channels, out_channels, kernel_size)
        if len(table) != out_channels:
            raise ValueError("the table needs one row of input maps per output map")
        mask = torch.zeros(out_channels, in_channels, 1, 1)
        for out_map, in_maps in enumerate(table):
            mask[out_map, list(in_maps)] = 1.0
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, H, W)`` -> ``(N, C_out, H - k + 1, W - k + 1)``."""
        return F.conv2d(x, self.weight * self.mask, self.bias)

    def fan_in(self) -> torch.Tensor:
        """Inputs of each output unit, ``(C_out,)``: connected maps times ``k * k``."""
        return self.mask.sum(dim=(1, 2, 3)) * self.kernel_size[0] * self.kernel_size[1]


class LeNet5(nn.Module):
    """LeNet-5 for ``1 x 32 x 32`` images (other sizes work if C5 sees at least a 5x5 map).

    Parameters
    ----------
    num_classes : units of the output layer.
    form : ``"classic"`` (scaled tanh, trainable subsampling) or ``"modern"`` (ReLU, max
        pooling).
    in_channels : channels of the input images.
    partial_c3 : use the paper's C3 connection table (default: True for the classic form,
        False for the modern one).
    """

    def __init__(self, num_classes: int = 10, form: str = "classic", in_channels: int = 1,
                 partial_c3: bool | None = None) -> None:
        super().__init__()
        if form not in ("classic", "modern"):
            raise ValueError(f"form must be 'classic' or 'modern', not {form!r}")
        self.form = form
        partial_c3 = form == "classic" if partial_c3 is None else partial_c3
        self.c1 = nn.Conv2d(in_channels, 6, 5)
        self.act1 = self._activation()
        self.s2 = self._pooling(6)
        self.act2 = self._activation() if form == "classic" else nn.Identity()
        self.c3 = PartialConv2d(6, 16, 5, C3_TABLE) if partial_c3 else nn.Conv2d(6, 16, 5)
        self.act3 = self._activation()
        self.s4 = self._pooling(16)
        self.act4 = self._activation() if form == "classic" else nn.Identity()
        self.c5 = nn.Conv2d(16, 120, 5)
        self.act5 = self._activation()
        self.f6 = nn.Linear(120, 84)
        self.act6 = self._activation()
        self.output = nn.Linear(84, num_classes)
        self._init_weights()

    def _activation(self) -> nn.Module:
        return ScaledTanh() if self.form == "classic" else nn.ReLU(inplace=True)

    def _pooling(self, channels: int) -> nn.Module:
        return Subsampling(channels) if self.form == "classic" else nn.MaxPool2d(2)

    def _init_weights(self) -> None:
        """Classic: LeCun's fan-in rule, weights uniform with variance ``1 / fan_in`` (LeCun,
        Bottou, Orr & Mueller, 1998, "Efficient BackProp", Section 4.6), zero biases, and
        subsampling coefficients ``1/2`` so that a sum of four unit-variance inputs keeps unit
        variance. (The paper's Appendix C bound ``2.4 / fan_in`` shrinks the signal by
        ``sqrt(fan_in)`` at every layer, which on inputs in [0, 1] stalls the first epochs.)
        Modern: He et al. (2015) normal weights, zero biases."""
        for module in self.modules():
            if isinstance(module, Subsampling):
                nn.init.constant_(module.coefficient, 0.5)
                nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                self._init_layer(module)

    def _init_layer(self, layer: nn.Conv2d | nn.Linear) -> None:
        nn.init.zeros_(layer.bias)
        if self.form == "modern":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            return
        if isinstance(layer, PartialConv2d):
            fan_in = layer.fan_in()  # only the live connections count
        else:
            fan_in = torch.full((layer.weight.shape[0],), float(layer.weight[0].numel()))
        bound = (3.0 / fan_in).sqrt()  # uniform on [-b, b] has variance b^2 / 3 = 1 / fan_in
        with torch.no_grad():
            layer.weight.uniform_(-1.0, 1.0).mul_(bound.view(-1, *[1] * (layer.weight.dim() - 1)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, 32, 32)`` -> the 84 F6 activations ``(N, 84)``."""
        x = self.act2(self.s2(self.act1(self.c1(x))))
        x = self.act4(self.s4(self.act3(self.c3(x))))
        x = self.act5(self.c5(x))
        return self.act6(self.f6(torch.flatten(x, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, 32, 32)`` images -> ``(N, num_classes)`` logits."""
        return self.output(self.features(x))


def count_trainable(module: nn.Module) -> int:
    """Trainable parameters, counting only the live connections of :class:`PartialConv2d`
    (60,000 up to F6 as in the paper, plus 850 for our linear output layer)."""
    total = sum(p.numel() for p in module.parameters() if p.requires_grad)
    absent = sum(int((1 - sub.mask).expand_as(sub.weight).sum().item())
                 for sub in module.modules() if isinstance(sub, PartialConv2d))
    return total - absent
