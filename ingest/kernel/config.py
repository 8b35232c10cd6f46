"""The one config object, stored as TOML under the user's config directory.

Resolution of the data directory, first match wins:
``--data-dir`` > ``OWNVOICE_DATA_DIR`` > ``data_dir`` in config.toml > platformdirs'
user data dir. The config file itself lives in ``OWNVOICE_CONFIG_DIR`` or
platformdirs' user config dir. The data directory is always created 0700.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_write_text, private_dir

APP = "ownvoice"


@dataclass(frozen=True)
class Config:
    data_dir: str = ""  # empty: platformdirs default
    me: tuple[str, ...] = ()  # the user's addresses
    model: str = "smollm2"  # student: "smollm2", "gemma3", or a GGUF path
    teacher: str = ""  # PLD teacher: a model name, GGUF path or http(s) URL
    allow_remote_teacher: bool = False  # must be turned on before mail leaves the machine
    threads: int = 0  # 0: from the cores
    device: str = "auto"  # training device: auto | cuda | mps | cpu
    gpu_layers: int = -1  # drafting: layers llama.cpp offloads to the GPU; -1 auto (what fits), 0 none
    context: int = 2048  # drafting: the context length in tokens (prompt and reply)
    retrieval_k: int = 3
    retrieval_tokens: int = 700
    temperature: float = 0.7
    top_p: float = 0.9
    max_tokens: int = 200
    scaffold: str = "length"  # style habits decoding keeps for pld/full: off | length | full
    greet: bool = True  # open a draft "Hi Joanna," where no register says how the user opens
    register: bool = True  # open and sign drafts as the user writes to this sender (measured: README)
    register_length: bool = False  # with register: also stop near the user's usual length to them (measured: off)
    best_of: int = 2  # samples tried per draft until one passes the reply checks (1: no retry)
    number_guard: bool = True  # drafts never type a number found neither in the thread nor in your mail
    variant: str = "full"  # what `draft` gives with no --variants (README: the measurement behind it)
    seed: int = 0
    voicepack: str = "default"
    chroma_url: str = ""  # a Chroma server (HttpClient) instead of the embedded store
    allow_remote_store: bool = False  # a chroma_url on another machine needs this (ingest.kernel.netpolicy)
    model_dirs: tuple[str, ...] = ()  # more folders `ownvoice models` looks for GGUF files in (read only)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **kw: Any) -> "Config":
        return replace(self, **kw)

    @property
    def resolved_data_dir(self) -> Path:
        return resolve_data_dir(self)


def config_dir() -> Path:
    env = os.environ.get("OWNVOICE_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP))


def cache_dir() -> Path:
    env = os.environ.get("OWNVOICE_CACHE_DIR")
    return private_dir(Path(env) if env else Path(platformdirs.user_cache_dir(APP)), tighten=True)


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config(path: Path | None = None, *, data_dir: str | None = None, overrides: bool = True) -> Config:
    """Load config.toml (missing file: defaults) and apply the data-dir overrides
    (``--data-dir``, then ``OWNVOICE_DATA_DIR``); ``overrides=False``: the file alone."""
    p = path or config_path()
    values: dict[str, Any] = {}
    if p.exists():
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"{p} is not valid TOML ({e}).", hint="Fix or delete the file.") from e
        known = {f.name for f in fields(Config)}
        for k, v in raw.items():
            if k in known:
                values[k] = tuple(v) if k in ("me", "model_dirs") else v
                if k == "gpu_layers":
                    values[k] = parse_gpu_layers(v, where=str(p))
            else:
                values.setdefault("extra", {})[k] = v
    cfg = Config(**values)
    if not overrides:
        return cfg
    env = os.environ.get("OWNVOICE_DATA_DIR")
    if data_dir:
        cfg = cfg.with_(data_dir=str(data_dir))
    elif env:
        cfg = cfg.with_(data_dir=env)
    return cfg


ALL_GPU_LAYERS = 9999  # "all": more layers than any model has (llama.cpp caps it)


def parse_gpu_layers(v: Any, *, where: str = "") -> int:
    """``"auto"`` -> -1, ``"all"`` -> every layer, a number of layers -> itself.

    >>> [parse_gpu_layers(x) for x in ("auto", "all", 0, "12")]
    [-1, 9999, 0, 12]
    """
    text = str(v).strip().lower()
    if text == "auto":
        return -1
    if text == "all":
        return ALL_GPU_LAYERS
    try:
        n = int(text)
    except ValueError:
        n = -2
    if n < -1:
        raise UserError(f"gpu_layers must be auto, all or a number of layers (got {v!r}"
                        + (f" in {where})." if where else ")."),
                        hint="Use gpu_layers = \"auto\" (what fits), 0 (CPU only) or a layer count.")
    return n


def save_config(cfg: Config, path: Path | None = None) -> Path:
    p = path or config_path()
    private_dir(p.parent, tighten=True)
    return atomic_write_text(p, dumps_toml(asdict(cfg)))


def resolve_data_dir(cfg: Config) -> Path:
    p = Path(cfg.data_dir).expanduser() if cfg.data_dir else Path(platformdirs.user_data_dir(APP))
    if p.exists() and not p.is_dir():
        raise UserError(f"The data directory {p} is a file.", hint="Pass --data-dir with a folder.")
    try:
        return private_dir(p, tighten=True)
    except PermissionError as e:
        raise UserError(f"Cannot create the data directory {p}: permission denied.",
                        hint="Pass --data-dir with a folder you can write.") from e


def dumps_toml(values: dict[str, Any]) -> str:
    """A small TOML writer for flat config values (str, bool, int, float, lists, tables).

    >>> dumps_toml({"a": 1, "b": "x", "c": [1, 2]})
    'a = 1\\nb = "x"\\nc = [1, 2]\\n'
    """
    lines: list[str] = []
    tables: list[tuple[str, dict]] = []
    for k, v in values.items():
        if isinstance(v, dict):
            if v:
                tables.append((k, v))
            continue
        lines.append(f"{k} = {_toml_value(v)}")
    for name, table in tables:
        lines.append(f"\n[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict))
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'
