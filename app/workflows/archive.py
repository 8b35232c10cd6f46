"""The archive: import files and IMAP accounts, list and forget sources, embed what an
import left for later, search, and the received messages a reply can answer.

Each function takes the ``Workspace`` first and returns what a table or a summary
shows (records, not text). Forgetting a source also clears the voice packs that learned
from it (their manifests record the store's sources). The import itself, parsing and
embedding are ``ingest.store``'s.
What it leaves out: asking for passwords and certificate trust (the CLI prompts, the
GUI shows a dialog; ``import_imap`` returns ``Untrusted`` for them to ask about).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.coverage import describe as describe_coverage  # noqa: F401 - the sentence both faces show
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, ProgressFn, check, no_progress
from ingest.kernel.records import Message


def warm_up(ws, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> None:
    """Open the store and load the embedder once, right after the window opens.

    Loading those libraries holds Python's GIL for seconds at a time, so it is done
    while the user reads the first page rather than in the middle of their first import.
    """
    store = ws.store()
    check(cancel)
    store.embed(["warm up"])


# -- sources ---------------------------------------------------------------------------------
def list_sources(ws, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> list:
    return list(ws.store().sources())


@dataclass(frozen=True)
class Sources:
    """The imported sources and whose mail counts as "own" (``Store.me``)."""

    sources: list
    me: tuple[str, ...]
    me_inferred: bool


def sources_and_me(ws, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> Sources:
    store = ws.store()
    me, inferred = store.me()
    return Sources(list(store.sources()), tuple(me), inferred)


def is_empty(ws) -> bool:
    """Nothing imported: no messages and no documents."""
    store = ws.store()
    return store.count() == 0 and not any(True for _ in store.documents())


# -- import ----------------------------------------------------------------------------------
def import_addresses(ws, given: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The user's addresses for an import: those saved in this store, then ``given``.
    They belong to the store (saved in it), never to the global config."""
    return tuple(dict.fromkeys([*ws.store().saved_me(), *given]))


@dataclass(frozen=True)
class Imported:
    """An import's ``ingest.store.importer.ImportResult`` and the sources after it."""

    result: Any
    sources: list
    kept_password: bool = False  # an IMAP password was saved in the keyring

    @property
    def reports(self) -> list:
        return list(self.result.reports)


