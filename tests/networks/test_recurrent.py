"""ElmanRNN, LSTM (standard, peephole, CIFG cells) and GRU: torch's contract, torch's numbers,
the cells' equations, gradient flow, and the adding problem (LSTM solves it, a plain RNN
fails)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

from networks.deep.recurrent import (
    GRU,
    LSTM,
    CIFGLSTMCell,
    ElmanRNN,
    GRUCell,
    LSTMCell,
    PeepholeLSTMCell,
)
from networks.tasks.adding import SOLVED_MSE, AddingConfig, adding_problem, train_adding

B, T, IN, H = 3, 7, 5, 4


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _modules(num_layers: int = 1, hidden: int = H) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {
        "elman": ElmanRNN(IN, hidden, num_layers),
        "elman-relu": ElmanRNN(IN, hidden, num_layers, nonlinearity="relu"),
        "lstm": LSTM(IN, hidden, num_layers),
        "peephole": LSTM(IN, hidden, num_layers, cell="peephole"),
        "cifg": LSTM(IN, hidden, num_layers, cell="cifg"),
        "gru": GRU(IN, hidden, num_layers),
        "gru-reset-before": GRU(IN, hidden, num_layers, reset_after=False),
    }


def _states(state) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def _as_hx(module: nn.Module, states: tuple[torch.Tensor, ...]):
    """The initial-state argument in torch's form: ``(h0, c0)`` for an LSTM, else ``h0``."""
    return states if isinstance(module, LSTM) else states[0]


def _random_state(module: nn.Module, *shape: int):
    return _as_hx(module, tuple(torch.randn(*shape) for _ in range(module.cells[0].n_states)))


# -- torch's calling convention ---------------------------------------------------------------

@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("name", list(_modules()))
def test_shapes_follow_torch_batch_first(name: str, num_layers: int) -> None:
    module = _modules(num_layers)[name]
    output, state = module(torch.randn(B, T, IN))
    assert output.shape == (B, T, H)
    for s in _states(state):
        assert s.shape == (num_layers, B, H)
    # output is the last layer's h at every step; h_n holds every layer's last h
    torch.testing.assert_close(output[:, -1], _states(state)[0][-1])


@pytest.mark.parametrize("name", list(_modules()))
def test_unbatched_input_matches_a_batch_of_one(name: str) -> None:
    module = _modules(2)[name]
    x = torch.randn(T, IN)
    state = _random_state(module, 2, H)
    output, final = module(x, state)
    batched = _as_hx(module, tuple(s.unsqueeze(1) for s in _states(state)))
    expected, expected_final = module(x.unsqueeze(0), batched)
    assert output.shape == (T, H)
    torch.testing.assert_close(output, expected[0])
    for s, e in zip(_states(final), _states(expected_final), strict=True):
        assert s.shape == (2, H)
        torch.testing.assert_close(s, e[:, 0])


@pytest.mark.parametrize("name", list(_modules()))
def test_initial_state_carries_a_sequence_across_calls(name: str) -> None:
    """Running T steps at once equals running the halves, passing the state between them."""
    module = _modules(2)[name]
    x = torch.randn(B, T, IN)
    state = _random_state(module, 2, B, H)
    whole, whole_final = module(x, state)
    first, middle = module(x[:, :3], state)
    second, final = module(x[:, 3:], middle)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
    for s, e in zip(_states(final), _states(whole_final), strict=True):
        torch.testing.assert_close(s, e)
    # the default initial state is zeros, and the initial state matters
    default, _ = module(x)
    zeros = _as_hx(module, tuple(torch.zeros_like(s) for s in _states(state)))
    torch.testing.assert_close(module(x, zeros)[0], default)
    assert not torch.allclose(default, whole)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="cell"):
        LSTM(2, 3, cell="mystery")
    with pytest.raises(ValueError, match="nonlinearity"):
        ElmanRNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="num_layers"):
        GRU(2, 3, num_layers=0)
    with pytest.raises(ValueError, match="features"):
        LSTM(2, 3)(torch.zeros(1, 4, 5))


def test_top_level_names_are_these_modules() -> None:
    import networks

    assert networks.LSTM is LSTM and networks.GRU is GRU and networks.ElmanRNN is ElmanRNN


# -- torch's numbers ----------------------------------------------------------------------------

