"""The drafting stage: replies a person would send.

``drafting`` (the variants, best-of-N and the leak guard), ``prompt`` (one prompt
builder), ``scaffold`` (greeting, sign-off and length kept by decoding), ``register``
(how the user writes to each correspondent), ``retrieval`` (the user's own past
replies as examples), ``flags`` and ``replycheck`` (would a person send it), and
``storecache``. Imports the score and runtime stages, never learn or evaluate.
"""
