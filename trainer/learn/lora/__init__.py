"""The LoRA route: train a LoRA adapter on the user's replies, export it as GGUF.

``learn(ctx, progress, cancel) -> dict`` follows trainer/learn/routes.py's route contract.
Options read from ``ctx.options``: model, epochs, max_steps, budget_s, rank, alpha, lr,
resume, device, checkpoint_every, seed, self_distill (distill_k, distill_messages; see
``trainer.learn.lora.selfdistill``), and seq_len, grad_accum for tests and benches.

Output in the voice pack (``adapter/``, swapped in atomically as one folder):
``adapter.gguf`` (llama.cpp LoRA adapter), ``peft/`` (adapter_config.json +
adapter_model.safetensors, for further training), ``losses.json`` and ``loss.png``.
The manifest entry records the base model file and its SHA-256;
``check_adapter_compat`` refuses an adapter trained on another base model.

Architectures: ``trainer.learn.lora.archs`` (llama, qwen2, qwen3, gemma2, gemma3, phi3) says
which modules the adapter wraps; any other architecture is refused before work starts.

What it leaves out: merging the adapter into the base GGUF, and training on
models transformers cannot load from GGUF.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
import tempfile
from pathlib import Path
from typing import Any

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_replace_dir, atomic_write_json, private_dir
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import MailStore
from trainer.voicepack import ADAPTER_DIR, ADAPTER_GGUF
from trainer.voicepack import VoicePack

__all__ = ["learn", "check_adapter_compat", "resolve_base_model", "ADAPTER_DIR"]

MIN_PAIRS = 4
BUDGET_EPOCHS = 4  # with a time budget: plan this many passes over the data, stop when time is up
MAX_BUDGET_STEPS = 5000


def resolve_base_model(name_or_path: str) -> tuple[Path, str, str]:
    """``(gguf path, name, kind)`` through ``trainer.runtime.models.resolve_model``."""
    from trainer.runtime.models import resolve_model

    info = resolve_model(name_or_path)
    return Path(info.path), str(getattr(info, "name", name_or_path)), str(getattr(info, "kind", ""))


def _settings(opts: dict[str, Any], n_rows: int, config: Any) -> Any:
    from trainer.learn.lora.train import TrainSettings

    base = TrainSettings()
    grad_accum = int(opts.get("grad_accum") or base.grad_accum)
    batch_rows = int(opts.get("batch_rows") or base.batch_rows)
    budget = float(opts.get("budget_s") or 0.0)
    if opts.get("max_steps"):
        steps = int(opts["max_steps"])
    elif budget and not opts.get("epochs"):
        # all the reply pairs, several times over; the budget (or early stopping) ends it
        steps = max(1, min(MAX_BUDGET_STEPS, math.ceil(BUDGET_EPOCHS * n_rows / (grad_accum * batch_rows))))
    elif opts.get("epochs"):
        steps = max(1, math.ceil(float(opts["epochs"]) * n_rows / (grad_accum * batch_rows)))
    else:
        steps = base.max_steps
    if steps < 1:
        raise UserError("--max-steps must be at least 1.", hint="Pass a positive number of steps.")
    rank = int(opts.get("rank") or base.rank)
    every = int(opts.get("checkpoint_every") or max(1, min(base.checkpoint_every, steps // 4 or 1)))
    return TrainSettings(
        rank=rank, alpha=float(opts.get("alpha") or 2 * rank), lr=float(opts.get("lr") or base.lr),
        max_steps=steps, seq_len=int(opts.get("seq_len") or base.seq_len), batch_rows=batch_rows,
        grad_accum=grad_accum, eval_every=int(opts.get("eval_every") or max(1, min(base.eval_every, steps // 4 or 1))),
        patience=int(opts.get("patience") or base.patience), checkpoint_every=every,
        max_heldout=int(opts.get("max_heldout") or base.max_heldout),
        seed=int(opts["seed"]) if opts.get("seed") is not None else int(getattr(config, "seed", 0)),
        device=str(opts.get("device") or getattr(config, "device", "auto") or "auto"), budget_s=budget)


def learn(ctx: Any, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Train the adapter from ``ctx.store`` into ``ctx.pack``; see the module docstring."""
    from trainer.learn.lora.archs import arch_for
    from trainer.learn.lora.dataset import split_by_date
    from trainer.learn.lora.hf_load import gguf_facts

    opts = dict(ctx.options or {})
    model_name = str(opts.get("model") or ctx.config.model)
    gguf_path, name, kind = resolve_base_model(model_name)
    facts = gguf_facts(gguf_path)
    targets = arch_for(facts.arch, gguf_path.name).targets  # refused here, before any work
    progress(Progress("train", 0, None, message="reading mail"))
    pairs = list(ctx.store.reply_pairs())
    if len(pairs) < MIN_PAIRS:
        raise UserError(f"Only {len(pairs)} reply pair(s) in the store; LoRA needs at least {MIN_PAIRS}.",
                        hint="Import mail that holds replies you wrote (your Sent folder) first.")
    docs = list(ctx.store.documents()) if opts.get("documents", True) else []
    train_pairs, heldout_pairs = split_by_date(pairs)
    check(cancel)
    progress(Progress("train", 0, None, message="loading the base model"))
    import torch

    from trainer.learn.lora.hardware import pick_device

    device = pick_device(str(opts.get("device") or getattr(ctx.config, "device", "auto") or "auto"))
    # bf16 base weights on a GPU that supports them (LoRA weights stay float32 in peft)
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    chat = (kind == "instruct") if kind in ("instruct", "base") else None
    probe = _settings(opts, 1, ctx.config)
    extra: list[Any] = []  # self-distilled pairs (second pass only)
    sd: dict[str, Any] = {}
    passes = 2 if opts.get("self_distill") else 1
    for n_pass in range(passes):
        if n_pass:  # draft with the adapter just trained, keep what passes, train again from the start
            from trainer.learn.lora.selfdistill import collect

            extra, sd = collect(ctx, train_pairs, progress=progress, cancel=cancel,
                                k=int(opts.get("distill_k") or 2), limit=int(opts.get("distill_messages") or 48))
            sd["first_pass"] = {"steps": result.steps, "heldout_loss": result.heldout_loss}
        recipe, result, settings, n_rows, fingerprint = _one_pass(
            ctx, opts, probe, targets, gguf_path, facts, dtype, chat, [*train_pairs, *extra], heldout_pairs, docs,
            self_distilled=bool(n_pass), progress=progress, cancel=cancel)
        adapter = _write_adapter(ctx.pack, recipe, facts, settings, result)
        entry = {
            "base_model": {"name": name, "path": str(gguf_path), "sha256": facts.sha256, "arch": facts.arch},
            "adapter": ADAPTER_GGUF,
            "settings": {k: v for k, v in settings.fingerprint_fields().items()} | {"device": result.device,
                                                                                     "dtype": result.dtype},
            "data": {"fingerprint": fingerprint, "train_pairs": len(train_pairs), "heldout_pairs": len(heldout_pairs),
                     "documents": len(docs), "rows": n_rows, "self_distilled_pairs": len(extra)},
            "metrics": {"steps": result.steps, "base_heldout_loss": result.base_heldout_loss,
                        "heldout_loss": result.heldout_loss, "best_step": result.best_step,
                        "tokens_per_second": result.tokens_per_second, "stopped": result.stopped},
        }
        if sd:
            entry["self_distill"] = sd
        ctx.pack.set_route("lora", entry)
        recipe.cleanup()
    return _summary(result, adapter, len(train_pairs), len(heldout_pairs), sd)


