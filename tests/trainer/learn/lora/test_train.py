"""The recipe's fault handling on the real SmolLM2 (tiny, seeded runs).

- packing: a packed row's loss equals its examples' losses computed one by one
  (the position resets really separate the examples);
- resume after SIGKILL continues the same run: later losses match an
  uninterrupted run's to 1e-5;
- cancel stops at the next step and leaves a checkpoint that resumes;
- a damaged checkpoint is a UserError that says to start fresh; resume off starts fresh.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ingest.kernel.errors import Cancelled, UserError
from ingest.kernel.jobs import CancelToken
from tests.trainer.learn.lora.run_recipe import make_recipe

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("attention", ["sdpa", "ownvoice_packed"])
def test_packed_row_loss_equals_separate_losses(attention):
    """Both ways of separating packed examples: transformers' dense block mask (sdpa)
    and trainer.learn.lora.packed_attention's per-example causal blocks."""
    from trainer.learn.lora import packed_attention
    from trainer.learn.lora.dataset import IGNORE, Example, pack, pad_batch, row_batch
    from trainer.learn.lora.hf_load import load_hf
    from trainer.learn.lora.train import loss_sum
    from trainer.runtime.models import resolve_model

    model, tok = load_hf(resolve_model("smollm2").path)
    packed_attention.register()
    model.set_attn_implementation(attention)
    assert model.config._attn_implementation == attention
    exs = []
    for t in ["Hello there, how are you doing today?", "The quarterly numbers look fine, send them over.",
              "Call me."]:
        ids = tok.encode(t)
        exs.append(Example(tuple(ids), tuple([IGNORE] + ids[1:])))
    rows = pack(exs, 48, tok.pad_token_id)
    assert len(rows) == 1 and rows[0].position_ids.count(0) == 4  # three examples + the pad run
    assert row_batch(rows)["input_ids"].shape[1] == rows[0].n_real  # the pad tail is not computed
    with torch.no_grad():
        packed, n_packed = loss_sum(model, row_batch(rows), "cpu", contextlib.nullcontext)
        sep = [loss_sum(model, pad_batch([e], tok.pad_token_id), "cpu", contextlib.nullcontext) for e in exs]
        ref = model(**pad_batch([exs[1]], tok.pad_token_id)).loss  # transformers' own loss
    assert n_packed == sum(n for _, n in sep)
    assert float(packed) == pytest.approx(sum(float(l) for l, _ in sep), rel=1e-4)
    assert float(sep[1][0]) / sep[1][1] == pytest.approx(float(ref), rel=1e-4)


def _run(args, env=None):  # noqa: ANN001, ANN202
    return subprocess.Popen([sys.executable, "-m", "tests.trainer.learn.lora.run_recipe", *map(str, args)],
                            cwd=ROOT, env=env or os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path):
    steps = 6
    full = _run([tmp_path / "ck_full", tmp_path / "full.json", steps])
    killed = _run([tmp_path / "ck", tmp_path / "killed.json", steps, "--hang-at", 3])
    assert full.wait(timeout=600) == 0, full.stderr.read().decode()[-2000:]
    deadline = time.time() + 600
    log = tmp_path / "killed.json"
    while not (log.exists() and any(r.get("step") == 3 for r in json.loads(log.read_text() or "[]"))):
        assert killed.poll() is None, killed.stderr.read().decode()[-2000:]
        assert time.time() < deadline
        time.sleep(0.2)
    state = tmp_path / "ck" / "state.json"
    killed.send_signal(signal.SIGKILL)  # mid-run, after the step-2 checkpoint
    killed.wait(timeout=60)
    ck_step = json.loads(state.read_text())["step"]
    assert ck_step == 2
    resumed = _run([tmp_path / "ck", tmp_path / "resumed.json", steps, "--resume"])
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read().decode()[-2000:]
    a = {r["step"]: r["loss"] for r in json.loads((tmp_path / "full.json").read_text()) if "step" in r}
    res = json.loads((tmp_path / "resumed.json").read_text())
    assert res[0] == {"resumed_at": ck_step}
    b = {r["step"]: r["loss"] for r in res if "step" in r}
    assert sorted(b) == list(range(ck_step + 1, steps + 1))
    for s, loss in b.items():
        assert loss == pytest.approx(a[s], abs=1e-5), (s, loss, a[s])


@pytest.mark.slow
def test_cancel_stops_at_next_step_and_resumes(tmp_path):
    token = CancelToken()
    seen = []

    def progress(p):  # noqa: ANN001, ANN202
        seen.append(p.done)
        if p.done == 3:
            token.cancel()

    r = make_recipe(tmp_path / "ck", 5, progress, token)
    r.setup()
    with pytest.raises(Cancelled):
        r.train()
    assert seen == [1, 2, 3]
    assert json.loads((tmp_path / "ck" / "state.json").read_text())["step"] == 3
    r2 = make_recipe(tmp_path / "ck", 5)
    r2.setup(resume=True)
    assert r2.step == 3
    res = r2.train()
    assert res.steps == 5 and [x["step"] for x in res.losses] == [1, 2, 3, 4, 5]

    # a damaged checkpoint: a clear UserError that says to start fresh ...
    (tmp_path / "ck").mkdir(exist_ok=True)
    r2.save_checkpoint()
    (tmp_path / "ck" / "adapter.safetensors").write_bytes(b"\x00garbage")
    r3 = make_recipe(tmp_path / "ck", 5)
    with pytest.raises(UserError) as e:
        r3.setup(resume=True)
    assert "Start fresh" in str(e.value) and "--resume" in str(e.value)
    # ... and resume off starts fresh
    r4 = make_recipe(tmp_path / "ck", 1)
    r4.setup(resume=False)
    assert r4.step == 0 and not (tmp_path / "ck").exists()
    assert r4.train().steps == 1
