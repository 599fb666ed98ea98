"""Serving the Streamlit app: the one command line of `noac serve`, `noac demo`, the browser
tests and the dashboard benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from noac.errors import NoacError

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def command(script: Path, port: int, *, background: bool = False) -> list[str]:
    """``streamlit run script`` on ``port``. The forced garbage collection Streamlit runs
    after every script run is off: with a plant's dashboard in memory it held every rerun
    back by a tenth of a second or more, and Python's own collector still runs.
    ``background``: headless on 127.0.0.1 and not watching the source files."""
    line = [
        *(sys.executable, "-m", "streamlit", "run", str(script)),
        *("--server.port", str(port), "--client.toolbarMode", "viewer"),
        *("--browser.gatherUsageStats", "false", "--runner.postScriptGC", "false"),
    ]
    if background:
        line += [
            *("--server.headless", "true", "--server.address", "127.0.0.1"),
            *("--server.fileWatcherType", "none"),
        ]
    return line


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(script: Path, url: str, peak: list[float] | None = None) -> Iterator[str]:
    """``script`` served in the background on the database ``url`` on a free port; yield its
    address once it answers. The server's peak resident memory (MB) is appended to ``peak``
    when it stops."""
    port = free_port()
    process = subprocess.Popen(
        command(script, port, background=True),
        env=os.environ | {"NOAC_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise NoacError(f"{script.name} did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        high = _peak_kb(process.pid)
        process.terminate()
        _, _, usage = os.wait4(process.pid, 0)
        if peak is not None:
            peak.append((high or usage.ru_maxrss) / 1024)


def _peak_kb(pid: int) -> int | None:
    """The process's peak resident memory in kB as Linux counts it since the server started
    (``VmHWM``); the child's own ``ru_maxrss`` also counts the parent's memory it was forked
    with, which a bench holding a million rows made the server's figure."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return int(line.split()[1]) if line else None
