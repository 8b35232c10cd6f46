"""End to end on real mail: import allen-p's sent mail into a real Store, learn the
LoRA route for a short CPU run, and check that the held-out loss of his real (newest)
replies falls below the base model's, and that the pack holds the adapter files."""

from __future__ import annotations

import pytest

from ingest.kernel.config import load_config

ME = ("phillip.allen@enron.com", "k..allen@enron.com")


@pytest.mark.slow
@pytest.mark.corpora
def test_short_run_lowers_heldout_loss_on_real_replies(corpora, data_dir):
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.learn.lora import learn
    from trainer.learn.routes import LearnContext
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


@pytest.mark.slow
@pytest.mark.corpora
def test_a_time_budget_plans_the_steps_that_fit_then_self_distill_trains_again(corpora, data_dir):
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.learn.lora import BUDGET_EPOCHS
    from trainer.learn.routes import LearnContext, learn, parse_routes
    from trainer.voicepack import VoicePack

    with Store.open(data_dir) as store:
        run_import([corpora / "enron" / "allen-p" / "_sent_mail.mbox"], store, me=ME)
        pack = VoicePack.open(data_dir)
        cfg = load_config().with_(me=ME)
        ctx = LearnContext(store=store, pack=pack, config=cfg, data_dir=data_dir,
                           options={"model": "smollm2", "budget_s": 20, "seq_len": 256, "grad_accum": 2,
                                    "rank": 4, "seed": 0, "device": "cpu", "self_distill": True,
                                    "distill_messages": 4, "distill_k": 1})
        out = learn(parse_routes("lora"), ctx)["lora"]
        entry = pack.route("lora")
    rows = entry["data"]["rows"]
    planned = BUDGET_EPOCHS * rows // 2  # every pair, several times over, were there no budget
    assert out["stopped"] == "budget" and 3 <= out["steps"] < planned
    assert entry["settings"]["max_steps"] >= planned
    # the second pass: drafted with the first adapter, filtered by the checks and the scorer
    sd = out["self_distill"]
    assert sd["messages"] == 4 and sd["drafted"] == 4 and 0 <= sd["kept"] <= sd["usable"] <= 4
    assert sd["first_pass"]["steps"] >= 3 and entry["self_distill"] == sd
    assert entry["data"]["self_distilled_pairs"] == sd["kept"]
    assert (pack.path / "adapter" / "adapter.gguf").is_file()


def test_lora_trains_on_exactly_the_drafting_prompt(tmp_path):
    """The Formatter's prompt for a pair is the text llama.cpp renders when drafting a
    reply to that message (same system text, fence, names and chat template)."""
    from transformers import AutoTokenizer

    from ingest.kernel.config import Config
    from ingest.kernel.records import Message, ReplyPair
    from tests.trainer.student_helpers import FakeStore
    from trainer.draft.prompt import build_prompt, fixed_boundary
    from trainer.learn.lora import drafting_frame
    from trainer.learn.lora.dataset import Formatter
    from trainer.runtime.models import resolve_model
    from trainer.runtime.pool import get_runtime

    info = resolve_model("smollm2")
    tok = AutoTokenizer.from_pretrained(str(info.path.parent), gguf_file=info.path.name)
    msg = Message(source="s", item="1", message_id="m1@fair.example", subject="Pitch", sender="jo@fair.example",
                  sender_name="Jo Pryce", body="Would you like the pitch by the hedge?",
                  text="Would you like the pitch by the hedge?")
    mine = Message(source="s", item="2", subject="Re: Pitch", sender="wren@halloway-cider.example",
                   sender_name="Wren Halloway", body="Yes please.", text="Yes please.", own=True)
    store = FakeStore([msg, mine])
    pair = ReplyPair(reply_id="r1", message_id=msg.id, message_text=msg.text, message_sender=msg.sender,
                     message_subject=msg.subject, reply_text="Yes please, the hedge.", date=None)
    cfg = Config(me=("wren@halloway-cider.example",))
    fmt = Formatter(tok, chat=True, seq_len=512, frame=drafting_frame(store, cfg))
    trained = fmt.prompt_text(pair.message_text, pair.message_sender, pair.message_subject, pair)
    rt = get_runtime("smollm2", threads=1)
    p = build_prompt(msg, rt, max_tokens=64, me=cfg.me, boundary=fixed_boundary("lora", pair.id))
    drafted = rt.chat_format_prompt(p.messages)
    assert "From: Jo Pryce <jo@fair.example>" in drafted and "[EMAIL " in drafted
    assert trained == drafted
