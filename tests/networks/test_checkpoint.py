"""Checkpoints: exact round trips, weights_only loading, wrappers and devices, each error
message, and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from networks.go import checkpoint as ckpt
from networks.go.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from networks.go.policy_value import NetConfig, build_network

PLANES = 6
CONFIG = NetConfig.named("b2c16", in_planes=PLANES)
FEATURES = ("compact", 1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _trained(config: NetConfig = CONFIG) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A small network after two Adam steps (so weights, running stats and optimizer state
    all differ from a fresh one)."""
    torch.manual_seed(0)
    model = build_network(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randn(4, PLANES, 9, 9)
    for _ in range(2):
        policy, value = model(x)
        loss = F.cross_entropy(policy, torch.tensor([0, 5, 80, 81])) + value.square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval(), optimizer


def _save(path: Path, model: nn.Module, config: NetConfig = CONFIG, **kwargs) -> Path:
    return save_checkpoint(path, model, net_config=config, feature_set=FEATURES[0],
                           feature_version=FEATURES[1], **kwargs)


def _outputs(model: nn.Module, size: int = 9) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(123)
    with torch.no_grad():
        return model(torch.randn(3, PLANES, size, size))


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model, optimizer = _trained()
    path = _save(tmp_path / "net.pt", model, optimizer_state=optimizer.state_dict(), step=42,
                 extra={"loss": 1.25, "games": [1, 2], "note": "test"})
    loaded = load_checkpoint(path, expect_features=FEATURES)
    assert not loaded.model.training
    for want, got in zip(_outputs(model), _outputs(loaded.model), strict=True):
        assert torch.equal(want, got)
    assert loaded.net_config == CONFIG
    assert (loaded.feature_set, loaded.feature_version) == FEATURES
    assert loaded.step == 42 and loaded.path == path
    assert loaded.extra == {"loss": 1.25, "games": [1, 2], "note": "test"}
    assert loaded.torch_version == torch.__version__
    fresh = torch.optim.Adam(loaded.model.parameters(), lr=1e-2)
    fresh.load_state_dict(loaded.optimizer_state)
    assert fresh.state_dict()["state"][0]["step"] == 2
    assert not (tmp_path / "net.pt.tmp").exists()


def test_file_is_plain_for_weights_only_loading(tmp_path: Path) -> None:
    model, optimizer = _trained()
    path = _save(tmp_path / "net.pt", model, optimizer_state=optimizer.state_dict())
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "go-engine-checkpoint" and payload["format_version"] == 1
    assert payload["features"] == {"name": "compact", "version": 1}
    assert payload["net_config"] == CONFIG.to_dict()
    assert all(t.dtype in (torch.float32, torch.int64) for t in payload["state_dict"].values())


def test_non_plain_metadata_is_refused_before_writing(tmp_path: Path) -> None:
    model, _ = _trained()
    with pytest.raises(TypeError, match=r"extra\['when'\] holds a object"):
        _save(tmp_path / "net.pt", model, extra={"when": object()})
    assert list(tmp_path.iterdir()) == []


def test_compiled_wrapped_and_half_precision_models_round_trip(tmp_path: Path) -> None:
    model, _ = _trained()
    want = _outputs(model)

    class DataParallelLike(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.module = inner

    compiled = torch.compile(model)  # compiles lazily: never called here
    assert next(iter(compiled.state_dict())).startswith("_orig_mod.")
    for i, wrapped in enumerate([compiled, DataParallelLike(model)]):
        loaded = load_checkpoint(_save(tmp_path / f"w{i}.pt", wrapped))
        for a, b in zip(want, _outputs(loaded.model), strict=True):
            assert torch.equal(a, b)
    half = build_network(CONFIG).half()
    loaded = load_checkpoint(_save(tmp_path / "half.pt", half))
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_model_round_trips(tmp_path: Path) -> None:
    model, _ = _trained()
    want = _outputs(model)
    path = _save(tmp_path / "gpu.pt", model.cuda())
    assert load_checkpoint(path, map_location="cuda").model.stem[0].weight.is_cuda
    for a, b in zip(want, _outputs(load_checkpoint(path).model), strict=True):
        assert torch.equal(a, b)


# --- errors ---------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.pt"
    with pytest.raises(CheckpointError, match=f"^no checkpoint at {path}$"):
        load_checkpoint(path)


def test_truncated_and_random_files(tmp_path: Path) -> None:
    good = _save(tmp_path / "good.pt", _trained()[0]).read_bytes()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good[: len(good) // 2])
    noise = tmp_path / "noise.pt"
    noise.write_bytes(os.urandom(4096))
    text = tmp_path / "text.pt"
    text.write_text("not a network\n")
    for path in (truncated, noise, text):
        with pytest.raises(CheckpointError, match="is not a readable checkpoint: "):
            load_checkpoint(path)


def test_foreign_torch_files(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.pt"
    torch.save({"epoch": 3, "weights": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match=r"is not a go-engine checkpoint \(a dict with keys "
                                              r"\['epoch', 'weights'\]"):
        load_checkpoint(foreign)
    bare = tmp_path / "bare.pt"
    torch.save(build_network(CONFIG).state_dict(), bare)
    with pytest.raises(CheckpointError, match=r"not a go-engine checkpoint \(a bare state dict"):
        load_checkpoint(bare)
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.ones(3), tensor)
    with pytest.raises(CheckpointError, match=r"not a go-engine checkpoint \(a Tensor"):
        load_checkpoint(tensor)


def _rewrite(path: Path, **changes) -> None:
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    torch.save(payload, path)


def test_newer_format_version(tmp_path: Path) -> None:
    path = _save(tmp_path / "net.pt", _trained()[0])
    _rewrite(path, format_version=2)
    with pytest.raises(CheckpointError, match="format version 2; this engine reads versions "
                                              "up to 1"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_config(tmp_path: Path) -> None:
    model, _ = _trained()
    deeper = _save(tmp_path / "deeper.pt", model, config=CONFIG.with_(blocks=3))
    with pytest.raises(CheckpointError, match=r"weights do not fit the network config b3c16: "
                                              r"missing key 'trunk\.2\.conv1\.weight' \(and "):
        load_checkpoint(deeper)
    shallower = _save(tmp_path / "shallower.pt", model, config=CONFIG.with_(blocks=1))
    with pytest.raises(CheckpointError, match=r"unexpected key 'trunk\.1\.conv1\.weight'"):
        load_checkpoint(shallower)
    wider = _save(tmp_path / "wider.pt", model, config=CONFIG.with_(value_hidden=64))
    with pytest.raises(CheckpointError, match=r"'value_head\.hidden\.weight' has shape "
                                              r"\[128, 96\], the network expects \[64, 96\]"):
        load_checkpoint(wider)
    bad_config = _save(tmp_path / "bad_config.pt", model)
    _rewrite(bad_config, net_config={**CONFIG.to_dict(), "kind": "transformer"})
    with pytest.raises(CheckpointError, match="invalid network config: kind must be"):
        load_checkpoint(bad_config)


def test_other_features_are_refused(tmp_path: Path) -> None:
    path = _save(tmp_path / "net.pt", _trained()[0])
    with pytest.raises(CheckpointError, match=f"^{path} was trained on features 'compact' v1; "
                                              "this engine feeds 'alphago' v1$"):
        load_checkpoint(path, expect_features=("alphago", 1))
    with pytest.raises(CheckpointError, match="'compact' v1; this engine feeds 'compact' v2"):
        load_checkpoint(path, expect_features=("compact", 2))
    assert load_checkpoint(path).feature_set == "compact"  # no expectation: anything goes


# --- atomic writes --------------------------------------------------------------------------

def test_failed_save_leaves_the_old_checkpoint(tmp_path: Path, monkeypatch) -> None:
    model, _ = _trained()
    path = _save(tmp_path / "net.pt", model, step=1)
    before = path.read_bytes()

    def broken_save(obj, file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        _save(path, build_network(CONFIG), step=2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not (tmp_path / "net.pt.tmp").exists()
    assert load_checkpoint(path).step == 1


def test_save_creates_folders_and_overwrites(tmp_path: Path) -> None:
    model, _ = _trained()
    path = tmp_path / "runs" / "a" / "net.pt"
    _save(path, model, step=1)
    _save(path, model, step=2)
    assert load_checkpoint(path).step == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["net.pt"]


def test_pickled_module_is_refused_without_running_code(tmp_path: Path) -> None:
    path = tmp_path / "whole_model.pt"
    torch.save(build_network(CONFIG), path)
    with pytest.raises(CheckpointError, match=r"is not a go-engine checkpoint \(it pickles "
                                              r"objects that weights-only loading refuses: "
                                              r"Unsupported global: GLOBAL networks\.go"):
        load_checkpoint(path)


def test_extra_defaults_to_an_empty_dict(tmp_path: Path) -> None:
    assert load_checkpoint(_save(tmp_path / "net.pt", _trained()[0])).extra == {}
