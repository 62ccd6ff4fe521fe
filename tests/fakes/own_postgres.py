"""A PostgreSQL server of the test's own, which it may stop, restart and start at will.

The machine's shared server (``CRISISBOT_TEST_PG_URL``) serves every other PostgreSQL test: one
test restarting it would fail the others at random. This one is made with the distribution's
``initdb`` in a temporary directory, on a free port, listening on 127.0.0.1 with trust auth and
its socket in that directory, and removed at the end.

``initdb`` and ``postgres`` refuse to run as root, so when the tests run as root (CI does) the
server runs as the ``postgres`` user, which owns the directory. The fixture skips, with the
reason, only when the binaries are not installed; with ``CRISISBOT_REQUIRE_PG=1`` (CI) it fails
instead, so a machine without them cannot turn the run green by skipping.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.storage.fixtures import REQUIRE_PG_ENV

BINARIES = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
# a hang detector for pg_ctl's own waiting (it polls the server itself), not a speed test
PG_CTL_TIMEOUT = 120


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian's layout), if any."""
    found = [Path(p) for p in glob.glob(BINARIES) if (Path(p) / "pg_ctl").exists() and (Path(p) / "initdb").exists()]
    return max(found, key=lambda p: _version(p.parent.name)) if found else None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


class OwnPostgres:
    """One server in ``root`` on ``port``; ``stop``, ``start`` and ``restart`` return once pg_ctl
    saw it down or accepting connections (pg_ctl waits for that itself: ``-w``)."""

    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = port
        self.log = root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        self._pg_ctl("start", *self._server_args())

    def stop(self) -> None:
        """A fast shutdown: the sessions under way are terminated, as when an operator restarts it."""
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        """Stop fast, then start again with the same settings (``-l`` again: pg_ctl does not keep
        it, and a server left writing to pg_ctl's own output would keep that pipe open)."""
        self._pg_ctl("restart", "-m", "fast", *self._server_args())

    def _server_args(self) -> tuple[str, ...]:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c full_page_writes=off"  # a throwaway server: durability is not under test
        )
        return ("-l", str(self.log), "-o", options)

    def accepts(self) -> bool:
        try:
            psycopg.connect(self.url, connect_timeout=3).close()
        except psycopg.OperationalError:
            return False
        return True

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", str(PG_CTL_TIMEOUT), *args)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        # what it prints goes to a file, not a pipe: a server it starts inherits these handles,
        # and a pipe held open by the server would never reach its end
        with tempfile.TemporaryFile("w+") as output:
            code = subprocess.run(
                command, stdout=output, stderr=subprocess.STDOUT, timeout=PG_CTL_TIMEOUT + 30, check=False
            ).returncode
            output.seek(0)
            printed = output.read()
        if code != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed ({code}): {printed}\n{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _missing(message: str) -> None:
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_PG_ENV}=1 forbids skipping")
    pytest.skip(message)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A started server of this test's own; stopped and deleted afterwards, whatever happened."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        _missing(f"no PostgreSQL server binaries (initdb, pg_ctl) in {BINARIES}")
    assert bin_dir is not None
    if os.geteuid() == 0 and not _has_user(SERVER_USER):
        _missing(f"running as root, and no {SERVER_USER!r} user to run the PostgreSQL server as")
    root = Path(tempfile.mkdtemp(prefix="crisisbot-pg-"))
    try:
        if os.geteuid() == 0:
            _chown(root, SERVER_USER)
        server = OwnPostgres(bin_dir, root, free_port())
        server.initdb()
        server.start()
        try:
            yield server
        finally:
            if (server.data / "postmaster.pid").exists():
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _chown(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
