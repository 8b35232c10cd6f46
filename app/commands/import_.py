"""``ownvoice import PATH|imap://USER@HOST[:PORT]/[FOLDER]... [--me ADDR]... [--json]``:
import mail archives, documents and IMAP folders.

Shows a progress bar, then one row per source: messages seen, new this run, the
user's own, others', duplicates, reply pairs and skipped items (the first few with
their reasons). The import proper ends once the reply pairs, which learning reads, are
embedded; then a second bar embeds the rest for search (``Store.embed_rest``): Ctrl-C
stops it safely and ``ownvoice embed`` resumes it, and ``--voice-only`` skips it. ``--me`` addresses are saved in the store (each data dir has its own
user), added to those given before. Running it again adds only what is new; an
interrupted import resumes where it stopped.

An IMAP address is read-only and incremental (``app.workflows.archive.import_imap``): its password comes
from the system keyring, else ``--password-stdin``, else a prompt (and is kept in the
keyring after a good login, where there is one); a certificate this system does not
vouch for is shown by fingerprint and used only when the user trusts it.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from rich.table import Table

from app.commands.sources import short
from app.commands.terminal import Terminal
from app.workflows import archive
from app.workflows.workspace import Workspace
from ingest.kernel.errors import AlreadyRunning, Cancelled, UserError

SHOW_SKIPS = 5


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import mail archives and documents into the local store",
                       description="Import mbox, Maildir, .eml, .msg, .pst files or folders of "
                       "documents. Nothing is written to the sources.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="archives, folders or files, or an IMAP account: imap://USER@HOST[:PORT]/[FOLDER]")
    p.add_argument("--me", action="append", default=[], metavar="ADDR",
                   help="one of your addresses (repeatable; saved in config)")
    g = p.add_argument_group("IMAP")
    g.add_argument("--folders", default="", metavar="A,B",
                   help="IMAP folders to import (default: INBOX and the Sent folder)")
    g.add_argument("--since", default=None, metavar="YYYY-MM-DD", help="only IMAP mail from this date on")
    g.add_argument("--password-stdin", action="store_true", help="read the IMAP password from standard input")
    g.add_argument("--trust-fingerprint", default=None, metavar="SHA256",
                   help="trust a server certificate this system does not vouch for (self-signed), by "
                        "its SHA-256 fingerprint")
    g.add_argument("--insecure", action="store_true",
                   help="allow plain IMAP (no TLS) to a server that is not on this machine")
    p.add_argument("--voice-only", action="store_true",
                   help="return once your voice can be learned; embed the rest for search later "
                        "(`ownvoice embed`, or the desktop app in the background)")
    p.add_argument("--json", action="store_true", help="print the reports as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    t0 = time.monotonic()
    given = tuple(dict.fromkeys(m.strip().lower() for m in args.me if m.strip()))
    # IMAP passwords are asked for before any progress bar draws over the prompt
    accounts = [_account(u, args) for u in args.paths if archive.is_imap_url(u)]
    me = archive.import_addresses(ws, given)  # none: inferred from the Sent folders
    files = [p for p in args.paths if not archive.is_imap_url(p)]
    results = []
    if files:
        with term.progress(quiet=args.json) as (progress, cancel):
            results.append(archive.import_paths(ws, files, me, alongside=not args.voice_only,
                                                progress=progress, cancel=cancel).result)
    for acct in accounts:
        results.append(_import_imap(acct, args, ws, term, me))
    voice_ready = time.monotonic() - t0
    if not args.voice_only and archive.coverage(ws)["remaining"]:
        _search_pass(ws, term, quiet=args.json)
    coverage = archive.coverage(ws)
    result = results[-1]
    reports = [r.to_json() for res in results for r in res.reports]
    added = {k: v for res in results for k, v in res.added.items()}
    unchanged = {k for res in results for k in res.unchanged}
    for r in reports:
        r["unchanged"] = r["path"] in unchanged
        r["new"] = added.get(r["path"], 0)
    totals = {k: sum(r[k] for r in reports)
              for k in ("seen", "own", "others", "duplicates", "pairs", "documents")}
    totals["skipped"] = sum(len(r["skipped"]) for r in reports)
    if args.json:
        term.print_json({"sources": reports, "totals": totals, "me": list(result.me),
                        "me_inferred": result.me_inferred, "voice_ready_s": round(voice_ready, 1),
                        "search_coverage": coverage})
        return 0
    _print_reports(term, reports)
    if coverage["remaining"]:
        term.console.print(archive.describe_coverage(coverage, stopped=True), markup=False)
    if result.me_inferred:
        term.warn(f"No --me given: took {', '.join(result.me)} (the most frequent sender in your "
                 "Sent folders) as you. Pass --me ADDR to say who you are.")
    elif not result.me:
        term.warn("No --me given and no Sent folder found: nothing counts as your own mail. "
                 "Pass --me ADDR.")
    return 0


def _search_pass(ws: Workspace, term: Terminal, *, quiet: bool) -> None:
    """The search index, with its own bar; stopped (Ctrl-C) or killed, `ownvoice embed` resumes it."""
    with term.progress(quiet=quiet) as (progress, cancel):
        try:  # a full disk: a clear error, and `embed` resumes
            archive.embed_rest(ws, progress=progress, cancel=cancel)
        except Cancelled:
            pass  # the import itself is done; `ownvoice embed` resumes the rest
        except AlreadyRunning:  # another ownvoice job took the store between two batches: it goes first
            term.warn("The search pass stopped to let another ownvoice job write to this store; "
                      "`ownvoice embed` resumes it.")


def _print_reports(term: Terminal, reports: list[dict]) -> None:
    """The sources imported, their skipped items (the first few) and addresses that look like the user's."""
    table = Table(title="Imported")
    for col in ("source", "kind", "seen", "new", "own", "others", "duplicates", "pairs", "skipped"):
        table.add_column(col, justify="left" if col in ("source", "kind") else "right",
                         no_wrap=col == "source")
    for r in reports:
        name = short(r["path"]) + (" (unchanged)" if r["unchanged"] else "")
        table.add_row(name, r["kind"], *(str(r[k]) for k in
                                          ("seen", "new", "own", "others", "duplicates", "pairs")),
                      str(len(r["skipped"])))
    term.console.print(table)
    for r in reports:
        for s in r["skipped"][:SHOW_SKIPS]:
            term.console.print(f"  skipped {s['item']}: {s['reason']}", markup=False)
        if len(r["skipped"]) > SHOW_SKIPS:
            term.console.print(f"  ... and {len(r['skipped']) - SHOW_SKIPS} more skipped in "
                              f"{r['path']} (see `ownvoice import --json`)", markup=False)
        if r["aliases"]:
            term.console.print(f"  These addresses look like yours: {', '.join(r['aliases'])}. "
                              "Add them with --me if they are.", markup=False)


