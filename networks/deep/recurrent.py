"""Recurrent networks written out step by step: Elman RNN, LSTM (three cells) and GRU.

The sequence modules take and return what ``torch.nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` do with
``batch_first=True``:

* ``ElmanRNN`` and ``GRU``: ``x (B, T, in)`` and optionally ``h0 (L, B, H)``, giving
  ``output (B, T, H)`` and ``h_n (L, B, H)``;
* ``LSTM``: ``x (B, T, in)`` and optionally ``(h0, c0)``, each ``(L, B, H)``, giving
  ``output (B, T, H)`` and ``(h_n, c_n)``, each ``(L, B, H)``.

``L`` is ``num_layers``; ``output`` is the last layer's hidden state at every step, ``h_n`` (and
``c_n``) every layer's state after the last step. An unbatched ``x (T, in)`` gives
``output (T, H)`` and states ``(L, H)``, as in torch. Not supported: ``bidirectional``,
``dropout`` between layers, ``proj_size``, ``batch_first=False``, ``bias=False``.

Each *cell* computes one time step. Its weights are fused across gates and stored as
``weight_ih (in, G*H)``, ``weight_hh (H, G*H)``, ``bias (G*H,)`` for ``G`` gates, so that a batch
of row vectors multiplies on the right, ``z = x W_x + h W_h + b``: a step costs one matrix product
for the recurrent part, and the input part of every step is projected in one product over the
whole sequence before the loop (the input does not depend on the state). The gates' blocks of
columns are in torch's order, so torch's weights copy in transposed (``module.load_torch``):

* LSTM (standard and peephole): ``[i | f | g | o]`` (input gate, forget gate, cell input,
  output gate); CIFG: ``[i | g | o]``.
* GRU: ``[r | z | n]`` (reset gate, update gate, candidate).
* ``bias`` is torch's ``bias_ih + bias_hh`` (two biases added before a nonlinearity are one);
  the GRU keeps ``bias_hn`` apart because it sits inside the reset gate's product.

Speed: the step loop runs in Python. Scripting it with ``torch.jit.script`` measured no faster
on CPU (T = 200, batch 50, H = 64), nor did one sigmoid over the three gates' columns, so the
gates stay one per line. ``torch.nn.LSTM``, looping in C++, is about 1.5x faster per step.

All weights start uniform in ``[-1/sqrt(H), 1/sqrt(H)]``, the same distribution as torch's
modules, so that comparisons with them differ in the random draw only.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

State = tuple[Tensor, ...]
"""A cell's state: ``(h,)`` for the Elman and GRU cells, ``(h, c)`` for the LSTM cells."""


