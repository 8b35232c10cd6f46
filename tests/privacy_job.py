"""The whole job (import the demo archive, learn, draft) in a process of its own, for
tests/test_privacy.py: run with a clean environment (no HF_HUB_OFFLINE, no telemetry
switches: the product must set its own), optionally inside ``unshare -n``. Every
non-loopback connection or name lookup is refused and recorded by a socket guard
installed before anything is imported; prints one JSON object. ``is_local`` is shared
with the in-process guard of tests/test_privacy.py."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
from pathlib import Path

ATTEMPTS: list[str] = []


def is_local(host) -> bool:  # noqa: ANN001
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in ("localhost", "localhost.localdomain", "ip6-localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def make_guard(attempts: list[str]):  # noqa: ANN201
    """(connect, connect_ex, getaddrinfo) replacements that refuse non-loopback targets
    and record each attempt in ``attempts``; they wrap the functions in place now."""
    real_connect, real_connect_ex, real_gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def allowed(sock, address) -> bool:  # noqa: ANN001
        if sock.family == getattr(socket, "AF_UNIX", None):
            return True
        host = address[0] if isinstance(address, tuple) else address
        if is_local(host):
            return True
        attempts.append(f"connect {address!r}")
        return False

    def connect(self, address):  # noqa: ANN001, ANN202
        if not allowed(self, address):
            raise OSError(101, "blocked: non-loopback connection")
        return real_connect(self, address)

    def connect_ex(self, address):  # noqa: ANN001, ANN202
        return real_connect_ex(self, address) if allowed(self, address) else 101

    def getaddrinfo(host, *a, **k):  # noqa: ANN001, ANN202
        if not is_local(host):
            attempts.append(f"resolve {host!r}")
            raise socket.gaierror(-2, "blocked: name resolution")
        return real_gai(host, *a, **k)

    return connect, connect_ex, getaddrinfo


def install_guard() -> None:
    """Refuse and record non-loopback connections and lookups from here on."""
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = make_guard(ATTEMPTS)


def main() -> int:
    demo = Path(sys.argv[1])
    me = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")
    from ingest.kernel.config import load_config
    from ingest.store.importer import import_sources
    from ingest.store.store import Store
    from trainer.draft.drafting import draft
    from trainer.learn.routes import LearnContext, learn, parse_routes
    from trainer.voicepack import VoicePack

    data = Path(os.environ["OWNVOICE_DATA_DIR"])
    cfg = load_config().with_(me=me, max_tokens=30)
    with Store.open(data) as store:
        import_sources([demo / "Sent.mbox", demo / "Inbox.mbox"], store, list(me))
        pack = VoicePack.open(data)
        learn(parse_routes("rag"), LearnContext(store=store, pack=pack, config=cfg, data_dir=data))
        msg = store.by_message_id("i0086@thesaltcellar.example")
        res = draft(msg, variants=("rag",), n=1, store=store, pack=pack, config=cfg)
    print(json.dumps({"attempts": ATTEMPTS, "drafts": len(res.drafts), "chars": len(res.drafts[0].text),
                      "hf_hub_offline": os.environ.get("HF_HUB_OFFLINE"),
                      "telemetry": os.environ.get("ANONYMIZED_TELEMETRY")}))
    return 0


if __name__ == "__main__":
    install_guard()  # before ownvoice or any library is imported
    sys.exit(main())
