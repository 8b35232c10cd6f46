"""What every page shares: the config, the data directory, the store and the voice pack.

Opening the store loads chromadb and the embedder, which takes seconds, so ``store()``
is meant to be called inside a worker job; it opens once and is then cached. The
session is plain Python (no Qt), so pages can pass its methods to the worker.
What it leaves out: one store per process; changing the data directory in Settings
closes the cached store and the next job opens the new one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ingest.kernel.config import Config, load_config, resolve_data_dir, save_config
from ingest.kernel.jobs import Gate


class Session:
    def __init__(self, config: Config | None = None, data_dir: str | None = None) -> None:
        self.config = config or load_config(data_dir=data_dir)
        self._data_dir: Path | None = None
        self._store: Any = None
        self._lock = threading.RLock()
        self.gate = Gate()  # search embedding gives way to every other job (app.gui.background)
        self.before_close: Any = None  # set by the window: stops the background pass

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            self._data_dir = resolve_data_dir(self.config)
        return self._data_dir

    def store(self) -> Any:
        """The open ``ingest.store.store.Store`` (opens it on first use; call from a job)."""
        with self._lock:
            if self._store is None:
                from ingest.store.store import Store

                self._store = Store.open(self.data_dir)
            return self._store

    @property
    def store_open(self) -> bool:
        return self._store is not None

    def saved_me(self) -> tuple[str, ...]:
        """The user's addresses for this data dir: the ones saved in its store (given to
        its imports), else the config's (from before addresses lived in the store)."""
        from ingest.store.store import saved_identity

        return saved_identity(self.data_dir) or tuple(self.config.me)  # its own read-only connection

    def pack(self) -> Any:
        from trainer.voicepack import VoicePack

        return VoicePack.open(self.data_dir, self.config.voicepack)

    def update_config(self, cfg: Config) -> None:
        """Save ``cfg``; a new data directory drops the cached store. A data dir that came
        from ``--data-dir`` or ``OWNVOICE_DATA_DIR`` is not saved as the default: only one
        the user chose in Settings is."""
        if cfg.data_dir != self.config.data_dir and self.before_close is not None:
            self.before_close()  # outside the lock: the pass may be waiting for it in session.store()
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
