"""The voice: learn it (the scorer and the chosen routes), read and edit what was
learned (the voice card, the style prompt), and the student models to learn it with.

``learn`` is the one place that turns the config and the user's options into the
options ``trainer.learn.routes.learn`` takes, for the CLI and the GUI alike.
What it leaves out: the routes themselves (``trainer.learn``) and how a result is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, ProgressFn, no_progress


def learn_options(cfg: Config, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The options ``learn`` passes the routes: the config's model, device and teacher,
    then the user's own (a None leaves the config's value)."""
    base = {"model": cfg.model, "device": cfg.device, "teacher": cfg.teacher or None,
            "allow_remote": cfg.allow_remote_teacher}
    given = {k: v for k, v in (options or {}).items() if v is not None}
    return {k: v for k, v in {**base, **given}.items() if v is not None}


def learn(ws, routes: str | list[str], options: dict[str, Any] | None = None, *, model: str | None = None,
          teacher: str | None = None, allow_remote_teacher: bool = False, pack: str | None = None,
          progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Fit the voice scorer and run ``routes`` (``"rag,pld"`` or a list) into the pack;
    ``model``/``teacher``/``allow_remote_teacher`` override the config for this run."""
    from trainer.learn.routes import LearnContext, learn as core_learn, parse_routes

    chosen = parse_routes(routes)  # a bad route name fails before the store opens
    cfg = ws.config
    if model:
        cfg = cfg.with_(model=model)
    if teacher:
        cfg = cfg.with_(teacher=teacher)
    if allow_remote_teacher:
        cfg = cfg.with_(allow_remote_teacher=True)
    from ingest.store.store import with_identity

    store = ws.store()
    cfg = with_identity(cfg, store)  # the store's user, not the global config's
    ctx = LearnContext(store=store, pack=ws.pack(pack), config=cfg, data_dir=ws.data_dir,
                       options=learn_options(cfg, options))
    return core_learn(chosen, ctx, progress, cancel)


def describe_edits(summary: dict) -> str:
    """One sentence on what the last learn took from the user's edited drafts."""
    from trainer.learn.pld.edits import describe_summary

    return describe_summary(summary)


# -- the voice card --------------------------------------------------------------------------
@dataclass(frozen=True)
class VoiceCard:
    """What the Voice page shows about the pack (read from its files)."""

    style_prompt: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    pack_path: str = ""
    loss_curve: tuple = ()  # the trained adapter's records: {"step", "loss", "heldout_loss"?, "lr"}
    edits: dict[str, Any] = field(default_factory=dict)  # what the last learn took from edits (trainer.learn.routes)


def read_voice_card(ws) -> VoiceCard:
    from trainer.voicepack import LOSSES, PROFILE, PROMPT_FILE

    pack = ws.pack()
    p = pack.file(PROMPT_FILE)
    prompt = p.read_text(encoding="utf-8") if p.exists() else ""
    try:
        losses = pack.read_json(LOSSES) or {}
    except UserError:
        losses = {}  # a damaged loss record only costs the plot, not the voice card
    raw = losses.get("curve") if isinstance(losses, dict) else None
    curve = tuple(r for r in raw if isinstance(r, dict) and "step" in r) if isinstance(raw, list) else ()
    return VoiceCard(style_prompt=prompt, profile=pack.read_json(PROFILE) or {},
                     routes=pack.manifest().get("routes", {}), pack_path=str(pack.path), loss_curve=curve,
                     edits=pack.manifest().get("edits") or {})


def save_style_prompt(ws, text: str) -> Path:
    from trainer.voicepack import PROMPT_FILE

    return ws.pack().write_text(PROMPT_FILE, text)


# -- models ----------------------------------------------------------------------------------
def list_models(progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> list:
    """The built-in student models (``trainer.runtime.models``)."""
    from trainer.runtime.models import list_models as core_list_models

    return list(core_list_models())


def discover_models(ws, extra: list[str] | tuple[str, ...] = (), progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> list:
    """The GGUF models other local-model apps and the configured folders hold (read only)."""
    return _discover(ws, extra)[0]


def _discover(ws, extra) -> tuple[list, list]:  # noqa: ANN001
    from trainer.runtime.discover import discover

    found, skipped = discover(extra=[*ws.config.model_dirs, *extra])
    return list(found), list(skipped)


def lora_supported(arch: str) -> bool:
    """Whether LoRA can train a model of this architecture (drafting works with any)."""
    from trainer.learn.lora.archs import is_supported

    return is_supported(arch)


def model_memory(model: str, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict | None:
    """The memory estimate and verdict for ``model`` (a name or a GGUF path) on this
    machine, before loading it (``trainer.runtime.memory``); None when it names no model file."""
    from trainer.runtime.memory import model_memory as estimate
    from trainer.runtime.models import resolve_model

    try:
        info = resolve_model(model)
    except UserError:
        return None
    return estimate(info.path) if info.ready else None


def prepare_model(name: str) -> Any:
    """Assemble and check a built-in model now (``trainer.runtime.models.resolve_model``)."""
    from trainer.runtime.models import resolve_model

    return resolve_model(name)


@dataclass(frozen=True)
class ModelTable:
    rows: list[dict]  # ModelInfo.to_json() plus "default", "lora" and "memory"
    skipped: list  # files discovery passed over, with the reason


def model_table(ws, *, check: str | None = None, dirs: list[str] | tuple[str, ...] = (), discover: bool = True,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> ModelTable:
    """Every model this machine can run, each with whether it is the default, whether LoRA
    can train it, and whether it fits in memory (estimated before loading anything)."""
    from trainer.runtime.memory import machine_memory, model_memory as estimate
    from trainer.runtime.models import EMBEDDED, list_models as core_list_models, resolve_model

    cfg = ws.config
    infos = core_list_models()
    extra = check or (cfg.model if cfg.model not in EMBEDDED else None)
    if extra:
        infos.append(resolve_model(extra))  # a bad file is a UserError with the reason
    rows = [i.to_json() for i in infos]
    skipped: list = []
    if discover:
        found, skipped = _discover(ws, list(dirs))
        known = {str(i.path) for i in infos if i.ready}
        rows += [f.to_json() for f in found if str(f.path) not in known]
    machine = machine_memory()
    for r in rows:
        r["default"] = r["name"] == cfg.model or r["path"] == cfg.model
        r["lora"] = lora_supported(r["arch"])  # drafting works with any; LoRA with trainer.learn.lora.archs
        try:  # before loading anything: weights, KV cache at 4k context, LoRA training at 512 tokens
            r["memory"] = estimate(r["path"], machine=machine) if r.get("ready", True) else None
        except Exception as e:  # noqa: BLE001 - a file that vanished or changed since it was listed
            r["memory"] = {"error": f"{type(e).__name__}: {e}"[:200]}
    return ModelTable(rows, skipped)
