"""Autoencoders: a deep one with a narrow code layer and a sparse one with a KL penalty.

Conventions: inputs are ``(batch, n_features)`` float tensors with values in [0, 1] (for example
the 8x8 digits divided by 16); both models end in a sigmoid so reconstructions share that range.
``forward`` returns the reconstruction; ``encode`` and ``decode`` expose the two halves. The
reconstruction error used throughout is the squared error summed over the features of an input
and averaged over the batch (:func:`reconstruction_error`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def reconstruction_error(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared error summed over features, averaged over the batch: a scalar tensor."""
    return ((reconstruction - target) ** 2).sum(dim=1).mean()


def _mlp(sizes: Sequence[int], activation: str, last: nn.Module | None) -> nn.Sequential:
    """Linear layers through ``sizes`` with ``activation`` between them and ``last`` at the end."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """A deep autoencoder whose encoder narrows to a low-dimensional code (Hinton &
    Salakhutdinov 2006).

    The encoder maps through ``layer_sizes`` (input first, code last) with ``activation``
    between layers and a linear code layer, as in the paper; the decoder mirrors it and ends in
    a sigmoid. The paper initialised the layers with stacked RBMs because plain gradient
    descent stalled on deep sigmoid nets; with ReLU units, Kaiming initialisation and Adam
    the same networks train directly, which is what this module assumes.

    Parameters
    ----------
    layer_sizes : widths from the input to the code, e.g. ``(64, 128, 64, 16)``.
    activation : ``"relu"``, ``"tanh"`` or ``"sigmoid"`` for the hidden layers.

    References
    ----------
    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data with neural
    networks", Science 313 (2006) 504-507.
    """

    def __init__(self, layer_sizes: Sequence[int] = (64, 128, 64, 16),
                 activation: str = "relu"):
        super().__init__()
        if len(layer_sizes) < 2:
            raise ValueError("layer_sizes needs at least an input and a code size")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}")
        self.layer_sizes = tuple(layer_sizes)
        self.encoder = _mlp(self.layer_sizes, activation, last=None)
        self.decoder = _mlp(self.layer_sizes[::-1], activation, last=nn.Sigmoid())
        self._init_weights(activation)

    def _init_weights(self, activation: str) -> None:
        """Kaiming-uniform weights for ReLU layers, Xavier-uniform otherwise; zero biases."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                if activation == "relu":
                    nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
                else:
                    nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, layer_sizes[0])`` inputs to ``(batch, layer_sizes[-1])`` codes."""
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """``(batch, layer_sizes[-1])`` codes to ``(batch, layer_sizes[0])`` values in (0, 1)."""
        return self.decoder(code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``: ``(batch, n_features) -> (batch, n_features)``."""
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """The training objective: :func:`reconstruction_error` of ``x``."""
        return reconstruction_error(self(x), x)


class SparseAutoencoder(nn.Module):
    """One sigmoid hidden layer kept sparse by a KL-divergence penalty (Ng 2011).

    With ``rho_hat_j`` the mean activation of hidden unit ``j`` over a batch, the penalty

        beta * sum_j KL(rho || rho_hat_j),
        KL(rho || q) = rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q)),

    pushes every unit to be active on a fraction ``rho`` of the inputs; it is added to the
    reconstruction error and an L2 weight penalty ``lambda/2 * sum W^2`` in :meth:`loss`.

    Parameters
    ----------
    n_features : input size.
    n_hidden : number of hidden units (may exceed ``n_features``: sparsity, not a bottleneck,
        forces a useful code).
    sparsity_target : ``rho``, the desired mean activation.
    sparsity_weight : ``beta``, the weight of the KL penalty.
    weight_decay : ``lambda``, the weight of the L2 penalty on the two weight matrices.

    References
    ----------
    A. Ng, "Sparse autoencoder", CS294A lecture notes, Stanford University (2011).
    """

    def __init__(self, n_features: int = 64, n_hidden: int = 100, sparsity_target: float = 0.05,
                 sparsity_weight: float = 3.0, weight_decay: float = 1e-4):
        super().__init__()
        if not 0.0 < sparsity_target < 1.0:
            raise ValueError("sparsity_target must lie strictly between 0 and 1")
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.weight_decay = weight_decay
        self.encoder = nn.Linear(n_features, n_hidden)
        self.decoder = nn.Linear(n_hidden, n_features)
        for layer in (self.encoder, self.decoder):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, n_features)`` inputs to ``(batch, n_hidden)`` activations in (0, 1)."""
        return torch.sigmoid(self.encoder(x))

    def decode(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(batch, n_hidden)`` activations to ``(batch, n_features)`` values in (0, 1)."""
        return torch.sigmoid(self.decoder(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``: ``(batch, n_features) -> (batch, n_features)``."""
        return self.decode(self.encode(x))

    def sparsity_penalty(self, hidden: torch.Tensor) -> torch.Tensor:
        """``beta * sum_j KL(rho || rho_hat_j)`` for ``(batch, n_hidden)`` activations."""
        rho = self.sparsity_target
        rho_hat = hidden.mean(dim=0).clamp(1e-6, 1 - 1e-6)  # keeps the logs finite
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return self.sparsity_weight * kl.sum()

    def weight_penalty(self) -> torch.Tensor:
        """``lambda / 2 * (||W_enc||^2 + ||W_dec||^2)``."""
        squares = self.encoder.weight.pow(2).sum() + self.decoder.weight.pow(2).sum()
        return 0.5 * self.weight_decay * squares

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction error plus the sparsity and weight penalties, a scalar tensor."""
        hidden = self.encode(x)
        return (reconstruction_error(self.decode(hidden), x) + self.sparsity_penalty(hidden)
                + self.weight_penalty())


def train_autoencoder(model: Autoencoder | SparseAutoencoder, data: torch.Tensor, *,
                      n_epochs: int = 100, learning_rate: float = 1e-3, batch_size: int = 64,
                      weight_decay: float = 0.0,
                      generator: torch.Generator | None = None) -> list[float]:
    """Minimise ``model.loss`` over ``data`` (``(n, n_features)``) with Adam (Kingma & Ba 2015).

    ``weight_decay`` is AdamW's decoupled decay (Loshchilov & Hutter 2019), a regulariser for
    small data sets; ``generator`` seeds the shuffling. Returns the mean loss of each epoch.
    """
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    curve = []
    model.train()
    for _ in range(n_epochs):
        order = torch.randperm(len(data), generator=generator)
        total = 0.0
        for start in range(0, len(data), batch_size):
            batch = data[order[start:start + batch_size]]
            optimizer.zero_grad()
            loss = model.loss(batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        curve.append(total / len(data))
    model.eval()
    return curve
