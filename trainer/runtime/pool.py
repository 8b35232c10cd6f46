"""The process-wide runtimes: one ``Runtime`` per (model, context, GPU layers), and how
many layers to offload (``resolve_gpu_layers``: the user's setting, or what the memory
estimate says fits).
"""

from __future__ import annotations

import os
import threading
from typing import Any
from trainer.runtime.models import ModelInfo, resolve_model
from trainer.runtime.llama import DEFAULT_N_CTX, Runtime


_RUNTIMES: dict[tuple[str, int, int], Runtime] = {}


_REGISTRY_LOCK = threading.Lock()


AUTO_GPU_LAYERS = -1  # config.gpu_layers: offload what fits


_AUTO_LAYERS: dict[tuple[str, int], int] = {}  # what "auto" decided per (model path, n_ctx), once a process


def get_runtime(model: ModelInfo | str | os.PathLike[str] | None = None, *, n_ctx: int = DEFAULT_N_CTX,
                threads: int | None = None, gpu_layers: int = 0) -> Runtime:
    """The process-wide runtime for ``model`` (a ``ModelInfo``, a built-in name or a
    GGUF path), ``n_ctx`` and ``gpu_layers`` (llama.cpp's: 0 none, -1 all, n the first
    n); the model itself loads on first use."""
    info = model if isinstance(model, ModelInfo) else resolve_model(model)
    key = (str(info.path), int(n_ctx), int(gpu_layers))
    with _REGISTRY_LOCK:
        rt = _RUNTIMES.get(key)
        if rt is None:
            rt = _RUNTIMES[key] = Runtime(info, n_ctx=n_ctx, threads=threads, gpu_layers=gpu_layers)
        return rt


def gpu_offload_available() -> bool:
    """Whether this llama.cpp build can offload layers to a GPU (CUDA, Metal, Vulkan...)."""
    import llama_cpp

    return bool(getattr(llama_cpp, "llama_supports_gpu_offload", lambda: False)())


def resolve_gpu_layers(info: ModelInfo, setting: int, n_ctx: int = DEFAULT_N_CTX, *,
                       offload: bool | None = None, machine: tuple[int, int, str] | None = None) -> int:
    """llama.cpp's ``n_gpu_layers`` for the user's ``setting``.

    0 stays 0. Without a GPU build everything is 0. A positive count is kept (llama.cpp
    caps it at the layer count; "all" is -1). ``AUTO_GPU_LAYERS`` asks the memory estimate
    (``trainer.runtime.memory``) with the GPU's free memory (NVIDIA's, through nvidia-smi; a
    Metal or Vulkan build needs a count): all layers when drafting fits, the layers
    that fit when some do, else none. Decided once per model and context in a process,
    so a second call after the model loaded does not see less free memory and load it
    again.
    """
    setting = int(setting)
    if setting == 0:
        return 0
    if not (gpu_offload_available() if offload is None else offload):
        return 0
    if setting > 0:
        from ingest.kernel.config import ALL_GPU_LAYERS

        return -1 if setting >= ALL_GPU_LAYERS else setting
    key = (str(info.path), int(n_ctx))
    if machine is None and key in _AUTO_LAYERS:
        return _AUTO_LAYERS[key]  # decided once: after the load, free GPU memory would say less
    from trainer.runtime.memory import estimate, machine_memory, verdict

    gpu, ram, _ = machine or machine_memory()
    layers = 0
    if gpu:
        v = verdict(estimate(info.path, n_ctx=n_ctx, device="cuda"), gpu_bytes=gpu, ram_bytes=ram)
        layers = -1 if v.drafting == "gpu" else (v.gpu_layers if v.drafting == "partial" else 0)
    if machine is None:
        _AUTO_LAYERS[key] = layers
    return layers


def runtime_for(config: Any, model: ModelInfo | str | os.PathLike[str] | None = None) -> Runtime:
    """``get_runtime`` with the user's settings: ``config.context``, ``config.threads``
    and ``config.gpu_layers`` (see ``resolve_gpu_layers``)."""
    info = model if isinstance(model, ModelInfo) else resolve_model(model or getattr(config, "model", None))
    n_ctx = int(getattr(config, "context", 0) or DEFAULT_N_CTX)
    layers = resolve_gpu_layers(info, int(getattr(config, "gpu_layers", 0)), n_ctx)
    return get_runtime(info, n_ctx=n_ctx, threads=getattr(config, "threads", 0) or None, gpu_layers=layers)


def drop_runtimes() -> None:
    """Close and forget every cached runtime (tests, or freeing memory in the GUI)."""
    with _REGISTRY_LOCK:
        for rt in _RUNTIMES.values():
            rt.close()
        _RUNTIMES.clear()
