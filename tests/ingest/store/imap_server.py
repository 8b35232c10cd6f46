"""A real IMAP server for the tests: Dovecot on loopback, in a temp dir.

``DovecotServer.start(tmp)`` writes a config (IMAPS and IMAP+STARTTLS on free ports, a
self-signed certificate, one user with a password, Maildir storage with ``\\Sent`` and
``\\Drafts`` marked SPECIAL-USE) and runs ``dovecot -F``. The test side fills and
inspects the mailbox through its own imaplib connection (APPEND, FETCH FLAGS): ownvoice
itself never sends those. ``.ci/run`` installs Dovecot (Debian's dovecot-imapd); a
machine without it skips these tests with that reason.
"""

from __future__ import annotations

import hashlib
import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import mailbox
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD = "tester", "s3cret-pw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not listen on {port}")


@dataclass
class DovecotServer:
    root: Path
    imaps_port: int
    imap_port: int
    proc: subprocess.Popen
    fingerprint: str

    @classmethod
    def available(cls) -> str:
        """'' when Dovecot and openssl are here, else why not."""
        for tool in ("dovecot", "doveadm", "openssl"):
            if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
                return f"{tool} is not installed (.ci/run installs dovecot-imapd)"
        return ""

    @classmethod
    def start(cls, root: Path) -> "DovecotServer":
        if os.geteuid() == 0:
            # dovecot's own users must reach the files: every folder above them has to be
            # searchable, and pytest's (and ownvoice's umask) make private ones
            import tempfile

            root = Path(tempfile.mkdtemp(prefix="ov-dovecot-"))
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        for d in ("run", "state", "home"):
            (root / d).mkdir(exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(root / "key.pem"),
                        "-out", str(root / "cert.pem"), "-days", "2", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        der = ssl.PEM_cert_to_DER_cert((root / "cert.pem").read_text())
        fp = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if os.geteuid() == 0:  # dovecot will not run its login processes as root
            internal, login, uid = "dovecot", "dovenull", "dovecot"
            shutil.chown(root / "home", "dovecot", "dovecot")
            shutil.chown(root / "passwd", "dovecot", "dovecot")
        else:
            import grp
            import pwd

            internal = login = pwd.getpwuid(os.geteuid()).pw_name
            uid = internal
            group = grp.getgrgid(os.getegid()).gr_name
        imaps, imap = _free_port(), _free_port()
        conf = root / "dovecot.conf"
        conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
default_internal_user = {internal}
default_internal_group = {internal if os.geteuid() == 0 else group}
default_login_user = {login}
first_valid_uid = 1
auth_mechanisms = plain
disable_plaintext_auth = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid if os.geteuid() == 0 else group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
""")
        proc = subprocess.Popen(["dovecot", "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            _wait(imaps)
            _wait(imap)
        except RuntimeError:
            proc.kill()
            raise RuntimeError((root / "dovecot.log").read_text()[-2000:] if (root / "dovecot.log").exists()
                               else "dovecot did not start")
        return cls(root, imaps, imap, proc, fp)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.root.name.startswith("ov-dovecot-"):  # the folder start() made for itself
            shutil.rmtree(self.root, ignore_errors=True)

    # -- the test's own client (never ownvoice's) ---------------------------------------------
    def client(self) -> imaplib.IMAP4_SSL:
        ctx = ssl.create_default_context(cafile=str(self.root / "cert.pem"))
        ctx.check_hostname = False
        m = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=ctx, timeout=30)
        m.login(USER, PASSWORD)
        return m

    def append(self, folder: str, messages: list[bytes]) -> None:
        m = self.client()
        try:
            for raw in messages:
                typ, data = m.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            m.logout()

    def flags(self, folder: str) -> dict[int, str]:
        """uid -> the FLAGS string, read with EXAMINE (reading them changes nothing)."""
        m = self.client()
        try:
            m.select(folder, readonly=True)
            typ, data = m.uid("FETCH", "1:*", "(UID FLAGS)")
            out = {}
            for d in data or ():
                if not d:
                    continue
                s = d.decode() if isinstance(d, bytes) else d[0].decode()
                uid = int(s.split("UID ", 1)[1].split()[0].rstrip(")"))
                out[uid] = s.split("FLAGS (", 1)[1].split(")", 1)[0]
            return out
        finally:
            m.logout()

    def set_uidvalidity(self, folder: str, value: int) -> None:
        subprocess.run(["doveadm", "-c", str(self.root / "dovecot.conf"), "mailbox", "update", "-u", USER,
                        "--uid-validity", str(value), folder], check=True, capture_output=True)


def enron_raw(corpora: Path, name: str, start: int, n: int) -> list[bytes]:
    """``n`` raw messages of allen-p's ``name`` mbox, from ``start``."""
    box = mailbox.mbox(str(corpora / "enron" / "allen-p" / name), create=False)
    return [box.get_bytes(k) for k in list(box.keys())[start:start + n]]


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory, corpora):
    """A running server whose INBOX holds 30 of allen-p's received messages and whose
    Sent holds 20 of his sent ones."""
    why = DovecotServer.available()
    if why:
        pytest.skip(why)
    srv = DovecotServer.start(tmp_path_factory.mktemp("dovecot"))
    srv.append("INBOX", enron_raw(corpora, "inbox.mbox", 0, 30))
    srv.append("Sent", enron_raw(corpora, "_sent_mail.mbox", 0, 20))
    yield srv
    srv.stop()
