"""The voice pack: one folder holding everything learned about one user's voice.

Layout (all optional but the manifest); every name is a constant here, and no other
module spells one::

    manifest.json        MANIFEST: format version, base model + hash, per-route entries
    style_prompt.md      PROMPT_FILE: PLD's style prompt (user-editable)
    profile.json         PROFILE: stylometric profile
    scorer/              SCORER_DIR: voice scorer: arrays (.npy) + JSON, never pickle
    judge/               JUDGE_DIR: the evaluation's judge, the same format
    adapter/             ADAPTER_DIR: LoRA adapter (ADAPTER_GGUF), peft folder, LOSSES
    eval/                EVAL_DIR: evaluation report (EVAL_REPORT, markdown, CSV, PNG) and
                         EVAL_CHECKPOINT while one runs

The route entries drafting reads back are typed (``RetrievalEntry``, ``AdapterEntry``,
``prompt_sha256``); the style prompt's markdown is rendered (``render_prompt``), read
for the model (``student_prompt``) and written keeping a user's edit (``write_prompt``)
here, so its format lives in one module.

Every file is written atomically; the manifest is written last, so a pack is
always consistent. Loading never unpickles anything. What it leaves out: packs are
not signed; sharing one shares the style prompt and scorer weights in the clear.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_write_bytes, atomic_write_json, private_dir

FORMAT = "ownvoice-voicepack"
VERSION = 1

MANIFEST = "manifest.json"
PROMPT_FILE = "style_prompt.md"
PROPOSED_FILE = "style_prompt.proposed.md"
PROFILE = "profile.json"
SCORER_DIR = "scorer"
JUDGE_DIR = "judge"
ADAPTER_DIR = "adapter"
ADAPTER_GGUF = f"{ADAPTER_DIR}/adapter.gguf"
LOSSES = f"{ADAPTER_DIR}/losses.json"
EVAL_DIR = "eval"
EVAL_REPORT = f"{EVAL_DIR}/report.json"
EVAL_CHECKPOINT = f"{EVAL_DIR}/checkpoint.json"


# -- typed route entries ----------------------------------------------------------------------
# What drafting reads back from a route's manifest entry. Every entry also carries the
# route's figures (``learn --json`` prints them); only these fields are read as settings.
@dataclass(frozen=True)
class RetrievalEntry:
    """Route "rag": how many replies to retrieve, and their token budget."""

    k: int
    token_budget: int
    pairs: int = 0  # reply pairs there were to retrieve from

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "token_budget": self.token_budget, "pairs": self.pairs, "excerpts": False}


@dataclass(frozen=True)
class AdapterEntry:
    """Route "lora": the adapter file and the base model it was trained on."""

    path: Path
    base_name: str
    base_sha256: str

    def refusal(self, model_name: str, model_sha256: str) -> str | None:
        """Why the adapter cannot go on ``model_name``, and what to do, in one line (None:
        it can)."""
        parts = self.refusal_parts(model_name, model_sha256)
        return f"{parts[0]}: {parts[1]}" if parts else None

    def refusal_parts(self, model_name: str, model_sha256: str) -> tuple[str, str] | None:
        """(why, what to do) when the adapter cannot go on ``model_name``: its file is gone,
        the pack records no base model for it, or it was trained on another one."""
        again = "run `ownvoice learn --routes lora` again"
        if not self.path.is_file():
            return f"the voice pack's adapter file {self.path} is missing", again
        if not self.base_sha256:
            return "the voice pack records no base model for its adapter", again
        if self.base_sha256 != model_sha256:
            return (f"the adapter was trained on {self.base_name or 'another model'} (sha256 "
                    f"{self.base_sha256[:12]}), not on {model_name} (sha256 {model_sha256[:12]})",
                    f"draft with --model {self.base_name or '<that model>'}, or run `ownvoice learn "
                    f"--routes lora` with this model")
        return None


@dataclass
class VoicePack:
    path: Path

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], name: str = "default") -> "VoicePack":
        """Open (creating if needed) the pack ``name`` under ``data_dir/voicepacks``."""
        p = private_dir(Path(data_dir) / "voicepacks" / name, tighten=True)
        pack = cls(p)
        if not (p / MANIFEST).exists():
            pack._write_manifest({"format": FORMAT, "version": VERSION, "created": _now(), "routes": {}})
        else:
            pack.manifest()  # validates
        return pack

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "VoicePack":
        """Open an existing pack folder; a missing or broken manifest is a UserError."""
        pack = cls(Path(path))
        pack.manifest()
        return pack

    # -- manifest -------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        mp = self.path / MANIFEST
        try:
            data = json.loads(mp.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise UserError(f"{self.path} is not a voice pack (no manifest.json).",
                            hint="Run `ownvoice learn` to create one.") from e
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"The voice pack manifest {mp} is damaged ({e}).",
                            hint="Run `ownvoice learn` to rebuild the pack.") from e
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UserError(f"{mp} is not an ownvoice voice pack manifest.",
                            hint="Run `ownvoice learn` to rebuild the pack.")
        if int(data.get("version", 0)) > VERSION:
            raise UserError(f"The voice pack {self.path} was written by a newer ownvoice "
                            f"(format {data.get('version')}, this one reads {VERSION}).",
                            hint="Upgrade ownvoice.")
        data.setdefault("routes", {})
        return data

    def route(self, name: str) -> dict[str, Any] | None:
        return self.manifest()["routes"].get(name)

    def retrieval(self) -> RetrievalEntry | None:
        """Route "rag"'s recorded settings, or None before it is learned."""
        e = self.route("rag")
        if not e or "k" not in e or "token_budget" not in e:
            return None  # nothing recorded: the config's settings
        try:
            return RetrievalEntry(int(e["k"]), int(e["token_budget"]), int(e.get("pairs") or 0))
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"The voice pack's retrieval settings in {self.path / MANIFEST} are damaged ({err}).",
                            hint="Run `ownvoice learn --routes rag` again.") from err

    def adapter(self) -> AdapterEntry | None:
        """Route "lora"'s adapter and base model, or None before it is trained."""
        e = self.route("lora")
        if not e:
            return None
        base = e.get("base_model") if isinstance(e.get("base_model"), dict) else {}
        return AdapterEntry(self.path / str(e.get("adapter") or ADAPTER_GGUF), str(base.get("name") or ""),
                            str(base.get("sha256") or ""))

    def prompt_sha256(self) -> str:
        """Route "pld": the hash of the style prompt ownvoice last wrote ("" when none)."""
        return str((self.route("pld") or {}).get("prompt_sha256") or "")

    def set_route(self, name: str, entry: dict[str, Any]) -> None:
        """Record a route's result (after its files are written)."""
        m = self.manifest()
        m["routes"][name] = {**entry, "updated": _now()}
        m["updated"] = _now()
        m.pop("stale", None)  # learned again, from the mail that is left
        self._write_manifest(m)

    def drop_route(self, name: str) -> None:
        m = self.manifest()
        if m["routes"].pop(name, None) is not None:
            self._write_manifest(m)

    def set_meta(self, **values: Any) -> None:
        m = self.manifest()
        m.update(values)
        self._write_manifest(m)

    def forget_learned(self, reason: str) -> dict[str, Any]:
        """Delete everything this pack learned, after a source it learned from was
        forgotten: the scorer and judge weights, PLD's explanations and profile (which
        hold phrases from the mail), the LoRA adapter and its checkpoints, eval reports.
        The manifest keeps ``stale`` (why, when, which routes) so ``draft`` and the GUI
        can say so, until ``learn`` runs again. A style prompt the user edited is kept
        (it is the user's text; the returned ``kept`` says so); a learned one is deleted.
        Returns ``{"deleted": [...], "kept": [...], "routes": [...]}``."""
        import shutil

        m = self.manifest()
        routes = sorted(m.get("routes", {}))
        prompt = self.path / PROMPT_FILE
        user_edit = user_edited(self)
        deleted, kept = [], []
        for entry in sorted(self.path.iterdir()):
            if entry.name == MANIFEST or (entry == prompt and user_edit):
                if entry == prompt:
                    kept.append(entry.name)
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            deleted.append(entry.name)
        m["routes"] = {}
        m["sources"] = []
        m["stale"] = {"reason": reason, "at": _now(), "routes": routes}
        self._write_manifest(m)
        return {"deleted": deleted, "kept": kept, "routes": routes}

    @property
    def stale(self) -> dict[str, Any] | None:
        """Why this pack's learned files were deleted (a forgotten source), or None."""
        try:
            return self.manifest().get("stale") or None
        except UserError:
            return None

    def _write_manifest(self, m: dict[str, Any]) -> None:
        atomic_write_json(self.path / MANIFEST, m)

    # -- files ----------------------------------------------------------------------
    def file(self, rel: str) -> Path:
        return self.path / rel

    def write_bytes(self, rel: str, data: bytes) -> Path:
        return atomic_write_bytes(self.path / rel, data)

    def write_text(self, rel: str, text: str) -> Path:
        return self.write_bytes(rel, text.encode("utf-8"))

    def write_json(self, rel: str, obj: Any) -> Path:
        return atomic_write_json(self.path / rel, obj)

    def read_json(self, rel: str) -> Any:
        p = self.path / rel
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"{p} in the voice pack is damaged ({e}).",
                            hint="Run `ownvoice learn` again to rewrite it.") from e


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- the style prompt file ------------------------------------------------------------------
# ``style_prompt.md`` is the user's to read and edit. ``student_prompt(md)`` is what a model
# sees: the file without HTML comments, headings and blank lines (so a line the user adds
# anywhere is read). ``write_prompt`` keeps a user's edit: the SHA-256 of what ownvoice last
# wrote is stored in the manifest's ``pld`` entry; when the file on disk differs (or exists
# without a recorded hash) it is left alone and the new proposal goes to
# ``style_prompt.proposed.md``, unless ``fresh`` is asked. No merge of a user's edit with a
# new proposal (the user compares the two files).
# Layout of style_prompt.md::
#
#     <!-- how to edit -->
#     # How I write
#     Write the reply as me, following these habits.
#     ## Measured from my mail
#     - one instruction per bullet
#     ## Learned from my replies
#     - ...
#     <!-- Evidence: the numbers behind each habit, for the reader only -->
EVIDENCE_OPEN = "<!-- Evidence (for you; the model never sees comments):"
PROMPT_HEADER = ("<!-- ownvoice style prompt (prompt-level distillation). Edit it freely: your edits are "
                 "kept on the next `ownvoice learn` unless you pass --fresh. The model reads every line "
                 "except headings and comments like this one. -->")
