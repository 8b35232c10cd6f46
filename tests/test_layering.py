"""The layering holds: app -> trainer -> ingest, and no Qt outside app/gui.

import-linter checks the import graph (including indirect imports); the AST scan
below also catches imports inside functions, which a grep for top-level lines misses.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT = {"PySide6", "shiboken6", "pyqtgraph"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _py(pkg: str):
    return sorted((ROOT / pkg).rglob("*.py"))


def test_ingest_imports_no_higher_layer():
    bad = {str(p.relative_to(ROOT)): _imports(p) & {"trainer", "app"} for p in _py("ingest")}
    assert not {k: v for k, v in bad.items() if v}


def test_trainer_does_not_import_app():
    bad = {str(p.relative_to(ROOT)): _imports(p) & {"app"} for p in _py("trainer")}
    assert not {k: v for k, v in bad.items() if v}


def test_no_qt_outside_app_gui():
    offenders = []
    for pkg in ("ingest", "trainer", "app"):
        for p in _py(pkg):
            rel = p.relative_to(ROOT)
            if rel.parts[:2] == ("app", "gui"):
                continue
            if _imports(p) & QT:
                offenders.append(str(rel))
    assert offenders == []


def test_import_linter_contracts():
    exe = Path(sys.executable).with_name("lint-imports")
    assert exe.exists(), "import-linter is a test dependency: pip install -e '.[test]'"
    r = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_importing_ownvoice_changes_nothing_until_an_entry_point_runs():
    """No import side effects: importing every module leaves the umask and the
    environment as they were; ``lock_down`` (what the CLI, the GUI and the Store call)
    sets them."""
    code = (
        "import importlib, os, pkgutil\n"
        "os.umask(0o022); env = dict(os.environ)\n"
        "for pkg in ('ingest', 'trainer', 'app'):\n"
        "    for m in pkgutil.walk_packages([pkg], prefix=pkg + '.'):\n"
        "        if not m.name.endswith('__main__'):\n"
        "            importlib.import_module(m.name)\n"
        "assert os.umask(0o022) == 0o022, 'an import changed the umask'\n"
        "assert dict(os.environ) == env, set(os.environ.items()) ^ set(env.items())\n"
        "from ingest.kernel.privacy import lock_down\n"
        "lock_down()\n"
        "assert os.umask(0o077) == 0o077 and os.environ['HF_HUB_OFFLINE'] == '1'\n"
        "assert os.environ['ANONYMIZED_TELEMETRY'] == 'False'\n"
        "print('ok')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "ANONYMIZED_TELEMETRY")}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**env, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60  # of code: the docstring aside


def _long_functions(path: Path) -> list[str]:
    """Functions over ``MAX_FUNCTION_LINES`` lines of code (the docstring aside) that do
    not say why in a ``# long:`` comment of their own."""
    src = path.read_text(encoding="utf-8")
    lines = src.split("\n")
    out = []
    for node in ast.walk(ast.parse(src, filename=str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = node.body[0]
        doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
        start = first.end_lineno + 1 if doc else node.lineno
        own = lines[node.lineno - 1:node.end_lineno]
        if node.end_lineno - start + 1 > MAX_FUNCTION_LINES and not any(ln.strip().startswith("# long:") for ln in own):
            out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - start + 1} lines)")
    return out


def test_modules_and_functions_stay_small():
    """No module over 400 lines, and no function over 60 lines of code unless it says why."""
    big = [f"{p.relative_to(ROOT)} ({n} lines)" for pkg in ("ingest", "trainer", "app") for p in _py(pkg)
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    long = [f for pkg in ("ingest", "trainer", "app") for p in _py(pkg) for f in _long_functions(p)]
    assert big == [] and long == [], big + long


def test_the_size_check_catches_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    p = ROOT / "tests" / "_size_probe.py"  # under ROOT: the check reports paths relative to it
    try:
        p.write_text(f'def f():\n    """Doc."""\n{body}\n\n\ndef g():\n    # long: a probe\n{body}\n')
        assert [x.split()[1] for x in _long_functions(p)] == ["f"]
    finally:
        p.unlink()


def test_layering_scan_catches_a_violation(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from trainer import voicepack\n    import PySide6.QtCore\n")
    assert {"trainer", "PySide6"} <= _imports(bad)


# The store's SQLite file is written only by the store: its writes (``Store`` methods in
# writes.py and vectors.py, the bootstrap in store.py) and the modules they hand the
# connection to (state: schema and meta; ngrams: the leak index's postings).
STORE_WRITERS = {"ingest/store/writes.py", "ingest/store/vectors.py", "ingest/store/store.py",
                 "ingest/store/state.py", "ingest/store/ngrams.py"}
_SQL_WRITE = ("INSERT ", "UPDATE ", "DELETE FROM", "REPLACE INTO", "VACUUM", "state.set_meta(",
              "state.transaction(")


def _sql_writes(path: Path) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{n}" for n, line in
            enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if any(w in line for w in _SQL_WRITE)]


def test_only_the_store_writes_its_sqlite_file():
    """Importer, IMAP, kept edits and the rest write through ``Store`` methods."""
    found = [w for pkg in ("ingest", "trainer", "app") for p in _py(pkg)
             if str(p.relative_to(ROOT)) not in STORE_WRITERS for w in _sql_writes(p)]
    assert found == []


def test_the_store_write_scan_catches_a_direct_write():
    p = ROOT / "tests" / "_write_probe.py"
    try:
        p.write_text('def f(store):\n    store.db.execute("UPDATE sources SET status = 1")\n')
        assert _sql_writes(p) == ["tests/_write_probe.py:2"]
    finally:
        p.unlink()
