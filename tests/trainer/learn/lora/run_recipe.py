"""A tiny, seeded training run used by the resume and cancel tests (also as a subprocess).

usage: python -m tests.trainer.learn.lora.run_recipe CKPT_DIR OUT_JSON MAX_STEPS [--resume] [--hang-at STEP]

Writes every step's loss to OUT_JSON (rewritten after each step), so a parent that
kills this process still sees what it logged.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ingest.kernel.privacy import lock_down  # noqa: E402

lock_down()  # the offline/telemetry switches and the umask, before anything loads
from ingest.kernel.records import ReplyPair

REPLIES = [
    ("Can you send me the storage report?", "Sure, I'll send it over this afternoon. Phillip"),
    ("Are we still on for lunch Tuesday?", "Yes, Tuesday works. Let's meet at noon downstairs."),
    ("Please review the attached gas curves.", "Looks fine to me. Go ahead and post them."),
    ("Did the West desk close the deal?", "Not yet. I'll call them in the morning and let you know."),
    ("What time is the conference call?", "It's at 2pm Houston time. Dial-in is the usual number."),
    ("Can Ina book the trip to Portland?", "Please ask Ina to book it for next Thursday and Friday."),
    ("Do you want the new spreadsheet?", "Yes, please email it to me when it's ready."),
    ("The bid came in lower than expected.", "That's fine. We can live with it for now."),
    ("Who approves the expense report?", "Send it to me and I'll approve it today."),
    ("Can we move the meeting?", "Let's move it to Monday at 10."),
]


def pairs() -> list[ReplyPair]:
    t0 = datetime(2001, 1, 1, tzinfo=timezone.utc)
    return [ReplyPair(reply_id=f"r{i:03d}", message_id=None, message_text=m, message_sender="x@enron.com",
                      message_subject="re", reply_text=r, date=t0 + timedelta(days=i))
            for i, (m, r) in enumerate(REPLIES * 2)]


def make_recipe(ckpt: Path | None, max_steps: int, progress=None, cancel=None):  # noqa: ANN001, ANN201
    from trainer.learn.lora.dataset import Formatter, build_examples, pack, split_by_date
    from trainer.learn.lora.hf_load import load_hf
    from trainer.learn.lora.train import Recipe, TrainSettings
    from trainer.runtime.models import resolve_model

    model, tok = load_hf(resolve_model("smollm2").path)
    tr, ho = split_by_date(pairs())
    fmt = Formatter(tok, seq_len=96)
    rows = pack(build_examples(fmt, tr), 96, tok.pad_token_id, seed=0)
    s = TrainSettings(rank=4, alpha=8, lr=1e-3, max_steps=max_steps, seq_len=96, batch_rows=1, grad_accum=2,
                      eval_every=2, patience=100, checkpoint_every=2, max_heldout=2, seed=0, device="cpu", threads=1,
                      targets=("q_proj", "v_proj"))
    from ingest.kernel.jobs import no_progress

    return Recipe(model, rows, build_examples(fmt, ho), s, pad_id=tok.pad_token_id, checkpoint_dir=ckpt,
                  fingerprint="test", progress=progress or no_progress, cancel=cancel)


def main(argv: list[str]) -> None:
    ckpt, out, steps = Path(argv[0]), Path(argv[1]), int(argv[2])
    hang_at = int(argv[argv.index("--hang-at") + 1]) if "--hang-at" in argv else 0
    logged: list[dict] = []

    def progress(p):  # noqa: ANN001, ANN202
        logged.append({"step": p.done, "loss": p.info["loss"]})
        out.write_text(json.dumps(logged))
        if hang_at and p.done == hang_at:  # after the checkpoint of the step before: wait to be killed
            time.sleep(3600)

    r = make_recipe(ckpt, steps, progress)
    r.setup(resume="--resume" in argv)
    if "--resume" in argv:
        logged.append({"resumed_at": r.step})
    r.train()
    out.write_text(json.dumps(logged + [{"done": True}]))


if __name__ == "__main__":
    main(sys.argv[1:])
