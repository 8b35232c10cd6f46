"""Where ownvoice's own files are: the GUI's style sheets and icons, the desktop entry and
the demo archive (``resources/`` at the top of the repository).

From a checkout or an editable install they are read where they are. A wheel (``pipx
install .``, ``uv tool install .``) installs them as data files under
``<prefix>/share/ownvoice/resources`` (``[tool.setuptools.data-files]`` in
pyproject.toml), and ``resources_dir`` finds them there.

What it leaves out: a system-wide install into a prefix other than the Python
environment's (``--prefix`` tricks) is not searched.
"""

from __future__ import annotations

import site
import sys
import sysconfig
from pathlib import Path

from ingest.kernel.errors import UserError

REPO = Path(__file__).resolve().parents[1] / "resources"
SHARED = Path(sys.prefix) / "share" / "ownvoice" / "resources"
# pip install --user puts data files under the user base, not sys.prefix
OTHERS = tuple(Path(p) / "share" / "ownvoice" / "resources"
               for p in dict.fromkeys([sysconfig.get_path("data"), getattr(site, "USER_BASE", None) or ""]) if p)
# what the app reads; a wheel test checks that each is in the wheel
REQUIRED = ("gui/light.qss", "gui/dark.qss", "gui/ownvoice.desktop", "gui/icons/ownvoice.svg",
            "gui/icons/archive.svg", "gui/icons/voice.svg", "gui/icons/draft.svg", "gui/icons/evaluate.svg",
            "gui/icons/settings.svg", "demo/Sent.mbox", "demo/Inbox.mbox", "demo/README.md",
            "demo/documents/about-us.html", "demo/documents/orchard-newsletter-autumn.md",
            "demo/documents/pressing-day-notes.txt")


def resources_dir() -> Path:
    """The resources folder: the checkout's, else the installed copy."""
    places = (REPO, SHARED, *OTHERS)
    for p in places:
        if (p / "gui" / "light.qss").is_file():
            return p
    raise UserError(f"ownvoice's resources are missing (looked in {', '.join(map(str, places))}).",
                    hint="Reinstall ownvoice (pipx install --force . or pip install .).")
