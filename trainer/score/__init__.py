"""Atomic fidelity: split a draft into atoms, score each, and sum up (after Shin et al. 2025).

- ``atoms``: the splitter (``split_atoms``, ``Atom``, ``AtomScore``).
- ``metrics``: ACC_atom, IC_atom, RC_atom, exactly as DESIGN.md.
- ``scorer``: the voice scorer (default) and the "scorer" learn route.
- ``judge``: the optional LLM judge (a local GGUF the user names).
- ``checks``: leak and length.
- ``text``: words, lines, greeting and sign-off of a text (PLD's profile, the register).

Heavy parts (sklearn, scipy, pysbd) load lazily, on first use.
"""

from trainer.score.atoms import Atom, AtomScore, split_atoms, strip_quoted
from trainer.score.metrics import acc_atom, ic_atom, rc_atom

__all__ = ["Atom", "AtomScore", "split_atoms", "strip_quoted", "acc_atom", "ic_atom", "rc_atom"]
