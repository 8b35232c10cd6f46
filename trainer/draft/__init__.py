"""The drafting stage: replies a person would send.

``drafting`` (the variants and ``draft``), ``samples`` (one sample with the leak guard
and the whole-sentence cut, best-of-N by the reply checks), ``eml`` (a draft as an .eml
reply), ``prompt`` (one prompt builder), ``scaffold`` (greeting, sign-off and length kept
by decoding), ``register`` (how the user writes to each correspondent), ``retrieval``
(the user's own past replies as examples), ``flags`` and ``replycheck`` (would a person
send it), and ``storecache``. Imports the score and runtime stages, never learn or
evaluate.
"""
