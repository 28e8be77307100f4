"""A policy/value network in ONNX form, run by ONNX Runtime on the CPU, without torch.

:class:`OnnxModel` maps planes ``[B, C, N, N]`` (a float32 numpy array) to ``(policy_logits
[B, N*N+1], value [B])`` as numpy arrays. The engine plays with it when the network's 8-bit
model (made by ``go-engine quantize-network``) is there: then nothing on the way from start-up
to a move imports torch, which saves about 3 s and 200 MB per engine process on the project's
2-core machine (a match starts two engines per game). :class:`networks.go.inference.
OnnxRuntimeNet` wraps it as a torch module for training-side code.

This module imports neither torch nor onnx; ONNX Runtime is imported when a model is built.
"""

from __future__ import annotations

import numpy as np


class OnnxModel:
    """An ONNX policy/value network and its ONNX Runtime session.

    Args:
        onnx_model: the serialized model, input ``planes``, outputs ``policy`` and ``value``.
        threads: ONNX Runtime's intra-op threads (1: it computes on the calling thread and
            keeps no spinning thread pool).

    Pickling (and ``copy.deepcopy``) keeps the bytes and builds a new session.
    """

    def __init__(self, onnx_model: bytes, threads: int = 1) -> None:
        self.onnx_model = onnx_model
        self.threads = threads
        self.session = onnx_session(onnx_model, threads)

    @property
    def metadata(self) -> dict[str, str]:
        """The model's metadata fields (see :func:`networks.go.inference.with_metadata`)."""
        return dict(self.session.get_modelmeta().custom_metadata_map)

    def __call__(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        policy, value = self.session.run(
            None, {"planes": np.asarray(planes, dtype=np.float32)})
        return policy, value

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("session")
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.session = onnx_session(self.onnx_model, self.threads)


def onnx_session(onnx_model: bytes, threads: int) -> object:
    """An ONNX Runtime CPU session with ``threads`` intra-op threads and one inter-op thread.

    With one thread there is no thread pool, so nothing spins while the search works."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])
