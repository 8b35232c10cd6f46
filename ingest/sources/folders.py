"""Mail folder names: a folder's plain name (``folder_name``) and whether it holds the user's
sent mail, in the languages mail clients name it (``is_sent_folder``, Gmail labels too).
"""

from __future__ import annotations

import re


SENT_NAMES = frozenset(
    {
        "sent", "sent mail", "sent items", "sent messages", "sent email", "sent emails",
        "sentmail", "sentitems", "sent-mail", "outbox sent",
        "gesendet", "gesendete objekte", "gesendete elemente", "gesendete nachrichten",
        "envoyés", "envoyes", "éléments envoyés", "elements envoyes", "messages envoyés",
        "messages envoyes", "courrier envoyé",
        "enviados", "enviadas", "elementos enviados", "mensajes enviados", "itens enviados",
        "inviati", "posta inviata", "elementi inviati", "messaggi inviati",
        "verzonden", "verzonden items", "verzonden berichten",
        "skickat", "skickade objekt", "skickade", "sendt", "sendte elementer", "sendte",
        "lähetetyt", "lahetetyt", "wysłane", "elementy wysłane", "odeslané", "odeslana posta",
        "отправленные", "送信済み", "送信済みアイテム", "已发送", "已發送", "보낸편지함",
        "gönderilmiş öğeler", "gönderilenler", "elküldött", "trimise", "απεσταλμένα",
    }
)


_FOLDER_EXT = re.compile(r"\.(mbox|mbx|mbs|txt|eml)$", re.I)


_FOLDER_SEP = re.compile(r"[_\-.\s]+")


def folder_name(name: str) -> str:
    """A display folder name from a file or Maildir++ folder name.

    >>> folder_name("_sent_mail.mbox"), folder_name(".Sent.2019"), folder_name("Sent Items.mbox")
    ('_sent_mail', 'Sent/2019', 'Sent Items')
    """
    name = _FOLDER_EXT.sub("", name.strip())
    if name.startswith(".") and len(name) > 1:  # Maildir++ ".Parent.Child"
        name = name[1:].replace(".", "/")
    return name


def is_sent_folder(name: str) -> bool:
    """True for Sent folders in common clients and languages, and Gmail labels.

    >>> [is_sent_folder(n) for n in ("Sent.mbox", "_sent_mail", "sent_items", "[Gmail]/Sent Mail",
    ...  "Gesendet", "Envoyés", "INBOX", "Sent-to-review-later-x")]
    [True, True, True, True, True, True, False, False]
    """
    for part in re.split(r"[/\\.]", _FOLDER_EXT.sub("", name)):
        key = _FOLDER_SEP.sub(" ", part.replace("[gmail]", "").replace("[Gmail]", "")).strip().lower()
        if key in SENT_NAMES:
            return True
    return False


def labels_sent(labels: str) -> bool:
    """Gmail Takeout ``X-Gmail-Labels``: comma-separated; any Sent label counts."""
    return any(is_sent_folder(lab.strip().strip('"')) for lab in labels.split(","))
