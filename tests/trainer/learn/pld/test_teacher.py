"""The teacher: opt-in refusal for URLs, and the endpoint client against a REAL
OpenAI-compatible server on loopback (llama-cpp-python's server with the embedded
SmolLM2), started by a fixture, bounded in time and killed after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ingest.kernel.errors import UserError
from trainer.learn.pld.teacher import EndpointTeacher, LocalModel, is_loopback, open_teacher
from trainer.runtime.models import resolve_model


def test_a_url_teacher_is_refused_without_the_opt_in():
    with pytest.raises(UserError) as e:
        open_teacher("https://llm.example.com/v1", allow_remote=False)
    msg = str(e.value)
    assert "mail would be sent" in msg and "allow_remote_teacher" in msg and "\n" not in msg


def test_loopback_still_needs_the_opt_in_and_the_warning_says_it_is_local():
    with pytest.raises(UserError):
        open_teacher("http://127.0.0.1:9/v1", allow_remote=False)
    t, warnings = open_teacher("http://127.0.0.1:9/v1#big-model", allow_remote=True)
    assert isinstance(t, EndpointTeacher) and t.model == "big-model" and t.remote
    assert len(warnings) == 1 and "loopback" in warnings[0] and "127.0.0.1" in warnings[0]
    _, far = open_teacher("https://llm.example.com", allow_remote=True)
    assert "another machine" in far[0]
    assert is_loopback("http://localhost:8080") and is_loopback("http://[::1]:1") and not is_loopback("http://10.0.0.1")


def test_an_endpoint_that_does_not_answer_is_a_user_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    t = EndpointTeacher(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(UserError, match="did not answer"):
        t.complete([{"role": "user", "content": "hi"}], max_tokens=4)


def test_a_local_teacher_is_the_embedded_model_by_default():
    t, warnings = open_teacher("", allow_remote=False)
    assert isinstance(t, LocalModel) and t.name == "smollm2" and not t.remote and warnings == []
    assert not t.capable  # 135M: too small to merge clusters; medoids are used


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    pytest.importorskip("fastapi", reason="llama-cpp-python[server] extras (test dependency)")
    port = _free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w+b")  # a file: a full pipe would block it
    model = resolve_model("smollm2").path
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "1024", "--n_threads", "1",
                             "--model_alias", "smol"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"llama_cpp.server exited: {log.read()[-2000:].decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not come up within 180 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.mark.slow
def test_endpoint_client_against_a_real_loopback_server(llama_server):
    t, warnings = open_teacher(llama_server + "#smol", allow_remote=True)
    assert "loopback" in warnings[0]
    text = t.complete([{"role": "system", "content": "Answer with one short instruction."},
                       {"role": "user", "content": "How should a friendly short e-mail end?"}],
                      max_tokens=24, temperature=0.0, seed=1)
    assert isinstance(text, str) and text.strip()
    again = t.complete([{"role": "system", "content": "Answer with one short instruction."},
                        {"role": "user", "content": "How should a friendly short e-mail end?"}],
                       max_tokens=24, temperature=0.0, seed=1)
    assert again == text  # greedy and seeded: the server really ran the model
    bad = EndpointTeacher(llama_server + "/nope/chat/completions")
    with pytest.raises(UserError, match="HTTP 404"):
        bad.complete("hi", max_tokens=2)


@pytest.mark.slow
def test_the_loop_drafts_the_same_text_for_an_unchanged_prompt():
    """The closed loop compares prompts on the same validation messages: with one
    boundary per message for the run, an unchanged prompt gives the same draft (a
    fresh random fence per call made the loop's comparisons noisy)."""
    from datetime import datetime, timezone

    from ingest.kernel.config import Config
    from ingest.kernel.records import ReplyPair
    from trainer.learn.pld.teacher import LocalModel, draft_fn_for

    pair = ReplyPair("r1", "m1", "Could you send the price list for the autumn fair?", "jo@fair.example",
                     "Autumn fair", "Hiya Jo, list attached. cheers, W.", datetime(2026, 3, 1, tzinfo=timezone.utc))
    other = ReplyPair("r2", "m2", "Are you coming to the meeting on Friday?", "sam@x.example", "Friday",
                      "Yes, see you there.", datetime(2026, 3, 2, tzinfo=timezone.utc))
    cfg = Config(me=("wren@halloway-cider.example",), threads=1, temperature=0.9, seed=3)
    draft = draft_fn_for(LocalModel("smollm2", threads=1), config=cfg, max_tokens=24)
    style = "Greet with 'Hiya <name>,'. Sign off 'cheers, W.'."
    first = draft(style, pair)
    assert first.strip() and "[" not in first
    assert draft(style, pair) == first
    assert draft(style, other) != first
    # another learn run on the same mail drafts the same validation replies (the fence
    # is fixed by seed and pair, not drawn at random)
    again = draft_fn_for(LocalModel("smollm2", threads=1), config=cfg, max_tokens=24)
    assert again(style, pair) == first