TORCH_PAIRS = {
    "rnn-tanh": (lambda L: nn.RNN(IN, H, L, batch_first=True), lambda L: ElmanRNN(IN, H, L)),
    "rnn-relu": (lambda L: nn.RNN(IN, H, L, nonlinearity="relu", batch_first=True),
                 lambda L: ElmanRNN(IN, H, L, nonlinearity="relu")),
    "lstm": (lambda L: nn.LSTM(IN, H, L, batch_first=True), lambda L: LSTM(IN, H, L)),
    "gru": (lambda L: nn.GRU(IN, H, L, batch_first=True), lambda L: GRU(IN, H, L)),
}


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("pair", list(TORCH_PAIRS))
def test_standard_cells_reproduce_torch(pair: str, num_layers: int) -> None:
    """With torch's weights copied in, outputs, final states and gradients (for the input and
    every layer's weights; ours are stored transposed) agree to 1e-5."""
    make_reference, make_ours = TORCH_PAIRS[pair]
    torch.manual_seed(1)
    reference = make_reference(num_layers)
    ours = make_ours(num_layers).load_torch(reference)
    x = torch.randn(B, 20, IN, requires_grad=True)
    state = _random_state(ours, num_layers, B, H)
    weights = {
        reference: [getattr(reference, f"weight_{k}_l{layer}")
                    for layer in range(num_layers) for k in ("ih", "hh")],
        ours: [getattr(cell, f"weight_{k}") for cell in ours.cells for k in ("ih", "hh")],
    }
    results = []
    for module in (reference, ours):
        output, final = module(x, state)
        grads = torch.autograd.grad(output.square().sum(), [x, *weights[module]])
        results.append((output, _states(final), grads))
    (ref_out, ref_final, ref_grads), (out, final, grads) = results
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=0)
    for s, r in zip(final, ref_final, strict=True):
        torch.testing.assert_close(s, r, atol=1e-5, rtol=0)
    torch.testing.assert_close(grads[0], ref_grads[0], atol=1e-5, rtol=0)
    for g, r in zip(grads[1:], ref_grads[1:], strict=True):
        torch.testing.assert_close(g, r.t(), atol=1e-5, rtol=1e-5)


def test_torch_weights_load_only_into_the_same_function() -> None:
    with pytest.raises(ValueError, match="num_layers"):
        LSTM(IN, H, 2).load_torch(nn.LSTM(IN, H, 1, batch_first=True))
    for ours, theirs in [(LSTM(IN, H, cell="peephole"), nn.LSTM(IN, H)),
                         (GRU(IN, H, reset_after=False), nn.GRU(IN, H)),
                         (ElmanRNN(IN, H), nn.RNN(IN, H, nonlinearity="relu")),
                         (LSTM(IN, H), nn.GRU(IN, H)),
                         (LSTM(IN, H), nn.LSTM(IN, H, bidirectional=True))]:
        with pytest.raises(ValueError, match="does not compute"):
            ours.load_torch(theirs)


# -- the variant cells' equations --------------------------------------------------------------

def _step_inputs(gates: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(2)
    return torch.randn(B, gates * H), torch.randn(B, H), torch.randn(B, H)


def test_peephole_cell_without_peepholes_is_the_standard_cell() -> None:
    torch.manual_seed(3)
    standard, peephole = LSTMCell(IN, H), PeepholeLSTMCell(IN, H)
    with torch.no_grad():
        peephole.weight_hh.copy_(standard.weight_hh)
        for p in (peephole.peephole_i, peephole.peephole_f, peephole.peephole_o):
            p.zero_()
    x_proj, h, c = _step_inputs(4)
    for a, b in zip(peephole(x_proj, (h, c)), standard(x_proj, (h, c)), strict=True):
        torch.testing.assert_close(a, b)


def test_peepholes_see_the_old_cell_for_i_f_and_the_new_cell_for_o() -> None:
    """Gers & Schmidhuber (2000): i and f peek at c_{t-1}, o at c_t, through diagonal weights."""
    torch.manual_seed(4)
    cell = PeepholeLSTMCell(IN, H)
    x_proj, h, c_prev = _step_inputs(4)
    z_i, z_f, z_g, z_o = (x_proj + h @ cell.weight_hh).chunk(4, dim=1)
    i = torch.sigmoid(z_i + cell.peephole_i * c_prev)
    f = torch.sigmoid(z_f + cell.peephole_f * c_prev)
    c = f * c_prev + i * torch.tanh(z_g)
    o = torch.sigmoid(z_o + cell.peephole_o * c)
    h_new, c_new = cell(x_proj, (h, c_prev))
    torch.testing.assert_close(c_new, c)
    torch.testing.assert_close(h_new, o * torch.tanh(c))


def test_cifg_cell_is_a_standard_cell_whose_forget_gate_mirrors_its_input_gate() -> None:
    """sigmoid(-z) = 1 - sigmoid(z): a standard cell with f's weights = -i's weights is CIFG."""
    torch.manual_seed(5)
    cifg, standard = CIFGLSTMCell(IN, H), LSTMCell(IN, H)
    w_i, w_g, w_o = cifg.weight_hh.detach().chunk(3, dim=1)
    with torch.no_grad():
        standard.weight_hh.copy_(torch.cat([w_i, -w_i, w_g, w_o], dim=1))
    x_proj, h, c = _step_inputs(3)
    x_i, x_g, x_o = x_proj.chunk(3, dim=1)
    mirrored = torch.cat([x_i, -x_i, x_g, x_o], dim=1)
    for a, b in zip(cifg(x_proj, (h, c)), standard(mirrored, (h, c)), strict=True):
        torch.testing.assert_close(a, b)
    assert cifg.weight_hh.shape == (H, 3 * H)  # a quarter fewer recurrent weights


def test_gru_reset_before_is_cho_et_al_2014() -> None:
    """The paper's candidate: n = tanh(W_n x + b_n + U_n (r * h)); h' = z h + (1 - z) n."""
    torch.manual_seed(6)
    cell = GRUCell(IN, H, reset_after=False)
    x_proj, h, _ = _step_inputs(3)
    u_r, u_z, u_n = cell.weight_hh.chunk(3, dim=1)
    x_r, x_z, x_n = x_proj.chunk(3, dim=1)
    r = torch.sigmoid(x_r + h @ u_r)
    z = torch.sigmoid(x_z + h @ u_z)
    n = torch.tanh(x_n + cell.bias_hn + (r * h) @ u_n)
    (h_new,) = cell(x_proj, (h,))
    torch.testing.assert_close(h_new, z * h + (1 - z) * n)
    after = GRUCell(IN, H, reset_after=True)
    after.load_state_dict(cell.state_dict())  # the two forms have the same parameters...
    assert not torch.allclose(after(x_proj, (h,))[0], h_new)  # ...but are different functions


# -- gradients -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(_modules()))
def test_gradient_reaches_every_parameter_and_the_first_step(name: str) -> None:
    module = _modules(2, hidden=16)[name]  # 16 units: some ReLUs may be silent, not all
    x = torch.randn(B, T, IN, requires_grad=True)
    output, _ = module(x)
    output[:, -1].sum().backward()
    for parameter_name, parameter in module.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert torch.isfinite(parameter.grad).all(), parameter_name
        assert parameter.grad.abs().sum() > 0, parameter_name
    assert x.grad[:, 0].abs().sum() > 0  # the loss at step T depends on the input at step 1


@pytest.mark.parametrize("cell", ["peephole", "cifg"])
def test_variant_cells_pass_gradcheck(cell: str) -> None:
    """No torch twin for these two: check autograd against finite differences in float64."""
    torch.manual_seed(7)
    module = LSTM(2, 3, cell=cell).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inputs: module(inputs)[0], (x,))


