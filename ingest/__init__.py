"""ownvoice ingest layer: archives in, normalized records out, into a local store.

This is the lowest layer. It imports neither ``trainer`` nor ``app``.

Importing it pins the privacy switches for the whole process before any library that
could phone home is loaded: no hub downloads, no telemetry.
"""

import os as _os

for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    _os.environ.setdefault(_k, _v)
_os.environ["HF_HUB_OFFLINE"] = "1"  # never overridable: nothing is downloaded at run time

# Everything ownvoice writes (the store, chromadb's own files, voice packs, caches) is
# the user's private mail: files 0600, folders 0700, including files that libraries
# create themselves. ownvoice is an application, so it owns the process umask.
_os.umask(0o077)
