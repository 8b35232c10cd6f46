"""``ownvoice install-desktop [--remove]``: put ownvoice in the desktop's application menu.

Writes a freedesktop ``.desktop`` entry (``$XDG_DATA_HOME/applications/ownvoice.desktop``)
whose ``Exec`` is this environment's ``ownvoice-gui`` by its full path (a pipx or uv
tool install puts it in a bin folder the desktop session may not have on its PATH),
and the icon (``icons/hicolor/scalable/apps/ownvoice.svg``). ``--remove`` deletes
those two files, and only when they are the ones ownvoice wrote (the entry carries
``X-Ownvoice-Installed=true``; the icon must match ours byte for byte).

What it leaves out: macOS and Windows shortcuts; refreshing the desktop's menu cache
(most desktops watch the folder; ``update-desktop-database`` is run when present).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.commands.terminal import Terminal
from app.paths import resources_dir
from app.workflows.workspace import Workspace
from ingest.kernel.errors import UserError

MARK = "X-Ownvoice-Installed=true"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("install-desktop", help="add ownvoice to the desktop's application menu (Linux)",
                       description="Write a .desktop entry and icon for this user (freedesktop), or remove "
                       "them with --remove.")
    p.add_argument("--remove", action="store_true", help="remove the entry and icon ownvoice wrote")
    p.add_argument("--json", action="store_true", help="print what was written or removed as JSON")
    p.set_defaults(func=run)


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets() -> tuple[Path, Path]:
    base = data_home()
    return base / "applications" / "ownvoice.desktop", base / "icons" / "hicolor" / "scalable" / "apps" / "ownvoice.svg"


def gui_command() -> str:
    """This environment's ``ownvoice-gui``, by its full path."""
    here = Path(sys.executable).parent / "ownvoice-gui"
    if here.exists():
        return str(here)
    found = shutil.which("ownvoice-gui")
    if found:
        return found
    raise UserError("ownvoice-gui is not installed in this environment.",
                    hint="Install ownvoice as an application first: pipx install . (or uv tool install .).")


def exec_arg(path: str) -> str:
    """``path`` as an Exec argument (the Desktop Entry spec's quoting, then its string escapes).

    >>> exec_arg("/home/a/.local/bin/ownvoice-gui"), exec_arg("/opt/my apps/ownvoice-gui")
    ('/home/a/.local/bin/ownvoice-gui', '"/opt/my apps/ownvoice-gui"')
    """
    path = path.replace("%", "%%")  # % starts a field code in Exec
    if not any(c in path for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return path
    inner = "".join("\\" + c if c in '"`$\\' else c for c in path)
    return '"' + inner.replace("\\", "\\\\") + '"'


def entry_text(exec_path: str) -> str:
    src = (resources_dir() / "gui" / "ownvoice.desktop").read_text(encoding="utf-8")
    lines = []
    for ln in src.splitlines():
        if ln.startswith("Exec="):
            ln = f"Exec={exec_arg(exec_path)}"
        elif ln.startswith("TryExec="):
            ln = f"TryExec={exec_path}"
        lines.append(ln)
    return "\n".join(lines).rstrip("\n") + f"\n{MARK}\n"


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    from ingest.kernel.fsutil import atomic_write_bytes, atomic_write_text

    entry, icon = targets()
    ours = (resources_dir() / "gui" / "icons" / "ownvoice.svg").read_bytes()
    done: list[str] = []
    if args.remove:
        if entry.is_file() and MARK in entry.read_text(encoding="utf-8", errors="replace"):
            entry.unlink()
            done.append(str(entry))
        if icon.is_file() and icon.read_bytes() == ours:
            icon.unlink()
            done.append(str(icon))
    else:
        if entry.exists() and MARK not in entry.read_text(encoding="utf-8", errors="replace"):
            raise UserError(f"{entry} exists and was not written by ownvoice.",
                            hint="Move it away first if you want ownvoice's entry there.")
        atomic_write_text(entry, entry_text(gui_command()))
        os.chmod(entry, 0o644)  # menus read it; nothing private in it
        done.append(str(entry))
        if not icon.exists() or icon.read_bytes() == ours:
            atomic_write_bytes(icon, ours)
            os.chmod(icon, 0o644)
            done.append(str(icon))
        if shutil.which("update-desktop-database"):
            subprocess.run(["update-desktop-database", str(entry.parent)], capture_output=True, timeout=60)
    if args.json:
        term.print_json({"removed" if args.remove else "written": done})
    elif args.remove:
        term.console.print("Removed " + (", ".join(done) if done else "nothing (no entry ownvoice wrote)"),
                          markup=False)
    else:
        term.console.print("ownvoice is in the application menu: " + ", ".join(done), markup=False)
    return 0
