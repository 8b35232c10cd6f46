"""What every command and page shares: the config, the data directory, the store and
the voice pack.

The data directory is resolved once. Opening the store loads chromadb and the
embedder, which takes seconds, so ``store()`` opens it on first use (in the GUI, inside
a worker job) and then keeps it; ``store_if_exists()`` opens it only where one is
already there (drafting a pasted message needs none). ``pack()`` opens (creating) a
voice pack; ``learned_pack()`` only reads one that exists. Plain Python, no Qt: pages
pass its methods to the worker, and the CLI uses it as a context manager.
What it leaves out: one store per workspace; changing the data directory
(``update_config``) closes the cached store and the next call opens the new one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ingest.kernel.config import Config, load_config, resolve_data_dir, save_config
from ingest.kernel.jobs import Gate


class Workspace:
    def __init__(self, config: Config | None = None, data_dir: str | None = None) -> None:
        self.config = config or load_config(data_dir=data_dir)
        self._data_dir: Path | None = None
        self._store: Any = None
        self._lock = threading.RLock()
        self.gate = Gate()  # search embedding gives way to every other job (app.gui.background)
        self.before_close: Any = None  # set by the GUI window: stops the background pass

    @classmethod
    def create(cls, *, data_dir: str | None = None, allow_remote_store: bool = False) -> "Workspace":
        """The config from config.toml and the environment, ``data_dir`` (``--data-dir``) first."""
        ws = cls(load_config(data_dir=data_dir))
        if allow_remote_store:
            ws.config = ws.config.with_(allow_remote_store=True)
        return ws

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            self._data_dir = resolve_data_dir(self.config)
        return self._data_dir

    # -- the store -------------------------------------------------------------------------
    def store(self) -> Any:
        """The open ``ingest.store.store.Store`` (opens, creating, it on first use)."""
        with self._lock:
            if self._store is None:
                from ingest.store.store import Store

                self._store = Store.open(self.data_dir, chroma_url=self.config.chroma_url,
                                         allow_remote=self.config.allow_remote_store)
            return self._store

    def store_if_exists(self) -> Any:
        """The store when this data dir has one (``state.sqlite``), else None (nothing is created)."""
        with self._lock:
            if self._store is None and not (self.data_dir / "state.sqlite").exists():
                return None
            return self.store()

    @property
    def store_open(self) -> bool:
        return self._store is not None

    def config_for_store(self, store: Any = None) -> Config:
        """The config with the store's own user (``ingest.store.store.with_identity``)."""
        from ingest.store.store import with_identity

        return with_identity(self.config, store if store is not None else self.store())

    def saved_me(self) -> tuple[str, ...]:
        """The user's addresses for this data dir: the ones saved in its store (given to
        its imports), else the config's (from before addresses lived in the store)."""
        from ingest.store.store import saved_identity

        return saved_identity(self.data_dir) or tuple(self.config.me)  # its own read-only connection

    # -- the voice pack --------------------------------------------------------------------
    def pack(self, name: str | None = None) -> Any:
        """The voice pack ``name`` (default: the config's), created when missing."""
        from trainer.voicepack import VoicePack

        return VoicePack.open(self.data_dir, name or self.config.voicepack)

    def learned_pack(self, name: str | None = None) -> Any:
        """The voice pack ``name`` if it exists, else None (read only: nothing is created)."""
        from trainer.voicepack import MANIFEST, VoicePack

        p = self.data_dir / "voicepacks" / (name or self.config.voicepack)
        return VoicePack.load(p) if (p / MANIFEST).exists() else None

    # -- config and lifetime ---------------------------------------------------------------
    def update_config(self, cfg: Config) -> None:
        """Save ``cfg``; a new data directory drops the cached store. A data dir that came
        from ``--data-dir`` or ``OWNVOICE_DATA_DIR`` is not saved as the default: only one
        the user chose in Settings is."""
        if cfg.data_dir != self.config.data_dir and self.before_close is not None:
            self.before_close()  # outside the lock: the pass may be waiting for it in store()
        with self._lock:
            moved = cfg.data_dir != self.config.data_dir
            save_config(cfg if moved else cfg.with_(data_dir=load_config(overrides=False).data_dir))
            self.config = cfg
            if moved:
                self.close()
                self._data_dir = None

    def close(self) -> None:
        if self.before_close is not None:
            self.before_close()  # the background pass stops before the store closes under it
        with self._lock:
            store, self._store = self._store, None
            close = getattr(store, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