def _summary(result: Any, adapter: Path, train: int, heldout: int, sd: dict[str, Any]) -> dict[str, Any]:
    """What ``learn --json`` prints under "lora"."""
    out = {"steps": result.steps, "tokens_per_second": result.tokens_per_second,
           "base_heldout_loss": result.base_heldout_loss, "heldout_loss": result.heldout_loss,
           "adapter": str(adapter), "device": result.device, "dtype": result.dtype,
           "stopped": result.stopped, "best_step": result.best_step,
           "train_pairs": train, "heldout_pairs": heldout}
    if sd:
        out["self_distill"] = sd
    return out


def _one_pass(ctx: Any, opts: dict[str, Any], probe: Any, targets: Any, gguf_path: Path, facts: Any, dtype: Any,
              chat: bool | None, train: list[Any], heldout_pairs: list[Any], docs: list[Any], *,
              self_distilled: bool, progress: ProgressFn, cancel: CancelToken | None
              ) -> tuple[Any, Any, Any, int, str]:
    """One training pass from a fresh base model: ``(recipe, result, settings, rows,
    data fingerprint)``; the recipe still holds the trained model until ``cleanup``."""
    from trainer.learn.lora.dataset import Formatter, build_examples, data_fingerprint, pack
    from trainer.learn.lora.hf_load import load_hf
    from trainer.learn.lora.train import Recipe

    model, tok = load_hf(gguf_path, facts=facts, dtype=dtype)
    fmt = Formatter(tok, chat=chat, seq_len=probe.seq_len, frame=drafting_frame(ctx.store, ctx.config))
    examples = build_examples(fmt, train, docs)
    heldout = build_examples(fmt, heldout_pairs)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    rows = pack(examples, probe.seq_len, pad_id, seed=probe.seed)
    settings = replace(_settings(opts, len(rows), ctx.config), targets=targets)
    fingerprint = data_fingerprint(train, docs)
    ckpt_dir = Path(ctx.data_dir) / "checkpoints" / f"lora-{ctx.pack.path.name}{'-sd' if self_distilled else ''}"
    recipe = Recipe(model, rows, heldout, settings, pad_id=pad_id, checkpoint_dir=ckpt_dir,
                    fingerprint=f"{fingerprint}:{facts.sha256}", progress=progress, cancel=cancel)
    recipe.setup(resume=bool(opts.get("resume")))
    return recipe, recipe.train(), settings, len(rows), fingerprint


