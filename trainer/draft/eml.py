"""A draft as an .eml reply the user opens in their mail client (never sent): From the
user, To the sender, "Re:" subject, In-Reply-To and References, written atomically.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Sequence
from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_write_bytes
from ingest.kernel.records import Message
from ingest.store.pairing import one_line, reply_subject
from trainer.draft.drafting import Draft


# -- .eml export ----------------------------------------------------------------------------------
def msg_id(value: str) -> str:
    """A Message-ID without brackets or any whitespace (a CR/LF in a stored id included)."""
    return re.sub(r"[\s<>\x00-\x1f\x7f]", "", value or "")


def build_eml(d: Draft, message: Message, me: Sequence[str]) -> EmailMessage:
    if not me:
        raise UserError("Your address is not set, so the reply has no From line.",
                        hint="Set `me` in the config (ownvoice learns it from your Sent folder on import).")
    em = EmailMessage()
    em["From"] = one_line(me[0])
    sender, name = one_line(message.sender), one_line(message.sender_name)
    if sender:
        em["To"] = formataddr((name, sender)) if name else sender
    em["Subject"] = reply_subject(message.subject)
    em["Date"] = format_datetime(datetime.now(timezone.utc))
    domain = me[0].rpartition("@")[2] or None
    em["Message-ID"] = make_msgid(idstring=f"ownvoice.{d.variant}.{d.sample}", domain=domain)
    mid = msg_id(message.message_id)
    if mid:
        em["In-Reply-To"] = f"<{mid}>"
        refs = [r for r in (msg_id(x) for x in message.references) if r and r != mid] + [mid]
        em["References"] = " ".join(f"<{r}>" for r in refs)
    em["X-Ownvoice-Variant"] = f"{d.variant} #{d.sample + 1}"
    em.set_content(d.text.strip() + "\n")
    return em


def export_eml(d: Draft, message: Message, config: Config | Sequence[str], path: str | Path) -> Path:
    """Write ``d`` as an .eml reply to ``message``. ``path`` is a file or a folder (the
    file is then named after the subject, variant and sample). Returns the file path."""
    me = config.me if isinstance(config, Config) else tuple(config)
    em = build_eml(d, message, me)
    p = Path(path).expanduser()
    if p.is_dir() or str(path).endswith(("/", "\\")) or not p.suffix:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", message.subject or "reply").strip("-").lower()[:40] or "reply"
        p = p / f"{slug}-{d.variant}-{d.sample + 1}.eml"
    return atomic_write_bytes(p, bytes(em))
