"""ownvoice ingest layer: archives in, normalized records out, into a local store.

This is the lowest layer. It imports neither ``trainer`` nor ``app``.

- ``kernel``: records, config, jobs, errors, fsutil, netpolicy and the privacy switches;
  every layer may import it.
- ``sources``: the parsers, one registry of kinds.
- ``store``: the local store and everything that writes it.

Importing it changes nothing: the entry points call ``ingest.kernel.privacy.lock_down``.
"""
