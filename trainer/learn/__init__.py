"""The learning stage: the routes that write the voice pack.

``routes`` (the route registry and ``learn``), ``pld`` (prompt-level distillation:
the style prompt) and ``lora`` (the adapter). The voice scorer's fitting lives with
the scorer in ``trainer.score``. Imports draft, score and runtime, never evaluate.
"""
