"""A throwaway PostgreSQL server for the tests: Debian's ``initdb`` and ``pg_ctl``, unix socket only.

:class:`Cluster` makes a data directory and a socket directory under a fresh temporary folder,
runs ``initdb`` (trust authentication, superuser ``xieshang``) and starts the server with
``listen_addresses=''`` (no TCP port at all) and durability switched off (``fsync=off``: the data
is thrown away). PostgreSQL refuses to run as root, so as root every server command runs as the
``postgres`` system user (``runuser``), which owns the temporary folder. :meth:`Cluster.stop`
stops the server (``pg_ctl stop -m immediate``) and removes the folder; it is safe to call twice.
A small watchdog process does the same if the process that started the server dies without
stopping it (a killed test worker), so no server outlives the test run.

Used by ``tests/conftest.py`` (one cluster per pytest-xdist worker). By hand::

    .venv/bin/python -m tests.pg_cluster   # starts one, prints its URL, stops it on Enter
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Where Debian puts the server programs (``/usr/lib/postgresql/<major>/bin``); ``XIESHANG_PG_BIN`` overrides.
_DEBIAN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "xieshang"

#: The watchdog: wait while the owner lives, then stop the server and remove its folder.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, root, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while True:
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        break
    time.sleep(0.5)
subprocess.run(cmd, capture_output=True, timeout=60, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


def server_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest Debian major first), or ``None``."""
    env = os.environ.get("XIESHANG_PG_BIN", "").strip()
    candidates = [env] if env else []
    candidates += sorted(glob.glob(_DEBIAN_GLOB), key=lambda p: int(Path(p).parent.name)
                         if Path(p).parent.name.isdigit() else 0, reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


class Cluster:
    """One throwaway server. ``url(db)`` is a SQLAlchemy URL over the unix socket."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="xieshang-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.log = self.root / "server.log"
        self.running = False
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        os.chmod(self.root, 0o755)

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stdout}{proc.stderr}{log}")

    def start(self) -> Cluster:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        self._run("mkdir", "-p", str(self.socket))
        options = " ".join([
            "-c listen_addresses=''", f"-c unix_socket_directories='{self.socket}'",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=200", "-c shared_buffers=32MB", "-c log_min_messages=warning",
        ])
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", options, "start")
        self.running = True
        stop = [*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        self._watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.root), *stop],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def stop(self) -> None:
        if self.running:
            self.running = False
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket}"

    def admin(self, *statements: str) -> None:
        """Run statements outside a transaction (``CREATE``/``DROP DATABASE``) on ``postgres``."""
        import psycopg

        with psycopg.connect(host=str(self.socket), user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)  # type: ignore[arg-type]


if __name__ == "__main__":  # pragma: no cover - by hand
    found = server_bin()
    if found is None:
        raise SystemExit("no PostgreSQL server programs (apt-get install postgresql)")
    cluster = Cluster(found).start()
    try:
        cluster.admin("CREATE DATABASE xieshang")
        print(cluster.url("xieshang"))
        input("Enter stops the server. ")
    finally:
        cluster.stop()
