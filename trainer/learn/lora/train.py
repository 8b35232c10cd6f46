"""The LoRA training recipe: setup / train / save_checkpoint / cleanup.

One readable recipe (after torchtune), no trainer-class zoo:

- device: CUDA, then MPS, then CPU (``settings.device`` overrides); bf16 autocast
  where the device supports it (CUDA with bf16), float32 otherwise; torch threads
  set from the cores on CPU.
- data: packed rows (dataset.pack), reshuffled each epoch with ``seed + epoch``;
  the data position is (epoch, cursor), so a resumed run reads the same rows.
- optimisation: AdamW on the LoRA weights only, gradient accumulation weighted by
  loss tokens, linear warm-up then cosine decay (the learning rate is a pure
  function of the step, so it needs no scheduler state), gradient clipping.
- evaluation: held-out loss (reply tokens only) before training and every
  ``eval_every`` steps; early stopping after ``patience`` evaluations without
  improvement; the best adapter is kept.
- faults: an atomic checkpoint every ``checkpoint_every`` steps (checkpoint.py);
  ``resume`` continues the same run, with the same later losses; cancel stops at
  the next step after writing a checkpoint.

What it leaves out: multi-GPU (accelerate/torchrun launches this same recipe once
per process; not wired here), gradient checkpointing, quantized (QLoRA) bases.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ingest.kernel.errors import Cancelled, UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, no_progress
from trainer.learn.lora import checkpoint as ckpt
from trainer.learn.lora.dataset import IGNORE, Example, PackedRow, pad_batch, row_batch
from trainer.learn.lora.hardware import pick_device, set_threads, use_packed_attention

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainSettings:
    rank: int = 8
    alpha: float = 16.0
    lr: float = 2e-4
    max_steps: int = 60
    seq_len: int = 512
    batch_rows: int = 1
    grad_accum: int = 4
    warmup_frac: float = 0.1
    min_lr_frac: float = 0.1
    weight_decay: float = 0.0
    clip: float = 1.0
    eval_every: int = 10
    patience: int = 3
    checkpoint_every: int = 10
    max_heldout: int = 48
    eval_batch: int = 4
    seed: int = 0
    device: str = "auto"
    threads: int = 0  # CPU threads; 0: from the cores
    dropout: float = 0.0
    targets: tuple[str, ...] = TARGETS
    budget_s: float = 0.0  # wall-clock budget for training; 0: none (max_steps alone)

    def lr_at(self, step: int, max_steps: int | None = None) -> float:
        """Learning rate for optimizer step ``step`` (0-based): warm-up, then cosine.

        >>> s = TrainSettings(lr=1.0, max_steps=10, warmup_frac=0.2, min_lr_frac=0.0)
        >>> [round(s.lr_at(i), 3) for i in (0, 1, 2, 9)]
        [0.5, 1.0, 1.0, 0.038]
        """
        total = max_steps or self.max_steps
        warm = max(1, round(total * self.warmup_frac))
        if step < warm:
            return self.lr * (step + 1) / warm
        span = max(1, total - warm)
        t = min(1.0, (step - warm) / span)
        lo = self.lr * self.min_lr_frac
        return lo + (self.lr - lo) * 0.5 * (1 + math.cos(math.pi * t))

    def fingerprint_fields(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("device"), d.pop("checkpoint_every"), d.pop("threads"), d.pop("budget_s")
        d["targets"] = list(self.targets)
        return d


@dataclass
class TrainResult:
    steps: int
    losses: list[dict[str, Any]] = field(default_factory=list)
    base_heldout_loss: float | None = None
    heldout_loss: float | None = None
    best_step: int = 0
    tokens_per_second: float = 0.0
    tokens: int = 0
    device: str = "cpu"
    dtype: str = "float32"
    stopped: str = "max_steps"  # max_steps | early_stop | budget


def loss_sum(model: Any, batch: dict[str, Any], device: str, autocast: Any) -> tuple[Any, int]:
    """Summed next-token cross-entropy over label tokens, and their count.

    Logits are computed only where a label exists (saves the vocab projection on
    prompt tokens; Gemma's vocabulary is 262k).
    """
    import torch
    import torch.nn.functional as F

    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    labels = batch["labels"].to(device)
    kw = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "position_ids", "attention_mask")}
    with autocast():
        hidden = causal.model(**kw, use_cache=False).last_hidden_state
        tgt = labels[:, 1:]
        sel = tgt != IGNORE
        h = hidden[:, :-1][sel]
        logits = causal.lm_head(h).float()
    cap = getattr(causal.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    n = int(sel.sum())
    return F.cross_entropy(logits, tgt[sel], reduction="sum"), n


class Recipe:
    """Train a LoRA adapter on packed rows; see the module docstring."""

    def __init__(self, model: Any, rows: Sequence[PackedRow], heldout: Sequence[Example],
                 settings: TrainSettings, *, pad_id: int, checkpoint_dir: Path | None = None,
                 fingerprint: str = "", progress: ProgressFn = no_progress,
                 cancel: CancelToken | None = None) -> None:
        self.base_model = model
        self.rows = list(rows)
        self.heldout = list(heldout)[: settings.max_heldout]
        self.s = settings
        self.pad_id = pad_id
        self.ckpt_dir = checkpoint_dir
        self.fingerprint = fingerprint
        self.progress = progress
        self.cancel = cancel
        self.step = 0
        self.epoch = 0
        self.cursor = 0
        self.tokens = 0
        self.train_time = 0.0
        self.losses: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self.best_loss: float | None = None
        self.best_step = 0
        self.bad_evals = 0
        self.base_heldout: float | None = None
        self.last_heldout: float | None = None
        self.stopped = "max_steps"
        self.planned = settings.max_steps  # shrinks to what fits a time budget

    # -- setup ------------------------------------------------------------------------
    def setup(self, *, resume: bool = False) -> None:
        import torch
        from peft import LoraConfig, get_peft_model

        if not self.rows:
            raise UserError("There is nothing to train on.", hint="Import mail with replies you wrote first.")
        self.device = pick_device(self.s.device)
        if self.device == "cpu":
            set_threads(self.s.threads)
        self.use_bf16 = self.device == "cuda" and torch.cuda.is_bf16_supported()
        self.dtype = "bfloat16" if self.use_bf16 else "float32"
        torch.manual_seed(self.s.seed)
        random.seed(self.s.seed)
        np.random.seed(self.s.seed)
        cfg = LoraConfig(r=self.s.rank, lora_alpha=self.s.alpha, lora_dropout=self.s.dropout,
                         target_modules=list(self.s.targets), bias="none", task_type="CAUSAL_LM")
        use_packed_attention(self.base_model)
        with warnings.catch_warnings():  # peft asks transformers a deprecated question; not the user's concern
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            self.model = get_peft_model(self.base_model, cfg)
        self.model.to(self.device)
        self.params = {n: p for n, p in self.model.named_parameters() if p.requires_grad}
        self.opt = torch.optim.AdamW(list(self.params.values()), lr=self.s.lr,
                                     weight_decay=self.s.weight_decay)
        if resume and self.ckpt_dir is not None and (self.ckpt_dir / "state.json").exists():
            self._load_checkpoint()
        elif self.ckpt_dir is not None and self.ckpt_dir.exists():
            import shutil

            shutil.rmtree(self.ckpt_dir, ignore_errors=True)  # resume off: start fresh

    def autocast(self) -> Any:
        import contextlib

        import torch

        if self.use_bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- data -------------------------------------------------------------------------
    def _order(self, epoch: int) -> list[int]:
        idx = list(range(len(self.rows)))
        random.Random(self.s.seed * 1_000_003 + epoch).shuffle(idx)
        return idx

    def _next_rows(self) -> list[PackedRow]:
        out = []
        order = self._order(self.epoch)
        while len(out) < self.s.batch_rows:
            if self.cursor >= len(order):
                self.epoch, self.cursor = self.epoch + 1, 0
                order = self._order(self.epoch)
            out.append(self.rows[order[self.cursor]])
            self.cursor += 1
        return out

    # -- evaluation -------------------------------------------------------------------
    def heldout_loss(self) -> float | None:
        import torch

        if not self.heldout:
            return None
        self.model.eval()
        total, n = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(self.heldout), self.s.eval_batch):
                batch = pad_batch(self.heldout[i:i + self.s.eval_batch], self.pad_id)
                loss, k = loss_sum(self.model, batch, self.device, self.autocast)
                total += float(loss.detach())
                n += k
        self.model.train()
        return total / max(1, n)

    def _evaluate(self) -> None:
        loss = self.heldout_loss()
        self.last_heldout = loss
        if loss is None:
            return
        if self.best_loss is None or loss < self.best_loss - 1e-4:
            self.best_loss, self.best_step, self.bad_evals = loss, self.step, 0
            self.best = {k: v.detach().cpu().clone() for k, v in self.params.items()}
        else:
            self.bad_evals += 1

    def _fit_budget(self, elapsed: float, steps: int) -> None:
        """With a time budget, plan only the steps that fit it (measured on the steps so
        far, held-out evaluations included); the cosine schedule follows the plan."""
        if not self.s.budget_s or steps < 3:
            return
        per_step = elapsed / steps
        fit = self.step + int(max(0.0, self.s.budget_s - elapsed) / max(1e-9, per_step))
        self.planned = max(self.step, min(self.s.max_steps, fit))
        if self.stopped != "early_stop":
            self.stopped = "budget" if self.planned < self.s.max_steps else "max_steps"

    # -- train ------------------------------------------------------------------------
    def train(self) -> TrainResult:
        import torch

        if self.base_heldout is None and self.step == 0:
            self._evaluate()
            self.base_heldout = self.last_heldout
        self.model.train()
        wall0, step0 = time.perf_counter(), self.step
        while self.step < self.planned and self.stopped != "early_stop":
            if self.cancel is not None and self.cancel.cancelled:
                self.save_checkpoint()
                raise Cancelled("training cancelled; resume with --resume")
            t0 = time.perf_counter()
            lr = self.s.lr_at(self.step, self.planned)
            for g in self.opt.param_groups:
                g["lr"] = lr
            picked = [self._next_rows() for _ in range(self.s.grad_accum)]
            micro = [row_batch(rows) for rows in picked]
            n_loss = sum(int((b["labels"][:, 1:] != IGNORE).sum()) for b in micro)
            total = 0.0
            for b in micro:
                loss, _ = loss_sum(self.model, b, self.device, self.autocast)
                (loss / max(1, n_loss)).backward()
                total += float(loss.detach())
            self.tokens += sum(r.n_real for rows in picked for r in rows)  # pad is not counted
            if self.s.clip:
                torch.nn.utils.clip_grad_norm_(list(self.params.values()), self.s.clip)
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
            self.step += 1
            self.train_time += time.perf_counter() - t0
            rec = {"step": self.step, "loss": total / max(1, n_loss), "lr": lr}
            self._fit_budget(time.perf_counter() - wall0, self.step - step0)
            if self.step % self.s.eval_every == 0 or self.step == self.planned:
                self._evaluate()
                rec["heldout_loss"] = self.last_heldout
                if self.bad_evals >= self.s.patience:
                    self.stopped = "early_stop"
            self.losses.append(rec)
            tps = self.tokens / max(1e-9, self.train_time)
            eta = (self.planned - self.step) * self.train_time / max(1, self._steps_timed())
            self.progress(Progress("train", done=self.step, total=self.planned,
                                   info={"loss": rec["loss"], "heldout_loss": self.last_heldout,
                                         "tokens_per_second": tps, "eta_s": eta, "lr": lr}))
            if self.ckpt_dir is not None and self.s.checkpoint_every and self.step % self.s.checkpoint_every == 0:
                self.save_checkpoint()
        if self.best is not None and self.best_loss is not None and (
                self.last_heldout is None or self.best_loss < self.last_heldout):
            with torch.no_grad():
                for k, v in self.best.items():
                    self.params[k].copy_(v.to(self.params[k].device))
        return TrainResult(steps=self.step, losses=list(self.losses), base_heldout_loss=self.base_heldout,
                           heldout_loss=self.best_loss if self.best_loss is not None else None,
                           best_step=self.best_step, tokens_per_second=self.tokens / max(1e-9, self.train_time),
                           tokens=self.tokens, device=self.device, dtype=self.dtype, stopped=self.stopped)

    def _steps_timed(self) -> int:
        return self.step - getattr(self, "_resumed_at", 0)

    # -- checkpoints ------------------------------------------------------------------
    def save_checkpoint(self) -> Path | None:
        if self.ckpt_dir is None:
            return None
        adapter = {f"cur.{k}": v for k, v in self.params.items()}
        if self.best is not None:
            adapter.update({f"best.{k}": v for k, v in self.best.items()})
        state = {"step": self.step, "epoch": self.epoch, "cursor": self.cursor, "tokens": self.tokens,
                 "train_time": self.train_time, "losses": self.losses, "best_loss": self.best_loss,
                 "best_step": self.best_step, "bad_evals": self.bad_evals,
                 "base_heldout": self.base_heldout, "last_heldout": self.last_heldout,
                 "stopped": self.stopped, "settings": self.s.fingerprint_fields(),
                 "fingerprint": self.fingerprint, "param_names": list(self.params)}
        return ckpt.save(self.ckpt_dir, adapter=adapter, optimizer=self.opt, state=state)

    def _load_checkpoint(self) -> None:
        import torch

        data = ckpt.load(self.ckpt_dir)
        st = data["state"]
        if st.get("settings") != self.s.fingerprint_fields() or st.get("fingerprint") != self.fingerprint:
            raise ckpt.damaged(self.ckpt_dir, "it was made with other settings or other data")
        if st.get("param_names") != list(self.params):
            raise ckpt.damaged(self.ckpt_dir, "its adapter does not fit this model")
        try:
            with torch.no_grad():
                for k, p in self.params.items():
                    p.copy_(data["adapter"][f"cur.{k}"].to(p.device))
            best = {k[5:]: v for k, v in data["adapter"].items() if k.startswith("best.")}
            self.best = best or None
            self.opt.load_state_dict(data["optimizer"])
            ckpt.set_rng_state(data["rng"], st["rng"])
        except (KeyError, RuntimeError, ValueError, TypeError, IndexError) as e:
            raise ckpt.damaged(self.ckpt_dir, f"{type(e).__name__}: {e}") from e
        self.step, self.epoch, self.cursor = int(st["step"]), int(st["epoch"]), int(st["cursor"])
        self.tokens, self.train_time = int(st.get("tokens", 0)), float(st.get("train_time", 0.0))
        self.losses = list(st.get("losses", []))
        self.best_loss, self.best_step = st.get("best_loss"), int(st.get("best_step", 0))
        self.bad_evals = int(st.get("bad_evals", 0))
        self.base_heldout, self.last_heldout = st.get("base_heldout"), st.get("last_heldout")
        self.stopped = st.get("stopped", "max_steps")
        self._resumed_at = self.step

    def cleanup(self, *, keep_checkpoint: bool = False) -> None:
        """Drop the checkpoint after a finished run (the pack holds the adapter)."""
        import shutil

        if not keep_checkpoint and self.ckpt_dir is not None:
            shutil.rmtree(self.ckpt_dir, ignore_errors=True)
