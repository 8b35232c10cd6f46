"""Drafting: find the message to answer, draft replies to it variant by variant and
score each draft, export a draft as an .eml reply, and keep an edited draft as the
user's own writing.

The message comes from the store (Message-ID header or store id), an .eml file (only
read) or plain text. ``draft`` scores what it drafted with the pack's voice scorer and
the leak check (RC_atom per variant when there are two samples or more), so the CLI's
summary and ``--json`` carry the same scores the Draft page colours. The store is used
only where the data dir has one, and the voice pack only where it was learned.
What it leaves out: streaming to a screen (``on_token``/``on_restart`` callbacks) and
the drafting itself (``trainer.draft.drafting``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from ingest.kernel.config import Config
from ingest.kernel.errors import Cancelled, UserError
from ingest.kernel.jobs import CancelToken, ProgressFn, check, no_progress
from ingest.kernel.records import Message
from ingest.store.pairing import one_line, reply_subject  # noqa: F401 - the Draft page's header lines

NO_SCORER = "Nothing is learned yet, so drafts are unscored: run `ownvoice learn` (or Learn on the Voice page)."


# -- the message to answer -------------------------------------------------------------------
def message_from_eml(path: str, hint: str = "Open an .eml file saved from a mail client, or paste the text.") -> Message:
    """Read one .eml file (only read) with the importer's parser."""
    from ingest.sources import read_message

    return read_message(path, hint=hint)


def stored_message(ws, message_id: str, hint: str = "Check the id (`ownvoice search` shows ids).") -> Message:
    """A stored message by its Message-ID header or its store id."""
    store = ws.store()
    mid = message_id.strip()
    message = store.by_message_id(mid) or store.get(mid)
    if message is None:
        raise UserError(f"No stored message has the Message-ID or id {mid!r}.", hint=hint)
    return message


def message_from_text(text: str) -> Message:
    return Message(source="cli", item="text", body=text, text=text)


# -- drafting --------------------------------------------------------------------------------
def runtime_settings(cfg: Config, *, gpu_layers: str | None = None, context: int | None = None,
                     threads: int | None = None, model: str | None = None, max_tokens: int | None = None,
                     temperature: float | None = None, seed: int | None = None) -> Config:
    """``cfg`` with the runtime's GPU layers, context length and threads, the model and the
    sampling settings set (None: as configured)."""
    from ingest.kernel.config import parse_gpu_layers

    kw: dict[str, Any] = {k: v for k, v in (("model", model), ("max_tokens", max_tokens),
                                            ("temperature", temperature), ("seed", seed)) if v is not None}
    if gpu_layers is not None:
        kw["gpu_layers"] = parse_gpu_layers(gpu_layers, where="--gpu-layers")
    if context is not None:
        if context < 256:
            raise UserError(f"--context {context} is too small.", hint="Use 256 tokens or more (2048 is usual).")
        kw["context"] = context
    if threads is not None:
        kw["threads"] = max(0, threads)
    return cfg.with_(**kw) if kw else cfg


def draft_config(ws) -> Config:
    """The config drafts are written with: the store's user where there is a store."""
    store = ws.store_if_exists()
    return ws.config_for_store(store) if store is not None else ws.config


@dataclass(frozen=True)
class Scored:
    """One draft's DraftScore and the atoms the leak check flagged."""

    score: Any  # trainer.score.scorer.DraftScore
    leaked: tuple = ()  # trainer.score.atoms.Atom, copied from mail outside the thread

    def to_json(self) -> dict:
        return {**self.score.to_json(), "leaked": [a.text for a in self.leaked]}


@dataclass(frozen=True)
class ScoredDrafts:
    """A DraftResult plus each draft's scores and each variant's RC_atom."""

    result: Any  # trainer.draft.drafting.DraftResult
    scores: dict[tuple[str, int], Scored]  # (variant, sample) -> Scored
    rc: dict[str, float | None]
    scorer_note: str = ""  # why drafts are unscored (no scorer learned yet)
    config: Config | None = None  # what the drafts were written with (export_eml's From)


