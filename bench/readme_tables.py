"""README tables from committed bench results, so that every figure traces to a run.

A table in README.md sits between two markers that name its source:

    <!-- table: bench/results/bench_eval-20261130-235900.json eval allen-p -->
    | variant | ... |
    <!-- /table -->

``python bench/readme_tables.py`` rewrites every such table from its file;
``--check`` only compares, and exits 1 naming each table that differs (the test suite
runs the check: ``tests/test_readme_tables.py``).

Kinds:
- ``eval PERSON``: the held-out eval table of ``bench_eval.py`` for that person;
- ``vs_base PERSON``: each variant minus base with its 95% paired interval (ACC,
  content, usable);
- ``levers``: the rows of ``bench_levers.py`` (one per person and setting);
- ``replycheck``: the rows of ``bench_replycheck.py`` (real replies and the controls);
- ``run``: per person, what ``bench_eval.py``'s learn and eval reported (the selection
  scorer's sentence and message AUC and ECE, the judge's AUC and pairwise check, LoRA
  steps and held-out loss, times);
- ``scorer_auc``: the rows of ``bench_scorer_auc.py`` (each model's held-out AUCs);
- ``embed``: the rows of ``bench_embed.py`` (the ONNX embedder against the torch path);
- ``register``: the rows of ``bench_register.py`` (greetings and sign-offs per correspondent).

What it leaves out: prose figures (a sentence that quotes a number) are not checked;
put them in a table when they matter.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"<!-- table: (\S+) ([\w-]+)(?: ([\w-]+))? -->\n(.*?)<!-- /table -->\n", re.S)
EVAL_COLS = (("acc", "ACC"), ("acc_selection", "ACC (selection)"), ("ic", "IC"), ("content", "content"), ("length_ratio", "length"),
             ("usable", "usable"), ("usable_first", "usable, 1st try"), ("role_ok", "role ok"),
             ("prompt_leak", "prompt leak"), ("invented_per_100w", "invented/100w"), ("answered", "answered"),
             ("leak", "leak"), ("real_above", "judge prefers real"))
LEVER_COLS = (("usable", "usable"), ("role_ok", "role ok"), ("prompt_leak", "prompt leak"),
              ("invented_per_100w", "invented/100w"), ("answered", "answered"), ("seconds", "s per draft"))


def _f(v: object, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _person(data: dict, name: str) -> dict:
    for p in data.get("people", []):
        if p.get("person") == name:
            return p
    raise SystemExit(f"no person {name!r} in the result file")


def eval_table(data: dict, person: str) -> str:
    rows = _person(data, person)["eval"]["rows"]
    head = "| variant | " + " | ".join(h for _, h in EVAL_COLS) + " |"
    out = [head, "|---" * (len(EVAL_COLS) + 1) + "|"]
    for r in rows:
        out.append(f"| {r['variant']} | " + " | ".join(_f(r.get(k)) for k, _ in EVAL_COLS) + " |")
    return "\n".join(out) + "\n"


def vs_base_table(data: dict, person: str) -> str:
    gains = _person(data, person)["eval"].get("vs_base") or {}
    metrics = ("acc", "content", "usable")
    out = ["| variant - base | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for v, g in gains.items():
        cells = [f"{g[m]['mean']:+.3f} [{g[m]['lo']:+.3f}, {g[m]['hi']:+.3f}]" if m in g else "n/a" for m in metrics]
        out.append(f"| {v} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def levers_table(data: dict) -> str:
    out = ["| person | setting | variant | " + " | ".join(h for _, h in LEVER_COLS) + " |",
           "|---" * (len(LEVER_COLS) + 3) + "|"]
    for r in data["rows"]:
        out.append(f"| {r['person']} | {r['setting']} | {r['variant']} | "
                   + " | ".join(_f(r.get(k), 2 if k == "seconds" else 3) for k, _ in LEVER_COLS) + " |")
    return "\n".join(out) + "\n"


RC_COLS = (("pairs", "pairs"), ("usable", "usable"), ("role_ok", "role ok"), ("prompt_leak", "prompt leak"),
           ("invented", "invented"), ("answered_ok", "answered ok"),
           ("wrong_message_fails_answered", "wrong message fails answered"), ("planted_flagged", "planted fact flagged"),
           ("message_as_reply_fails_role", "message sent back fails role"))


def replycheck_table(data: dict) -> str:
    out = ["| person | pairs from | " + " | ".join(h for _, h in RC_COLS) + " |", "|---" * (len(RC_COLS) + 2) + "|"]
    for r in data["rows"]:
        out.append(f"| {r['person']} | {r['split']} | " + " | ".join(_f(r.get(k)) for k, _ in RC_COLS) + " |")
    return "\n".join(out) + "\n"


def run_table(data: dict) -> str:
    out = ["| person | held-out messages | scorer AUC (sentences / messages) | scorer ECE | judge AUC "
           "| LoRA steps (stopped by) | LoRA held-out loss | import s | learn s | eval s |",
           "|---" * 10 + "|"]
    for p in data["people"]:
        sc = p["learn"].get("scorer") or {}
        jd = sc.get("judge") or {}
        lo = p["learn"].get("lora") or {}
        loss = (f"{lo['base_heldout_loss']:.2f} -> {lo['heldout_loss']:.2f}"
                if lo.get("base_heldout_loss") is not None and lo.get("heldout_loss") is not None else "n/a")
        out.append(f"| {p['person']} | {p['eval']['heldout']} | {_f(sc.get('auc'))} / {_f(sc.get('auc_message'))} | "
                   f"{_f(sc.get('ece'))} | {_f(jd.get('auc'))} | "
                   f"{lo.get('steps', 'n/a')} ({lo.get('stopped', 'n/a')}) | {loss} | {p['import']['seconds']} | "
                   f"{p['learn']['seconds']} | {p['eval']['seconds']} |")
    return "\n".join(out) + "\n"


AUC_MODELS = (("scorer", "selection scorer"), ("judge", "judge"), ("lexical_all_threads", "lexical, all threads"),
              ("baseline_char_all_threads", "char, all threads (before)"))


def scorer_auc_table(data: dict) -> str:
    out = ["| person | model | family | threads | sentence AUC | message AUC | ECE | training sentences "
           "| pairwise (real above others) |", "|---" * 9 + "|"]
    for p in data["people"]:
        for key, label in AUC_MODELS:
            m = p.get(key) or {}
            half = m.get("half")
            out.append(f"| {p['person']} | {label} | {m.get('family', 'n/a')} | "
                       f"{'all' if half is None else f'half {half}'} | {_f(m.get('auc'))} | "
                       f"{_f(m.get('auc_message'))} | {_f(m.get('ece'))} | {m.get('n_train', 'n/a')} | "
                       + (f"{_f(m.get('pairwise'))} ({m.get('pairwise_n')})" if "pairwise_n" in m else "-") + " |")
    return "\n".join(out) + "\n"


def embed_table(data: dict) -> str:
    out = ["| person | texts | torch sentences/s | ONNX int8 sentences/s | speed-up | cosine min / mean "
           "| top-k kept (held-out messages) |", "|---" * 7 + "|"]
    for p in data["people"]:
        out.append(f"| {p['person']} | {p['texts']} | {_f(p['torch_sentences_per_s'], 1)} | "
                   f"{_f(p['onnx_sentences_per_s'], 1)} | {_f(p['speedup'], 2)}x | "
                   f"{_f(p['cosine_min'])} / {_f(p['cosine_mean'])} | "
                   f"{_f(p['topk_overlap'])} of top-{p['k']} ({p['heldout_queries']}) |")
    return "\n".join(out) + "\n"


def register_table(data: dict) -> str:
    """``bench_register.py``: greeting and sign-off agreement with the real reply."""
    out = ["| person | pairs from | pairs | with a register | greeting: \"Hi <name>,\" / global / register "
           "| sign-off: global / register | register - global, greeting | register - global, sign-off |",
           "|---" * 8 + "|"]

    def ci(g: dict | None) -> str:
        return f"{g['mean']:+.3f} [{g['lo']:+.3f}, {g['hi']:+.3f}]" if g else "n/a"

    for r in data["rows"]:
        g, so, d = r["greeting"], r["sign_off"], r["register_minus_global"]
        out.append(f"| {r['person']} | {r['split']} | {r['pairs']} | {r['with_history']} | "
                   f"{_f(g['default'])} / {_f(g['global'])} / {_f(g['register'])} | "
                   f"{_f(so['global'])} / {_f(so['register'])} | {ci(d.get('greeting'))} | {ci(d.get('sign_off'))} |")
    return "\n".join(out) + "\n"


def render(path: str, kind: str, arg: str | None) -> str:
    data = json.loads((ROOT / path).read_text(encoding="utf-8"))
    if kind == "eval":
        return eval_table(data, arg or "")
    if kind == "vs_base":
        return vs_base_table(data, arg or "")
    if kind == "levers":
        return levers_table(data)
    if kind == "replycheck":
        return replycheck_table(data)
    if kind == "run":
        return run_table(data)
    if kind == "scorer_auc":
        return scorer_auc_table(data)
    if kind == "embed":
        return embed_table(data)
    if kind == "register":
        return register_table(data)
    raise SystemExit(f"unknown table kind {kind!r}")


def update(text: str) -> tuple[str, list[str]]:
    """(README with every table rendered from its file, the sources that differed)."""
    differ: list[str] = []

    def sub(m: re.Match[str]) -> str:
        fresh = render(m.group(1), m.group(2), m.group(3))
        if fresh != m.group(4):
            differ.append(" ".join(x for x in m.groups()[:3] if x))
        return m.group(0).replace(m.group(4), fresh) if m.group(4) else \
            m.group(0).replace("-->\n<!-- /table", "-->\n" + fresh + "<!-- /table")

    return MARK.sub(sub, text), differ


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 when a table differs")
    ap.add_argument("--readme", default=str(ROOT / "README.md"))
    args = ap.parse_args()
    p = Path(args.readme)
    text = p.read_text(encoding="utf-8")
    new, differ = update(text)
    if args.check:
        for d in differ:
            print(f"README table differs from its source: {d}")
        print(json.dumps({"tables": len(MARK.findall(text)), "differ": differ}))
        return 1 if differ else 0
    if new != text:
        p.write_text(new, encoding="utf-8")
    print(json.dumps({"tables": len(MARK.findall(text)), "updated": differ}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
