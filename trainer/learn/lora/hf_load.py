"""Load a GGUF file as a transformers torch model, with a safetensors cache.

transformers can read a GGUF file directly (``from_pretrained(dir, gguf_file=...)``),
dequantizing every tensor to float. That load is slow in Python (tokenizer metadata
is parsed twice, the tensor-name map is rebuilt per tensor), so the first load saves
the dequantized model and its tokenizer with ``save_pretrained`` (safetensors only,
never pickle) into ``cache_dir()/hf/<sha256 of the gguf>/``; later loads read that.

Also here: reading a GGUF's header facts (architecture, layer and head counts) with
the ``gguf`` package, and a SHA-256 of the file memoised by (path, size, mtime).

What it leaves out: the GGUF's own quantization is not kept (the torch model is
float); models transformers cannot read from GGUF raise a UserError.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.kernel.config import cache_dir
from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_replace_dir, atomic_write_json, private_dir, sha256_file
from ingest.kernel.privacy import lock_down

CACHE_FORMAT = 2  # 2: config_overrides applied


@dataclass(frozen=True)
class GGUFFacts:
    """What the adapter export and the trainer need from a GGUF header."""

    path: Path
    arch: str  # general.architecture, e.g. "llama", "gemma3"
    n_layers: int
    n_head: int
    n_head_kv: int
    sha256: str
    has_chat_template: bool


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}


def read_gguf_kv(path: str | os.PathLike[str], keys: set[str] | None = None) -> dict[str, Any]:
    """The scalar and string metadata of a GGUF header (arrays are skipped).

    Much faster than ``gguf.GGUFReader``, which decodes every tokenizer array
    (262k entries for Gemma). Raises ValueError on a malformed header.
    """
    out: dict[str, Any] = {}
    with open(path, "rb") as f:
        def rd(fmt: str) -> Any:
            size = struct.calcsize(fmt)
            b = f.read(size)
            if len(b) != size:
                raise ValueError("truncated GGUF header")
            return struct.unpack(fmt, b)[0]

        def rstr() -> str:
            n = rd("<Q")
            if n > 1 << 26:
                raise ValueError("implausible string length")
            return f.read(n).decode("utf-8", errors="replace")

        def skip(t: int) -> None:
            if t in _SCALARS:
                f.seek(struct.calcsize(_SCALARS[t]), 1)
            elif t == 8:
                f.seek(rd("<Q"), 1)
            elif t == 9:
                et, n = rd("<I"), rd("<Q")
                if et in _SCALARS:
                    f.seek(struct.calcsize(_SCALARS[et]) * n, 1)
                else:
                    for _ in range(n):
                        skip(et)
            else:
                raise ValueError(f"unknown GGUF value type {t}")

        if f.read(4) != b"GGUF":
            raise ValueError("no GGUF magic")
        version = rd("<I")
        if version < 2:
            raise ValueError(f"GGUF version {version} is too old")
        rd("<Q")  # tensor count
        n_kv = rd("<Q")
        for _ in range(n_kv):
            key = rstr()
            t = rd("<I")
            if t in _SCALARS and (keys is None or key in keys):
                out[key] = rd(_SCALARS[t])
            elif t == 8 and (keys is None or key in keys):
                out[key] = rstr()
            else:
                skip(t)
    return out


def gguf_facts(path: str | os.PathLike[str]) -> GGUFFacts:
    """Read architecture, layer and head counts from a GGUF header.

    A file that is not a readable GGUF is a UserError.
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"The model file {p} does not exist.", hint="Pass an existing .gguf file.")
    try:
        kv = read_gguf_kv(p)
    except (ValueError, OSError, struct.error) as e:
        raise UserError(f"{p} is not a readable GGUF model ({e}).",
                        hint="Pass a GGUF file that llama.cpp can load.") from e
    arch = kv.get("general.architecture")
    if not arch:
        raise UserError(f"{p} has no general.architecture.", hint="Pass a GGUF model file.")
    n_head = int(kv.get(f"{arch}.attention.head_count") or 0)
    n_kv = kv.get(f"{arch}.attention.head_count_kv")
    return GGUFFacts(path=p, arch=str(arch), n_layers=int(kv.get(f"{arch}.block_count") or 0),
                     n_head=n_head, n_head_kv=int(n_kv) if n_kv else n_head, sha256=file_sha256(p),
                     has_chat_template="tokenizer.chat_template" in kv)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a (large) file, memoised in the cache by path, size and mtime."""
    p = Path(path).resolve()
    st = p.stat()
    memo = cache_dir() / "hf" / "sha256.json"
    key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), str):
        return known[key]
    digest = sha256_file(p)
    known = known if isinstance(known, dict) else {}
    known[key] = digest
    try:
        atomic_write_json(memo, known)
    except OSError:
        pass
    return digest


def hf_cache_path(facts: GGUFFacts) -> Path:
    return cache_dir() / "hf" / facts.sha256


def load_hf(gguf_path: str | os.PathLike[str], *, dtype: Any = None,
            facts: GGUFFacts | None = None) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for a GGUF file, loading from the cache when it exists.

    ``dtype`` is a torch dtype (default float32). The model is returned in eval mode
    on the CPU; the caller moves it.
    """
    lock_down()  # offline before transformers loads
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    facts = facts or gguf_facts(gguf_path)
    dtype = dtype or torch.float32
    cached = hf_cache_path(facts)
    if _cache_format(cached) != CACHE_FORMAT:  # none yet, or written by an older ownvoice
        shutil.rmtree(cached, ignore_errors=True)
        _build_cache(facts, cached)
    try:
        tok = AutoTokenizer.from_pretrained(str(cached))
        model = AutoModelForCausalLM.from_pretrained(str(cached), dtype=dtype, use_safetensors=True)
    except Exception as e:  # noqa: BLE001 - a damaged cache is rebuilt once
        shutil.rmtree(cached, ignore_errors=True)
        _build_cache(facts, cached)
        try:
            tok = AutoTokenizer.from_pretrained(str(cached))
            model = AutoModelForCausalLM.from_pretrained(str(cached), dtype=dtype, use_safetensors=True)
        except Exception as e2:  # noqa: BLE001
            raise UserError(f"Could not load the cached torch copy of {facts.path} ({e2}).",
                            hint=f"Delete {cached} and try again.") from e
    model.eval()
    return model, tok


