"""A fake NVML with pynvml's own names, structures and errors, for machines without a GPU.

It returns the real ``pynvml`` ctypes structures (``c_nvmlMemory_t``, ``c_nvmlUtilization_t``) and
raises the real ``pynvml.NVMLError`` subclasses, so code under test cannot tell it from the real
module except by the devices it reports. Pass it where the code takes ``nvml=``.

>>> nvml = FakeNvml([FakeGpu("NVIDIA H100 80GB HBM3", "GPU-11111111-2222-3333-4444-555555555555")])
>>> nvml.nvmlInit(); nvml.nvmlDeviceGetCount()
1
"""

from __future__ import annotations

from dataclasses import dataclass

import pynvml

NVMLError = pynvml.NVMLError
GIB = 1024**3


@dataclass
class FakeGpu:
    """One device: what NVML would report for it."""

    name: str
    uuid: str
    total_bytes: int = 80 * GIB
    free_bytes: int = 79 * GIB
    utilization: int | None = 0  # None: NVML_ERROR_NOT_SUPPORTED, as on MIG slices


@dataclass(frozen=True)
class _Handle:
    index: int


class FakeNvml:
    """``nvmlInit`` ... ``nvmlShutdown`` over a list of :class:`FakeGpu`; ``init_error`` fails init
    the way a machine without a driver does (``pynvml.NVML_ERROR_LIBRARY_NOT_FOUND``)."""

    NVMLError = pynvml.NVMLError

    def __init__(self, gpus: list[FakeGpu], init_error: int | None = None) -> None:
        self.gpus, self.init_error = gpus, init_error
        self.initialized = 0
        self.calls: list[str] = []

    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)
        self.initialized += 1

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")
        self._check()
        self.initialized -= 1

    def nvmlDeviceGetCount(self) -> int:
        self._check()
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        self._check()
        if not 0 <= index < len(self.gpus):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return _Handle(index)

    def nvmlDeviceGetUUID(self, handle: _Handle) -> str:
        return self._gpu(handle).uuid

    def nvmlDeviceGetName(self, handle: _Handle) -> str:
        return self._gpu(handle).name

    def nvmlDeviceGetMemoryInfo(self, handle: _Handle) -> pynvml.c_nvmlMemory_t:
        g = self._gpu(handle)
        return pynvml.c_nvmlMemory_t(total=g.total_bytes, free=g.free_bytes, used=g.total_bytes - g.free_bytes)

    def nvmlDeviceGetUtilizationRates(self, handle: _Handle) -> pynvml.c_nvmlUtilization_t:
        g = self._gpu(handle)
        if g.utilization is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return pynvml.c_nvmlUtilization_t(gpu=g.utilization, memory=0)

    def _gpu(self, handle: _Handle) -> FakeGpu:
        self._check()
        return self.gpus[handle.index]

    def _check(self) -> None:
        if self.initialized <= 0:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_UNINITIALIZED)


def h100s(n: int) -> FakeNvml:
    """``n`` H100s with distinct, realistic UUIDs."""
    return FakeNvml([FakeGpu("NVIDIA H100 80GB HBM3", f"GPU-{i:08x}-1c2d-3e4f-5a6b-7c8d9e0f1a2b", utilization=10 * i)
                     for i in range(n)])
