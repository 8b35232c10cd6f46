"""The tiny random models the architecture tests use: ``bench/synth_models.py`` (shared
with bench/gpu_check.py, which builds bigger ones of the same kinds)."""

from bench.synth_models import ARCH_CASES, gguf_arch, write_tiny_gguf  # noqa: F401