def _cache_format(cached: Path) -> int | None:
    try:
        return int(json.loads((cached / "ownvoice.json").read_text(encoding="utf-8")).get("format"))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def config_overrides(kv: dict[str, Any]) -> dict[str, Any]:
    """Config values transformers' GGUF reader leaves at its defaults but llama.cpp reads
    from the file (or derives), so that both runtimes run the same model.

    - qwen3: ``head_dim`` from ``attention.key_length`` (transformers assumes 128);
    - gemma2 / gemma3: ``query_pre_attn_scalar``, which llama.cpp takes as the head size,
      or hidden size / heads for the 27B models (transformers assumes 256).

    >>> config_overrides({"general.architecture": "gemma2", "gemma2.attention.key_length": 128,
    ...                   "gemma2.block_count": 46, "gemma2.embedding_length": 4608,
    ...                   "gemma2.attention.head_count": 32})
    {'query_pre_attn_scalar': 144}
    """
    arch = str(kv.get("general.architecture") or "")
    key_len = kv.get(f"{arch}.attention.key_length")
    if not key_len:
        return {}
    if arch == "qwen3":
        return {"head_dim": int(key_len)}
    if arch in ("gemma2", "gemma3"):
        layers = int(kv.get(f"{arch}.block_count") or 0)
        big = layers == (46 if arch == "gemma2" else 62)  # llama.cpp's LLM_TYPE_27B
        heads = int(kv.get(f"{arch}.attention.head_count") or 0)
        embd = int(kv.get(f"{arch}.embedding_length") or 0)
        return {"query_pre_attn_scalar": embd // heads if big and heads else int(key_len)}
    return {}


def _build_cache(facts: GGUFFacts, dst: Path) -> None:
    """Dequantize the GGUF through transformers once and save it as safetensors."""
    lock_down()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer.learn.lora.archs import arch_for

    src = facts.path
    arch_for(facts.arch, src.name)  # an architecture LoRA cannot train is refused before the slow load
    try:
        tok = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
        model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name,
                                                     dtype=torch.float32, **config_overrides(read_gguf_kv(src)))
    except Exception as e:  # noqa: BLE001 - unsupported architectures etc.
        raise UserError(f"transformers cannot load {src.name} for training "
                        f"(architecture {facts.arch}: {type(e).__name__}: {e}).",
                        hint="Train on one of the built-in models (smollm2, gemma3) "
                             "or a GGUF of an architecture transformers supports.") from e
    # The model is fully dequantized; drop the GGUF "quantizer" so it saves as plain weights.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        delattr(model.config, "quantization_config")
    private_dir(dst.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        model.save_pretrained(str(tmp), safe_serialization=True)
        tok.save_pretrained(str(tmp))
        atomic_write_json(tmp / "ownvoice.json", {"format": CACHE_FORMAT, "gguf": str(src),
                                                  "sha256": facts.sha256, "arch": facts.arch})
        atomic_replace_dir(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
