"""Where ownvoice may send data: loopback, or another machine only when the user says so.

Two things can reach the network, both off by default: a Chroma server (``chroma_url``)
and a PLD teacher endpoint (``--teacher URL``). The rules, shared by both:

- a loopback host (``localhost``, ``127.0.0.0/8``, ``::1``) is this machine: allowed;
- any other host needs the user's explicit permission (``allow_remote_store`` /
  ``allow_remote_teacher``), else a ``UserError`` that says how to allow it;
- an API key (Bearer token) is never sent over plain http to a host that is not
  loopback, permission or not: it would cross the network in clear text;
- an ``http_proxy`` / ``https_proxy`` in the environment never carries a loopback
  connection: ownvoice's own requests bypass it (``no_proxy_opener``), and for the
  Chroma client, which reads the proxy variables itself, the store refuses to open and
  says to set ``NO_PROXY``.

An IMAP import (``ingest.store.imap``) connects to the mail server the user names in its
address, and only reads from it; it has its own rules (TLS, certificate checks).

What it leaves out: Unix-socket URLs (neither client speaks them); DNS names that
resolve to loopback count as remote unless they are ``localhost`` names.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
import urllib.request

from ingest.kernel.errors import UserError


def host_of(url: str) -> str:
    """The host of ``url`` (a bare ``host:port`` reads as http).

    >>> host_of("http://127.0.0.1:8000/x"), host_of("db.example:8000"), host_of("https://[::1]:9/")
    ('127.0.0.1', 'db.example', '::1')
    """
    u = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    return (u.hostname or "").lower()


def is_loopback(url: str) -> bool:
    """True for a URL on this machine.

    >>> [is_loopback(u) for u in ("http://localhost:8000", "127.0.0.2:1", "http://[::1]/", "https://10.0.0.1",
    ...                           "http://db.example", "http://localhost.evil.example")]
    [True, True, True, False, False, False]
    """
    return is_loopback_host(host_of(url))


def is_loopback_host(host: str) -> bool:
    """True for a host name or address on this machine (``localhost`` names, 127.0.0.0/8, ::1).

    >>> is_loopback_host("127.0.0.1"), is_loopback_host("mail.example")
    (True, False)
    """
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_plain_http(url: str) -> bool:
    return not url.lower().startswith("https://")


def check_remote(url: str, *, allowed: bool, what: str, setting: str, flag: str, fallback: str) -> None:
    """Raise a ``UserError`` when ``url`` is another machine and the user has not allowed it."""
    if is_loopback(url) or allowed:
        return
    raise UserError(f"The {what} {url} is on another machine: {fallback}",
                    hint=f"To allow this, set {setting} = true in config.toml or pass {flag}.")


def remote_store_warning(chroma_url: str, allowed: bool) -> str | None:
    """The plain warning a user sees while their vector store is a Chroma server on
    another machine (allowed; without ``allowed`` opening it is refused), else None.

    >>> remote_store_warning("http://127.0.0.1:8000", True) is None, remote_store_warning("", True) is None
    (True, True)
    >>> remote_store_warning("http://db.example:8000", True).startswith("Your store's vectors are on db.example")
    True
    """
    if not chroma_url or is_loopback(chroma_url) or not allowed:
        return None
    plain = " over plain http, readable on the network" if is_plain_http(chroma_url) else ""
    return (f"Your store's vectors are on {host_of(chroma_url)}, another machine: every imported message's "
            f"id and embedding vector is sent there{plain}. To keep them here, clear chroma_url in "
            "config.toml.")


def check_token(url: str, *, what: str) -> None:
    """Refuse to send an API key over plain http to a host that is not loopback."""
    if is_plain_http(url) and not is_loopback(url):
        raise UserError(f"An API key would be sent to the {what} {url} over plain http, readable on the network.",
                        hint="Use an https:// URL for it, or unset the key.")


def proxy_for(url: str) -> str | None:
    """The proxy the environment would route ``url`` through, or None."""
    scheme = "https" if url.lower().startswith("https://") else "http"
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy:
        return None
    host = host_of(url)
    try:
        if urllib.request.proxy_bypass(host):
            return None
    except Exception:  # noqa: BLE001 - a malformed no_proxy: assume it does not bypass
        pass
    return proxy


def no_proxy_opener() -> urllib.request.OpenerDirector:
    """A urllib opener that ignores proxy settings (for loopback requests)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))
