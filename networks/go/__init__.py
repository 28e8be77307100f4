"""The Go engine's neural networks: the policy/value network, its checkpoints and its export
for inference.

* :mod:`networks.go.policy_value`: :class:`NetConfig` and the networks it builds (the residual
  policy/value network that plays any board size; AlphaGo's separate policy and value nets).
* :mod:`networks.go.checkpoint`: versioned, atomic checkpoints with clear errors.
* :mod:`networks.go.inference`: :func:`export_for_inference` (batch norm folded, run by ONNX
  Runtime on the CPU, or traced and frozen).
* :mod:`networks.go.onnx_model`: :class:`OnnxModel`, an exported network run by ONNX Runtime
  without torch (how the engine plays with the 8-bit model).

Torch (and ONNX Runtime, for inference; :mod:`~networks.go.onnx_model` and
:mod:`~networks.go.errors` import no torch); this package never imports ``go_engine`` (the engine
imports it). Names are resolved lazily (PEP 562), like :mod:`networks`.
"""

from __future__ import annotations

from networks._lazy import lazy_names

_LOCATIONS = {
    "NetConfig": "networks.go.policy_value",
    "PolicyValueNet": "networks.go.policy_value",
    "AlphaGoPolicyNet": "networks.go.policy_value",
    "AlphaGoValueNet": "networks.go.policy_value",
    "NAMED_SIZES": "networks.go.policy_value",
    "build_network": "networks.go.policy_value",
    "parameter_count": "networks.go.policy_value",
    "Checkpoint": "networks.go.checkpoint",
    "CheckpointError": "networks.go.errors",
    "save_checkpoint": "networks.go.checkpoint",
    "load_checkpoint": "networks.go.checkpoint",
    "export_for_inference": "networks.go.inference",
    "OnnxRuntimeNet": "networks.go.inference",
    "OnnxModel": "networks.go.onnx_model",
}

__all__, __getattr__, __dir__ = lazy_names("networks.go", _LOCATIONS)
