"""Real servers for the reliability tests: ``patentval serve`` in a process group of its own, on
a free loopback port, its output in a file (a pipe nobody reads would fill and stall it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_SECONDS = 120
"""Workers import the valuation stack before they answer; a busy machine makes that slow."""


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    """The resident memory of process ``pid`` in KiB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """The ids of the processes whose parent is ``pid``."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in listed.split()]


@dataclass
class Server:
    """A running ``patentval serve`` and where it answers."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
        """What the server printed (its last 4,000 characters)."""
        return self.log.read_text(errors="replace")[-4000:]

    def pids(self) -> list[int]:
        """The supervisor and its workers."""
        return [self.process.pid, *children(self.process.pid)]

    def kill(self) -> None:
        """SIGKILL the whole process group: supervisor and workers, mid-request."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL when it does not stop within 20 s)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass


def start(
    database_url: str,
    log: Path,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    ready_workers: int | None = None,
) -> Server:
    """Start ``patentval serve`` on ``database_url`` and wait until it answers (and, with
    ``ready_workers``, until that many workers have answered)."""
    port = free_port()
    command = Path(sys.executable).parent / "patentval"
    environment = {**os.environ, "PATENTVAL_ENVIRONMENT": "test", **(env or {})}
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                str(command),
                *("serve", "--port", str(port), "--workers", str(workers)),
                *("--database-url", database_url),
            ],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    wanted = ready_workers or 1
    seen: set[int] = set()
    deadline = time.monotonic() + STARTUP_SECONDS
    while len(seen) < wanted:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.output()}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"the server did not answer in {STARTUP_SECONDS} s:\n{server.output()}"
            )
        try:
            with httpx.Client(timeout=5) as fresh:  # a new connection may reach another worker
                seen.add(fresh.get(f"{server.base}/health").json()["worker"])
        except httpx.TransportError:
            time.sleep(0.2)
    return server
