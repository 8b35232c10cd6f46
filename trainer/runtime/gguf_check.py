"""Validate a GGUF file's header before llama.cpp ever opens it.

llama.cpp aborts or segfaults on some damaged files (a truncated download, a text file
renamed ``.gguf``), which would take the whole app down. ``check_gguf`` reads the
header in pure Python, with every length checked against the file size:

- magic ``GGUF`` and version 1..3;
- sane tensor and metadata counts;
- every metadata key/value parses inside the file;
- every tensor's dimensions, type and data range lie inside the file (so a
  truncated copy is caught).

What it leaves out: it does not checksum tensor data (a flipped bit inside the
weights passes), and it does not check that the architecture is one this llama.cpp
build supports (llama.cpp reports that itself, without crashing).

>>> check_gguf("notes.txt")  # doctest: +SKIP
Traceback (most recent call last):
ingest.kernel.errors.UserError: notes.txt is not a GGUF model file (it starts with 'Hell', not 'GGUF'). ...
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.kernel.errors import UserError

MAGIC = b"GGUF"
MAX_TENSORS = 1 << 20
MAX_KV = 1 << 16
MAX_DIMS = 4
# the largest vocabularies are ~262k tokens (Gemma); a header claiming more strings or nested
# elements than this is forged, and walking it would take minutes on a multi-GB sparse file
MAX_ARRAY = 1 << 22
_HINT = "Point to a complete .gguf model file (re-download or re-export it)."

# GGUF metadata value types -> struct format (fixed-size scalars)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
_KEEP_ARRAYS = False  # tokenizer vocabularies are skipped, not decoded


@dataclass(frozen=True)
class GGUFHeader:
    path: Path
    version: int
    n_tensors: int
    n_kv: int
    arch: str
    name: str
    kind: str  # general.type: "model" | "adapter" | "" (older files)
    alignment: int
    data_offset: int
    file_size: int
    has_chat_template: bool
    metadata: dict[str, Any] = field(default_factory=dict)  # scalars and short strings only
    tensors: tuple[tuple[str, tuple[int, ...], int, int], ...] = ()  # (name, dims, ggml type, offset)

    @property
    def n_params(self) -> int:
        """Parameters: every tensor's element count, summed."""
        return sum(tensor_elements(dims) for _name, dims, *_ in self.tensors)


def tensor_elements(dims: tuple[int, ...]) -> int:
    n = 1
    for d in dims:
        n *= int(d)
    return n


def _type_sizes() -> dict[int, tuple[int, int]]:
    """ggml type id -> (block size, bytes per block), from the gguf package."""
    try:
        from gguf.constants import GGML_QUANT_SIZES  # type: ignore

        return {int(k): (int(v[0]), int(v[1])) for k, v in GGML_QUANT_SIZES.items()}
    except Exception:  # pragma: no cover - gguf is a core dependency
        return {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 8: (32, 34), 12: (256, 144),
                14: (256, 210), 30: (1, 2)}


class _Reader:
    def __init__(self, buf: mmap.mmap | bytes, size: int, label: str, version: int = 3) -> None:
        self.buf, self.size, self.pos, self.label, self.version = buf, size, 0, label, version

    def fail(self, what: str) -> UserError:
        return UserError(f"{self.label} is damaged or truncated: {what} (at byte {self.pos} "
                         f"of {self.size}).", hint=_HINT)

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise self.fail(f"{what} runs past the end of the file")

    def unpack(self, fmt: str, what: str) -> Any:
        n = struct.calcsize("<" + fmt)
        self.need(n, what)
        (v,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += n
        return v

    def count(self, what: str) -> int:
        return self.unpack("I" if self.version == 1 else "Q", what)

    def string(self, what: str, keep: bool = True) -> str:
        n = self.count(f"{what} length")
        self.need(n, what)
        raw = bytes(self.buf[self.pos:self.pos + n]) if keep else b""
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def _skip_strings(self, n: int, what: str) -> None:
        fmt = "<I" if self.version == 1 else "<Q"
        width = struct.calcsize(fmt)
        unpack, buf, pos, size = struct.unpack_from, self.buf, self.pos, self.size
        for _ in range(n):
            if pos + width > size:
                self.pos = pos
                raise self.fail(f"{what} runs past the end of the file")
            pos += width + unpack(fmt, buf, pos)[0]
        if pos > size:
            raise self.fail(f"{what} runs past the end of the file")
        self.pos = pos

    def value(self, vtype: int, what: str, keep: bool = True, depth: int = 0) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype], what)
        if vtype == _STRING:
            return self.string(what, keep)
        if vtype == _ARRAY:
            if depth > 2:
                raise self.fail(f"{what} nests arrays too deeply")
            etype = self.unpack("I", f"{what} element type")
            n = self.count(f"{what} element count")
            if etype in _SCALARS:  # fixed size: skip in one step
                width = struct.calcsize("<" + _SCALARS[etype])
                self.need(n * width, what)
                self.pos += n * width
                return None
            if etype not in (_STRING, _ARRAY):
                raise self.fail(f"{what} has unknown element type {etype}")
            if n > self.size - self.pos or n > MAX_ARRAY:  # every element takes at least one byte
                raise self.fail(f"{what} claims {n} elements")
            if etype == _STRING:  # the hot path (tokenizer vocabularies): skip lengths fast
                self._skip_strings(n, what)
                return None
            for _ in range(n):
                self.value(etype, what, keep=False, depth=depth + 1)
            return None
        raise self.fail(f"{what} has unknown value type {vtype}")


