"""GGUF models the user already has on disk, found where local-model apps keep them.

Looked for, read only (a file is header-checked with ``trainer.runtime.gguf_check``, never
copied, moved or written):
- LM Studio: ``~/.lmstudio/models`` and, from older versions, ``~/.cache/lm-studio/models``;
- Ollama: ``~/.ollama/models`` (or ``$OLLAMA_MODELS``): each manifest under
  ``manifests/`` names its model layer, a blob under ``blobs/`` (``sha256-<hex>``), and
  the entry is named ``model:tag`` after the manifest's path;
- GPT4All: ``~/.local/share/nomic.ai/GPT4All`` (Linux) and
  ``~/Library/Application Support/nomic.ai/GPT4All`` (macOS);
- the Hugging Face cache: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
  ``~/.cache/huggingface/hub`` (``models--*/snapshots/*``);
- llama.cpp's cache: ``$LLAMA_CACHE``, else ``~/.cache/llama.cpp``;
- folders the user adds (``model_dirs`` in config.toml, ``ownvoice models --dir``).

Each entry says what a person choosing a model wants to know: architecture, parameter
count (the file's ``general.size_label``, else counted from its tensor shapes),
quantisation (``general.file_type``), context length, whether it is an instruct model
(it has a chat template) and the file size. A file that is not a usable model (a LoRA
adapter, a vocabulary-only file, a damaged header) is listed under ``skipped`` with the
reason, never raised.

What it leaves out: no downloads and no model hub; symlinks are followed only to files
(the Hugging Face cache links snapshots to blobs); at most ``MAX_FILES`` files per
folder are looked at, and folders deeper than ``MAX_DEPTH`` are not entered.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from ingest.kernel.errors import UserError
from trainer.runtime.gguf_check import GGUFHeader, check_gguf

MAX_FILES = 2000
MAX_DEPTH = 8
_OLLAMA_MODEL = "application/vnd.ollama.image.model"


@dataclass(frozen=True)
class Found:
    name: str
    path: Path
    source: str  # "lmstudio" | "ollama" | "gpt4all" | "huggingface" | "llama.cpp" | "folder"
    arch: str
    params: str  # "135M", "8.0B"; "" when unknown
    quant: str  # "Q4_K_M", "F16"; "" when unknown
    context_length: int | None
    instruct: bool
    size_bytes: int

    def to_json(self) -> dict:
        return {"name": self.name, "path": str(self.path), "arch": self.arch, "source": self.source,
                "params": self.params, "quant": self.quant, "context_length": self.context_length,
                "instruct": self.instruct, "kind": "instruct" if self.instruct else "base",
                "size_bytes": self.size_bytes}


@dataclass(frozen=True)
class Skipped:
    path: Path
    source: str
    reason: str

    def to_json(self) -> dict:
        return {"path": str(self.path), "source": self.source, "reason": self.reason}


def places(home: Path | None = None, env: dict[str, str] | None = None,
           extra: Sequence[str | os.PathLike[str]] = ()) -> list[tuple[str, Path]]:
    """(source, folder) pairs to look in, existing or not."""
    home = Path(home) if home is not None else Path.home()
    env = dict(os.environ if env is None else env)
    hf = Path(env["HF_HUB_CACHE"]) if env.get("HF_HUB_CACHE") else (
        Path(env["HF_HOME"]) / "hub" if env.get("HF_HOME") else home / ".cache" / "huggingface" / "hub")
    out = [("lmstudio", home / ".lmstudio" / "models"), ("lmstudio", home / ".cache" / "lm-studio" / "models"),
           ("ollama", Path(env["OLLAMA_MODELS"]) if env.get("OLLAMA_MODELS") else home / ".ollama" / "models"),
           ("gpt4all", home / ".local" / "share" / "nomic.ai" / "GPT4All"),
           ("gpt4all", home / "Library" / "Application Support" / "nomic.ai" / "GPT4All"),
           ("huggingface", hf),
           ("llama.cpp", Path(env["LLAMA_CACHE"]) if env.get("LLAMA_CACHE") else home / ".cache" / "llama.cpp")]
    out += [("folder", Path(p).expanduser()) for p in extra]
    return out


def discover(home: Path | None = None, env: dict[str, str] | None = None,
             extra: Sequence[str | os.PathLike[str]] = ()) -> tuple[list[Found], list[Skipped]]:
    """Every GGUF model found in ``places``, each file once (by its resolved path)."""
    found: list[Found] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for source, folder in places(home, env, extra):
        if not folder.is_dir():
            continue
        candidates = _ollama(folder) if source == "ollama" else _gguf_files(folder, source)
        for name, path in candidates:
            try:
                real = path.resolve()
            except OSError:
                continue
            if real in seen:
                continue
            seen.add(real)
            try:
                h = check_gguf(real)
            except UserError as e:
                skipped.append(Skipped(path, source, e.message))
                continue
            reason = _not_a_model(h)
            if reason:
                skipped.append(Skipped(path, source, reason))
                continue
            found.append(_entry(name, path, source, h))
    return found, skipped


def _gguf_files(folder: Path, source: str) -> Iterator[tuple[str, Path]]:
    n = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        depth = len(Path(root).relative_to(folder).parts)
        if depth >= MAX_DEPTH:
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") or d == ".cache")
        for f in sorted(files):
            if not f.lower().endswith(".gguf"):
                continue
            n += 1
            if n > MAX_FILES:
                return
            p = Path(root) / f
            yield _name(p, folder, source), p


def _name(p: Path, folder: Path, source: str) -> str:
    if source == "huggingface":  # models--org--repo/snapshots/<rev>/file.gguf
        repo = next((part for part in p.relative_to(folder).parts if part.startswith("models--")), "")
        if repo:
            return repo[len("models--"):].replace("--", "/") + "/" + p.name
    return p.stem


def _ollama(folder: Path) -> Iterator[tuple[str, Path]]:
    """(model:tag, blob) for each Ollama manifest that names a model layer."""
    manifests = folder / "manifests"
    if not manifests.is_dir():
        return
    n = 0
    for root, _dirs, files in os.walk(manifests, followlinks=False):
        for f in sorted(files):
            n += 1
            if n > MAX_FILES:
                return
            path = Path(root) / f
            try:
                if path.stat().st_size > 1 << 20:
                    continue
                data = json.loads(path.read_text(encoding="utf-8"))
                digest = next(layer["digest"] for layer in data.get("layers", [])
                              if layer.get("mediaType") == _OLLAMA_MODEL)
            except (OSError, ValueError, StopIteration, KeyError, TypeError, AttributeError):
                continue
            if not isinstance(digest, str) or not digest.startswith("sha256:"):
                continue
            rel = path.relative_to(manifests).parts  # registry/namespace/model/tag
            name = f"{rel[-2]}:{rel[-1]}" if len(rel) >= 2 else rel[-1]
            if len(rel) >= 3 and rel[-3] not in ("library",):
                name = f"{rel[-3]}/{name}"
            yield name, folder / "blobs" / digest.replace(":", "-")


def _not_a_model(h: GGUFHeader) -> str:
    if h.kind == "adapter":
        return "a LoRA adapter, not a model"
    if not any(name.endswith(".weight") and "blk." in name for name, *_ in h.tensors):
        return "no model weights (a vocabulary-only or projector file)"
    return ""


def _entry(name: str, path: Path, source: str, h: GGUFHeader) -> Found:
    md = h.metadata
    ctx = md.get(f"{h.arch}.context_length")
    return Found(name=name, path=path, source=source, arch=h.arch, params=_params(h), quant=_quant(md),
                 context_length=int(ctx) if isinstance(ctx, int) else None, instruct=h.has_chat_template,
                 size_bytes=h.file_size)


def _params(h: GGUFHeader) -> str:
    label = h.metadata.get("general.size_label")
    if isinstance(label, str) and label.strip():
        return label.strip()
    total = h.n_params
    if not total:
        return ""
    if total >= 1e9:
        return f"{total / 1e9:.1f}B"
    return f"{round(total / 1e6)}M" if total >= 1e6 else f"{round(total / 1e3)}K"


def _quant(md: dict) -> str:
    ft = md.get("general.file_type")
    if not isinstance(ft, int):
        return ""
    try:
        from gguf import LlamaFileType

        return LlamaFileType(ft).name.removeprefix("MOSTLY_")
    except (ImportError, ValueError):
        return f"type {ft}"