def drafting_frame(store: MailStore, config: Any) -> Any:
    """``frame(pair, text)`` for the Formatter: the messages drafting sends for the pair's
    message (the stored message when there is one, for its sender's display name), with a
    fence boundary fixed by the pair (the model learns to reply past a random-looking hex
    label, not to a fixed one)."""
    from ingest.kernel.records import Message
    from trainer.draft.prompt import fixed_boundary, reply_messages

    me = tuple(getattr(config, "me", ()) or ()) or tuple(store.me()[0])

    def frame(pair: Any, text: str) -> list[dict[str, str]]:
        stored = store.get(pair.message_id) if pair.message_id else None
        m = Message(source=pair.source, item=pair.id, subject=pair.message_subject,
                    sender=stored.sender if stored else pair.message_sender,
                    sender_name=stored.sender_name if stored else "", date=stored.date if stored else None,
                    body=text, text=text)
        return reply_messages(m, boundary=fixed_boundary("lora", pair.id), me=me)

    return frame


def _write_adapter(pack: VoicePack, recipe: Any, facts: Any, settings: Any, result: Any) -> Path:
    from trainer.learn.lora.export import export_peft_model
    from trainer.learn.lora.plot import plot_losses

    dst = pack.path / ADAPTER_DIR
    private_dir(pack.path)
    tmp = Path(tempfile.mkdtemp(prefix=".adapter.", dir=pack.path))
    try:
        export_peft_model(recipe.model, tmp / "adapter.gguf", facts, alpha=settings.alpha)
        recipe.model.save_pretrained(str(tmp / "peft"), safe_serialization=True)
        atomic_write_json(tmp / "losses.json", {"base_heldout_loss": result.base_heldout_loss,
                                                "heldout_loss": result.heldout_loss,
                                                "best_step": result.best_step, "curve": result.losses})
        plot_losses(result.losses, tmp / "loss.png", base_heldout=result.base_heldout_loss)
        atomic_replace_dir(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dst / "adapter.gguf"


def check_adapter_compat(pack: VoicePack, model_info: Any) -> Path:
    """The pack's adapter path, if it was trained on ``model_info``'s GGUF.

    ``model_info`` has ``.path`` (and optionally ``.sha256``). A pack without an
    adapter, a missing adapter file, or a base-model hash that differs is a UserError.
    """
    from trainer.learn.lora.hf_load import file_sha256

    entry = pack.adapter()
    if entry is None:
        raise UserError(f"The voice pack {pack.path} has no LoRA adapter.",
                        hint="Run `ownvoice learn --routes lora` first, or draft without the adapter.")
    missing = entry.refusal_parts("", "") if not entry.path.is_file() else None  # before hashing a GGUF
    parts = missing or entry.refusal_parts(Path(model_info.path).name,
                                           getattr(model_info, "sha256", None) or file_sha256(model_info.path))
    if parts:
        raise UserError(f"{parts[0][0].upper()}{parts[0][1:]}.", hint=f"{parts[1][0].upper()}{parts[1][1:]}.")
    return entry.path
