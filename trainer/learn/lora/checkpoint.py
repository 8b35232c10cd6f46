"""Training checkpoints without pickle: safetensors for tensors, JSON for the rest.

A checkpoint is a folder::

    adapter.safetensors    the trainable LoRA weights (and ``best.*``: the best so far)
    optimizer.safetensors  AdamW moments and step counts, keyed ``<param index>.<name>``
    rng.safetensors        torch CPU (and CUDA) RNG states (uint8 tensors)
    state.json             format, step, data position, losses, settings, python and
                           numpy RNG states, optimizer param_groups

It is written into a temporary folder next to it and swapped in with
``atomic_replace_dir``, so a kill at any moment leaves the previous checkpoint or
the new one. Anything unreadable on load is a UserError that says to start fresh.

What it leaves out: sharded or multi-process checkpoints (one process trains).
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_replace_dir, atomic_write_bytes, atomic_write_json, private_dir

FORMAT = "ownvoice-lora-checkpoint"
VERSION = 1


def damaged(path: Path, why: str) -> UserError:
    return UserError(f"The training checkpoint {path} cannot be resumed ({why}).",
                     hint=f"Start fresh: run without --resume, or delete {path}.")


def rng_state() -> tuple[dict[str, Any], dict[str, Any]]:
    """``(tensors, json)`` capturing torch, CUDA, python and numpy RNG states."""
    import torch

    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{i}"] = s
    py = random.getstate()
    npst = np.random.get_state()
    js = {"python": [py[0], list(py[1]), py[2]],
          "numpy": [npst[0], npst[1].tolist(), int(npst[2]), int(npst[3]), float(npst[4])]}
    return tensors, js


def set_rng_state(tensors: dict[str, Any], js: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(tensors["torch"].to(torch.uint8))
    cuda = sorted(k for k in tensors if k.startswith("cuda."))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensors[k].to(torch.uint8) for k in cuda])
    py = js["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = js["numpy"]
    np.random.set_state((n[0], np.array(n[1], dtype=np.uint32), n[2], n[3], n[4]))


def optimizer_tensors(opt: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Split ``opt.state_dict()`` into flat tensors and JSON-able param groups."""
    import torch

    sd = opt.state_dict()
    flat: dict[str, Any] = {}
    for idx, st in sd["state"].items():
        for k, v in st.items():
            t = v if isinstance(v, torch.Tensor) else torch.tensor(float(v))
            if t.dim() == 0:
                flat[f"{idx}.{k}"] = t.detach().reshape(1).clone()
                flat[f"{idx}.{k}.__scalar__"] = torch.zeros(0)
            else:
                flat[f"{idx}.{k}"] = t.detach().contiguous()
    return flat, sd["param_groups"]


def optimizer_state(flat: dict[str, Any], groups: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, t in flat.items():
        if key.endswith(".__scalar__"):
            continue
        idx, name = key.split(".", 1)
        if f"{key}.__scalar__" in flat:
            t = t.reshape(())
        state.setdefault(int(idx), {})[name] = t
    return {"state": state, "param_groups": groups}


def save(path: Path, *, adapter: dict[str, Any], optimizer: Any, state: dict[str, Any]) -> Path:
    """Write a checkpoint folder atomically."""
    from safetensors.torch import save as st_save

    opt_flat, groups = optimizer_tensors(optimizer)
    rng_t, rng_js = rng_state()
    private_dir(path.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        atomic_write_bytes(tmp / "adapter.safetensors",
                           st_save({k: v.detach().cpu().contiguous() for k, v in adapter.items()}))
        atomic_write_bytes(tmp / "optimizer.safetensors",
                           st_save({k: v.cpu() for k, v in opt_flat.items()}) if opt_flat else st_save({"__empty__": _empty()}))
        atomic_write_bytes(tmp / "rng.safetensors", st_save({k: v.cpu() for k, v in rng_t.items()}))
        atomic_write_json(tmp / "state.json", {"format": FORMAT, "version": VERSION, **state,
                                               "rng": rng_js, "param_groups": groups})
        atomic_replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _empty() -> Any:
    import torch

    return torch.zeros(0)


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint folder: ``{"state", "adapter", "optimizer", "rng"}``.

    Raises a UserError (start fresh) for anything missing or damaged.
    """
    from safetensors.torch import load as st_load

    if not (path / "state.json").is_file():
        raise damaged(path, "state.json is missing")
    try:
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError("not an ownvoice LoRA checkpoint")
        if int(state.get("version", 0)) != VERSION:
            raise ValueError(f"format version {state.get('version')}, expected {VERSION}")
        adapter = st_load((path / "adapter.safetensors").read_bytes())
        opt = st_load((path / "optimizer.safetensors").read_bytes())
        opt.pop("__empty__", None)
        rng = st_load((path / "rng.safetensors").read_bytes())
        for key in ("step", "epoch", "cursor", "rng", "param_groups", "settings"):
            if key not in state:
                raise ValueError(f"state.json lacks {key!r}")
        if "torch" not in rng:
            raise ValueError("rng.safetensors lacks the torch RNG state")
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 - any decode failure means a damaged checkpoint
        raise damaged(path, f"{type(e).__name__}: {e}") from e
    return {"state": state, "adapter": adapter,
            "optimizer": optimizer_state(opt, state["param_groups"]), "rng": rng}
