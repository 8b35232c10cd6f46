"""The runtime stage: the models a draft is written with.

``models`` (the embedded and the user's GGUF models), ``gguf_check`` (a GGUF file is
checked before llama.cpp opens it), ``discover`` (the user's own models on disk),
``memory`` (whether a model fits) and ``llama`` (llama-cpp-python: generation,
streaming, logits, adapters). The lowest of trainer's stages: it imports no other.
"""
