"""Whose text is it: own vs assistant vs others, alias proposals, inferring the user."""

from __future__ import annotations

from ingest.store.identity import (first_address, infer_me, is_own, looks_like_me, names_me, norm_addr,
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


def test_a_quote_header_names_the_user_by_address_alias_or_full_name():
    me, names = ["chris.germany@enron.com"], ["Chris Germany"]
    assert names_me("Chris.Germany@ENRON.com [mailto:Chris.Germany@ENRON.com]", me, [])
    assert names_me("Germany, Chris", me, names)  # Outlook's "Last, First"
    assert names_me("Chris Germany@ECT on 02/29/2000 10:00 AM", me, names)  # Lotus Notes
    assert names_me('"Chris Germany" <chris_germany61@hotmail.com>@ENRON', me, names)  # his other address
    assert names_me("phillip.k.allen@enron.com", ME, [])  # an alias that looks like him
    # one shared word is not the user, nor is an author line with no name
    assert not names_me("Mary Germany", me, names) and not names_me("Chris Smith", me, names)
    assert not names_me("", me, names) and not names_me("Germany", me, ["Germany"])


def test_the_stores_user_keeps_the_configs_order_of_the_same_addresses(tmp_path):
    """The store saves its user's addresses sorted; a config naming the same ones keeps
    its own order (its first is the primary address: the .eml From, the prompt's "you"),
    and a config naming others gives way to the store's."""
    from ingest.kernel.config import Config
    from ingest.store.store import Store, with_identity

    with Store.open(tmp_path / "data") as store:
        store.set_me(["wren@halloway-cider.example", "wren.halloway@fastmail.example"])
        assert store.me()[0] == ("wren.halloway@fastmail.example", "wren@halloway-cider.example")
        mine = Config(me=("wren@halloway-cider.example", "Wren.Halloway@fastmail.example"))
        assert with_identity(mine, store).me == mine.me
        other = Config(me=("someone@else.example",))
        assert with_identity(other, store).me == ("wren.halloway@fastmail.example", "wren@halloway-cider.example")
