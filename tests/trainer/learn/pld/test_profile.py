"""The stylometric profile shows people's real habits.

The Enron expectations were checked by reading their sent mail: Phillip Allen greets
with the bare first name and a comma and signs "Phillip"; he almost never uses "!".
Chris Germany rarely greets or signs (a plain "Thanks" at most) and doubles his
punctuation ("I do now!!", "Wanna buy 93 acres in East Texas??").
"""

from __future__ import annotations

import pytest

from tests.trainer.learn.pld.mboxstore import MboxStore
from trainer.learn.pld.profile import Profile, distinctive_phrases, profile, profile_score, profile_texts

ALLEN = ("phillip.allen@enron.com", "k..allen@enron.com")
GERMANY = ("chris.germany@enron.com",)


@pytest.fixture(scope="module")
def allen(corpora):
    return profile(MboxStore(corpora / "enron" / "allen-p", ALLEN))


@pytest.mark.corpora
def test_allen_signs_phillip_and_greets_by_first_name(allen):
    assert allen.n_messages > 300
    form, count, share = allen.sign_offs[0]
    assert form == "Phillip" and share > 0.4
    assert allen.greetings[0][0] == "{name}," and allen.greetings[0][2] > 0.4
    texts = [r.text for r in allen.rules]
    assert 'Sign off with "Phillip".' in texts
    assert 'Open with "<first name>," on its own line.' in texts
    assert "Avoid exclamation marks." in texts
    ex_own, ex_others = allen.punctuation["exclamation"]
    assert ex_own < ex_others / 3
    assert allen.length_words["median"] < allen.length_words["others_median"]  # short replies
    sign = next(r for r in allen.rules if r.text.startswith("Sign off"))
    assert "of 391 messages" in sign.evidence or "messages (" in sign.evidence  # evidence with numbers


@pytest.mark.corpora
def test_germany_skips_greetings_and_doubles_punctuation(corpora):
    p = profile(MboxStore(corpora / "enron" / "germany-c", GERMANY))
    assert p.no_greeting_share > 0.8
    assert p.sign_offs[0][0] == "Thanks"
    assert p.no_sign_off_share > 0.6
    d_own, d_others = p.punctuation["doubled"]
    assert d_own > 3 * d_others
    texts = [r.text for r in p.rules]
    assert "Skip the greeting and start with the point." in texts
    assert 'Double up punctuation for emphasis ("!!", "??").' in texts
    assert any(t.startswith('End without a sign-off line or at most a plain "Thanks"') for t in texts)
    assert "i think" in [ph for ph, _, _ in p.phrases]


@pytest.mark.corpora
def test_profile_score_prefers_the_users_own_habits(allen):
    own = "Jeff,\n\nI will look at the numbers tomorrow. Can you send the rent roll?\n\nPhillip"
    other = "Hello everyone!!! We're SO excited to share our news with you all :) Best wishes, the team"
    assert profile_score(allen, own) > profile_score(allen, other)
    assert 0.0 <= profile_score(allen, other) <= 1.0


def test_habits_from_constructed_texts_and_json_round_trip():
    own = [f"hey {n},\n\ni'm sure it's fine... i'll check :)\n\n- one\n- two\n\nxo" for n in
           ("sam", "jo", "al", "bea", "cy", "di")]
    others = [f"Dear {n},\n\nI am writing to confirm the meeting. It is at noon.\n\nRegards, Tom" for n in
              ("Sam", "Jo", "Al", "Bea", "Cy", "Di")]
    p = profile_texts(own, others)
    assert p.capitals["lowercase_i"] == 1.0 and p.capitals["all_lowercase"] == 1.0
    assert p.contractions["rate"] == 1.0 and p.contractions["others_rate"] == 0.0
    assert p.emoji_share == (1.0, 0.0) and p.list_share == (1.0, 0.0)
    assert p.sign_offs[0][0] == "xo"
    texts = [r.text for r in p.rules]
    assert "Write entirely in lower case." in texts
    assert "Use contractions (I'm, don't, it's, I'll)." in texts
    assert any(t.startswith("Use an emoji") for t in texts)
    assert Profile.from_json(p.to_json()) == p


def test_distinctive_phrases_use_log_odds_against_others():
    own = [f"right then, shout if the order for {i} is wrong" for i in range(40)]
    others = [f"please confirm the order for {i} is correct" for i in range(40)]
    got = [ph for ph, z, _ in distinctive_phrases(own, others)]
    assert "right then" in got and "shout if" in got
    assert "the order" not in got and "order for" not in got  # shared by both: not distinctive
    assert not any("confirm" in g for g in got)  # the others' phrase
