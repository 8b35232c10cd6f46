"""The core calls the pages run through the worker, each a plain function.

Each task takes the ``Session`` plus plain values and ends in ``progress``/``cancel``
keywords, the same long-job signature as the core. They only compose core calls
(open the store, call the core function, read back what a table shows); nothing
here parses, learns or scores by itself. No Qt in this module.
What it leaves out: anything the CLI does not also do through the same core calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, ProgressFn, check, no_progress
from ingest.kernel.records import Message


def warm_up(session, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> None:
    """Open the store and load the embedder once, right after the window opens.

    Loading those libraries holds Python's GIL for seconds at a time, so it is done
    while the user reads the first page rather than in the middle of their first import.
    """
    store = session.store()
    check(cancel)
    store.embed(["warm up"])


# -- archive ---------------------------------------------------------------------------------
def list_sources(session, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> list:
    return list(session.store().sources())


def import_paths(session, paths: list[str], me: tuple[str, ...], progress: ProgressFn = no_progress,
                 cancel: CancelToken | None = None) -> tuple[list, list]:
    """Import ``paths``; return ``(reports, sources)`` so the table refreshes in one go."""
    from ingest.store.importer import import_sources

    store = session.store()
    reports = import_sources([str(p) for p in paths], store, tuple(me), progress, cancel)
    return list(reports), list(store.sources())


@dataclass(frozen=True)
class ImapAccount:
    """What the "Add IMAP account" dialog asks for (the password never leaves memory
    unless the user ticks "remember", which keeps it in the system keyring)."""

    host: str
    user: str
    password: str
    port: int = 993
    folders: tuple[str, ...] = ()
    remember: bool = False
    trust: str = ""  # a certificate fingerprint the user accepted


def import_imap(session, account: ImapAccount, me: tuple[str, ...], progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None) -> tuple:
    """Import an IMAP account (``ingest.store.imap``): ``(reports, sources)`` as ``import_paths``
    gives, or ``("untrusted", fingerprint, changed)`` when the server's certificate needs
    the user's word first (the page asks, then runs this again with ``trust``)."""
    from ingest.store import imap

    store = session.store()
    t = imap.ImapTarget(account.user, account.host.strip().lower(), account.port, tuple(account.folders))
    try:
        result = imap.import_imap(t, store, tuple(me), password=account.password, trust=account.trust or None,
                                  progress=progress, cancel=cancel)
    except imap.UntrustedCertificate as e:
        return ("untrusted", e.fingerprint, e.changed)
    if account.remember:
        imap.keyring_save(t.account, account.password)
    return list(result.reports), list(store.sources())


def forget_source(session, path: str, progress: ProgressFn = no_progress,
                  cancel: CancelToken | None = None) -> list:
    from app.commands.forget import clear_packs, packs_using

    store = session.store()
    packs = packs_using(session.data_dir, path)
    store.forget(path)
    clear_packs(session.data_dir, packs, path)
    return list(store.sources())