class _Cell(nn.Module):
    """One time step of a recurrent layer, its gates fused into ``n_gates * H`` columns.

    Subclasses set ``n_gates`` and ``n_states`` and write :meth:`forward`, one step from the
    input already projected by :meth:`project_input`: a cell used on its own runs
    ``state = cell(cell.project_input(x_t), state)``.
    """

    n_gates = 1
    n_states = 1

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        width = self.n_gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(input_size, width))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, width))
        self.bias = nn.Parameter(torch.empty(width))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter uniform in ``[-1/sqrt(H), 1/sqrt(H)]``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def project_input(self, x: Tensor) -> Tensor:
        """``W_x x_t + b`` for every step at once: ``(B, T, in)`` -> ``(B, T, n_gates * H)``."""
        return torch.matmul(x, self.weight_ih) + self.bias

    def load_torch_layer(self, module: nn.Module, layer: int) -> None:
        """Copy layer ``layer`` of a ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` with the same layout."""
        with torch.no_grad():
            self.weight_ih.copy_(getattr(module, f"weight_ih_l{layer}").t())
            self.weight_hh.copy_(getattr(module, f"weight_hh_l{layer}").t())
            self.bias.copy_(getattr(module, f"bias_ih_l{layer}")
                            + getattr(module, f"bias_hh_l{layer}"))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class ElmanCell(_Cell):
    """The simple recurrent network's step (Elman 1990, "Finding Structure in Time").

    ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)``, or ``relu`` in place of ``tanh`` (the units of
    Le et al. 2015).
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', not {nonlinearity!r}")
        super().__init__(input_size, hidden_size)
        self.nonlinearity = nonlinearity
        self._activation = torch.tanh if nonlinearity == "tanh" else torch.relu

    def forward(self, x_proj: Tensor, state: State) -> State:
        """One step: ``x_proj (B, H)`` (from :meth:`project_input`), ``state = (h,)``."""
        (h,) = state
        h = self._activation(torch.addmm(x_proj, h, self.weight_hh))
        return (h,)


class LSTMCell(_Cell):
    """The LSTM step with a forget gate (Hochreiter & Schmidhuber 1997, "Long Short-Term Memory";
    the forget gate from Gers, Schmidhuber & Cummins 2000, "Learning to Forget").

    The cell state ``c`` is the constant error carousel: it is updated additively, so the error
    flowing back through it is scaled by the forget gate only, not squashed at every step.
    """

    n_gates = 4
    n_states = 2

    def forward(self, x_proj: Tensor, state: State) -> State:
        """One step: ``x_proj (B, 4H)`` (from :meth:`project_input`), ``state = (h, c)``."""
        h, c = state
        z_i, z_f, z_g, z_o = torch.addmm(x_proj, h, self.weight_hh).chunk(4, dim=1)
        i = torch.sigmoid(z_i)  # input gate: how much of the new input enters the cell
        f = torch.sigmoid(z_f)  # forget gate: how much of the old cell state is kept
        g = torch.tanh(z_g)  # cell input (the candidate values)
        o = torch.sigmoid(z_o)  # output gate: how much of the cell is shown to the network
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class PeepholeLSTMCell(_Cell):
    """The LSTM step with peephole connections (Gers & Schmidhuber 2000, "Recurrent Nets that
    Time and Count").

    The gates also see the cell state through diagonal weights: the input and forget gates the
    previous one, ``c_{t-1}``, and the output gate the new one, ``c_t``. With them a cell can
    time its output on what it holds, not only on what ``h`` reveals.
    """

    n_gates = 4
    n_states = 2

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        # registered after the fused weights; reset_parameters runs again to cover them
        self.peephole_i = nn.Parameter(torch.empty(hidden_size))
        self.peephole_f = nn.Parameter(torch.empty(hidden_size))
        self.peephole_o = nn.Parameter(torch.empty(hidden_size))
        self.reset_parameters()

    def forward(self, x_proj: Tensor, state: State) -> State:
        """One step: ``x_proj (B, 4H)`` (from :meth:`project_input`), ``state = (h, c)``."""
        h, c_prev = state
        z_i, z_f, z_g, z_o = torch.addmm(x_proj, h, self.weight_hh).chunk(4, dim=1)
        i = torch.sigmoid(torch.addcmul(z_i, self.peephole_i, c_prev))  # input gate
        f = torch.sigmoid(torch.addcmul(z_f, self.peephole_f, c_prev))  # forget gate
        g = torch.tanh(z_g)  # cell input
        c = f * c_prev + i * g
        o = torch.sigmoid(torch.addcmul(z_o, self.peephole_o, c))  # output gate peeks at c_t
        h = o * torch.tanh(c)
        return h, c


class CIFGLSTMCell(_Cell):
    """The LSTM step with coupled input and forget gates (CIFG; Greff et al. 2017, "LSTM: A Search
    Space Odyssey").

    One gate decides both how much new input is written and how much old state is forgotten:
    ``f = 1 - i``. It saves a quarter of the weights and, in Greff et al.'s study, costs little.
    """

    n_gates = 3
    n_states = 2

    def forward(self, x_proj: Tensor, state: State) -> State:
        """One step: ``x_proj (B, 3H)`` (from :meth:`project_input`), ``state = (h, c)``."""
        h, c = state
        z_i, z_g, z_o = torch.addmm(x_proj, h, self.weight_hh).chunk(3, dim=1)
        i = torch.sigmoid(z_i)  # input gate
        f = 1.0 - i  # forget gate, coupled to the input gate
        g = torch.tanh(z_g)  # cell input
        o = torch.sigmoid(z_o)  # output gate
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class GRUCell(_Cell):
    """The gated recurrent unit's step (Cho et al. 2014, "Learning Phrase Representations using
    RNN Encoder-Decoder for Statistical Machine Translation").

    ``reset_after=True`` (the default, torch's and cuDNN's form) applies the reset gate to the
    recurrent product, ``n = tanh(W_xn x + b_n + r * (W_hn h + b_hn))``, so all three gates share
    one matrix product per step. ``reset_after=False`` is the paper's form,
    ``n = tanh(W_xn x + b_n + W_hn (r * h))``, which needs a second product after ``r``.
    """

    n_gates = 3

    def __init__(self, input_size: int, hidden_size: int, reset_after: bool = True) -> None:
        super().__init__(input_size, hidden_size)
        self.reset_after = reset_after
        self.bias_hn = nn.Parameter(torch.empty(hidden_size))
        self.reset_parameters()

    def forward(self, x_proj: Tensor, state: State) -> State:
        """One step: ``x_proj (B, 3H)`` (from :meth:`project_input`), ``state = (h,)``."""
        (h,) = state
        x_r, x_z, x_n = x_proj.chunk(3, dim=1)
        if self.reset_after:
            h_r, h_z, h_n = torch.mm(h, self.weight_hh).chunk(3, dim=1)
            r = torch.sigmoid(x_r + h_r)  # reset gate
            z = torch.sigmoid(x_z + h_z)  # update gate
            n = torch.tanh(torch.addcmul(x_n, r, h_n + self.bias_hn))  # candidate state
        else:
            w_rz, w_n = self.weight_hh.split(2 * self.hidden_size, dim=1)
            h_r, h_z = torch.mm(h, w_rz).chunk(2, dim=1)
            r = torch.sigmoid(x_r + h_r)  # reset gate
            z = torch.sigmoid(x_z + h_z)  # update gate
            n = torch.tanh(torch.addmm(x_n + self.bias_hn, r * h, w_n))  # candidate state
        h = torch.lerp(n, h, z)  # h_t = (1 - z) * n + z * h_{t-1}
        return (h,)

    def load_torch_layer(self, module: nn.Module, layer: int) -> None:
        """Copy layer ``layer`` of a ``torch.nn.GRU``; ``b_hn`` stays apart from ``b_in``."""
        super().load_torch_layer(module, layer)
        hidden = self.hidden_size
        with torch.no_grad():
            self.bias[2 * hidden:].copy_(getattr(module, f"bias_ih_l{layer}")[2 * hidden:])
            self.bias_hn.copy_(getattr(module, f"bias_hh_l{layer}")[2 * hidden:])


class _Recurrent(nn.Module):
    """``num_layers`` cells run over a sequence, each layer's outputs feeding the next."""

    def __init__(self, cells: list[_Cell]) -> None:
        super().__init__()
        self.input_size = cells[0].input_size
        self.hidden_size = cells[0].hidden_size
        self.num_layers = len(cells)
        self.cells = nn.ModuleList(cells)

    def _run(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        """``x (B, T, in)``, ``state`` tensors ``(L, B, H)`` or None -> output, final state."""
        if x.size(-1) != self.input_size:
            raise ValueError(f"expected input with {self.input_size} features, got {x.shape}")
        n_states = self.cells[0].n_states
        if state is None:
            zeros = x.new_zeros(self.num_layers, x.size(0), self.hidden_size)
            state = (zeros,) * n_states
        finals = []
        for layer, cell in enumerate(self.cells):
            x, last = self._run_layer(cell, x, tuple(s[layer] for s in state))
            finals.append(last)
        return x, tuple(torch.stack(parts) for parts in zip(*finals, strict=True))

    @staticmethod
    def _run_layer(cell: _Cell, x: Tensor, state: State) -> tuple[Tensor, State]:
        # unbind, not x_proj[:, t]: the backward of T slices would write T full-size gradients
        outputs = []
        for x_proj in cell.project_input(x).unbind(1):
            state = cell(x_proj, state)
            outputs.append(state[0])
        return torch.stack(outputs, dim=1), state

    def _batched(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        """Run, accepting torch's unbatched form ``x (T, in)`` with states ``(L, H)``."""
        if x.dim() == 3:
            return self._run(x, state)
        if x.dim() != 2:
            raise ValueError(f"expected input of shape (B, T, in) or (T, in), got {x.shape}")
        if state is not None:
            state = tuple(s.unsqueeze(1) for s in state)
        output, state = self._run(x.unsqueeze(0), state)
        return output.squeeze(0), tuple(s.squeeze(1) for s in state)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"

    def _same_function(self, module: nn.RNNBase) -> bool:
        raise NotImplementedError

    def load_torch(self, module: nn.RNNBase) -> _Recurrent:
        """Copy the weights of the torch module that computes the same function (``nn.RNN`` with
        the same nonlinearity, ``nn.LSTM`` for the standard cell, ``nn.GRU`` for
        ``reset_after=True``) and has the same sizes; returns ``self``."""
        if not self._same_function(module) or module.bidirectional or not module.bias:
            raise ValueError(f"{type(module).__name__} does not compute what {self!r} does")
        if module.num_layers != self.num_layers or module.hidden_size != self.hidden_size:
            raise ValueError("torch module and this one differ in num_layers or hidden_size")
        for layer, cell in enumerate(self.cells):
            cell.load_torch_layer(module, layer)
        return self


def _layer_sizes(input_size: int, hidden_size: int, num_layers: int) -> list[int]:
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    return [input_size] + [hidden_size] * (num_layers - 1)


class ElmanRNN(_Recurrent):
    """Elman's simple recurrent network (Elman 1990, "Finding Structure in Time"), stacked.

    Parameters
    ----------
    input_size : features per step of the input.
    hidden_size : units per layer ``H``.
    num_layers : stacked layers ``L``.
    nonlinearity : ``"tanh"`` (Elman's squashing units) or ``"relu"``.

    Examples
    --------
    >>> rnn = ElmanRNN(2, 16, num_layers=2)
    >>> output, h_n = rnn(torch.zeros(4, 10, 2))
    >>> output.shape, h_n.shape
    (torch.Size([4, 10, 16]), torch.Size([2, 4, 16]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh") -> None:
        sizes = _layer_sizes(input_size, hidden_size, num_layers)
        super().__init__([ElmanCell(n, hidden_size, nonlinearity) for n in sizes])

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``input (B, T, in)``, ``hx (L, B, H)`` or None (zeros) -> ``output (B, T, H)``,
        ``h_n (L, B, H)``."""
        output, (h_n,) = self._batched(input, None if hx is None else (hx,))
        return output, h_n

    def _same_function(self, module: nn.RNNBase) -> bool:
        return isinstance(module, nn.RNN) and module.nonlinearity == self.cells[0].nonlinearity


LSTM_CELLS: dict[str, type[_Cell]] = {
    "standard": LSTMCell,
    "peephole": PeepholeLSTMCell,
    "cifg": CIFGLSTMCell,
}
"""The LSTM cell variants, by the name :class:`LSTM` takes."""


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.
    2000), stacked, with a choice of cell.

    Parameters
    ----------
    input_size : features per step of the input.
    hidden_size : units per layer ``H``.
    num_layers : stacked layers ``L``.
    cell : ``"standard"`` (:class:`LSTMCell`), ``"peephole"`` (:class:`PeepholeLSTMCell`,
        Gers & Schmidhuber 2000) or ``"cifg"`` (:class:`CIFGLSTMCell`, Greff et al. 2017).

    Examples
    --------
    >>> lstm = LSTM(2, 16, cell="peephole")
    >>> output, (h_n, c_n) = lstm(torch.zeros(4, 10, 2))
    >>> output.shape, c_n.shape
    (torch.Size([4, 10, 16]), torch.Size([1, 4, 16]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 cell: str = "standard") -> None:
        if cell not in LSTM_CELLS:
            raise ValueError(f"cell must be one of {sorted(LSTM_CELLS)}, not {cell!r}")
        sizes = _layer_sizes(input_size, hidden_size, num_layers)
        super().__init__([LSTM_CELLS[cell](n, hidden_size) for n in sizes])
        self.cell = cell

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``input (B, T, in)``, ``hx = (h0, c0)`` each ``(L, B, H)`` or None (zeros) ->
        ``output (B, T, H)``, ``(h_n, c_n)`` each ``(L, B, H)``."""
        output, (h_n, c_n) = self._batched(input, hx)
        return output, (h_n, c_n)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, cell={self.cell!r}"

    def _same_function(self, module: nn.RNNBase) -> bool:
        return isinstance(module, nn.LSTM) and self.cell == "standard" and module.proj_size == 0


class GRU(_Recurrent):
    """Gated recurrent units (Cho et al. 2014), stacked.

    Parameters
    ----------
    input_size : features per step of the input.
    hidden_size : units per layer ``H``.
    num_layers : stacked layers ``L``.
    reset_after : where the reset gate acts (see :class:`GRUCell`); True is torch's form.

    Examples
    --------
    >>> gru = GRU(2, 16)
    >>> output, h_n = gru(torch.zeros(4, 10, 2))
    >>> output.shape, h_n.shape
    (torch.Size([4, 10, 16]), torch.Size([1, 4, 16]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 reset_after: bool = True) -> None:
        sizes = _layer_sizes(input_size, hidden_size, num_layers)
        super().__init__([GRUCell(n, hidden_size, reset_after) for n in sizes])

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``input (B, T, in)``, ``hx (L, B, H)`` or None (zeros) -> ``output (B, T, H)``,
        ``h_n (L, B, H)``."""
        output, (h_n,) = self._batched(input, None if hx is None else (hx,))
        return output, h_n

    def _same_function(self, module: nn.RNNBase) -> bool:
        return isinstance(module, nn.GRU) and self.cells[0].reset_after
