"""``xieshang serve --server --workers N``: the server-mode app in N processes on one socket.

Everything the processes must agree on already lives in the stores, not in a process: sessions,
CSRF tokens, sign-in limits, grants and the audit log in the accounts store; each case in its
own store; the result cache (:mod:`xieshang.services.memo`) is per process but keyed by the
store's data revision, which every write changes whatever process made it. So N processes that
each open the stores themselves answer the same. uvicorn's supervisor (``Multiprocess``) binds
nothing itself: the socket bound by ``xieshang serve`` is handed to every worker, and a worker
that dies is replaced.

A typed passphrase reaches the workers safely: the parent asks for it once (on the terminal, while
opening the accounts store, which checks it), and passes it to each worker inside the pickled
:class:`WorkerApp`, which multiprocessing sends through an anonymous pipe to the new process.
It is never put in the environment (``/proc/<pid>/environ``), on a command line (``ps``) or in a
file. ``XIESHANG_KEY`` (or ``XIESHANG_PASSPHRASE``) in the environment is inherited as usual.
Workers never prompt (their standard input may still be a terminal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def _never(_message: str) -> str:
    """The prompt of a process that must not ask (a worker, a request thread): no passphrase."""
    return ""


@dataclass
class WorkerApp:
    """The app factory each worker calls (uvicorn ``factory=True``); pickled to the worker."""

    data_dir: str | None
    passphrase: str | None = field(default=None, repr=False)

    def __call__(self) -> FastAPI:
        from xieshang.services.access import open_server
        from xieshang.store import crypto
        from xieshang.web.app import create_app

        crypto.passphrase_prompt = _never
        crypto.give_passphrase(self.passphrase)
        server = open_server(Path(self.data_dir) if self.data_dir else None)
        return create_app(server=server)


HEALTHCHECK_ENV = "XIESHANG_WORKER_TIMEOUT"
#: Seconds a worker may take to answer the supervisor's health check before it is replaced.
HEALTHCHECK_S = 5


def healthcheck_timeout() -> int:
    """``XIESHANG_WORKER_TIMEOUT`` (seconds, 1–600) or :data:`HEALTHCHECK_S`: raise it on a machine
    so loaded that a busy worker cannot answer in time (it would be replaced mid-request)."""
    import os

    raw = os.environ.get(HEALTHCHECK_ENV, "").strip()
    return min(600, max(1, int(raw))) if raw.isdigit() else HEALTHCHECK_S


def run_workers(app: WorkerApp, sock: object, *, workers: int, host: str, port: int) -> None:
    """Serve ``app`` in ``workers`` processes on the bound ``sock`` until a signal stops them."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers, log_level="warning",
                            proxy_headers=True, timeout_worker_healthcheck=healthcheck_timeout())
    Multiprocess(config, sockets=[sock]).run()  # type: ignore[list-item]