def _account(url: str, args: argparse.Namespace) -> archive.ImapAccount:
    """The account for one IMAP address, its password from the keyring, else standard
    input (read once for every address), else a prompt. A password typed or piped in is
    kept in the keyring after a good login (where there is one); a stale saved one is
    forgotten when the server refuses it."""
    import sys

    acct = archive.parse_imap_url(url, "", [f for f in args.folders.split(",") if f.strip()])
    if args.password_stdin:
        if not hasattr(args, "_stdin_password"):
            args._stdin_password = sys.stdin.readline().rstrip("\r\n")
        return replace(acct, password=args._stdin_password)
    saved = archive.keyring_password(acct)
    if saved is not None:
        return replace(acct, password=saved, saved=True)
    if sys.stdin.isatty():
        import getpass

        return replace(acct, password=getpass.getpass(f"IMAP password for {archive.account_name(acct)}: "),
                       remember=True)
    raise UserError(f"No password for {archive.account_name(acct)}.",
                    hint="Pipe it in with --password-stdin, or run the import in a terminal to be asked.")


def _import_imap(acct: archive.ImapAccount, args: argparse.Namespace, ws: Workspace, term: Terminal, me):  # noqa: ANN001, ANN202
    """One IMAP account, under its own progress bar. A certificate this system does not
    vouch for is trusted by --trust-fingerprint, or by the user's yes at a prompt shown
    outside the progress bar (never for a certificate that differs from the pinned one)."""
    import sys
    from datetime import date

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError as e:
            raise UserError(f"--since {args.since!r} is not a date.", hint="Write it as YYYY-MM-DD.") from e
    if args.trust_fingerprint:
        acct = replace(acct, trust=args.trust_fingerprint)
    for _attempt in range(2):
        with term.progress(quiet=args.json) as (progress, cancel):
            got = archive.import_imap(ws, acct, me, since=since, insecure=args.insecure, progress=progress,
                                      cancel=cancel)
        if isinstance(got, archive.Imported):
            break
        if got.changed or acct.trust or args.password_stdin or not sys.stdin.isatty():
            raise got.error
        term.console.print(f"{acct.host}:{acct.port} shows a certificate this system does not vouch for.\n"
                           f"SHA-256 fingerprint: {got.fingerprint}", markup=False)
        try:
            yes = input("Trust it (compare it with your server's first)? [y/N] ").strip().lower()
        except EOFError:
            yes = ""
        if yes not in ("y", "yes"):
            raise got.error
        acct = replace(acct, trust=got.fingerprint)
    else:
        raise got.error
    if got.kept_password:
        term.console.print(f"The password for {archive.account_name(acct)} is kept in your system keyring.",
                           markup=False)
    return got.result