STYLE_INTRO = "Write the reply as me, following these habits."


def render_prompt(profile_rules: Sequence[Any], learned_rules: Sequence[Any], *, title: str = "How I write") -> str:
    """The markdown of a style prompt from rules (``trainer.learn.pld.rules.Rule``: ``text``
    and ``evidence``).

    >>> from types import SimpleNamespace as R
    >>> md = render_prompt([R(text='Sign off with "W.".', evidence="9 of 10")], [R(text="Be warm.", evidence="")])
    >>> student_prompt(md)
    'Write the reply as me, following these habits.\\n- Sign off with "W.".\\n- Be warm.'
    """
    out = [PROMPT_HEADER, f"# {title}", "", STYLE_INTRO, ""]
    if profile_rules:
        out += ["## Measured from my mail"] + [f"- {r.text}" for r in profile_rules] + [""]
    if learned_rules:
        out += ["## Learned from my replies"] + [f"- {r.text}" for r in learned_rules] + [""]
    ev = [r for r in [*profile_rules, *learned_rules] if r.evidence]
    if ev:
        out += [EVIDENCE_OPEN] + [f"  {r.text} ({r.evidence.replace('--', '-')})" for r in ev] + ["-->", ""]
    return "\n".join(out)


def student_prompt(markdown: str) -> str:
    """What the model reads: the markdown without comments, headings and blank lines."""
    md = re.sub(r"<!--.*?-->", "", markdown or "", flags=re.S)
    keep = []
    for line in md.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        keep.append(s)
    return "\n".join(keep)


