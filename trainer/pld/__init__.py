"""Prompt-level distillation (PLD): a short, readable style prompt, no weight changes."""
