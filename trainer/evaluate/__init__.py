"""The evaluation stage: held-out replies, every variant drafted and judged.

``harness`` (the run: held-out pairs, drafts, the judge), ``stats`` (rows, means and
paired gains), ``checkpoint`` (resuming a run) and ``report`` (markdown, CSV, chart).
The top of trainer's stages: it may import every other.
"""
