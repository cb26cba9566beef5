"""The workbench in a real browser, for tests, benchmarks and screenshots (development only).

:func:`streamlit_server` starts ``streamlit run`` on a free loopback port, waits for its health
endpoint and stops it at the end; :data:`QUIET_JS` is the page-side test that Streamlit has been
idle (no status widget) for a given number of milliseconds.  Used by ``tests/test_browser.py``,
``bench/page.py``, ``bench/load.py`` and ``tools/screenshots.py``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUIET_JS = """(ms) => {
    const now = performance.now();
    if (document.querySelector('[data-testid=stStatusWidget]')) { window.__bsQuietSince = null; return false; }
    if (window.__bsQuietSince == null) window.__bsQuietSince = now;
    return now - window.__bsQuietSince >= ms;
}"""


class ServerError(RuntimeError):
    """The server exited early or did not answer its health endpoint in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: object  # a temporary file with the server's output (a file, not a pipe nobody reads)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def start_streamlit(app: Path = ROOT / "app.py", env: dict | None = None, timeout: float = 90,
                    poll: float = 0.3) -> Server:
    """``streamlit run app`` on a free loopback port, answering its health endpoint (else ServerError)."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = tempfile.TemporaryFile()  # a full pipe would stall the server
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ | (env or {}))
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            out = server.output()
            server.stop()
            raise ServerError(f"streamlit exited early ({proc.returncode}):\n{out}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise ServerError(f"streamlit did not answer its health endpoint within {timeout:.0f} s")
        time.sleep(poll)


@contextlib.contextmanager
def streamlit_server(app: Path = ROOT / "app.py", env: dict | None = None, timeout: float = 90,
                     poll: float = 0.3):
    """:func:`start_streamlit` as a context: yields the :class:`Server`, stops it at the end."""
    server = start_streamlit(app, env, timeout, poll)
    try:
        yield server
    finally:
        server.stop()
