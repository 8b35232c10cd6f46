"""The process-wide privacy switches, set by each entry point before any library that
could phone home loads: no hub downloads, no telemetry (chromadb's too), and a umask
that keeps everything ownvoice writes readable by the user alone.

``lock_down()`` is idempotent. The entry points call it first (the CLI, the GUI, the
bench scripts, the test session); the Store and the embedder call it again before they
load chromadb or a model, so a library caller gets the same switches. Importing this
module changes nothing.
"""

from __future__ import annotations

import os

SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
UMASK = 0o077


def lock_down() -> None:
    """Pin the offline and telemetry switches (HF_HUB_OFFLINE cannot be overridden:
    nothing is downloaded at run time) and the process umask: files 0600 and folders
    0700, including those libraries create themselves. ownvoice is an application, so
    it owns the process umask."""
    for k, v in SWITCHES.items():
        os.environ.setdefault(k, v)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.umask(UMASK)
