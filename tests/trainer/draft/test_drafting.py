"""Drafting end to end on the real SmolLM2: variants, unavailable reasons, streaming,
cancel, flags, .eml export; and one run through the real Store on the demo archive."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta, timezone

import pytest

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken
from ingest.kernel.records import Message, ReplyPair
from tests.trainer.student_helpers import FakeStore, write_lora_adapter
from trainer.draft import drafting, flags, samples
from trainer.draft.drafting import Draft, draft, parse_variants
from trainer.draft.eml import reply_subject
from trainer.draft.eml import export_eml
from trainer.runtime.pool import get_runtime
from trainer.voicepack import VoicePack

# seeded drafts from the real model repeat exactly only with a fixed fence boundary
pytestmark = pytest.mark.usefixtures("fixed_fence")

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
ME = ("wren@halloway-cider.example",)
CFG = Config(me=ME, threads=1, max_tokens=16, temperature=0.7, seed=5)


@pytest.fixture(scope="module")
def rt():
    return get_runtime("smollm2", threads=1)


def _msg(text, *, minutes=0, own=False, thread="t1", mid=None, sender="jo@fair.example"):  # noqa: ANN001
    return Message(source="s", item=str(minutes), message_id=mid or f"m{minutes}@fair.example",
                   subject="Cider fair", sender=ME[0] if own else sender, sender_name="" if own else "Jo Pryce",
                   date=T0 + timedelta(minutes=minutes), body=text, text=text, own=own, thread=thread,
                   references=("root@fair.example",))


@pytest.fixture
def store():
    older = _msg("Would you like a pitch at the fair?", minutes=-60, mid="root@fair.example")
    mine = _msg("Yes please - both days. See https://halloway-cider.example/fair for our list.", minutes=-30,
                own=True)
    target = _msg("Great! Which pitch would you like, by the hedge or the gate?", minutes=0)
    pair = ReplyPair(reply_id="r1", message_id="x1", message_text="Can we stock your cider?",
                     message_sender="h@salt.example", message_subject="Stock", thread="other",
                     reply_text="Hiya Harriet, grand - price list below. cheers, W.", date=T0 - timedelta(days=9))
    return FakeStore([older, mine, target], [pair], leaky=("the secret recipe is three parts Kingston Black",))


@pytest.fixture
def pack(tmp_path):
    p = VoicePack.open(tmp_path / "data")
    p.write_text("style_prompt.md", "Greets with 'Hiya Name,'. Signs off 'cheers, W.'.")
    return p


def test_variants_stream_and_unavailable_ones_say_why(rt, store, pack):
    target = store.get(next(m.id for m in store.messages() if m.message_id == "m0@fair.example"))
    seen: dict[tuple[str, int], list[str]] = {}
    res = draft(target, variants="base,rag,pld,lora,full", n=1, store=store, pack=pack, config=CFG,
                on_token=lambda v, i, s: seen.setdefault((v, i), []).append(s),
                on_restart=lambda v, i, r: seen.__setitem__((v, i), []))  # a leak resample voids the stream
    assert [(d.variant, d.sample) for d in res.drafts] == [(v, i) for v in ("base", "rag", "pld", "full")
                                                           for i in (0,)]
    assert set(res.unavailable) == {"lora"} and "ownvoice learn --routes lora" in res.unavailable["lora"]
    for d in res.drafts:
        assert d.text.strip() and d.tokens <= 16 and d.seed in (5 + d.sample, 5 + d.sample + 104729)
        assert d.checks is not None and 1 <= d.tries <= CFG.best_of
        assert "".join(seen[(d.variant, d.sample)]) == d.text
        assert "[" not in d.text  # fences (and markdown links) cannot be written
    by = {(d.variant, d.sample): d for d in res.drafts}
    assert by[("rag", 0)].prompt_tokens > by[("base", 0)].prompt_tokens  # the example is in
    assert by[("full", 0)].prompt_tokens > by[("rag", 0)].prompt_tokens  # + the style prompt
    assert not res.cancelled and res.model == "smollm2"


def test_lora_variant_uses_the_packs_adapter_and_removes_it(rt, store, pack):
    write_lora_adapter(pack.file("adapter/adapter.gguf"), seed=3, scale_b=0.3)
    pack.set_route("lora", {"adapter": "adapter/adapter.gguf",
                            "base_model": {"name": "smollm2", "sha256": rt.info.sha256, "arch": "llama"}})
    target = next(m for m in store.messages() if m.message_id == "m0@fair.example")
    res = draft(target, variants=["base", "lora"], store=store, pack=pack, config=CFG.with_(temperature=0.0))
    assert [d.variant for d in res.drafts] == ["base", "lora"] and not res.unavailable
    assert res.drafts[0].text != res.drafts[1].text  # the adapter changed the greedy output
    assert rt.adapter is None
    # an adapter trained on another base model is reported, not applied
    pack.set_route("lora", {"adapter": "adapter/adapter.gguf",
                            "base_model": {"name": "gemma3", "sha256": "0" * 64, "arch": "gemma3"}})
    res = draft(target, variants=["lora"], store=store, pack=pack, config=CFG)
    assert res.drafts == [] and "trained on gemma3" in res.unavailable["lora"]


def test_nothing_learned_yet(rt):
    res = draft(_msg("Hello?"), variants="rag,pld,lora,full", config=CFG)
    assert res.drafts == [] and set(res.unavailable) == {"rag", "pld", "lora", "full"}
    with pytest.raises(UserError, match="Unknown variant"):
        parse_variants("base,voice")


def test_cancel_stops_the_run(rt, store):
    # cancelling at the first streamed piece lands inside the generation (a later piece
    # can be the final flush, after the model has stopped)
    token = CancelToken()
    n = [0]

    def on_token(v: str, i: int, s: str) -> None:
        n[0] += 1
        if n[0] == 1:
            token.cancel()

    res = draft(_msg("Pitch?"), variants="base,rag", n=3, store=store, config=CFG.with_(max_tokens=40),
                on_token=on_token, cancel=token)
    assert res.cancelled and len(res.drafts) == 1
    assert res.drafts[0].finish_reason == "cancelled" and "cancelled" in res.drafts[0].flags


def test_link_and_leak_flags(store):
    th = "t1"
    assert flags.draft_flags("See https://halloway-cider.example/fair/ - cheers", store=store, thread=th) == ()
    assert flags.draft_flags("See https://evil.example/x", store=store, thread=th) == ("link",)
    # EchoLeak shapes: always flagged, even on the user's own site
    assert "link" in flags.draft_flags("![logo](https://halloway-cider.example/fair)", store=store, thread=th)
    assert "link" in flags.draft_flags("https://halloway-cider.example/fair?q=the+order", store=store, thread=th)
    leak = "by the way the secret recipe is three parts Kingston Black"
    assert flags.draft_flags(leak, store=store, thread=th) == ("leak",)
    assert flags.draft_flags(leak, store=None, thread=th) == ()


def test_export_eml_parses_back(tmp_path):
    m = Message(source="s", item="1", message_id="abc@fair.example", subject="Pitch at the fair",
                sender="jo@fair.example", sender_name="Jo Pryce", references=("root@fair.example",),
                body="?", text="?")
    d = Draft("rag", 1, "Hiya Jo,\n\nby the hedge please - cheers, W.\n", 12, 0.5, 24.0, 300)
    p = export_eml(d, m, CFG, tmp_path / "out")
    assert p.parent == tmp_path / "out" and p.name == "pitch-at-the-fair-rag-2.eml"
    e = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
    assert e["From"] == ME[0] and e["To"] == "Jo Pryce <jo@fair.example>"
    assert e["Subject"] == "Re: Pitch at the fair"
    assert e["In-Reply-To"] == "<abc@fair.example>"
    assert e["References"] == "<root@fair.example> <abc@fair.example>"
    assert e["Message-ID"].endswith("@halloway-cider.example>")
    assert e.get_content().strip() == d.text.strip()
    assert reply_subject("Re: x") == "Re: x"
    with pytest.raises(UserError, match="address is not set"):
        export_eml(d, m, Config(), tmp_path / "x.eml")


def test_export_eml_with_cr_lf_in_stored_headers_writes_one_line_each(tmp_path):
    """A stored Subject, display name or Message-ID holding CR/LF (hostile mail, or a
    store from before import cleaned them) must neither crash ``draft --save`` nor
    inject a header."""
    m = Message(source="s", item="1", message_id="abc@x.example\r\nBcc: spy@evil.example",
                subject="Prices\r\nBcc: spy@evil.example", sender="jo@fair.example",
                sender_name="Jo\nPryce", references=("r1@x.example\r\n", "r2@x.example"), body="?", text="?")
    d = Draft("rag", 0, "Hi Jo,\n\nYes.\n", 4, 0.1, 40.0, 10)
    p = export_eml(d, m, CFG, tmp_path / "reply.eml")
    e = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
    assert e["Subject"] == "Re: Prices Bcc: spy@evil.example" and e["Bcc"] is None
    assert e["To"] == "Jo Pryce <jo@fair.example>"
    assert e["In-Reply-To"] == "<abc@x.exampleBcc:spy@evil.example>"
    assert e["References"].split() == ["<r1@x.example>", "<r2@x.example>", "<abc@x.exampleBcc:spy@evil.example>"]


@pytest.mark.slow
def test_through_the_real_store_on_the_demo_archive(rt, demo_dir, data_dir):
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from tests.conftest import DEMO_ME
    from trainer.draft.retrieval import examples_for, learn
    from trainer.learn.routes import LearnContext

    if not (demo_dir / "Sent.mbox").exists():
        pytest.skip("the demo archive is not built")
    with Store.open(data_dir) as st:
        run_import([demo_dir / "Inbox.mbox", demo_dir / "Sent.mbox"], st, me=DEMO_ME)
        pack = VoicePack.open(data_dir)
        entry = learn(LearnContext(st, pack, CFG, data_dir), lambda p: None, None)
        assert entry["pairs"] > 10 and pack.route("rag")["k"] == CFG.retrieval_k
        incoming = [m for m in st.messages(own=False) if m.thread and st.thread(m)]
        target = incoming[-1]
        ex = examples_for(st, target, k=3)
        assert ex
        own_texts = {m.text for m in st.messages(own=True)}
        for pair in ex:  # every example is the user's own text, from another thread
            assert st.get(pair.reply_id).own and pair.reply_text in own_texts and pair.thread != target.thread
        res = draft(target, variants="base,rag", store=st, pack=pack, config=CFG.with_(max_tokens=48))
        assert [d.variant for d in res.drafts] == ["base", "rag"]
        for d in res.drafts:
            assert d.tokens > 0 and ("empty" in d.flags) == (not d.text.strip())
        assert any(d.text.strip() for d in res.drafts)


def test_rag_route_records_its_settings(store, pack, tmp_path):
    from trainer.draft.retrieval import learn
    from trainer.learn.routes import LearnContext

    events = []
    entry = learn(LearnContext(store, pack, CFG, tmp_path, {"k": 2}), events.append, None)
    assert entry == {"k": 2, "token_budget": CFG.retrieval_tokens, "pairs": 1, "excerpts": False}
    assert {k: v for k, v in pack.route("rag").items() if k != "updated"} == entry
    assert events[-1].done == events[-1].total == 1
    with pytest.raises(UserError, match="0 reply pairs"):
        learn(LearnContext(FakeStore(), pack, CFG, tmp_path), lambda p: None, None)


def test_leak_guard_resamples_then_redacts():
    """A leaking sample is resampled; if every sample leaks, the leaking sentences are cut."""
    from dataclasses import dataclass


    secret = "the vault code for the east barn is four seven two nine alpha"

    @dataclass(frozen=True)
    class G:
        text: str
        finish_reason: str = "stop"

    class Store:
        def rare_runs(self, text, exclude_thread=None, n=8, max_docs=2):
            from ingest.store.ngrams import words

            w, s = words(text), words(secret)
            return [(i, i + n) for i in range(len(w) - n + 1) if w[i:i + n] in
                    [s[j:j + n] for j in range(len(s) - n + 1)]]

        def messages(self, own=None, source=None):
            return iter(())

    class Prompt:
        messages, max_tokens, boundary = (), 10, "XYZ"

    class RT:
        def __init__(self, texts):
            self.texts, self.calls = list(texts), 0

        def generate(self, *a, on_token=None, **k):
            self.calls += 1
            text = self.texts.pop(0)
            if on_token:
                for w in re.findall(r"\S+\s*", text):
                    on_token(w)
            return G(text)

    def streamed(events):
        """What the stream shows at the end: the pieces after the last restart."""
        last = max((i for i, e in enumerate(events) if e[0] == "restart"), default=-1)
        return "".join(e[1] for e in events[last + 1:])

    leaky = f"Hiya Sam, grand. By the way {secret}. cheers, W."
    rt, events = RT(["Hiya Sam, all clean here. cheers, W."]), []
    g, flags = samples.without_leak(rt, Prompt(), G(leaky), ("leak",), Store(), None,
                                      temperature=0.7, top_p=0.9, seed=1, cancel=None,
                                      on_token=lambda s: events.append(("token", s)),
                                      on_restart=lambda r: events.append(("restart", r)))
    assert rt.calls == 1 and "regenerated" in flags and "leak" not in flags and secret not in g.text
    assert [e[0] for e in events].count("restart") == 1 and streamed(events) == g.text

    rt, events = RT([leaky, leaky]), []
    g, flags = samples.without_leak(rt, Prompt(), G(leaky), ("leak",), Store(), None,
                                      temperature=0.7, top_p=0.9, seed=1, cancel=None,
                                      on_token=lambda s: events.append(("token", s)),
                                      on_restart=lambda r: events.append(("restart", r)))
    assert rt.calls == samples.LEAK_RETRIES
    assert "redacted" in flags and "leak" not in flags
    assert "vault" not in g.text and "Hiya Sam" in g.text and "cheers, W." in g.text
    assert [e[0] for e in events].count("restart") == samples.LEAK_RETRIES + 1
    assert streamed(events) == g.text and "vault" not in streamed(events)

    # a cancel during the resample: the redacted first sample, marked cancelled
    token = CancelToken()

    class CancellingRT(RT):
        def generate(self, *a, **k):
            token.cancel()
            self.calls += 1
            return G(self.texts.pop(0)[:12], "cancelled")

    rt = CancellingRT(["Hiya Sam, all clean here. cheers, W."])
    g, flags = samples.without_leak(rt, Prompt(), G(leaky), ("leak",), Store(), None,
                                      temperature=0.7, top_p=0.9, seed=1, cancel=token)
    assert rt.calls == 1 and g.finish_reason == "cancelled" and "redacted" in flags and "vault" not in g.text


def test_a_draft_the_budget_stops_mid_sentence_is_cut_back_or_marked_unfinished():
    """The demo's rag draft to Harriet ended "...with some of / cheers, W.": a generation
    stopped by max_tokens is cut back to its last whole sentence (streamed again after a
    restart), and one with no whole sentence is marked unfinished, without a sign-off.
    A stand-in runtime, so that the stop falls exactly mid-sentence; the real model's
    drafts are checked in the next test."""
    from dataclasses import dataclass

    from trainer.draft.scaffold import Scaffold

    @dataclass(frozen=True)
    class G:
        text: str
        finish_reason: str = "length"

    class Store:
        def rare_runs(self, text, exclude_thread=None, n=8, max_docs=2):
            return []

        def messages(self, own=None, source=None):
            return iter(())

    class Prompt:
        messages, max_tokens, boundary = (), 40, "XYZ"

    class RT:
        def __init__(self, text, finish="length"):
            self.g = G(text, finish)

        def generate(self, *a, on_token=None, **k):
            if on_token:
                for w in re.findall(r"\S+\s*", self.g.text):
                    on_token(w)
            return self.g

    def run(text, finish="length"):
        events = []
        g, fl = samples.sample(RT(text, finish), Prompt(), Scaffold(sign_off="cheers, W."), Store(), None,
                                 seed=1, temperature=0.7, top_p=0.9, cancel=None,
                                 on_token=lambda s: events.append(("token", s)),
                                 on_restart=lambda r: events.append(("restart", r)), extra={}, opening="Hi Jo,\n\n")
        last = max((i for i, e in enumerate(events) if e[0] == "restart"), default=-1)
        return g, fl, "".join(e[1] for e in events[last + 1:]), [e[1] for e in events if e[0] == "restart"]

    g, fl, shown, restarts = run("Hi Jo,\n\nThe hedge pitch is ours. We will bring the press and some of")
    assert g.text == "Hi Jo,\n\nThe hedge pitch is ours.\n\ncheers, W." and "trimmed" in fl
    assert restarts == [samples.TRIM_REASON] and shown == g.text
    g, fl, shown, restarts = run("Hi Jo,\n\nWe will bring the press and some of")
    assert "unfinished" in fl and "cheers" not in g.text and not restarts and shown == g.text
    g, fl, _, restarts = run("Hi Jo,\n\nThe hedge pitch is ours. We will bring the press and some of", "stop")
    assert not restarts and "trimmed" not in fl and g.text.endswith("some of\n\ncheers, W.")  # the model chose to end
    g, fl, _, restarts = run("Hi Jo,\n\nThe hedge pitch is ours.")
    assert not restarts and "trimmed" not in fl and g.text.endswith("ours.\n\ncheers, W.")


def test_drafts_end_on_a_whole_sentence_or_say_they_do_not(rt, store):
    """With a tight budget, every real draft either ends a sentence (before the user's
    sign-off) or is marked unfinished and not usable."""
    from trainer.draft.scaffold import ends_sentence

    target = next(m for m in store.messages() if m.message_id == "m0@fair.example")
    res = draft(target, variants="base,rag", n=3, store=store, config=CFG.with_(max_tokens=30, best_of=1))
    assert len(res.drafts) == 6
    for d in res.drafts:
        if "unfinished" in d.flags:
            assert d.checks.unfinished and not d.usable
        elif d.finish_reason == "length":
            assert ends_sentence(d.text), d.text


def test_variants_of_one_call_share_the_fence_boundary(rt, store, pack, monkeypatch):
    """base and pld differ only in the style prompt, so comparing them is paired; each
    call still draws a fresh (unpredictable) boundary."""
    monkeypatch.undo()  # this test needs the real, random boundary (the module pins it)
    seen: list[str] = []
    real = drafting.build_prompt

    def spy(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        p = real(*a, **kw)
        seen.append(p.boundary)
        return p

    monkeypatch.setattr(drafting, "build_prompt", spy)
    target = store.get(next(m.id for m in store.messages() if m.message_id == "m0@fair.example"))
    draft(target, variants="base,pld", n=1, store=store, pack=pack, config=CFG)
    draft(target, variants="base,pld", n=1, store=store, pack=pack, config=CFG)
    assert len(seen) == 4 and seen[0] == seen[1] and seen[2] == seen[3] and seen[0] != seen[2]


def test_pld_scaffold_greets_stops_and_signs_off_in_the_stream(rt, store, tmp_path, monkeypatch):
    """The style prompt's measured rules are kept by decoding: greeting prefilled with
    the correspondent's first name, the user's sign-off appended, all streamed."""
    p = VoicePack.open(tmp_path / "data")
    p.write_text("style_prompt.md", "# How I write\n\nWrite the reply as me, following these habits.\n"
                 '- Open with "Hiya <first name>," on its own line.\n'
                 '- Sign off with "cheers, W.".\n'
                 "- Keep replies short: usually 4 to 30 words, about 10 typically.\n")
    target = store.get(next(m.id for m in store.messages() if m.message_id == "m0@fair.example"))
    seen: dict[tuple[str, int], list[str]] = {}
    cfg = CFG.with_(max_tokens=60, scaffold="full")
    res = draft(target, variants="base,pld", n=2, store=store, pack=p, config=cfg,
                on_token=lambda v, i, s: seen.setdefault((v, i), []).append(s),
                on_restart=lambda v, i, r: seen.__setitem__((v, i), []))
    pld = [d for d in res.drafts if d.variant == "pld"]
    base = [d for d in res.drafts if d.variant == "base"]
    assert len(pld) == 2 and len(base) == 2
    for d in pld:
        assert d.text.startswith("Hiya Jo,\n\n")  # Jo Pryce wrote the message
        assert d.text.rstrip().endswith("cheers, W.")
        assert "".join(seen[(d.variant, d.sample)]) == d.text
        assert d.tokens <= 60
    for d in base:  # no style, no scaffold
        assert not d.text.startswith("Hiya Jo") and "".join(seen[(d.variant, d.sample)]) == d.text

    # the default keeps only the length stop (same seed and fence: a prefix of the unstopped draft);
    # "off" keeps nothing

    fence = drafting.new_boundary()
    monkeypatch.setattr(drafting, "new_boundary", lambda: fence)
    off, length = (draft(target, variants="pld", n=1, store=store, pack=p, config=cfg.with_(scaffold=x)).drafts[0]
                   for x in ("off", "length"))
    assert off.text.startswith(length.text) and length.tokens <= off.tokens
    assert length.tokens >= 28 or length.finish_reason == "stop"  # 20 words x 1.4 tokens before it may stop
    with pytest.raises(UserError, match="scaffold"):
        draft(target, variants="pld", n=1, store=store, pack=p, config=cfg.with_(scaffold="loud"))


def test_best_of_n_keeps_a_sample_by_the_checks_and_repeats_with_a_seed(rt, store):
    target = next(m for m in store.messages() if m.message_id == "m0@fair.example")
    cfg = CFG.with_(best_of=3, max_tokens=24)
    a = draft(target, variants="base", n=2, store=store, config=cfg)
    b = draft(target, variants="base", n=2, store=store, config=cfg)
    assert [(d.text, d.tries, d.seed) for d in a.drafts] == [(d.text, d.tries, d.seed) for d in b.drafts]
    for d in a.drafts:
        assert d.checks is not None and 1 <= d.tries <= 3 and d.seconds_all >= d.seconds
        if d.tries > 1:  # drawn again: every earlier sample failed the checks
            assert d.first_checks is None or not d.first_checks.usable
        if d.checks.usable:
            assert not set(d.flags) & {"role", "prompt_leak", "invented"}
        j = d.to_json()
        assert j["usable"] == d.checks.usable and set(j["checks"]) >= {"role_ok", "role_problems", "prompt_leak",
                                                                       "invented", "asks", "answered"}


def test_cancel_during_best_of_n_cancels_every_sample(rt, store, monkeypatch):
    # every sample fails the checks (a stand-in verdict, so that a retry is certain); the
    # cancel comes when the second sample starts
    from trainer.draft.replycheck import CheckContext, ReplyChecks, Span

    monkeypatch.setattr(CheckContext, "check", lambda self, text, **kw: ReplyChecks(
        role_problems=(Span("x", 0, 1, "stand-in"),), words=3))
    token = CancelToken()
    restarts = []

    def on_restart(v: str, i: int, reason: str) -> None:
        if reason == samples.TRIM_REASON:  # a 12-token sample cut back to a whole sentence
            return
        restarts.append(reason)
        token.cancel()

    res = draft(_msg("Pitch?"), variants="base,rag", n=3, store=store, config=CFG.with_(best_of=4, max_tokens=12),
                on_token=lambda *a: None, on_restart=on_restart, cancel=token)
    # one draft (the finished first sample, shown again), and nothing after it
    assert res.cancelled and len(res.drafts) == 1
    assert restarts == [samples.RETRY_REASON.format(why="spoke as the sender"), samples.KEPT_REASON]
    d = res.drafts[0]
    assert d.tries == 2 and "cancelled" in d.flags and d.finish_reason == "cancelled" and d.variant == "base"
    assert d.seed == CFG.seed and d.text.strip()


def test_drafts_never_carry_the_fence(rt, store):
    # the decoding constraint (trainer.draft.replycheck.draft_veto) refuses every boundary run
    target = next(m for m in store.messages() if m.message_id == "m0@fair.example")
    res = draft(target, variants="base,rag", n=3, store=store, config=CFG.with_(max_tokens=40, best_of=1),
                boundary="64058f3ccb12")
    assert len(res.drafts) == 6
    for d in res.drafts:
        assert d.text.startswith("Hi Jo,\n\n")  # the default opening, to the sender by first name
        assert all("boundary" not in s.reason for s in d.checks.prompt_spans), d.text


@pytest.mark.slow
def test_leak_guard_through_the_real_store_index_and_model(rt, tmp_path):
    """The leak guard with every real part: the demo archive in a real Store (MiniLM,
    the n-gram index behind ``rare_runs``) and SmolLM2 asked to repeat a sentence from
    another thread. At temperature 0.7 every resample copies it again, so the sentence
    is cut ("redacted"); at 1.2 a resample comes out clean ("regenerated"). Either way
    the result holds no rare run from outside the thread answered. Seeds fixed."""
    from types import SimpleNamespace

    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir
    from trainer.score.checks import leak

    with Store.open(demo_data_dir(tmp_path / "data")) as st:
        msgs = [m for m in st.messages(own=False) if m.thread]
        sentences = [(m, s) for m in msgs for s in re.split(r"(?<=[.!?])\s+", " ".join(m.text.split()))
                     if len(s.split()) >= 12]
        src, secret = sentences[0]
        answered = next(m for m in msgs if m.thread != src.thread)
        messages = [{"role": "system", "content": "You repeat text exactly."},
                    {"role": "user", "content": f"Repeat this sentence exactly, word for word:\n{secret}"}]
        prompt = SimpleNamespace(messages=messages, max_tokens=60, boundary="QQQ")
        first = rt.generate(messages, max_tokens=60, temperature=0.7, top_p=0.9, seed=2)
        first_flags = flags.draft_flags(first.text, store=st, thread=answered.thread)
        assert "leak" in first_flags, f"the model did not copy the sentence this time: {first.text!r}"
        seen = {}
        for temperature in (0.7, 1.2):
            g, got = samples.without_leak(rt, prompt, first, first_flags, st, answered.thread,
                                            temperature=temperature, top_p=0.95, seed=2, cancel=None)
            assert "leak" not in got and leak(g.text, st, exclude_thread=answered.thread).leaked == ()
            assert secret not in g.text
            seen[temperature] = next(f for f in got if f in ("regenerated", "redacted"))
        assert seen == {0.7: "redacted", 1.2: "regenerated"}, seen
