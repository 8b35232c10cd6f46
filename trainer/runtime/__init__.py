"""The runtime stage: the models a draft is written with.

``models`` (the embedded and the user's GGUF models), ``gguf_check`` (a GGUF file is
checked before llama.cpp opens it), ``discover`` (the user's own models on disk),
``memory`` (whether a model fits), ``llama`` (``Runtime``: llama-cpp-python generation,
logits and adapters), ``sampling`` (the sampler chain, bans and the veto), ``stream``
(text as it streams, stop strings) and ``pool`` (one runtime per model and settings,
GPU layers). The lowest of trainer's stages: it imports no other.
"""
