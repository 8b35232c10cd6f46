"""The user's edits of drafts: kept as their own writing, in a source named ``edits``.

When the user edits a draft and saves, copies or opens it in the mail client, the
final text is what they chose to send. ``record`` stores it as one of the user's own
messages in the source ``edits`` (``sources`` lists it, ``forget edits`` removes it
and everything derived from it): From the user, In-Reply-To the message answered, the
message itself quoted below (so the pair is found even when the message came from an
.eml file that was never imported), and a note holding the chosen draft and its
variant. The next ``finalize`` pairs it with the message like any reply, so the next
``learn`` trains on it (LoRA, retrieval, the scorer).

When the reply the user really sent turns up later (an import or IMAP sync of their
Sent folder: an own message, in another source, answering the same message), the
sent text is the final version: ``prefer_sent`` drops the edit's pair, since the sent
reply has its own, and ``summary`` links the two, so that what changed from the draft
is measured against what was sent. Saving an edited draft twice keeps only the newest
pair per message.

What it leaves out: edits of drafts answering text typed in by hand (no message to
pair with: nothing is stored) and the (draft, final) preference pairs a DPO-style loss
could train on; see README.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import ProgressFn, no_progress
from ingest.kernel.records import Message, ReplyPair
from ingest.store.pairing import reply_subject

if TYPE_CHECKING:
    from ingest.store.store import Store

EDITS = "edits"  # the source key
NOTE = "ownvoice-edit:"  # prefix of the note that holds the draft (JSON)


@dataclass(frozen=True)
class Edit:
    """One saved edit, and the reply really sent when one was found."""

    id: str  # the stored edit message
    message_id: str  # store id of the message answered ("" when unknown)
    subject: str
    variant: str
    draft: str
    final: str  # what the user saved
    how: str  # "eml" | "copy" | "mail client"
    saved_at: str
    sent: str = ""  # the text of the reply the user sent, when an import found it
    sent_id: str = ""

    @property
    def final_text(self) -> str:
        """The final version: the sent reply when known, else the saved edit."""
        return self.sent or self.final

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "message_id": self.message_id, "subject": self.subject, "variant": self.variant,
                "how": self.how, "saved_at": self.saved_at, "draft": self.draft, "final": self.final,
                "sent": self.sent or None, "sent_id": self.sent_id or None}


def _quote(message: Message) -> str:
    who = f"{message.sender_name} <{message.sender}>" if message.sender_name else message.sender
    date = message.date.strftime("%a, %d %b %Y %H:%M") if message.date else ""
    head = ["-----Original Message-----", f"From: {who}"] + ([f"Sent: {date}"] if date else [])
    head.append(f"Subject: {message.subject}")
    return "\n".join(head) + "\n\n" + (message.text or message.body).strip()


def record(store: "Store", message: Message, *, draft: str, final: str, variant: str = "", how: str = "eml",
           me: str = "", me_name: str = "", finalize: bool = True, progress: ProgressFn = no_progress) -> str | None:
    """Store the user's ``final`` text for ``message`` (from ``draft``); its store id.

    ``me``: the user's address (default: the store's). Nothing is stored, and None is
    returned, when the final text is empty or the edit was already saved. Raises a
    UserError when the user's address is unknown: the edit could not count as theirs.
    """
    final = (final or "").strip()
    if not final:
        return None
    me = me or next(iter(store.me()[0]), "")
    if not me:
        raise UserError("Your address is not known, so an edited draft cannot be kept as your writing.",
                        hint="Import your mail with --me YOU@EXAMPLE.COM first.")
    if not me_name:
        names = store.my_names()
        me_name = names[0] if names else ""
    digest = hashlib.sha256(f"{message.id}\n{final}".encode()).hexdigest()[:16]
    subject = reply_subject(message.subject)
    when = datetime.now(timezone.utc).replace(microsecond=0)
    note = NOTE + json.dumps({"draft": draft or "", "variant": variant, "how": how, "message": message.id,
                              "saved_at": when.isoformat()}, ensure_ascii=False)
    edit = Message(source=EDITS, item=f"{message.id}/{digest}", message_id=f"edit-{digest}@ownvoice.invalid",
                   subject=subject, sender=me.lower(), sender_name=me_name, to=(message.sender,) if message.sender
                   else (), date=when, in_reply_to=message.message_id,
                   references=tuple(r for r in (*message.references, message.message_id) if r),
                   body=final, text=final, quoted=_quote(message), folder="ownvoice edits", sent_folder=True,
                   own=True, notes=(note,))
    from ingest.store import state

    with store.lock, state.locked_errors(store.data_dir):  # one writer per data dir, as an import
        if store.db.execute("SELECT 1 FROM items WHERE source = ? AND item = ?", (EDITS, edit.item)).fetchone():
            return None
        n = store.db.execute("SELECT COUNT(*) FROM items WHERE source = ?", (EDITS,)).fetchone()[0]
        store.begin_source(EDITS, EDITS, f"{n + 1} edits", keep_resume=True)
        store.add_records(EDITS, [edit])
        store.finish_source(EDITS)
        if finalize:
            store.finalize(progress)
    return edit.id


def prefer_sent(pairs: dict[str, ReplyPair]) -> dict[str, ReplyPair]:
    """``pairs`` without the edits' pairs that a sent reply (another source) or a newer
    edit of the same message supersedes."""
    def answers(p: ReplyPair) -> tuple:  # the message answered: its store id, or (recovered from a quote) its text
        return ("id", p.message_id) if p.message_id else ("quote", p.message_sender, " ".join(p.message_text.split())[:500])

    answered = {answers(p) for p in pairs.values() if p.source != EDITS}
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    newest: dict[tuple, ReplyPair] = {}
    for p in pairs.values():
        if p.source != EDITS:
            continue
        key = answers(p)
        if key not in answered:
            cur = newest.get(key)
            if cur is None or (p.date or oldest) >= (cur.date or oldest):
                newest[key] = p
    keep = {p.id for p in newest.values()}
    return {pid: p for pid, p in pairs.items() if p.source != EDITS or pid in keep}


def _note(notes: Iterable[str]) -> dict[str, Any]:
    for n in notes:
        if n.startswith(NOTE):
            try:
                d = json.loads(n[len(NOTE):])
                return d if isinstance(d, dict) else {}
            except ValueError:
                return {}
    return {}


def edits(store: "Store") -> list[Edit]:
    """Every saved edit, oldest first, each linked to the reply the user sent when one
    is in the store (an own message in another source, In-Reply-To or References the
    same message)."""
    db = store.db
    rows = db.execute("SELECT id, subject, text, notes, in_reply_to, date FROM messages WHERE source = ? "
                      "ORDER BY ts, rid", (EDITS,)).fetchall()
    out = []
    for r in rows:
        meta = _note(json.loads(r["notes"] or "[]"))
        mid = str(meta.get("message") or "")
        header = r["in_reply_to"] or ""
        sent = None
        if header:  # the reply itself, not a later one in the thread (which carries the id in References)
            for cand in db.execute("SELECT id, text, in_reply_to, refs FROM messages WHERE own = 1 AND source != ? "
                                   "AND (in_reply_to = ? OR refs LIKE ?) ORDER BY ts",
                                   (EDITS, header, f'%"{header}"%')):
                refs = json.loads(cand["refs"] or "[]")
                if cand["in_reply_to"] == header or (not cand["in_reply_to"] and refs and refs[-1] == header):
                    sent = cand
                    break
        if sent is None and db.execute("SELECT 1 FROM items WHERE rid = ? AND source != ?",
                                       (r["id"], EDITS)).fetchone():
            sent = {"id": r["id"], "text": r["text"]}  # sent as saved: the import found the same message
        out.append(Edit(id=r["id"], message_id=mid, subject=r["subject"] or "", variant=str(meta.get("variant", "")),
                        draft=str(meta.get("draft", "")), final=r["text"] or "", how=str(meta.get("how", "")),
                        saved_at=str(meta.get("saved_at", r["date"] or "")),
                        sent=(sent["text"] or "") if sent else "", sent_id=sent["id"] if sent else ""))
    return out


def draft_final_pairs(all_edits: Iterable[Edit]) -> list[tuple[str, str]]:
    """(draft, final) for the edits that have both: what PLD and ``learn`` compare."""
    return [(e.draft, e.final_text) for e in all_edits if e.draft.strip() and e.final_text.strip()]


def summary(store: "Store", all_edits: list[Edit] | None = None) -> dict[str, Any]:
    """Counts for ``learn --json`` and the Voice page: edits saved, those whose sent
    reply was found, and the reply pairs the edits themselves contribute. ``all_edits``:
    ``edits(store)`` when the caller has read it already."""
    all_edits = edits(store) if all_edits is None else all_edits
    pairs = store.db.execute("SELECT COUNT(*) FROM pairs WHERE source = ?", (EDITS,)).fetchone()[0]
    return {"saved": len(all_edits), "sent_found": sum(1 for e in all_edits if e.sent),
            "pairs_from_edits": int(pairs)}
