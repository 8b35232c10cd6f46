"""The optional LLM judge: each atom rated 1-5 by a local GGUF model the user names.

The paper's method (Shin et al. 2025): a per-sentence rubric prompt, one rating per
atom, answers parsed as in the reference code's ``sent2scr`` (a lone digit, else the
first digit 1-5 found in the answer), and anything that is not 1-5 dropped (the atom
gets ``score=None``; the metrics skip it). The prompt shows a few sentences the user
really wrote, so "sounds like this person" has something to compare with.

Opt-in: it is slow (one generation per atom) and only as good as the model; the tiny
embedded students make poor judges. Greedy decoding (temperature 0), 4 tokens.

What it leaves out: the reference's refusal keywords (a refusal simply yields no
valid digit and is dropped), and remote judges (ownvoice keeps mail local).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import MailStore
from trainer.score.atoms import Atom, AtomScore

RUBRIC = (
    "You judge whether a sentence sounds like it was written by one particular person.\n"
    "Here are sentences this person really wrote:\n{examples}\n\n"
    "Rate how much the following sentence sounds like this person (their wording, tone, "
    "punctuation, length), not whether it is true or polite:\n\"{atom}\"\n"
    "1 = clearly someone else, 2 = probably someone else, 3 = could be either, "
    "4 = probably this person, 5 = clearly this person.\n"
    "Reply with a single number:")


def parse_rating(answer: str) -> int | None:
    """The rating in a judge's answer, or None (dropped) when there is no 1-5.

    >>> [parse_rating(a) for a in ("4", " 5.", "I'd say 2 or 3", "9", "no idea", "")]
    [4, 5, 2, None, None, None]
    """
    a = (answer or "").strip()
    if len(a) == 1:
        return int(a) if a in "12345" else None
    m = re.search(r"[1-5]", a)
    return int(m.group(0)) if m else None


class LLMJudge:
    """Rates atoms with ``runtime.generate`` (a ``trainer.runtime.llama.Runtime``)."""

    def __init__(self, runtime: Any, examples: Sequence[str], *, max_examples: int = 8) -> None:
        self.runtime = runtime
        self.examples = [e.strip() for e in examples if e.strip()][:max_examples]

    @classmethod
    def from_model(cls, model: str, store: MailStore, *, threads: int | None = None, n_examples: int = 8,
                   gpu_layers: int = 0) -> "LLMJudge":
        """A judge on the GGUF ``model`` (a built-in name or a path), shown the user's
        sentences; ``gpu_layers`` as ``config.gpu_layers`` (-1: what fits)."""
        from trainer.runtime.models import resolve_model
        from trainer.runtime.pool import get_runtime, resolve_gpu_layers
        from trainer.score.atoms import sentences

        examples: list[str] = []
        for m in store.messages(own=True):
            examples.extend(s for s in sentences(m.text) if 4 <= len(s.split()) <= 30)
        step = max(1, len(examples) // n_examples)
        info = resolve_model(model)
        return cls(get_runtime(info, threads=threads, gpu_layers=resolve_gpu_layers(info, gpu_layers)),
                   examples[::step], max_examples=n_examples)

    def prompt(self, atom: Atom) -> list[dict[str, str]]:
        ex = "\n".join(f"- {e}" for e in self.examples) or "- (none available)"
        return [{"role": "user", "content": RUBRIC.format(examples=ex, atom=atom.text)}]

    def score_atoms(self, atoms: Sequence[Atom], *, progress: ProgressFn = no_progress,
                    cancel: CancelToken | None = None) -> list[AtomScore]:
        out: list[AtomScore] = []
        for i, atom in enumerate(atoms):
            check(cancel)
            g = self.runtime.generate(self.prompt(atom), max_tokens=4, temperature=0.0, seed=0)
            r = parse_rating(g.text)
            out.append(AtomScore(atom, float(r) if r is not None else None, None,
                                 "" if r is not None else f"dropped: answer {g.text.strip()[:20]!r}"))
            progress(Progress("judge", i + 1, len(atoms)))
        return out
