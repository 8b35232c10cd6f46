"""PLD's teacher (and the student's chat access): a local GGUF, or an opt-in endpoint.

``open_teacher(spec, allow_remote=...)`` returns ``(teacher, warnings)``:
- ``""``/``"smollm2"``/``"gemma3"``/a GGUF path: a ``LocalModel`` run through
  ``trainer.runtime.pool.get_runtime`` when that module is present, else through
  llama-cpp-python directly (same model resolution: ``trainer.runtime.models.resolve_model``).
- an ``http(s)://`` URL: an ``EndpointTeacher`` speaking the OpenAI chat-completions
  protocol over the stdlib (urllib). It is OFF by default: without ``allow_remote``
  it is a ``UserError`` that says mail text would leave the machine and how to allow
  it. Loopback URLs also need the opt-in (the text still leaves ownvoice); the
  warning then says the server is on this machine. ``URL#model`` picks the model
  name; an API key, if the server wants one, comes from ``OWNVOICE_TEACHER_API_KEY``.

Every model answers ``complete(messages, max_tokens=, temperature=, seed=, cancel=)
-> str``. ``capable`` says whether the teacher is big enough to merge and revise
rules well (remote, or a local file of at least ``CAPABLE_BYTES``).

What it leaves out: no streaming, no retries (one failed call is a UserError), no
tool calls; requests cannot be interrupted mid-flight (they are bounded by ``timeout``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ingest.kernel import netpolicy as net
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, check

CAPABLE_BYTES = 600 * 1024 * 1024  # ~1B parameters at 4 bits
API_KEY_ENV = "OWNVOICE_TEACHER_API_KEY"


def is_url(spec: str) -> bool:
    return str(spec).strip().lower().startswith(("http://", "https://"))


is_loopback = net.is_loopback  # one definition (ingest.kernel.netpolicy), kept here for callers


def open_teacher(spec: str | None, *, allow_remote: bool = False, threads: int = 0,
                 timeout: float = 120.0, gpu_layers: int = 0) -> tuple[Any, list[str]]:
    """The teacher named by ``spec`` and the warnings the user must see."""
    spec = (spec or "").strip() or "smollm2"
    if is_url(spec):
        url, _, model = spec.partition("#")
        if not allow_remote:
            raise UserError(
                f"The PLD teacher {url} is a network endpoint: the text of your mail would be sent to it.",
                hint="To allow this, set allow_remote_teacher = true in config.toml or pass "
                     "--allow-remote-teacher; otherwise use a local GGUF teacher (--teacher PATH).")
        where = ("a server on this machine (loopback), outside ownvoice" if is_loopback(url)
                 else "another machine")
        warn = (f"Mail text will be sent to the teacher endpoint {url} ({where}); "
                "allowed by allow_remote_teacher.")
        return EndpointTeacher(url, model=model, timeout=timeout), [warn]
    return LocalModel(spec, threads=threads, gpu_layers=gpu_layers), []


# -- local GGUF ----------------------------------------------------------------------------
class LocalModel:
    """A local GGUF model (``trainer.runtime.llama``: loaded lazily, shared per process)."""

    remote = False

    def __init__(self, spec: str = "smollm2", *, threads: int = 0, gpu_layers: int = 0) -> None:
        from trainer.runtime.models import resolve_model

        self.info = resolve_model(spec)
        self.name = self.info.name
        self.threads = threads
        self.gpu_layers = gpu_layers  # config.gpu_layers (-1: what fits)
        self.capable = self.info.size_bytes >= CAPABLE_BYTES

    @property
    def runtime(self):  # noqa: ANN201 (trainer.runtime.llama.Runtime)
        from trainer.runtime.pool import get_runtime, resolve_gpu_layers

        return get_runtime(self.info, threads=self.threads or None,
                           gpu_layers=resolve_gpu_layers(self.info, self.gpu_layers))

    def complete(self, messages: list[dict] | str, *, max_tokens: int = 96, temperature: float = 0.2,
                 seed: int = 0, cancel: CancelToken | None = None, prefix: str = "",
                 stop: tuple[str, ...] = ()) -> str:
        """The model's answer. ``prefix`` starts the assistant's turn (it helps small
        models keep the asked-for shape) and is part of the returned text."""
        check(cancel)
        rt = self.runtime
        prompt = messages
        if prefix and not isinstance(messages, str):
            prompt = rt.chat_format_prompt([{"role": m["role"], "content": rt.sanitize(m["content"])}
                                            for m in messages]) + prefix
        gen = rt.generate(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed,
                          cancel=cancel, stop=list(stop) or None)
        check(cancel)
        return prefix + gen.text

    def count_tokens(self, text: str) -> int:
        return int(self.runtime.count_tokens(text))


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate (~1.3 tokens per word).

    >>> approx_tokens("Keep replies short and sign with your first name.")
    12
    """
    return int(round(1.3 * len(text.split())))


