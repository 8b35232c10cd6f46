"""Resuming an evaluation: the key of everything that decides its result, and the
checkpoint file of finished messages (written atomically; a checkpoint with another key
is never mixed in).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence
from ingest.kernel.config import Config
from ingest.kernel.records import ReplyPair
from trainer.voicepack import ADAPTER_GGUF, EVAL_CHECKPOINT, PROMPT_FILE
from trainer.voicepack import VoicePack


CHECKPOINT_REL = EVAL_CHECKPOINT  # in the voice pack: where the CLI and GUI keep an eval's progress


EVAL_VERSION = 4  # in the checkpoint key (4: whole-sentence drafts, the echo rule, the sign-off check): rows from older code are never replayed


def run_key(pairs: Sequence[ReplyPair], names: Sequence[str], n: int, cfg: Config, model: str | None,
             pack: VoicePack, judge: Any) -> str:
    """A digest of everything that decides an eval's result, so that a resumed run
    never mixes rows from different settings or a different voice."""
    manifest = getattr(pack, "manifest", None)
    try:
        manifest = manifest() if callable(manifest) else manifest
    except Exception:  # noqa: BLE001 - a pack without a manifest keys on its path only
        manifest = None

    from ingest.kernel.fsutil import sha256_file

    def file_id(rel: str) -> Any:
        f = Path(getattr(pack, "path", "")) / rel
        try:
            return sha256_file(f) if f.is_file() else None
        except OSError:
            return None

    judge_id = None
    if judge is not None:
        info = getattr(getattr(judge, "runtime", None), "info", None)
        judge_id = [type(judge).__name__, str(getattr(info, "path", "") or getattr(judge, "name", "")),
                    list(getattr(judge, "examples", []))]
    parts = {
        "pairs": [p.id for p in pairs], "variants": list(names), "n": n,
        "model": str(model or cfg.model), "seed": cfg.seed, "max_tokens": cfg.max_tokens,
        "temperature": getattr(cfg, "temperature", None), "top_p": getattr(cfg, "top_p", None),
        "me": list(cfg.me), "retrieval": [getattr(cfg, "retrieval_k", None), getattr(cfg, "retrieval_tokens", None)],
        "judge": judge_id, "pack": str(getattr(pack, "path", "")), "manifest": manifest, "version": EVAL_VERSION,
        "scorer": file_id("scorer/coef.npy"), "voice_judge": file_id("judge/coef.npy"),
        # edited by hand or in the GUI without touching the manifest
        "style_prompt": file_id(PROMPT_FILE), "adapter": file_id(ADAPTER_GGUF),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def load_checkpoint(path: Path, key: str) -> tuple[dict[str, Any], str]:
    """(state, why it is not used); an unreadable checkpoint or one from other settings
    is not an error: the run starts over and says why."""
    if not path.exists():
        return {}, ""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict) or not isinstance(state.get("per_message"), list):
            raise ValueError("not an eval checkpoint")
    except (OSError, ValueError) as e:
        return {}, f"the checkpoint was unreadable ({e}); starting over"
    if state.get("key") != key:
        return {}, "the interrupted eval had other settings or another voice; starting over"
    return state, ""