# -- the adding problem --------------------------------------------------------------------------

def test_adding_problem_data() -> None:
    x, y = adding_problem(500, 30, generator=3)
    assert x.shape == (500, 30, 2) and y.shape == (500,)
    markers = x[..., 1]
    assert torch.all(markers.sum(dim=1) == 2)
    assert torch.all(markers[:, :15].sum(dim=1) == 1)  # one marker in each half
    torch.testing.assert_close((x[..., 0] * markers).sum(dim=1), y)
    assert 0.12 < ((y - 1.0) ** 2).mean() < 0.22  # predicting 1.0 scores about 1/6
    again, y_again = adding_problem(500, 30, generator=3)
    assert torch.equal(again, x) and torch.equal(y_again, y)
    stream = torch.Generator().manual_seed(3)
    assert not torch.equal(adding_problem(5, 30, stream)[1], adding_problem(5, 30, stream)[1])


# Small versions of the benchmark: hidden 32, Adam lr 1e-2, at most 400 steps. Measured with
# seeds 0-2 at T = 10 the LSTM solves by step 250-300; at T = 20 it solves by step 350 (seeds 0,
# 1), while the Elman RNN's test MSE stays at 0.155-0.2 for 400 steps (the LSTM's T = 20 run is
# left to the benchmark, for time).
SMALL = AddingConfig(length=10, hidden_size=32, batch_size=50, lr=1e-2, max_steps=400,
                     eval_every=50, test_size=500, seed=0)


def test_lstm_solves_a_short_adding_problem() -> None:
    run = train_adding(lambda i, h: LSTM(i, h), SMALL)
    assert run.solved_at is not None and run.solved_at <= 400
    assert run.test_mse[-1] < SOLVED_MSE


def test_plain_rnn_fails_a_longer_adding_problem() -> None:
    run = train_adding(lambda i, h: ElmanRNN(i, h), replace(SMALL, length=20))
    assert run.solved_at is None
    assert min(run.test_mse[1:]) > 0.1  # not merely slow: it has not found the markers at all


def test_demo_saves_a_picture(tmp_path, monkeypatch) -> None:
    pytest.importorskip("matplotlib")
    from networks.demo import run
    from networks.demos import lstm as demo

    # the plumbing only: the quick curves themselves take a few seconds more
    monkeypatch.setattr(demo, "QUICK", replace(demo.QUICK, max_steps=50))
    path = run("lstm", tmp_path, quick=True)
    assert path.exists() and path.suffix == ".png" and path.stat().st_size > 10_000