def check_gguf(path: str | os.PathLike[str]) -> GGUFHeader:
    """Parse and bounds-check the header of ``path``; raise ``UserError`` if it is not a
    complete GGUF file. Never touches llama.cpp."""
    p = Path(path).expanduser()
    label = str(p)
    if not p.exists():
        raise UserError(f"Model file {label} does not exist.", hint="Check the path.")
    if not p.is_file():
        raise UserError(f"{label} is not a file.", hint="Point to a .gguf model file.")
    size = p.stat().st_size
    if size < 24:
        raise UserError(f"{label} is not a GGUF model file ({size} bytes).", hint=_HINT)
    try:
        with open(p, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _parse(p, mm, size, label)
    except PermissionError as e:
        raise UserError(f"Cannot read {label}: permission denied.", hint="Check the file's permissions.") from e
    except OSError as e:
        raise UserError(f"Cannot read {label} ({e.strerror or e}).", hint=_HINT) from e


def _parse(p: Path, mm: mmap.mmap, size: int, label: str) -> GGUFHeader:
    # long: the GGUF header read field by field in file order, each with its own bound check;
    # the order is the format's, and splitting it would pass the offset through every piece
    head = bytes(mm[:4])
    if head != MAGIC:
        shown = head.decode("latin-1")
        shown = repr(shown) if shown.isprintable() else head.hex()
        raise UserError(f"{label} is not a GGUF model file (it starts with {shown}, not 'GGUF').",
                        hint=_HINT)
    r = _Reader(mm, size, label)
    r.pos = 4
    version = r.unpack("I", "version")
    if not 1 <= version <= 3:
        raise UserError(f"{label} has GGUF version {version}; this ownvoice reads versions 1 to 3.",
                        hint="Convert the model with a current llama.cpp, or pick another file.")
    r.version = version
    n_tensors = r.count("tensor count")
    n_kv = r.count("metadata count")
    if n_tensors > MAX_TENSORS or n_kv > MAX_KV:
        raise r.fail(f"implausible counts ({n_tensors} tensors, {n_kv} metadata entries)")
    meta: dict[str, Any] = {}
    has_template = False
    for i in range(n_kv):
        key = r.string(f"metadata key #{i}")
        vtype = r.unpack("I", f"type of {key!r}")
        val = r.value(vtype, f"value of {key!r}")
        if key == "tokenizer.chat_template":
            has_template = bool(val)
        if val is not None and (not isinstance(val, str) or len(val) <= 256):
            meta[key] = val
    alignment = meta.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise r.fail(f"general.alignment {alignment!r} is not a power of two")
    sizes = _type_sizes()
    infos = []
    for i in range(n_tensors):
        name = r.string(f"tensor #{i} name")
        n_dims = r.unpack("I", f"tensor {name!r} rank")
        if not 1 <= n_dims <= MAX_DIMS:
            raise r.fail(f"tensor {name!r} has rank {n_dims}")
        dims = tuple(r.count(f"tensor {name!r} shape") for _ in range(n_dims))
        ttype = r.unpack("I", f"tensor {name!r} type")
        offset = r.unpack("Q", f"tensor {name!r} offset")
        infos.append((name, dims, ttype, offset))
    data_offset = -(-r.pos // alignment) * alignment
    for name, dims, ttype, offset in infos:
        if ttype not in sizes:
            raise r.fail(f"tensor {name!r} has unknown type {ttype}")
        block, bsize = sizes[ttype]
        n = 1
        for d in dims:
            n *= d
        if dims and dims[0] % block:
            raise r.fail(f"tensor {name!r} row of {dims[0]} is not a multiple of its block size {block}")
        nbytes = n // block * bsize
        if offset % alignment:
            raise r.fail(f"tensor {name!r} data offset {offset} is not aligned")
        end = data_offset + offset + nbytes
        if end > size:
            raise UserError(f"{label} is truncated: tensor {name!r} needs bytes up to {end}, "
                            f"but the file has {size}.", hint=_HINT)
    return GGUFHeader(
        path=p, version=version, n_tensors=n_tensors, n_kv=n_kv,
        arch=str(meta.get("general.architecture", "")), name=str(meta.get("general.name", "")),
        kind=str(meta.get("general.type", "")), alignment=alignment, data_offset=data_offset,
        file_size=size, has_chat_template=has_template, metadata=meta, tensors=tuple(infos),
    )