def draft(ws, message: Message, variants: list[str] | str | None, n: int, on_token: Callable | None = None,
          on_restart: Callable | None = None, *, config: Config | None = None, pack: str | None = None,
          partial: bool = False, progress: ProgressFn = no_progress,
          cancel: CancelToken | None = None) -> ScoredDrafts:
    """Draft ``n`` replies per variant (None: the config's) and score them.

    ``config``: as ``draft_config`` gives, with any runtime and sampling settings
    (``runtime_settings``). A cancel raises
    ``Cancelled``; with ``partial`` it returns what was drafted before it, unscored.
    """
    from trainer.draft.drafting import draft as core_draft

    store = ws.store_if_exists()
    cfg = config or draft_config(ws)
    voice = ws.learned_pack(pack)
    result = core_draft(message, variants=variants, n=n, store=store, pack=voice, config=cfg, on_token=on_token,
                        on_restart=on_restart, progress=progress, cancel=cancel)
    if result.cancelled or (cancel is not None and cancel.cancelled):
        if partial:
            return ScoredDrafts(result, {}, {}, "", cfg)
        raise Cancelled()
    texts = {(d.variant, d.sample): d.text for d in result.drafts}
    try:
        scores, rc, note = _score(voice, store, texts, message.thread or None, cancel)
    except Cancelled:
        if not partial:
            raise
        return ScoredDrafts(replace(result, cancelled=True), {}, {}, "cancelled before scoring", cfg)
    return ScoredDrafts(result, scores, rc, note, cfg)


def score_texts(ws, texts: dict[tuple[str, int], str], thread: str | None = None,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None):
    """Score each text with the voice scorer and the leak check; RC_atom per variant.

    Returns ``(scores, rc, note)``; ``note`` says why nothing was scored (no scorer yet).
    """
    return _score(ws.learned_pack(), ws.store_if_exists(), texts, thread, cancel)


def _score(pack: Any, store: Any, texts: dict[tuple[str, int], str], thread: str | None,
           cancel: CancelToken | None):  # noqa: ANN202
    from trainer.score.checks import leak
    from trainer.score.metrics import rc_atom
    from trainer.score.scorer import VoiceScorer

    if pack is None:
        return {}, {}, NO_SCORER
    try:
        scorer = VoiceScorer.load(pack)
    except UserError as e:
        return {}, {}, str(e)
    scores: dict[tuple[str, int], Scored] = {}
    for key, text in texts.items():
        check(cancel)
        ds = scorer.score_text(text, embed=store.embed if store is not None else None)
        leaked = leak(text, store, exclude_thread=thread, atoms=list(ds.atoms)).leaked if store is not None else ()
        scores[key] = Scored(ds, tuple(leaked))
    rc: dict[str, float | None] = {}
    for variant in {v for v, _ in texts}:
        dists = [[a.score for a in sc.score.scores] for (v, _), sc in sorted(scores.items()) if v == variant]
        rc[variant] = rc_atom(dists) if len(dists) > 1 else None
    return scores, rc, ""


def export_eml(ws, draft_obj: Any, message: Message, path: str | Path, config: Config | None = None) -> Path:
    """Write ``draft_obj`` as an .eml reply to ``message`` (``path``: a file or a folder)."""
    from trainer.draft.eml import export_eml as core_export

    return Path(core_export(draft_obj, message, config or ws.config_for_store(), path))


# -- edits -----------------------------------------------------------------------------------
def record_edit(ws, message: Message, draft: str, final: str, variant: str, how: str,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> str | None:
    """Keep the user's final text for ``message`` as their writing (``ingest.store.edits``);
    the stored edit's id, or None when nothing was new."""
    from ingest.store.edits import record

    store = ws.store()
    me = tuple(ws.config_for_store(store).me or ())
    return record(store, message, draft=draft, final=final, variant=variant, how=how, me=me[0] if me else "",
                  progress=progress)


@dataclass(frozen=True)
class KeptEdits:
    edits: list  # ingest.store.edits.Edit
    summary: dict  # ingest.store.edits.summary


def kept_edits(ws, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> KeptEdits:
    from ingest.store.edits import edits, summary

    store = ws.store()
    return KeptEdits(list(edits(store)), summary(store))


def edit_summary(ws) -> dict:
    from ingest.store.edits import summary

    return summary(ws.store())
