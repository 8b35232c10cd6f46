"""Light/dark styling from ``resources/gui``: the system palette decides which sheet.

Colours for tinting draft sentences also live here (one table, both schemes), so
pages hold no colour constants. What it leaves out: no custom palettes per widget;
the Fusion style plus a .qss sheet is all the look there is.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.paths import resources_dir

def resource(name: str) -> Path:
    return resources_dir() / "gui" / name


def icon(name: str) -> QIcon:
    return QIcon(str(resources_dir() / "gui" / "icons" / f"{name}.svg"))


def is_dark(app: QGuiApplication | None = None) -> bool:
    app = app or QGuiApplication.instance()
    hints = app.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def apply_theme(app: QApplication, dark: bool | None = None) -> bool:
    """Apply Fusion, a matching palette and the .qss sheet; return whether dark."""
    dark = is_dark(app) if dark is None else dark
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
    app.setStyleSheet(resource("dark.qss" if dark else "light.qss").read_text(encoding="utf-8"))
    app.setProperty("ownvoice_dark", dark)
    return dark


def follow_system(app: QApplication) -> None:
    """Re-apply the theme when the system switches between light and dark."""
    hints = app.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda *_: apply_theme(app))


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    if dark:
        base, window, text, alt, button = "#1f2524", "#1c2120", "#e3ebe8", "#232a28", "#2a3230"
        highlight, link = "#3d8c76", "#7cc7b0"
    else:
        base, window, text, alt, button = "#ffffff", "#f7f5f0", "#1f2a27", "#faf8f4", "#ffffff"
        highlight, link = "#2f6f5e", "#2f6f5e"
    R = QPalette.ColorRole
    for role, colour in ((R.Window, window), (R.Base, base), (R.AlternateBase, alt),
                         (R.Text, text), (R.WindowText, text), (R.ButtonText, text),
                         (R.Button, button), (R.Highlight, highlight), (R.Link, link),
                         (R.ToolTipBase, text), (R.ToolTipText, window),
                         (R.PlaceholderText, "#7d8985")):
        p.setColor(role, QColor(colour))
    p.setColor(R.HighlightedText, QColor("#ffffff"))
    return p


# -- sentence tints ---------------------------------------------------------------------
# An atom's score s in [1, 5]; the high bin starts at 1 + 2 * 4/3 (DESIGN.md).
HIGH_BIN = 1 + 2 * 4 / 3
LOW_BIN = 1 + 4 / 3


def tint(score: float, dark: bool) -> QColor:
    """Background for a sentence with atomic score ``score``: green high, amber mid, red low."""
    if score >= HIGH_BIN:
        c = QColor("#2e8b57" if not dark else "#3fae74")
    elif score >= LOW_BIN:
        c = QColor("#d99a1e" if not dark else "#e0a83a")
    else:
        c = QColor("#cc3b3b" if not dark else "#e06060")
    c.setAlpha(60 if not dark else 80)
    return c


def leak_colour(dark: bool) -> QColor:
    return QColor("#b00020" if not dark else "#ff6b6b")
