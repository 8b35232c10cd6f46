"""IMAP import against a real Dovecot on loopback (tests/ingest/store/imap_server.py), filled
with real Enron mail: first sync, new mail, UIDVALIDITY reset, an interrupted sync,
a wrong password, an untrusted certificate, STARTTLS, and no flag change on the server.
The store is the real one (SQLite, chromadb, the embedder)."""

from __future__ import annotations

import json

import pytest

from ingest.kernel.errors import UserError
from ingest.store.imap import default_folders, import_imap, parse_url, utf7_decode, utf7_encode
from ingest.store.store import Store
from tests.ingest.store.imap_server import PASSWORD, USER, DovecotServer, dovecot, enron_raw  # noqa: F401

ME = ("phillip.allen@enron.com",)


@pytest.fixture(scope="module")
def server(dovecot):
    return dovecot


def url(srv: DovecotServer, port: int | None = None, folder: str = "", scheme: str = "") -> str:
    """imaps:// for the IMAPS port, imap:// (STARTTLS) for the other."""
    port = port or srv.imaps_port
    scheme = scheme or ("imaps" if port == srv.imaps_port else "imap")
    return f"{scheme}://{USER}@127.0.0.1:{port}/{folder}"


def test_urls_and_folder_names():
    t = parse_url("imaps://me%40x.example@mail.example/")
    assert (t.user, t.host, t.port, t.tls, t.folders) == ("me@x.example", "mail.example", 993, "ssl", ())
    assert t.key("Sent") == "imap://me@x.example@mail.example/Sent"
    with pytest.raises(UserError, match="no password"):
        parse_url("imap://me:pw@mail.example/")
    with pytest.raises(UserError, match="names no user"):
        parse_url("imap://mail.example/")
    assert utf7_decode(utf7_encode("Gelöschte Elemente & Co")) == "Gelöschte Elemente & Co"
    # SPECIAL-USE first, then a well-known name (Gmail's included)
    assert default_folders([("INBOX", frozenset()), ("[Gmail]/Sent Mail", frozenset()),
                            ("Archive", frozenset())]) == ["INBOX", "[Gmail]/Sent Mail"]


@pytest.mark.corpora
def test_first_sync_new_mail_and_unchanged_leave_the_server_untouched(server, tmp_path, corpora):
    before = {f: server.flags(f) for f in ("INBOX", "Sent")}
    assert before["INBOX"] and all("\\Seen" not in v for v in before["INBOX"].values())
    with Store.open(tmp_path / "d") as st:
        r = import_imap(url(server), st, ME, password=PASSWORD, trust=server.fingerprint)
        keys = [x.path for x in r.reports]
        assert keys == [f"imap://{USER}@127.0.0.1:{server.imaps_port}/INBOX",
                        f"imap://{USER}@127.0.0.1:{server.imaps_port}/Sent"]  # Sent found by SPECIAL-USE
        inbox, sent = r.reports
        assert inbox.kind == "imap" and inbox.seen == 30 and sent.seen == 20
        assert sent.own > 0 and r.added[keys[0]] + r.added[keys[1]] == inbox.others + inbox.own + \
            sent.own + sent.others + 0  # every message new on the first sync
        assert st.count() == inbox.own + inbox.others + sent.own + sent.others
        assert st.reply_pairs(), "replies in Sent pair with the messages in INBOX"
        # strictly read-only: no flag changed (EXAMINE and BODY.PEEK)
        assert {f: server.flags(f) for f in ("INBOX", "Sent")} == before
        # new mail: only it is fetched; the untouched folder is reported unchanged
        server.append("INBOX", enron_raw(corpora, "inbox.mbox", 30, 3))
        r2 = import_imap(url(server), st, ME, password=PASSWORD, trust=server.fingerprint)
        assert r2.added == {keys[0]: 3} and r2.unchanged == (keys[1],)
        r3 = import_imap(url(server), st, ME, password=PASSWORD)  # the pinned certificate is trusted now
        assert r3.added == {} and set(r3.unchanged) == set(keys)
        n = st.count()
        # a UIDVALIDITY reset: the folder is read again, and content dedup keeps one copy
        server.set_uidvalidity("INBOX", 424242)
        r4 = import_imap(url(server), st, ME, password=PASSWORD)
        assert r4.added == {keys[0]: 0} and st.count() == n
        assert r4.reports[0].duplicates == 33


@pytest.mark.corpora
def test_an_interrupted_sync_resumes_and_stores_each_message_once(server, tmp_path):
    def stop_after_first_batch(p):  # noqa: ANN001 - an interrupt between two batches, as a kill would be
        if p.stage == "fetch" and p.done and p.done < (p.total or 0):
            raise KeyboardInterrupt

    with Store.open(tmp_path / "d") as st:
        with pytest.raises(KeyboardInterrupt):
            import_imap(url(server, folder="INBOX"), st, ME, password=PASSWORD, trust=server.fingerprint,
                        progress=stop_after_first_batch, batch=7)
        assert 0 < st.count() < 30
        r = import_imap(url(server, folder="INBOX"), st, ME, password=PASSWORD, batch=7)
        total = len(server.flags("INBOX"))
        assert r.reports[0].seen == total and r.reports[0].duplicates == 0
        assert st.count() == total


