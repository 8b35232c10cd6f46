"""The evaluation stage: held-out replies, every variant drafted and judged.

``harness`` (the run, its statistics, checkpoint and report). The top of trainer's
stages: it may import every other.
"""
