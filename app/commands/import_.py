"""``ownvoice import PATH|imap://USER@HOST[:PORT]/[FOLDER]... [--me ADDR]... [--json]``:
import mail archives, documents and IMAP folders.

Shows a progress bar, then one row per source: messages seen, new this run, the
user's own, others', duplicates, reply pairs and skipped items (the first few with
their reasons). The import proper ends once the reply pairs, which learning reads, are
embedded; then a second bar embeds the rest for search (``Store.embed_rest``): Ctrl-C
stops it safely and ``ownvoice embed`` resumes it, and ``--voice-only`` skips it. ``--me`` addresses are saved in the store (each data dir has its own
user), added to those given before. Running it again adds only what is new; an
interrupted import resumes where it stopped.

An IMAP address is read-only and incremental (``ingest.store.imap``): its password comes
from the system keyring, else ``--password-stdin``, else a prompt (and is kept in the
keyring after a good login, where there is one); a certificate this system does not
vouch for is shown by fingerprint and used only when the user trusts it.
"""

from __future__ import annotations

import argparse
import time

from rich.table import Table

from app.commands.sources import short
from app.context import Context
from ingest.kernel.errors import AlreadyRunning, Cancelled, UserError
from ingest.store.imap import is_imap_url

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


def run(args: argparse.Namespace, ctx: Context) -> int:
    from app.coverage import describe
    from ingest.store.importer import disk_errors, run_import
    from ingest.store.store import Store

    t0 = time.monotonic()
    given = tuple(dict.fromkeys(m.strip().lower() for m in args.me if m.strip()))
    # IMAP passwords are asked for before any progress bar draws over the prompt
    accounts = [_account(u, args) for u in args.paths if is_imap_url(u)]
    with Store.open(ctx.data_dir, chroma_url=ctx.config.chroma_url,
                    allow_remote=ctx.config.allow_remote_store) as store:
        # the addresses belong to this store (saved in it), never to the global config
        me = tuple(dict.fromkeys([*store.saved_me(), *given]))  # none: inferred from the Sent folders
        files = [p for p in args.paths if not is_imap_url(p)]
        results = []
        if files:
            with ctx.progress(quiet=args.json) as (progress, cancel):
                results.append(run_import(files, store, me, progress, cancel, alongside=not args.voice_only))
        for acct in accounts:
            results.append(_import_imap(acct, args, ctx, store, me))
        voice_ready = time.monotonic() - t0
        if not args.voice_only and store.coverage()["remaining"]:
            # the search index: its own bar; stopped (Ctrl-C) or killed, `ownvoice embed` resumes it
            with ctx.progress(quiet=args.json) as (progress, cancel):
                try:
                    with disk_errors(store.data_dir):  # a full disk: a clear error, and `embed` resumes
                        store.embed_rest(progress, cancel)
                except Cancelled:
                    pass  # the import itself is done; `ownvoice embed` resumes the rest
                except AlreadyRunning:  # another ownvoice job took the store between two batches: it goes first
                    ctx.warn("The search pass stopped to let another ownvoice job write to this store; "
                             "`ownvoice embed` resumes it.")
        coverage = store.coverage()
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
        ctx.print_json({"sources": reports, "totals": totals, "me": list(result.me),
                        "me_inferred": result.me_inferred, "voice_ready_s": round(voice_ready, 1),
                        "search_coverage": coverage})
        return 0
    table = Table(title="Imported")
    for col in ("source", "kind", "seen", "new", "own", "others", "duplicates", "pairs", "skipped"):
        table.add_column(col, justify="left" if col in ("source", "kind") else "right",
                         no_wrap=col == "source")
    for r in reports:
        name = short(r["path"]) + (" (unchanged)" if r["unchanged"] else "")
        table.add_row(name, r["kind"], *(str(r[k]) for k in
                                          ("seen", "new", "own", "others", "duplicates", "pairs")),
                      str(len(r["skipped"])))
    ctx.console.print(table)
    for r in reports:
        for s in r["skipped"][:SHOW_SKIPS]:
            ctx.console.print(f"  skipped {s['item']}: {s['reason']}", markup=False)
        if len(r["skipped"]) > SHOW_SKIPS:
            ctx.console.print(f"  ... and {len(r['skipped']) - SHOW_SKIPS} more skipped in "
                              f"{r['path']} (see `ownvoice import --json`)", markup=False)
        if r["aliases"]:
            ctx.console.print(f"  These addresses look like yours: {', '.join(r['aliases'])}. "
                              "Add them with --me if they are.", markup=False)
    if coverage["remaining"]:
        ctx.console.print(describe(coverage, stopped=True), markup=False)
    if result.me_inferred:
        ctx.warn(f"No --me given: took {', '.join(result.me)} (the most frequent sender in your "
                 "Sent folders) as you. Pass --me ADDR to say who you are.")
    elif not result.me:
        ctx.warn("No --me given and no Sent folder found: nothing counts as your own mail. "
                 "Pass --me ADDR.")
    return 0


def _account(url: str, args: argparse.Namespace) -> tuple:
    """(target, password, saved in the keyring?) for one IMAP address: the password from
    the keyring, else standard input (read once for every address), else a prompt."""
    import sys

    from ingest.store import imap

    t = imap.parse_url(url, [f for f in args.folders.split(",") if f.strip()])
    saved = None if args.password_stdin else imap.keyring_password(t.account)
    if args.password_stdin:
        if not hasattr(args, "_stdin_password"):
            args._stdin_password = sys.stdin.readline().rstrip("\r\n")
        return t, args._stdin_password, False
    if saved is not None:
        return t, saved, True
    if sys.stdin.isatty():
        import getpass

        return t, getpass.getpass(f"IMAP password for {t.account}: "), False
    raise UserError(f"No password for {t.account}.",
                    hint="Pipe it in with --password-stdin, or run the import in a terminal to be asked.")


def _import_imap(acct: tuple, args: argparse.Namespace, ctx: Context, store, me):  # noqa: ANN001, ANN202
    """One IMAP account, under its own progress bar. A certificate this system does not
    vouch for is trusted by --trust-fingerprint, or by the user's yes at a prompt shown
    outside the progress bar (never for a certificate that differs from the pinned one)."""
    import sys
    from datetime import date

    from ingest.store import imap

    t, password, saved = acct
    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError as e:
            raise UserError(f"--since {args.since!r} is not a date.", hint="Write it as YYYY-MM-DD.") from e
    trust = args.trust_fingerprint
    for _attempt in range(2):
        try:
            with ctx.progress(quiet=args.json) as (progress, cancel):
                result = imap.import_imap(t, store, me, password=password, since=since, trust=trust,
                                          insecure=args.insecure, progress=progress, cancel=cancel)
            break
        except imap.UntrustedCertificate as e:
            if e.changed or trust or args.password_stdin or not sys.stdin.isatty():
                raise
            ctx.console.print(f"{t.host}:{t.port} shows a certificate this system does not vouch for.\n"
                              f"SHA-256 fingerprint: {e.fingerprint}", markup=False)
            try:
                yes = input("Trust it (compare it with your server's first)? [y/N] ").strip().lower()
            except EOFError:
                yes = ""
            if yes not in ("y", "yes"):
                raise
            trust = e.fingerprint
        except UserError as e:
            if saved and "refused the login" in str(e):
                imap.keyring_forget(t.account)  # a stale saved password: ask next time
            raise
    if not saved and not args.password_stdin and imap.keyring_save(t.account, password):
        ctx.console.print(f"The password for {t.account} is kept in your system keyring.", markup=False)
    return result