@pytest.mark.corpora
def test_wrong_password_untrusted_certificate_and_starttls(server, tmp_path):
    with Store.open(tmp_path / "d") as st:
        with pytest.raises(UserError) as e:
            import_imap(url(server), st, ME, password="wrong", trust=server.fingerprint)
        assert "refused the login" in str(e.value) and "\n" not in str(e.value)
        # a self-signed certificate is refused, its fingerprint named, and nothing is sent
        with pytest.raises(UserError) as e:
            import_imap(url(server), st, ME, password=PASSWORD)
        assert server.fingerprint in str(e.value) and server.fingerprint in e.value.hint
        asked = []
        with pytest.raises(UserError):
            import_imap(url(server), st, ME, password=PASSWORD, trust=lambda fp: asked.append(fp) or False)
        assert asked == [server.fingerprint]
        # STARTTLS on the plain port, the certificate accepted when asked
        r = import_imap(url(server, server.imap_port, "Sent"), st, ME, password=PASSWORD, trust=lambda fp: True)
        assert r.reports[0].seen == 20 and st.count() > 0


def _json(out: str) -> dict:
    return json.loads(out[out.index("{"):])


@pytest.mark.corpora
def test_the_cli_imports_a_folder_and_forgets_it(server, tmp_path, capsys, monkeypatch):
    import io

    from app.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    # imap:// on a port that waits for TLS before greeting: spoken to in IMAPS
    rc = main(["import", url(server, folder="Sent", scheme="imap"), "--password-stdin", "--trust-fingerprint", server.fingerprint,
               "--me", ME[0], "--json"])
    out = _json(capsys.readouterr().out)
    assert rc == 0
    src = out["sources"][0]
    assert src["kind"] == "imap" and src["path"].endswith("/Sent") and src["new"] == src["seen"] == 20
    assert src["unchanged"] is False
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    main(["import", url(server, folder="Sent"), "--password-stdin", "--json"])
    again = _json(capsys.readouterr().out)["sources"][0]
    assert again["unchanged"] is True and again["new"] == 0
    assert main(["forget", src["path"], "--yes"]) == 0
    capsys.readouterr()
    main(["sources", "--json"])
    assert not _json(capsys.readouterr().out)["sources"]


@pytest.mark.corpora
def test_a_changed_certificate_is_never_taken_on_a_plain_yes(server, tmp_path):
    from ingest.store import state

    with Store.open(tmp_path / "d") as st:
        import_imap(url(server, folder="Sent"), st, ME, password=PASSWORD, trust=server.fingerprint)
        key = f"imap_pin:127.0.0.1:{server.imaps_port}"
        assert state.get_meta(st.db, key, "") == server.fingerprint  # pinned
        with state.transaction(st.db):  # as if the server had shown another certificate the first time
            state.set_meta(st.db, key, "AA:" * 31 + "AA")
        asked = []
        with pytest.raises(UserError) as e:
            import_imap(url(server, folder="Sent"), st, ME, password=PASSWORD, trust=lambda fp: asked.append(fp) or True)
        assert asked == [] and e.value.changed and "NOT the certificate you trusted before" in str(e.value)
        # only the fingerprint named explicitly replaces the pin
        import_imap(url(server, folder="Sent"), st, ME, password=PASSWORD, trust=server.fingerprint)
        assert state.get_meta(st.db, key, "") == server.fingerprint


@pytest.mark.corpora
def test_a_wider_since_date_fetches_the_older_mail(server, tmp_path):
    from datetime import date

    with Store.open(tmp_path / "d") as st:
        r = import_imap(url(server, folder="Sent"), st, ME, password=PASSWORD, trust=server.fingerprint,
                        since=date(2030, 1, 1))
        assert r.reports[0].seen == 0
        r = import_imap(url(server, folder="Sent"), st, ME, password=PASSWORD)
        assert r.reports[0].seen == 20 and r.added[r.reports[0].path] > 0


def test_the_probe_tells_imaps_from_starttls_by_a_handshake(server):
    """imap:// on a port other than 993: a TLS handshake tells which protocol the server
    speaks, without waiting for a greeting an IMAPS server never sends."""
    from ingest.store.imap.client import _probe

    assert _probe(parse_url(url(server, server.imap_port, scheme="imap"))) == "starttls"
    assert _probe(parse_url(url(server, server.imaps_port, scheme="imap"))) == "ssl"
