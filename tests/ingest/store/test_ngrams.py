"""The leak index's staging: postings an import appends to ``ngrams_new`` count in a
lookup before ``merge`` moves them into the index, a forgotten message's staged
postings go, and the merged index is the same set the old one-by-one insert built.
A plain migrated SQLite file (``state.connect``); no model is needed.
"""

from __future__ import annotations

from ingest.store import ngrams, state

TEXT = "the contractor wants to pour the foundation for the new barn next week"
OTHER = "we keep the juice cold for two days before pitching the yeast in the autumn"


def _db(tmp_path):
    db = state.connect(tmp_path / "state.sqlite")
    db.execute("INSERT INTO messages(id, rid, thread, source, item) VALUES('a', 1, 't1', 's', '1')")
    db.execute("INSERT INTO messages(id, rid, thread, source, item) VALUES('b', 2, 't2', 's', '2')")
    return db


def test_staged_postings_count_before_the_merge_and_move_in_hash_order(tmp_path):
    db = _db(tmp_path)
    with state.transaction(db):
        n = ngrams.add(db, 1, TEXT)
        ngrams.add(db, 2, OTHER)
    assert n == len(ngrams.message_hashes(TEXT)) > 0
    assert db.execute("SELECT COUNT(*) FROM ngrams").fetchone()[0] == 0
    staged = ngrams.rare_runs(db, "so " + TEXT + " ok")
    assert staged and ngrams.rare_runs(db, TEXT, exclude_thread="t1") == []
    with state.transaction(db):
        moved = ngrams.merge(db)
    assert moved == n + len(ngrams.message_hashes(OTHER))
    assert db.execute("SELECT COUNT(*) FROM ngrams_new").fetchone()[0] == 0
    assert {tuple(r) for r in db.execute("SELECT hash, rid FROM ngrams")} == (
        {(h, 1) for h in ngrams.message_hashes(TEXT)} | {(h, 2) for h in ngrams.message_hashes(OTHER)})
    assert ngrams.rare_runs(db, "so " + TEXT + " ok") == staged  # the same answer from the index
    with state.transaction(db):
        assert ngrams.merge(db) == 0


def test_remove_takes_a_message_out_of_both_tables(tmp_path):
    db = _db(tmp_path)
    with state.transaction(db):
        ngrams.add(db, 1, TEXT)
        ngrams.merge(db)
        ngrams.add(db, 2, OTHER)  # staged, not merged: an import cut short
        ngrams.remove(db, 1, TEXT)
        ngrams.remove(db, 2, OTHER)
    assert db.execute("SELECT COUNT(*) FROM ngrams").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM ngrams_new").fetchone()[0] == 0
    assert ngrams.rare_runs(db, TEXT) == [] and ngrams.rare_runs(db, OTHER) == []


def test_a_run_in_both_tables_counts_once_per_message(tmp_path):
    db = _db(tmp_path)
    with state.transaction(db):
        ngrams.add(db, 1, TEXT)
        ngrams.merge(db)
        ngrams.add(db, 2, TEXT)
    # in two messages: rare at max_docs=2, common at max_docs=1
    assert ngrams.rare_runs(db, TEXT, max_docs=2) != []
    assert ngrams.rare_runs(db, TEXT, max_docs=1) == []


def test_a_store_from_before_the_staging_table_is_rehashed_on_open(tmp_path):
    db = _db(tmp_path)
    db.execute("UPDATE messages SET text = ? WHERE rid = 1", (TEXT,))
    db.execute("DROP TABLE ngrams_new")
    db.execute("DROP INDEX pairs_newest")  # migration 4's: a version-2 store has neither
    db.execute("INSERT INTO ngrams(hash, rid) VALUES(12345, 1)")  # an old-hash posting
    db.execute("PRAGMA user_version = 2")
    db.close()
    db = state.connect(tmp_path / "state.sqlite")
    assert {tuple(r) for r in db.execute("SELECT hash, rid FROM ngrams")} == {
        (h, 1) for h in ngrams.message_hashes(TEXT)}
    assert ngrams.rare_runs(db, TEXT) != []
