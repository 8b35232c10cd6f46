"""Whose text is it: own vs assistant vs others, alias proposals, inferring the user."""

from __future__ import annotations

from ingest.identity import (first_address, infer_me, is_own, looks_like_me, norm_addr,
                             norm_name, propose_aliases)

ME = ["phillip.allen@enron.com"]


def test_own_is_exactly_the_users_addresses():
    assert is_own("Phillip.Allen@Enron.com", ME)
    assert is_own("<phillip.allen@enron.com>", ME)
    assert not is_own("ina.rangel@enron.com", ME)  # the assistant, even in his Sent folder
    assert not is_own("", ME) and not is_own("phillip.allen@enron.com", [])


def test_aliases_look_like_the_user_but_are_only_proposed():
    sent = [("k..allen@enron.com", "Phillip K Allen"), ("ina.rangel@enron.com", "Ina Rangel"),
            ("phillip.allen@enron.com", "Phillip K Allen"), ("pallen@home.example", ""),
            ("phillip.allen@gmail.example", ""), ("john.arnold@enron.com", "John Arnold"),
            ("pka@other.example", "Allen, Phillip K.")]
    got = propose_aliases(sent, ME, ["Phillip K Allen"])
    assert got == ["k..allen@enron.com", "phillip.allen@gmail.example", "pka@other.example"]
    assert not looks_like_me("ina.rangel@enron.com", "Ina Rangel", ME, ["Phillip K Allen"])
    assert not is_own("k..allen@enron.com", ME)


def test_infer_me_takes_the_most_frequent_sent_sender():
    assert infer_me(["a@x.com", "B@x.com", "b@x.com", "not an address"]) == "b@x.com"
    assert infer_me(["z@x.com", "a@x.com"]) == "a@x.com"  # ties: alphabetical, stable
    assert infer_me([]) is None


def test_normalizers():
    assert norm_addr(" mailto:A@B.C ") == "a@b.c"
    assert norm_name("Allen, Phillip K.") == norm_name("phillip k allen")
    assert first_address('"Jeff Smith" <jsmith@austintx.com>@ENRON') == "jsmith@austintx.com"
    assert first_address("no address here") == ""