# -- OpenAI-compatible endpoint -------------------------------------------------------------
@dataclass
class EndpointTeacher:
    url: str
    model: str = ""
    timeout: float = 120.0

    remote = True
    capable = True

    @property
    def name(self) -> str:
        return self.url + (f"#{self.model}" if self.model else "")

    @property
    def endpoint(self) -> str:
        u = self.url.rstrip("/")
        if u.endswith("/chat/completions"):
            return u
        if not u.endswith("/v1"):
            u += "/v1"
        return u + "/chat/completions"

    def complete(self, messages: list[dict] | str, *, max_tokens: int = 96, temperature: float = 0.2,
                 seed: int = 0, cancel: CancelToken | None = None, prefix: str = "",
                 stop: tuple[str, ...] = ()) -> str:
        check(cancel)  # ``prefix`` is not sent: chat servers do not continue an assistant turn
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        body = {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "seed": seed,
                "stream": False}
        if self.model:
            body["model"] = self.model
        if stop:
            body["stop"] = list(stop)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(API_KEY_ENV)
        if key:
            net.check_token(self.endpoint, what="teacher endpoint")
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.endpoint, data=json.dumps(body).encode("utf-8"),
                                     headers=headers, method="POST")
        try:
            # a loopback teacher is never reached through a proxy from the environment
            opener = net.no_proxy_opener() if net.is_loopback(self.endpoint) else urllib.request.build_opener()
            with opener.open(req, timeout=self.timeout) as resp:  # noqa: S310 (opt-in URL)
                raw = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read()[:200].decode("utf-8", "replace").strip()
            raise UserError(f"The teacher endpoint {self.endpoint} answered HTTP {e.code} ({detail}).",
                            hint="Check the URL and the model name (URL#model).") from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise UserError(f"The teacher endpoint {self.endpoint} did not answer ({reason}).",
                            hint="Start the server, or choose a local teacher with --teacher.") from e
        try:
            data = json.loads(raw)
            return data["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise UserError(f"The teacher endpoint {self.endpoint} sent a reply that is not an "
                            "OpenAI chat completion.", hint="Point --teacher at an OpenAI-compatible server.") from e

    def count_tokens(self, text: str) -> int:
        return approx_tokens(text)


# -- the student's drafts for the closed loop ----------------------------------------------
def draft_fn_for(student: LocalModel, *, config: Any, max_tokens: int = 120, seed: int = 0):
    """``(style prompt, incoming message) -> draft``, assembled exactly as the ``pld``
    drafting variant does (``trainer.draft.prompt.build_prompt`` with the style, "[" banned,
    the style's scaffold: greeting, length stop, sign-off), seeded, at the configured
    temperature.

    Each validation message has one data-fence boundary, fixed by the seed and the
    pair, so two style prompts are compared on the same prompt apart from the style (an
    unchanged prompt scores the same, and a revision's gain is not fence noise), and a
    learn run again on the same mail repeats its validation scores."""
    from ingest.kernel.records import Message
    from trainer.draft.prompt import build_prompt, fixed_boundary
    from trainer.draft.scaffold import Scaffold, said_nothing

    def draft(prompt: str, pair: Any) -> str:
        rt = student.runtime
        boundary = fixed_boundary("pld-validation", seed, getattr(pair, "id", "") or pair.message_text)
        msg = Message(source="pld-validation", item=getattr(pair, "id", ""), text=pair.message_text,
                      body=pair.message_text, sender=pair.message_sender or "",
                      subject=pair.message_subject or "", thread=getattr(pair, "thread", "") or "")
        p = build_prompt(msg, rt, max_tokens=max_tokens, style=prompt, me=tuple(config.me), boundary=boundary)
        sc = Scaffold.from_style(prompt, getattr(config, "scaffold", "length"))
        opening = sc.prefix(msg)
        g = rt.generate(list(p.messages), max_tokens=p.max_tokens, temperature=config.temperature,
                        top_p=config.top_p, seed=seed, drop_lines_with=p.boundary, ban_chars="[",
                        **sc.generate_kwargs(opening))
        if said_nothing(g.text, opening):
            return ""
        return (g.text + sc.sign_off_piece(g.text)).strip()

    return draft
