"""Every README table that names a bench result file is exactly what that file says
(bench/readme_tables.py renders them; this test runs its check)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import readme_tables  # noqa: E402


def test_readme_tables_match_their_result_files():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tables = readme_tables.MARK.findall(text)
    assert tables, "README.md cites no bench result table"
    for path, *_ in tables:
        assert (ROOT / path).is_file(), f"README cites {path}, which is not committed"
    _, differ = readme_tables.update(text)
    assert differ == [], f"README tables differ from their sources: {differ}; run bench/readme_tables.py"


def test_a_changed_figure_is_caught():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = readme_tables.MARK.search(text)
    body = m.group(4)
    i = next(i for i, c in enumerate(body) if c.isdigit())
    changed = body[:i] + ("1" if body[i] != "1" else "2") + body[i + 1:]
    _, differ = readme_tables.update(text.replace(body, changed, 1))
    assert differ, "a hand-edited figure went unnoticed"