def prompt_rules(markdown: str) -> list[str]:
    """The bullet instructions in a style prompt."""
    return [ln[2:].strip() for ln in student_prompt(markdown).splitlines() if ln.startswith(("- ", "* "))]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Written:
    path: Path  # the file the student reads (style_prompt.md)
    sha256: str  # hash of what ownvoice wrote to style_prompt.md (kept across user edits)
    kept_user_edit: bool
    proposed: Path | None = None  # where the new proposal went when the user's edit was kept


def user_edited(pack: VoicePack) -> bool:
    """True when style_prompt.md differs from what ownvoice last wrote (or has no record)."""
    path = pack.file(PROMPT_FILE)
    if not path.exists():
        return False
    recorded = pack.prompt_sha256()
    return not recorded or sha256_text(path.read_text(encoding="utf-8")) != recorded


def write_prompt(pack: VoicePack, markdown: str, *, fresh: bool = False) -> Written:
    """Write the style prompt, keeping a user's edit unless ``fresh``."""
    if not fresh and user_edited(pack):
        proposed = pack.write_text(PROPOSED_FILE, markdown)
        return Written(path=pack.file(PROMPT_FILE), sha256=pack.prompt_sha256(),
                       kept_user_edit=True, proposed=proposed)
    path = pack.write_text(PROMPT_FILE, markdown)
    stale = pack.file(PROPOSED_FILE)
    if stale.exists():
        stale.unlink()
    return Written(path=path, sha256=sha256_text(markdown), kept_user_edit=False)


def read_prompt(pack: VoicePack | None) -> str | None:
    """The student-facing style prompt from ``pack`` (the user's edit if any), or None
    (no pack, no prompt, or one with nothing but comments and headings). A prompt file
    that cannot be read is a UserError that says so."""
    if pack is None:
        return None
    path = pack.file(PROMPT_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"Cannot read the style prompt {path} ({e}).", hint="Fix or delete the file.") from e
    return student_prompt(text) or None
