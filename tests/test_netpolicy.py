"""Nothing leaves the machine unasked: a Chroma server or a teacher on another host
needs the user's permission, an API key never crosses the network over plain http, and
a proxy from the environment never carries a loopback connection (ingest.kernel.netpolicy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ingest.kernel.errors import UserError
from ingest.store.store import Store
from trainer.learn.pld.teacher import API_KEY_ENV, EndpointTeacher


@pytest.fixture
def no_proxy_env(monkeypatch):
    for k in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
              "NO_PROXY"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_a_store_on_another_machine_is_refused_before_anything_is_opened(tmp_path, no_proxy_env):
    data = tmp_path / "d"
    with pytest.raises(UserError) as e:
        Store.open(data, chroma_url="http://db.example.com:8000", allow_remote=False)
    msg = str(e.value)
    assert "another machine" in msg and "--allow-remote-store" in msg and "allow_remote_store" in msg
    assert not (data / "state.sqlite").exists()


def test_a_proxy_never_carries_the_connection_to_a_local_store(tmp_path, no_proxy_env):
    no_proxy_env.setenv("http_proxy", "http://proxy.example:3128")
    with pytest.raises(UserError, match="NO_PROXY"):
        Store.open(tmp_path / "d", chroma_url="http://127.0.0.1:8000", allow_remote=False)


def test_the_cli_refuses_a_remote_store_in_one_line(tmp_path):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text('chroma_url = "http://db.example.com:8000"\n')
    env = {**os.environ, "OWNVOICE_CONFIG_DIR": str(cfg)}
    r = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path / "d"), "sources"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "--allow-remote-store" in r.stderr


def test_an_api_key_is_never_sent_over_plain_http_to_another_host(no_proxy_env):
    no_proxy_env.setenv(API_KEY_ENV, "sk-secret")
    t = EndpointTeacher("http://10.255.255.1:9/v1", timeout=1)
    with pytest.raises(UserError, match="plain http"):
        t.complete("hi", max_tokens=2)


class _Chat(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Chat.seen.append({"auth": self.headers.get("Authorization"), "body": body})
        out = json.dumps({"choices": [{"message": {"content": "ok from loopback"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):  # quiet
        pass


def test_a_loopback_teacher_bypasses_a_proxy_and_may_get_the_key(no_proxy_env):
    srv = HTTPServer(("127.0.0.1", 0), _Chat)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        # a proxy that does not exist: a request routed through it would fail
        no_proxy_env.setenv("http_proxy", "http://127.0.0.1:9")
        no_proxy_env.setenv(API_KEY_ENV, "sk-local")
        t = EndpointTeacher(f"http://127.0.0.1:{srv.server_port}", timeout=5)
        assert t.complete("hi", max_tokens=2) == "ok from loopback"
        assert _Chat.seen[-1]["auth"] == "Bearer sk-local"
    finally:
        srv.shutdown()

