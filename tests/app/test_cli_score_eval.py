"""``ownvoice score`` and ``ownvoice eval`` end to end: the real Store (demo archive),
the real scorer, and for eval the embedded SmolLM2 GGUF through llama-cpp-python."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.cli import main
from ingest.kernel.config import Config
from trainer.learn import scorer_fit as FIT
from trainer.learn.routes import LearnContext
from trainer.voicepack import VoicePack


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir

    data = demo_data_dir(tmp_path_factory.mktemp("cli") / "data")
    with Store.open(data) as store:
        FIT.learn(LearnContext(store, VoicePack.open(data), Config(), data))
    return data


def test_score_without_a_fitted_scorer_says_run_learn(tmp_path, capsys):
    rc = main(["--data-dir", str(tmp_path / "empty"), "score", "--text", "Hello there."])
    assert rc == 2
    err = capsys.readouterr().err
    assert "no fitted voice scorer" in err and "ownvoice learn" in err


@pytest.mark.slow
def test_score_prints_atoms_and_metrics(demo, capsys, tmp_path):
    text = "Hiya Becky,\n\nThursday, done — & I'll bring a spare tap (long story).\n\ncheers, W."
    assert main(["--data-dir", str(demo), "score", "--text", text, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [a["kind"] for a in out["atoms"]] == ["greeting", "sentence", "signoff"]
    assert all(1 <= a["score"] <= 5 for a in out["atoms"]) and 0 <= out["acc"] <= 1
    assert out["typical_words"] and out["scorer"]["auc"] > 0.5
    f = tmp_path / "draft.txt"
    f.write_text("Dear Sir or Madam,\n\nPlease be advised that the invoice is overdue.\n\nKind regards,\nAccounts")
    assert main(["--data-dir", str(demo), "score", str(f), "--leak"]) == 0
    shown = capsys.readouterr().out
    assert "Please be advised that the invoice is overdue." in shown and "ACC_atom" in shown
    assert main(["--data-dir", str(demo), "score", str(tmp_path / "missing.txt")]) == 2


@pytest.mark.slow
@pytest.mark.usefixtures("fixed_fence")  # a seeded eval repeats exactly
def test_eval_limit_end_to_end_with_the_embedded_model(demo, capsys, tmp_path):
    # short drafts keep this quick; the config file is the per-test one (tests/conftest.py)
    cfg = Path(os.environ["OWNVOICE_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text("max_tokens = 48\n")
    rc = main(["--data-dir", str(demo), "eval", "--me", "wren@halloway-cider.example", "--limit", "2", "-n", "2",
               "--variants", "base,rag,lora", "--report", str(tmp_path / "rep"), "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["variant"]: r for r in out["rows"]}
    assert set(rows) == {"real", "base", "rag"}
    assert "lora" in out["unavailable"]
    for r in rows.values():
        assert set(r) >= {"variant", "acc", "ic", "rc", "content", "length_ratio", "leak", "usable", "role_ok",
                          "prompt_leak", "invented_per_100w", "answered", "usable_first", "acc_selection",
                          "real_above"}
        assert 0 <= r["usable"] <= 1 and 0 <= r["role_ok"] <= 1 and r["invented_per_100w"] >= 0
    assert rows["real"]["prompt_leak"] == 0 and rows["real"]["role_ok"] == 1
    assert rows["real"]["acc"] > rows["base"]["acc"]
    assert "usable" in out["vs_base"]["rag"]
    assert rows["base"]["rc"] is not None and -1 <= rows["base"]["rc"] <= 1
    assert set(out["scorer"]) >= {"auc", "ece", "auc_message"}
    assert set(out["judge"]) >= {"kind", "pairwise", "agreement"} and out["judge"]["kind"].startswith("char")
    for name in ("report.md", "report.csv", "report.png"):
        assert (tmp_path / "rep" / name).stat().st_size > 0
