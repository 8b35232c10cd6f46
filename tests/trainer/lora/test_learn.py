"""End to end on real mail: import allen-p's sent mail into a real Store, learn the
LoRA route for a short CPU run, and check that the held-out loss of his real (newest)
replies falls below the base model's, and that the pack holds the adapter files."""

from __future__ import annotations

import pytest

from ingest.config import load_config

ME = ("phillip.allen@enron.com", "k..allen@enron.com")


@pytest.mark.slow
@pytest.mark.corpora
def test_short_run_lowers_heldout_loss_on_real_replies(corpora, data_dir):
    from ingest.importer import run_import
    from ingest.store import Store
    from trainer.learn import LearnContext
    from trainer.lora import learn
    from trainer.voicepack import VoicePack

    with Store.open(data_dir) as store:
        run_import([corpora / "enron" / "allen-p" / "_sent_mail.mbox"], store, me=ME)
        assert len(store.reply_pairs()) >= 10
        pack = VoicePack.open(data_dir)
        ctx = LearnContext(store=store, pack=pack, config=load_config(), data_dir=data_dir,
                           options={"model": "smollm2", "max_steps": 8, "seq_len": 256, "grad_accum": 2,
                                    "lr": 1e-3, "rank": 8, "seed": 0, "device": "cpu"})
        out = learn(ctx)
    assert out["steps"] >= 4 and out["device"] == "cpu"
    assert out["heldout_loss"] < out["base_heldout_loss"]
    for f in ("adapter.gguf", "peft/adapter_config.json", "peft/adapter_model.safetensors",
              "losses.json", "loss.png"):
        assert (pack.path / "adapter" / f).is_file(), f
    entry = pack.route("lora")
    assert entry["base_model"]["sha256"] and entry["data"]["fingerprint"]
    assert entry["metrics"]["heldout_loss"] == out["heldout_loss"]
