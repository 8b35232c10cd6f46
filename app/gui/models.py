"""Qt table models over the core's records: widgets read these, never the records.

``RecordTable`` is one generic read-only model: a list of records plus a list of
``Column(header, getter)``. The concrete column sets for sources, skipped items,
search hits, evaluation rows and profile traits are declared below.
What it leaves out: editing and lazy fetching; the tables here hold hundreds of rows
at most (a source list, a search result, an evaluation table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Any], Any]
    tip: str = ""
    numeric: bool = False


class RecordTable(QAbstractTableModel):
    RecordRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, columns: Sequence[Column], rows: Sequence[Any] = (), parent=None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = list(rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def record(self, row: int) -> Any:
        return self.rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        rec, col = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _fmt(col.get(rec))
        if role == Qt.ItemDataRole.TextAlignmentRole and col.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.tip or None
        if role == self.RecordRole:
            return rec
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].header
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.columns[section].tip or None
        return None


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _report(info: Any) -> Any:
    return getattr(info, "report", info)


def _name(path: str) -> str:
    from pathlib import PurePath

    return PurePath(path).name or path


SOURCE_COLUMNS = [
    Column("Source", lambda s: _name(s.path), "the file or folder imported"),
    Column("Kind", lambda s: s.kind),
    Column("Seen", lambda s: _report(s).seen, "messages read", True),
    Column("Yours", lambda s: _report(s).own, "written by you", True),
    Column("Others", lambda s: _report(s).others, "written by other people", True),
    Column("Duplicates", lambda s: _report(s).duplicates, "copies dropped (same content)", True),
    Column("Pairs", lambda s: _report(s).pairs, "(message, your reply) pairs", True),
    Column("Documents", lambda s: _report(s).documents, "documents you wrote", True),
    Column("Skipped", lambda s: len(_report(s).skipped), "click to see each with its reason", True),
]
SKIPPED_COLUMN = 8

SKIP_COLUMNS = [
    Column("Item", lambda k: k.item),
    Column("Reason", lambda k: k.reason),
]

HIT_COLUMNS = [
    Column("Score", lambda h: h.score, "similarity", True),
    Column("Kind", lambda h: h.kind),
    Column("From", lambda h: getattr(getattr(h, "message", None), "sender", "") or ""),
    Column("Text", lambda h: " ".join((h.text or "").split())[:160]),
]

def eval_columns() -> list[Column]:
    """The Evaluate page's columns: the variant, then every metric of the evaluation's
    one table (``app.workflows.choices.metric_choices``), its help as the tooltip."""
    from app.workflows.choices import metric_choices

    return [Column("Variant", lambda r: r.variant)] + [
        Column(m.label, (lambda r, _k=m.name: getattr(r, _k)), m.help, True) for m in metric_choices()]

TRAIT_COLUMNS = [
    Column("Trait", lambda kv: kv[0]),
    Column("You", lambda kv: kv[1]),
]


def profile_rows(profile: Any) -> list[tuple[str, str]]:
    """Readable ``(trait, value)`` rows from the stylometric profile (profile.json).

    The measured rules come first (they read as sentences), then the main numbers
    with other people's figure beside the user's. Unknown layouts fall back to
    ``flatten_traits``.

    >>> profile_rows({"length_words": {"median": 52.0, "others_median": 55.0},
    ...               "sign_offs": [["cheers, W.", 63, 0.692]]})
    [('Reply length', '52 words (others 55 words)'), ('Sign-offs', 'cheers, W. (69%)')]
    """
    if not isinstance(profile, dict):
        return []
    rows: list[tuple[str, str]] = []
    for r in profile.get("rules") or []:
        if isinstance(r, dict) and r.get("text"):
            rows.append(("Rule", str(r["text"])))

    def mo(d: Any, key: str, fmt: str) -> str | None:
        if not isinstance(d, dict) or d.get(key) is None:
            return None
        out = fmt.format(d[key])
        if d.get(f"others_{key}") is not None:
            out += f" (others {fmt.format(d[f'others_{key}'])})"
        return out

    def ranked(items: Any, n: int, pct: bool = True) -> str | None:
        if not isinstance(items, list) or not items:
            return None
        parts = []
        for it in items[:n]:
            if isinstance(it, (list, tuple)) and it:
                share = it[2] if pct and len(it) > 2 and isinstance(it[2], float) else None
                parts.append(f"{it[0]} ({share:.0%})" if share is not None else str(it[0]))
        return ", ".join(parts) or None

    for label, value in (
            ("Reply length", mo(profile.get("length_words"), "median", "{:.0f} words")),
            ("Sentence length", mo(profile.get("sentence_words"), "median", "{:.0f} words")),
            ("Contractions", mo(profile.get("contractions"), "rate", "{:.0%}")),
            ("Greetings", ranked(profile.get("greetings"), 3)),
            ("Sign-offs", ranked(profile.get("sign_offs"), 3)),
            ("Typical phrases", ranked(profile.get("phrases"), 8, pct=False)),
            ("Messages measured", str(profile["n_messages"]) if "n_messages" in profile else None)):
        if value:
            rows.append((label, value))
    return rows or flatten_traits(profile)


def flatten_traits(profile: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Profile JSON -> sorted ``(trait, value)`` rows for display.

    >>> flatten_traits({"a": 1.5, "b": {"c": ["x", "y"]}})
    [('a', '1.5'), ('b.c', 'x, y')]
    """
    rows: list[tuple[str, str]] = []
    if isinstance(profile, dict):
        for k in sorted(profile):
            rows.extend(flatten_traits(profile[k], f"{prefix}{k}."))
        return [(k.rstrip("."), v) for k, v in rows]
    if isinstance(profile, (list, tuple)):
        items = [_short(x) for x in profile[:8]]
        return [(prefix, ", ".join(items) + (" …" if len(profile) > 8 else ""))]
    return [(prefix, _short(profile))]


def _short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.3g}"
    if isinstance(x, (list, tuple)) and len(x) == 2:
        return f"{x[0]} ({_short(x[1])})"
    if isinstance(x, dict):
        return ", ".join(f"{k}: {_short(v)}" for k, v in list(x.items())[:4])
    return str(x)