def import_paths(ws, paths: list[str], me: tuple[str, ...], *, alongside: bool = True,
                 progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> Imported:
    """Import files and folders (``ingest.store.importer.run_import``). ``alongside``:
    embed the rest for search while parsing (else ``embed_rest`` does it later)."""
    from ingest.store.importer import run_import

    store = ws.store()
    result = run_import([str(p) for p in paths], store, tuple(me), progress, cancel, alongside=alongside)
    return Imported(result, list(store.sources()))


@dataclass(frozen=True)
class ImapAccount:
    """An IMAP account to import (the password never leaves memory unless ``remember``
    keeps it in the system keyring)."""

    host: str
    user: str
    password: str
    port: int = 993
    folders: tuple[str, ...] = ()
    remember: bool = False
    trust: str = ""  # a certificate fingerprint the user accepted
    tls: str = "auto"  # ingest.store.imap.ImapTarget.tls
    saved: bool = False  # the password came from the keyring: a refused login forgets it


@dataclass(frozen=True)
class Untrusted:
    """The server's certificate needs the user's word first (ask, then import again
    with ``trust``); ``error`` is the refusal to raise when nobody can be asked."""

    fingerprint: str
    changed: bool
    error: Exception


def parse_imap_url(url: str, password: str, folders: list[str] | tuple[str, ...] = ()) -> ImapAccount:
    """``imap://USER@HOST[:PORT]/[FOLDER]`` as an ``ImapAccount``."""
    from ingest.store import imap

    t = imap.parse_url(url, list(folders))
    return ImapAccount(host=t.host, user=t.user, password=password, port=t.port, folders=tuple(t.folders), tls=t.tls)


def is_imap_url(text: str) -> bool:
    from ingest.store.imap import is_imap_url as core

    return core(text)


def keyring_password(account: ImapAccount) -> str | None:
    """The password the system keyring keeps for ``account``, if any."""
    from ingest.store import imap

    return imap.keyring_password(_target(account).account)


def keyring_available() -> bool:
    from ingest.store.imap import _keyring

    return _keyring() is not None


def account_name(account: ImapAccount) -> str:
    """``user@host[:port]``, as the keyring and the sources name it."""
    return _target(account).account


def _target(account: ImapAccount):  # noqa: ANN202
    from ingest.store import imap

    return imap.ImapTarget(account.user, account.host.strip().lower(), account.port, tuple(account.folders),
                           account.tls)


def import_imap(ws, account: ImapAccount, me: tuple[str, ...], *, since: Any = None, insecure: bool = False,
                progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> Imported | Untrusted:
    """Import an IMAP account (``ingest.store.imap``, read only and incremental)."""
    from ingest.store import imap

    store = ws.store()
    t = _target(account)
    try:
        result = imap.import_imap(t, store, tuple(me), password=account.password, since=since,
                                  trust=account.trust or None, insecure=insecure, progress=progress, cancel=cancel)
    except imap.UntrustedCertificate as e:
        return Untrusted(e.fingerprint, e.changed, e)
    except UserError as e:
        if account.saved and "refused the login" in str(e):
            imap.keyring_forget(t.account)  # a stale saved password: ask next time
        raise
    kept = bool(account.remember and imap.keyring_save(t.account, account.password))
    return Imported(result, list(store.sources()), kept)


# -- forget ----------------------------------------------------------------------------------
def find_source(ws, given: str) -> Any:
    """The imported source ``given`` names: its path, a path to it, or a unique tail of it
    (as ``ownvoice sources`` shows it)."""
    known = {i.path: i for i in ws.store().sources()}
    key = given if given in known else str(Path(given).expanduser().resolve())
    if key not in known:
        tail = [k for k in known if k.endswith("/" + given.strip("/"))]
        key = tail[0] if len(tail) == 1 else key
    if key not in known:
        raise UserError(f"{given} is not an imported source.", hint="Run `ownvoice sources` to list them.")
    return known[key]


@dataclass(frozen=True)
class Forgotten:
    source: str
    removed: int
    packs: list[str]  # voice packs that had learned from it
    cleared: dict[str, dict] = field(default_factory=dict)  # VoicePack.forget_learned per pack
    sources: list = field(default_factory=list)  # the sources left


def forget_source(ws, path: str, progress: ProgressFn = no_progress,
                  cancel: CancelToken | None = None) -> Forgotten:
    """Delete the source ``path`` from the store and what voice packs learned from it."""
    store = ws.store()
    packs = packs_using(ws.data_dir, path)
    removed = store.forget(path)
    cleared = clear_packs(ws.data_dir, packs, path)
    return Forgotten(path, removed, packs, cleared, list(store.sources()))


def clear_packs(data_dir: Path, names: list[str], source: str) -> dict[str, dict]:
    """Delete what each named voice pack learned from the mail (``source`` was forgotten)."""
    from trainer.voicepack import VoicePack

    out = {}
    for name in names:
        pack = VoicePack.load(data_dir / "voicepacks" / name)
        out[name] = pack.forget_learned(f"it had learned from {source}, which was forgotten")
    return out


def packs_using(data_dir: Path, source: str) -> list[str]:
    """Names of voice packs that learned from ``source`` (``learn`` records the store's sources)."""
    out = []
    for mf in sorted((data_dir / "voicepacks").glob("*/manifest.json")):
        try:
            m = json.loads(mf.read_text(encoding="utf-8"))
            routes = m.get("routes", {})
        except (OSError, ValueError, AttributeError):
            continue
        if source in (m.get("sources") or []) or any(
                source in (r.get("sources") or []) for r in routes.values() if isinstance(r, dict)):
            out.append(mf.parent.name)
    return out


# -- embedding and search --------------------------------------------------------------------
@dataclass(frozen=True)
class EmbedPass:
    embedded: int
    coverage: dict


def embed_rest(ws, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> EmbedPass:
    """Embed what an import left for later (``Store.embed_rest``), giving way to every
    other job through the workspace's gate; a full disk is a clear error."""
    from ingest.store.importer import disk_errors

    check(cancel)  # stopped before it began (a data dir change, the window closing)
    store = ws.store()
    with disk_errors(store.data_dir):
        n = store.embed_rest(progress, cancel, gate=ws.gate)
    return EmbedPass(int(n or 0), store.coverage())


def coverage(ws, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict:
    return ws.store().coverage()


def search(ws, text: str, k: int, mine: bool, progress: ProgressFn = no_progress,
           cancel: CancelToken | None = None) -> list:
    return list(ws.store().search(text, k=k, mine=mine))


def received_messages(ws, limit: int = 500, progress: ProgressFn = no_progress,
                      cancel: CancelToken | None = None) -> list[Message]:
    """Messages from other people, newest first (what the Draft page offers to answer)."""
    msgs = [m for m in ws.store().messages(own=False) if (m.text or m.body).strip()]
    msgs.sort(key=lambda m: (m.date is not None, m.date), reverse=True)
    return msgs[:limit]
