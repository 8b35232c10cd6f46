"""Registers: the user's greeting, sign-off and length to one correspondent, from the
real demo store; and drafting with them through the real SmolLM2."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ingest.kernel.config import Config
from ingest.kernel.records import Message, ReplyPair
from ingest.store.store import Store
from tests.trainer.score.demo_store import demo_data_dir
from tests.trainer.student_helpers import FakeStore
from trainer.draft.register import domain_of, register_for

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    st = Store.open(demo_data_dir(tmp_path_factory.mktemp("reg") / "data"))
    yield st
    st.close()


def test_registers_from_the_demo_store(demo):
    fen = [m for m in demo.messages(own=False) if m.sender == "fen.halloway@postbox.example"]
    fen.sort(key=lambda m: m.date)
    # Wren writes to her brother "Fen —" ... "— W", not her global "Hiya Fen," ... "cheers, W."
    reg = register_for(demo, fen[-1])
    assert reg is not None and reg.scope == "correspondent" and reg.replies >= 3
    assert (reg.greeting, reg.sign_off) == ("{name} —", "— W")
    assert reg.opening("Fen") == "Fen — " and reg.sign_off_text() == "— W"
    assert "Fen" in reg.describe("Fen") and '"Fen —"' in reg.describe("Fen")
    # only replies dated before the message count: at the first message from Fen, Wren's
    # global register (her replies to anyone so far: "Hiya Fen," ... "cheers, W.")
    first = register_for(demo, fen[0])
    assert first.scope == "global" and first.greeting == "Hiya {name}," and register_for(
        demo, fen[0], fallback=False) is None
    # no history with the sender, but some with their organisation: the domain's register
    news = next(m for m in demo.messages(own=False) if m.sender == "news@somersetapplefest.example"
                and register_for(demo, m, fallback=False) is not None)
    assert register_for(demo, news).scope == "domain" and register_for(demo, news).who == "@somersetapplefest.example"
    # a user who writes more often than not with no greeting gets none
    from trainer.draft.register import _register, _Reply

    terse = _register("", "global", [_Reply(None, "t", t, None) for t in ("ok", "Hi Al,\n\nsure.", "done")], None)
    assert terse.greeting == "" and terse.opening("Al") == ""
    assert domain_of("a@gmail.com") == "" and domain_of("x@drovers-arms.example") == "drovers-arms.example"


def _store() -> FakeStore:
    """Three earlier replies to Jo, each "Jo —" ... "— W", and her new message."""
    pairs = [ReplyPair(reply_id=f"r{i}", message_id=None, message_text="Pitch?", message_sender="jo@fair.example",
                       message_subject="Fair", thread=f"old{i}", date=T0 - timedelta(days=30 - i),
                       reply_text=f"Jo —\n\nYes, we'll take one by the gate, same as ever {i}.\n\n— W")
             for i in range(3)]
    target = Message(source="s", item="0", message_id="m0@fair.example", subject="Cider fair",
                     sender="jo@fair.example", sender_name="Jo Pryce", date=T0,
                     body="Which pitch would you like this year, by the hedge or the gate?",
                     text="Which pitch would you like this year, by the hedge or the gate?", thread="t1")
    return FakeStore([target], pairs)


@pytest.mark.usefixtures("fixed_fence")
def test_drafts_use_the_register_except_base(tmp_path):
    """Why a FakeStore: three controlled earlier replies make the register certain; the
    model is the real one."""
    from trainer.draft.drafting import draft
    from trainer.voicepack import VoicePack

    st = _store()
    pack = VoicePack.open(tmp_path / "data")
    pack.write_text("style_prompt.md", "# How I write\n\n- Keep replies short: usually 4 to 30 words, about "
                    "10 typically.\n")
    cfg = Config(me=("wren@halloway-cider.example",), threads=1, max_tokens=40, seed=3, register=True)
    target = next(st.messages())
    res = draft(target, variants="base,pld", store=st, pack=pack, config=cfg)
    base, pld = res.drafts
    assert pld.text.startswith("Jo — ") and pld.text.rstrip().endswith("— W"), pld.text
    assert base.text.startswith("Hi Jo,") and not base.text.rstrip().endswith("— W")
    assert res.register["scope"] == "correspondent" and "Jo" in res.register["describe"]
    off = draft(target, variants="pld", store=st, pack=pack,
                config=Config(me=cfg.me, threads=1, max_tokens=40, register=False))
    assert off.drafts[0].text.startswith("Hi Jo,") and off.register is None  # turned off: the plain greeting
    assert Config().register and not Config().register_length  # on by default, without the length stop (README)
