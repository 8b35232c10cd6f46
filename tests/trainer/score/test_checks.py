"""Leak and length checks, with the real Store's leak index."""

from __future__ import annotations

import re

import pytest

from ingest.store.ngrams import words
from trainer.score.checks import _TOKEN, leak, length_ratio, typical_reply_words, word_count


def test_token_offsets_match_the_store_tokenization():
    text = "Don't  PANIC, it's 8:30 — café über-cool_ok."
    assert [text[m.start():m.end()].lower() for m in _TOKEN.finditer(text)] == words(text)


def test_length():
    assert word_count("a b  c\nd") == 4
    assert length_ratio("a b c", 6) == 0.5 and length_ratio("a", None) is None


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir

    data = demo_data_dir(tmp_path_factory.mktemp("checks") / "data")
    st = Store.open(data)
    yield st
    st.close()


def _long_sentence(text: str) -> str | None:
    for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
        if len(s.split()) >= 12:
            return s
    return None


@pytest.mark.slow
def test_leak_flags_a_pasted_sentence_from_another_thread_not_the_thread_answered(demo_store):
    msgs = [m for m in demo_store.messages(own=False) if m.thread]
    src = next(m for m in msgs if _long_sentence(m.text))
    pasted = _long_sentence(src.text)
    other = next(m for m in msgs if m.thread != src.thread)
    draft = f"Hiya Sam,\n\nThanks for this. {pasted}\n\nGrand, see you Thursday.\n\ncheers, W."
    rep = leak(draft, demo_store, exclude_thread=other.thread)
    assert [a.text for a in rep.leaked] == [pasted] and rep.rate == pytest.approx(1 / rep.atoms)
    # quoting the thread being answered is fine
    rep = leak(draft, demo_store, exclude_thread=src.thread)
    assert rep.leaked == () and rep.rate == 0.0
    # plain new text is not a leak
    assert leak("Right then, the tank is full and the apples are in.", demo_store,
                exclude_thread=other.thread).rate == 0.0
    assert leak("", demo_store).rate is None
    assert 5 <= typical_reply_words(demo_store) <= 400