def embed_rest(session, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict:
    """The search-embedding pass (``app.gui.background``): gives way to every other job
    through the session's gate; returns the store's coverage."""
    from ingest.store.importer import disk_errors

    check(cancel)  # stopped before it began (a data dir change, the window closing)
    store = session.store()
    with disk_errors(store.data_dir):
        store.embed_rest(progress, cancel, gate=session.gate)
    return store.coverage()


def coverage(session, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict:
    return session.store().coverage()


def search(session, text: str, k: int, mine: bool, progress: ProgressFn = no_progress,
           cancel: CancelToken | None = None) -> list:
    return list(session.store().search(text, k=k, mine=mine))


def received_messages(session, limit: int = 500, progress: ProgressFn = no_progress,
                      cancel: CancelToken | None = None) -> list[Message]:
    """Messages from other people, newest first (what the Draft page offers to answer)."""
    msgs = [m for m in session.store().messages(own=False) if (m.text or m.body).strip()]
    msgs.sort(key=lambda m: (m.date is not None, m.date), reverse=True)
    return msgs[:limit]


# -- voice -----------------------------------------------------------------------------------
def list_models(progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> list:
    from trainer.runtime.models import list_models as core_list_models

    return list(core_list_models())


def _config(session):  # noqa: ANN001, ANN202
    """The session's config with the store's own user (``ingest.store.store.with_identity``)."""
    from ingest.store.store import with_identity

    return with_identity(session.config, session.store())


def learn(session, routes: list[str], options: dict[str, Any], progress: ProgressFn = no_progress,
          cancel: CancelToken | None = None) -> dict[str, Any]:
    from trainer.learn.routes import LearnContext, learn as core_learn, parse_routes

    cfg = _config(session)
    opts = {"model": cfg.model, "device": cfg.device, "teacher": cfg.teacher or None,
            "allow_remote": cfg.allow_remote_teacher, **options}  # as `ownvoice learn` passes them
    ctx = LearnContext(store=session.store(), pack=session.pack(), config=cfg,
                       data_dir=session.data_dir, options={k: v for k, v in opts.items() if v is not None})
    return core_learn(parse_routes(routes), ctx, progress, cancel)


@dataclass(frozen=True)
class VoiceCard:
    """What the Voice page shows about the pack (read from its files)."""

    style_prompt: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    pack_path: str = ""
    loss_curve: tuple = ()  # the trained adapter's records: {"step", "loss", "heldout_loss"?, "lr"}
    edits: dict[str, Any] = field(default_factory=dict)  # what the last learn took from edits (trainer.learn.routes)


def read_voice_card(session) -> VoiceCard:
    from trainer.learn.lora import ADAPTER_DIR

    pack = session.pack()
    p = pack.file("style_prompt.md")
    prompt = p.read_text(encoding="utf-8") if p.exists() else ""
    try:
        losses = pack.read_json(f"{ADAPTER_DIR}/losses.json") or {}
    except UserError:
        losses = {}  # a damaged loss record only costs the plot, not the voice card
    raw = losses.get("curve") if isinstance(losses, dict) else None
    curve = tuple(r for r in raw if isinstance(r, dict) and "step" in r) if isinstance(raw, list) else ()
    return VoiceCard(style_prompt=prompt, profile=pack.read_json("profile.json") or {},
                     routes=pack.manifest().get("routes", {}), pack_path=str(pack.path), loss_curve=curve,
                     edits=pack.manifest().get("edits") or {})


def save_style_prompt(session, text: str) -> Path:
    return session.pack().write_text("style_prompt.md", text)


# -- draft -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scored:
    """One draft's DraftScore and the atoms the leak check flagged."""

    score: Any  # trainer.score.scorer.DraftScore
    leaked: tuple = ()  # trainer.score.atoms.Atom, copied from mail outside the thread


@dataclass(frozen=True)
class ScoredDrafts:
    """A DraftResult plus each draft's scores and each variant's RC_atom."""

    result: Any  # trainer.draft.drafting.DraftResult
    scores: dict[tuple[str, int], Scored]  # (variant, sample) -> Scored
    rc: dict[str, float | None]
    scorer_note: str = ""  # why drafts are unscored (no scorer learned yet)


def draft(session, message: Message, variants: list[str], n: int, on_token: Callable | None = None,
          on_restart: Callable | None = None, progress: ProgressFn = no_progress,
          cancel: CancelToken | None = None) -> ScoredDrafts:
    from trainer.draft.drafting import draft as core_draft

    result = core_draft(message, variants=list(variants), n=n, store=session.store(),
                        pack=session.pack(), config=_config(session), on_token=on_token,
                        on_restart=on_restart, progress=progress, cancel=cancel)
    check(cancel)
    texts = {(d.variant, d.sample): d.text for d in result.drafts}
    scores, rc, note = score_texts(session, texts, message.thread or None)
    return ScoredDrafts(result, scores, rc, note)


def score_texts(session, texts: dict[tuple[str, int], str], thread: str | None = None,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None):
    """Score each text with the voice scorer and the leak check; RC_atom per variant.

    Returns ``(scores, rc, note)``; ``note`` says why nothing was scored (no scorer yet).
    """
    from ingest.kernel.errors import UserError
    from trainer.score.checks import leak
    from trainer.score.metrics import rc_atom
    from trainer.score.scorer import VoiceScorer

    try:
        scorer = VoiceScorer.load(session.pack())
    except UserError as e:
        return {}, {}, str(e)
    store = session.store()
    scores: dict[tuple[str, int], Scored] = {}
    for key, text in texts.items():
        check(cancel)
        ds = scorer.score_text(text, embed=store.embed)
        leaked = leak(text, store, exclude_thread=thread, atoms=list(ds.atoms)).leaked
        scores[key] = Scored(ds, tuple(leaked))
    rc: dict[str, float | None] = {}
    for variant in {v for v, _ in texts}:
        dists = [[a.score for a in sc.score.scores] for (v, _), sc in sorted(scores.items()) if v == variant]
        rc[variant] = rc_atom(dists) if len(dists) > 1 else None
    return scores, rc, ""


def export_eml(session, draft_obj: Any, message: Message, path: str) -> Path:
    from trainer.draft.drafting import export_eml as core_export

    core_export(draft_obj, message, _config(session), path)
    return Path(path)


def record_edit(session, message: Message, draft: str, final: str, variant: str, how: str,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> str | None:
    """Keep the user's final text for ``message`` as their writing (``ingest.store.edits``);
    the stored edit's id, or None when nothing was new."""
    from ingest.store.edits import record
    from ingest.store.store import with_identity

    store = session.store()
    me = tuple(with_identity(session.config, store).me or ())
    return record(store, message, draft=draft, final=final, variant=variant, how=how, me=me[0] if me else "",
                  progress=progress)


def message_from_eml(path: str) -> Message:
    """Read one .eml file (only read) into a Message, as ``draft --reply-to`` does."""
    from ingest.sources import read_message

    return read_message(path, hint="Open an .eml file saved from a mail client, or paste the text.")


# -- evaluate --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalView:
    """An evaluation's rows and the folder holding its report (report.png is the chart)."""

    rows: tuple
    unavailable: dict[str, str]
    folder: Path | None
    heldout: int = 0
    n: int = 0


def evaluate(session, holdout: float, variants: list[str], n: int, limit: int,
             progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> EvalView:
    """Run the held-out evaluation and write its report into the pack's ``eval/`` folder.
    A cancelled run with the same settings continues where it stopped (the CLI's checkpoint)."""
    from trainer.evaluate.harness import CHECKPOINT_REL, evaluate as core_evaluate, write_report

    pack = session.pack()
    rep = core_evaluate(session.store(), pack, _config(session), holdout=holdout,
                        variants=list(variants), n=n, limit=limit, progress=progress, cancel=cancel,
                        checkpoint=pack.file(CHECKPOINT_REL))
    folder = pack.file("eval")
    write_report(rep, folder)
    return EvalView(tuple(rep.rows), dict(rep.unavailable), folder, rep.heldout, rep.n)


def last_evaluation(session) -> EvalView | None:
    """The report the last evaluation left in the pack (``eval/report.json``), if any."""
    from dataclasses import fields

    from trainer.evaluate.harness import EvalRow

    pack = session.pack()
    data = pack.read_json("eval/report.json")
    if not data:
        return None
    names = {f.name for f in fields(EvalRow)}
    rows = tuple(EvalRow(**{k: v for k, v in r.items() if k in names}) for r in data.get("rows", []))
    return EvalView(rows, dict(data.get("unavailable") or {}), pack.file("eval"),
                    int(data.get("heldout") or 0), int(data.get("n") or 0))


def discover_models(session, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> list:
    """The GGUF models other local-model apps and the configured folders hold (read only)."""
    from trainer.runtime.discover import discover

    return discover(extra=list(session.config.model_dirs))[0]


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
