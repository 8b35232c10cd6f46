"""The headline: the held-out evaluation table for both Enron users, end to end through
the CLI with the embedded student model.

For each person in ../shared/corpora/enron (allen-p, germany-c), in a fresh temp data
directory, it runs exactly what a user would:

    ownvoice import <their four mbox folders> --me <their addresses> --json
    ownvoice learn --routes rag,pld,lora --max-steps S --json     (the scorer always)
    ownvoice eval --limit M -n K --json --report DIR

and prints each person's table (variant, ACC, IC, RC, content, length, leak; the
ceiling row ``real`` is the person's own held-out replies scored the same way), the
``pld`` and ``lora`` rows against ``base`` (fidelity gain, content change) and the
wall time of every stage. The baseline every route is judged against is ``base``,
measured in the same run on the same held-out messages and seeds.

Prints the tables, then ONE JSON object on its last line. Progress bars go to
``--log`` (default: a temp file), not to the terminal.

    .venv/bin/python bench/bench_eval.py [--people allen-p,germany-c] [--routes rag,pld,lora]
        [--variants base,rag,pld,lora,full] [--limit 12] [-n 2] [--max-steps 40 | --budget 8m]
        [--model smollm2]

The result (tables, settings, commit, machine) is also written to
``bench/results/bench_eval-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("OWNVOICE_CORPORA", ROOT.parent / "shared" / "corpora"))
PEOPLE = {
    "allen-p": ("phillip.allen@enron.com", "k..allen@enron.com"),
    "germany-c": ("chris.germany@enron.com",),
}
COLUMNS = ("acc", "ic", "rc", "content", "length_ratio", "leak", "usable", "role_ok", "prompt_leak",
           "invented_per_100w", "answered", "usable_first")
RESULTS = ROOT / "bench" / "results"


def _cli(args: list[str], env: dict[str, str], log) -> tuple[dict, float]:  # noqa: ANN001
    exe = Path(sys.executable).with_name("ownvoice")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "app.cli"]), *args]
    log.write(f"\n$ {' '.join(cmd)}\n")
    log.flush()
    t = time.perf_counter()
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    dt = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed (exit {res.returncode}); see {log.name}")
    return json.loads(res.stdout), dt


def _fmt(v) -> str:  # noqa: ANN001
    return "n/a" if v is None else f"{v:.3f}"


def table(rows: list[dict]) -> str:
    lines = ["| variant | ACC | IC | RC | content | length | leak | usable | role ok | prompt leak | invented/100w "
             "| answered | usable (1st sample) |", "|---" * (len(COLUMNS) + 1) + "|"]
    for r in rows:
        lines.append("| " + " | ".join([r["variant"], *(_fmt(r.get(c)) for c in COLUMNS)]) + " |")
    return "\n".join(lines)


def gains(rows: list[dict], variant: str) -> dict | None:
    by = {r["variant"]: r for r in rows}
    base, v = by.get("base"), by.get(variant)
    if not base or not v:
        return None
    out = {}
    for k in ("acc", "ic", "content", "leak", "usable"):
        if base.get(k) is not None and v.get(k) is not None:
            out[k] = round(v[k] - base[k], 4)
    return out


def run_person(name: str, addrs: tuple[str, ...], args: argparse.Namespace, work: Path, log) -> dict:  # noqa: ANN001
    folder = CORPORA / "enron" / name
    data = work / name
    env = {**os.environ, "OWNVOICE_DATA_DIR": str(data / "data"), "OWNVOICE_CONFIG_DIR": str(data / "config"),
           "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
    if args.set:  # config.toml values for this run (e.g. register=true), as a user would set them
        (data / "config").mkdir(parents=True, exist_ok=True)
        (data / "config" / "config.toml").write_text("".join(f"{kv.partition('=')[0].strip()} = "
                                                             f"{kv.partition('=')[2].strip()}\n" for kv in args.set))
    boxes = sorted(str(p) for p in folder.glob("*.mbox"))
    me = [a for addr in addrs for a in ("--me", addr)]
    imp, t_import = _cli(["import", *boxes, *me, "--json"], env, log)
    routes = args.routes
    learn_args = ["learn", "--routes", routes, "--json", "--model", args.model]
    if "lora" in routes:
        learn_args += ["--budget", args.budget] if args.budget else ["--max-steps", str(args.max_steps)]
        learn_args += ["--self-distill"] if args.self_distill else []
    learned, t_learn = _cli(learn_args, env, log)
    ev, t_eval = _cli(["eval", "--limit", str(args.limit), "-n", str(args.n), "--model", args.model,
                       "--variants", args.variants, "--json", "--report", str(data / "report")], env, log)
    pld = learned.get("pld") or {}
    lora = learned.get("lora") or {}
    lora_m = lora.get("metrics", lora)
    return {
        "person": name,
        "import": {"seconds": round(t_import, 1), **{k: imp.get(k) for k in ("messages", "pairs", "skipped")
                                                        if k in imp}},
        "learn": {"seconds": round(t_learn, 1), "scorer": learned.get("scorer"),
                  "pld": {k: pld.get(k) for k in ("rules", "clusters", "noise_share", "prompt_tokens", "rounds",
                                                  "validation_content", "no_style", "guard_steps", "seconds")
                          if k in pld},
                  "lora": {k: lora_m.get(k) for k in ("steps", "tokens_per_second", "base_heldout_loss",
                                                      "heldout_loss", "stopped") if k in lora_m}
                           | ({"self_distill": lora["self_distill"]} if lora.get("self_distill") else {})},
        "eval": {"seconds": round(t_eval, 1), "heldout": ev.get("heldout"), "n": ev.get("n"),
                 "scorer": ev.get("scorer"), "judge": ev.get("judge"), "rows": ev.get("rows"), "unavailable": ev.get("unavailable"),
                 "vs_base": ev.get("vs_base"), "history": ev.get("history")},
        "pld_vs_base": gains(ev.get("rows") or [], "pld"),
        "lora_vs_base": gains(ev.get("rows") or [], "lora"),
        "rag_vs_base": gains(ev.get("rows") or [], "rag"),
        "full_vs_base": gains(ev.get("rows") or [], "full"),
    }


def targets(people: list[dict], variant: str = "full") -> dict[str, bool]:
    """The usable-drafts targets for the default variant, per person."""
    out: dict[str, bool] = {}
    for p in people:
        row = next((r for r in p["eval"]["rows"] or [] if r["variant"] == variant), None)
        if row is None or row.get("usable") is None:
            continue
        name = p["person"]
        out[f"{name} {variant} usable >= 0.8"] = row["usable"] >= 0.8
        out[f"{name} {variant} role flips <= 5%"] = row["role_ok"] >= 0.95
        out[f"{name} {variant} prompt leaks 0"] = row["prompt_leak"] == 0
        out[f"{name} {variant} invented <= 1 per 100 words"] = row["invented_per_100w"] <= 1.0
        pairwise = (p["eval"].get("judge") or {}).get("pairwise")
        if pairwise is not None:
            out[f"{name} judge pairwise >= 0.9"] = pairwise >= 0.9
        real = next((r for r in p["eval"]["rows"] or [] if r["variant"] == "real"), None)
        if real is not None and real.get("acc") is not None:
            out[f"{name} real ACC >= 0.5"] = real["acc"] >= 0.5
    return out


def write_result(name: str, out: dict, prov: dict) -> None:
    """Add the provenance to ``out`` and write it to bench/results/NAME-<time>.json
    (``out["result_file"]`` says where)."""
    out.update(prov)
    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    dest.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    out["result_file"] = str(dest.relative_to(ROOT))


def _provenance() -> dict:
    """What the figures were measured on: the commit (and whether the tree had changes),
    the machine and the time."""
    import platform

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "app", "trainer",
                                                                  "ingest")),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def main() -> int:
    from ingest.store.embed import embedder_kind  # which embedder the CLI runs below will use

    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    ap.add_argument("--routes", default="rag,pld,lora")
    ap.add_argument("--variants", default="base,rag,pld,lora,full",
                    help="eval variants (those whose route was not learned are reported unavailable)")
    ap.add_argument("--limit", type=int, default=12, help="held-out messages per person")
    ap.add_argument("-n", type=int, default=2, help="samples per variant and message")
    ap.add_argument("--max-steps", type=int, default=40, help="LoRA steps (when no --budget)")
    ap.add_argument("--budget", default=None, help="LoRA time budget per person (learn --budget), e.g. 8m")
    ap.add_argument("--self-distill", action="store_true", help="learn --self-distill for the LoRA route")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--log", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temp data directories")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a config.toml line for both people's runs, VALUE in TOML (register=true)")
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron'} is absent"}))
        return 0
    prov = _provenance()  # the code the run starts on (the tree may change while it runs)
    work = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    log_path = Path(args.log) if args.log else work / "bench_eval.log"
    out: dict = {"model": args.model, "routes": args.routes, "variants": args.variants, "limit": args.limit,
                 "n": args.n, "max_steps": None if args.budget else args.max_steps, "budget": args.budget,
                 "self_distill": args.self_distill, "config": list(args.set),
                 "embedder": embedder_kind(),
                 "load_avg_1m": round(os.getloadavg()[0], 2), "people": []}
    with open(log_path, "a", encoding="utf-8") as log:
        for name in [p.strip() for p in args.people.split(",") if p.strip()]:
            res = run_person(name, PEOPLE[name], args, work, log)
            out["people"].append(res)
            print(f"\n## {name}: {res['eval']['heldout']} held-out messages, n={res['eval']['n']}, "
                  f"scorer AUC {_fmt((res['eval']['scorer'] or {}).get('auc'))}")
            print(table(res["eval"]["rows"] or []))
            paired = res["eval"].get("vs_base") or {}
            for v in ("rag", "pld", "lora", "full"):
                if res[f"{v}_vs_base"]:
                    ci = "; ".join(f"{m} {g['mean']:+.3f} [{g['lo']:+.3f}, {g['hi']:+.3f}]"
                                   for m, g in (paired.get(v) or {}).items())
                    print(f"{v} - base: {res[f'{v}_vs_base']}" + (f"  95% paired CI: {ci}" if ci else ""))
            print(f"times: import {res['import']['seconds']}s, learn {res['learn']['seconds']}s, "
                  f"eval {res['eval']['seconds']}s", flush=True)
    out["log"] = str(log_path)
    out["targets"] = targets(out["people"])
    write_result("bench_eval", out, prov)
    if not args.keep:
        import shutil

        shutil.rmtree(work / "allen-p", ignore_errors=True)
        shutil.rmtree(work / "germany-c", ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
