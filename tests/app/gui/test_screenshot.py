"""``ownvoice gui --screenshot DIR``: one non-blank PNG per page, rendered offscreen."""

from __future__ import annotations

from PySide6.QtGui import QImage

from app.gui.window import PAGES


def _variance(img: QImage) -> float:
    """Variance of grey levels over a grid of pixels (0 for a blank picture)."""
    vals = []
    for y in range(0, img.height(), max(1, img.height() // 60)):
        for x in range(0, img.width(), max(1, img.width() // 80)):
            c = img.pixelColor(x, y)
            vals.append(0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue())
    mean = sum(vals) / len(vals)
    return sum((v - mean) ** 2 for v in vals) / len(vals)


def test_screenshot_command_writes_one_nonblank_png_per_page(qapp, tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "shots"
    rc = main(["--data-dir", str(tmp_path / "data"), "gui", "--screenshot", str(out)])
    assert rc == 0
    files = sorted(out.glob("*.png"))
    assert [f.stem.split("-", 1)[1] for f in files] == [name for name, _ in PAGES]
    pictures = []
    for f in files:
        img = QImage(str(f))
        assert not img.isNull() and img.width() >= 800 and img.height() >= 500
        assert _variance(img) > 50, f"{f.name} looks blank"
        pictures.append(img)
    # each page is its own picture, not the same one five times
    assert len({bytes(p.constBits()) for p in pictures}) == len(pictures)


def test_variance_tells_a_blank_picture(qapp):
    blank = QImage(200, 100, QImage.Format.Format_RGB32)
    blank.fill(0xFFFFFF)
    assert _variance(blank) == 0
