"""Shared fixtures of the component tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def one_torch_thread():
    """One torch thread for the test (the machine runs other processes; two intra-op threads
    were no faster here), restored afterwards. Torch is imported here, not at collection, so
    the numpy components' tests never load it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
