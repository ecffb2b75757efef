"""``xieshang serve`` for real: a subprocess on a temporary store that answers HTTP, prints the
URL it really listens on (8000, else a free port), warns on a non-loopback address, refuses a
taken ``--port`` in the user's language, and never hangs waiting for a terminal.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from xieshang.cli import serve
from xieshang.errors import UserError
from xieshang.i18n import t

START_TIMEOUT_S = 30
URL = re.compile(r"http://(?:\[[0-9a-f:]+\]|[\w.-]+):(\d+)/")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path, lang: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(XIESHANG_DB=str(tmp_path / "store.sqlite"), XIESHANG_LANG=lang, PYTHONUNBUFFERED="1",
               COLUMNS="400")
    return env


@contextmanager
def _serving(tmp_path: Path, *args: str, lang: str = "zh_CN") -> Iterator[tuple[str, Path, Path]]:
    """``xieshang serve ARGS`` until the block ends: (the URL it printed, its stdout, its stderr)."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen([sys.executable, "-m", "xieshang", "serve", *args], env=_env(tmp_path, lang),
                                stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not (found := URL.search(out.read_text())):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"serve printed no URL:\n{out.read_text()}\n{err.read_text()}")
                time.sleep(0.1)
            url = found.group(0)
            while True:  # the URL is printed just before uvicorn starts answering
                try:
                    urllib.request.urlopen(url + "static/app.css", timeout=2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"serve did not answer on {url}:\n{err.read_text()}")
                    time.sleep(0.1)
            yield url, out, err
        finally:
            proc.terminate()
            try:
                # uvicorn shuts down gracefully, then exits by the signal it caught (or 0).
                assert proc.wait(timeout=10) in (0, -signal.SIGTERM), "serve did not stop cleanly on SIGTERM"
            except subprocess.TimeoutExpired:
                proc.kill()
                pytest.fail("serve did not stop on SIGTERM")


def test_serve_answers_on_the_url_it_prints(tmp_path: Path) -> None:
    port = _free_port()
    with _serving(tmp_path, "--port", str(port), "--open") as (url, out, _):
        assert url == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(url, timeout=5) as r:  # an empty store: / sends to the start page
            page = r.read().decode()
            assert r.status == 200 and r.url.endswith("/start")
        assert '<html lang="zh-CN">' in page and "载入演示" in page
        text = out.read_text()
        assert t("web.serve.empty", lang="zh_CN") in text
        # No display in the test: --open says so instead of starting a text browser in the terminal.
        assert t("web.serve.no_browser", lang="zh_CN", url=url) in text


def test_without_port_it_takes_8000_or_a_free_one_and_says_which(tmp_path: Path) -> None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", serve.DEFAULT_PORT))  # hold 8000 so the fallback is exercised
        holder.listen(1)
    except OSError:
        pass  # someone else holds it: the fallback is exercised all the same
    try:
        with _serving(tmp_path, "--demo-if-empty", lang="en") as (url, out, _):
            port = int(URL.search(url).group(1))  # type: ignore[union-attr]
            assert port != serve.DEFAULT_PORT
            assert t("web.serve.port_moved", lang="en", wanted=8000, port=port) in out.read_text()
            with urllib.request.urlopen(url + "?lang=en", timeout=5) as r:
                page = r.read().decode()
            assert r.url == url + "?lang=en" and '<html lang="en">' in page  # the demo's dashboard
    finally:
        holder.close()


def test_non_loopback_warns_there_is_no_login(tmp_path: Path) -> None:
    port = _free_port()
    with _serving(tmp_path, "--host", "0.0.0.0", "--port", str(port), lang="en") as (url, _, err):
        assert url == f"http://127.0.0.1:{port}/"
        warning = " ".join(err.read_text().split())
        assert "anyone who can reach this address can read and change your case" in warning
        assert "single-user mode has no login" in warning and "0.0.0.0" in warning


def test_loopback_does_not_warn(tmp_path: Path) -> None:
    with _serving(tmp_path, "--host", "localhost", "--port", str(_free_port())) as (_, _, err):
        assert "单用户模式没有登录" not in err.read_text()


def test_a_taken_port_is_refused_in_the_users_language_without_hanging(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "xieshang", "serve", "--port", str(port)],
                              env=_env(tmp_path, "zh_CN"), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode != 0
    assert f"端口 {port} 上监听" in " ".join(done.stderr.split())


def test_is_loopback() -> None:
    assert all(serve.is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"))
    assert not any(serve.is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.org"))


def test_listen_falls_back_only_for_the_default_port(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        monkeypatch.setattr(serve, "DEFAULT_PORT", taken)
        sock, moved = serve.listen("127.0.0.1", None)
        with sock:
            assert moved and sock.getsockname()[1] not in (taken, 0)
        with pytest.raises(UserError) as exc:
            serve.listen("127.0.0.1", taken)
        assert exc.value.key == "web.serve.port_in_use"


def test_url_for_wildcards_and_ipv6() -> None:
    assert serve.url_for("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert serve.url_for("::", 8001) == "http://[::1]:8001/"
    assert serve.url_for("[::1]", 8002) == "http://[::1]:8002/"
    assert serve.url_for("localhost", 8003) == "http://localhost:8003/"
