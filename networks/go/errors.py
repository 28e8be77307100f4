"""The networks' error type, in a module of its own so that the engine can catch it without
importing torch (an engine running the 8-bit ONNX model never does)."""


class CheckpointError(Exception):
    """A checkpoint that cannot be read, or cannot be used as asked."""
