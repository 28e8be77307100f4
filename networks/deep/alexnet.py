"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012), with a width multiplier for small images.

Krizhevsky, A., Sutskever, I. & Hinton, G. E. (2012). "ImageNet Classification with Deep
Convolutional Neural Networks". NeurIPS 25, pp. 1097-1105. Section 3 and Fig. 2.

Five convolutional and three fully connected layers, with the ideas that made the network work
in 2012: ReLU units (Section 3.1), local response normalization after the first two
convolutions (Section 3.3, optional here), overlapping 3x3 max pooling with stride 2 (Section
3.4) and dropout 0.5 in the first two fully connected layers (Section 4.2)::

    conv1  96 kernels 11x11 stride 4 -> ReLU -> [LRN] -> maxpool 3/2
    conv2 256 kernels 5x5            -> ReLU -> [LRN] -> maxpool 3/2
    conv3 384 kernels 3x3            -> ReLU
    conv4 384 kernels 3x3            -> ReLU
    conv5 256 kernels 3x3            -> ReLU -> maxpool 3/2
    dropout -> fc 4096 -> ReLU -> dropout -> fc 4096 -> ReLU -> fc num_classes

Scaling down: ``width`` multiplies every layer's channel and unit count (``width=0.25`` gives
24-64-96-96-64 kernels and 1,024-unit layers), and inputs smaller than 64 pixels get a 5x5,
stride-1 first convolution instead of the 11x11, stride-4 one, so that a 32x32 digit keeps
enough resolution through the three poolings (32 -> 15 -> 7 -> 3). The network is a single
tower (the paper split it across two GPUs only for memory). Weights start with He et al.'s
(2015) normal init rather than the paper's N(0, 0.01), which trains reliably in short runs.
"""

from __future__ import annotations

import torch
from torch import nn

CONV_CHANNELS = (96, 256, 384, 384, 256)
FC_UNITS = 4096
SMALL_IMAGE = 64  # below this input size the first convolution is 5x5 with stride 1


def _scaled(count: int, width: float) -> int:
    return max(1, round(count * width))


class AlexNet(nn.Module):
    """AlexNet for ``in_channels x image_size x image_size`` images.

    Parameters
    ----------
    num_classes : units of the output layer.
    in_channels : channels of the input images (3 for ImageNet, 1 for grayscale digits).
    image_size : height (= width) of the input; 224 gives the paper's network, below 64 a
        5x5 stride-1 first convolution.
    width : multiplier of every convolution's kernels and every hidden layer's units.
    fc_width : multiplier of the fully connected layers alone (default: ``width``).
    dropout : dropout probability before the two hidden fully connected layers.
    local_response_norm : apply the paper's LRN (``k=2, n=5, alpha=1e-4, beta=0.75``) after
        the first two convolutions.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, image_size: int = 224,
                 width: float = 1.0, fc_width: float | None = None, dropout: float = 0.5,
                 local_response_norm: bool = False) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = (_scaled(c, width) for c in CONV_CHANNELS)
        hidden = _scaled(FC_UNITS, width if fc_width is None else fc_width)
        k, stride, pad = (11, 4, 2) if image_size >= SMALL_IMAGE else (5, 1, 2)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, k, stride=stride, padding=pad), nn.ReLU(inplace=True),
            self._norm(local_response_norm), nn.MaxPool2d(3, stride=2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(inplace=True),
            self._norm(local_response_norm), nn.MaxPool2d(3, stride=2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2),
        )
        self.feature_shape = self._feature_shape(in_channels, image_size)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(self._numel(self.feature_shape), hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )
        self._init_weights()

    @staticmethod
    def _norm(enabled: bool) -> nn.Module:
        """The paper's local response normalization across 5 adjacent maps, or nothing."""
        if not enabled:
            return nn.Identity()
        return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)

    @staticmethod
    def _numel(shape: tuple[int, ...]) -> int:
        total = 1
        for n in shape:
            total *= n
        return total

    @torch.no_grad()
    def _feature_shape(self, in_channels: int, image_size: int) -> tuple[int, int, int]:
        """``(C, H, W)`` leaving the convolutional part, found by passing one blank image."""
        probe = torch.zeros(1, in_channels, image_size, image_size)
        try:
            return tuple(self.features(probe).shape[1:])
        except RuntimeError as error:
            raise ValueError(f"image_size {image_size} is too small for AlexNet") from error

    def _init_weights(self) -> None:
        """He et al. (2015) normal weights for every ReLU layer, zero biases."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, image_size, image_size)`` images -> ``(N, num_classes)`` logits."""
        return self.classifier(torch.flatten(self.features(x), 1))
