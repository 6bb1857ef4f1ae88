"""Worker processes on one port, each listening on a socket of its own.

uvicorn's ``--workers`` share one listening socket, and each worker's event loop accepts every
connection waiting on it at once: a burst of new keep-alive connections (a pool of clients, a
proxy opening its upstream connections) lands on whichever worker woke first, and the others
idle. Here each worker binds its own socket with ``SO_REUSEPORT`` on Linux, so that the kernel
spreads new connections over the workers evenly (by a hash of their addresses).

The supervisor starts the workers, starts a worker again when one dies, and on ``SIGINT`` or
``SIGTERM`` stops them all (each drains as uvicorn does) and returns. A worker that fails to
start (uvicorn's exit code 3: the app or its database did not come up) stops the others too, and
:func:`serve_workers` exits with its code: starting it again would fail again.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

STARTUP_FAILURE = 3
"""uvicorn's exit code when a server cannot start."""
STOP_SECONDS = 30
"""How long a stopping worker may take to finish its requests before it is killed."""
RESTART_PAUSE_SECONDS = 1.0

logger = logging.getLogger("uvicorn.error")


def balanced() -> bool:
    """Whether this system spreads connections over sockets sharing a port (Linux)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other workers' sockets may share (``SO_REUSEPORT``);
    it listens once its worker's server starts. ``OSError`` when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _refuse_taken(host: str, port: int) -> None:
    """``OSError`` when a socket already listens on ``host:port``, even one that would share it
    (another server's workers): a socket without ``SO_REUSEPORT`` cannot bind beside any."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    """One worker: its own socket, uvicorn's server on it.

    Once the app is built, what the worker has made so far (the imported modules, the fitted
    models: about 260,000 objects) is moved out of the garbage collector's view (``gc.freeze``):
    it lives as long as the worker, and each full collection would otherwise walk all of it
    again, taking about 130 ms of the worker's time while its requests wait."""
    config = uvicorn.Config(host=host, port=port, **options)
    config.load()
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run(sockets=[listener(host, port)])


class _Supervisor:
    def __init__(self, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
        self.arguments = (host, port, options)
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.count = workers
        self.stopping = threading.Event()
        self.exit_code = 0

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_worker, args=self.arguments, daemon=False)
        process.start()
        logger.info("Started worker process [%s]", process.pid)
        return process

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._stop)
        self.processes = [self._start() for _ in range(self.count)]
        while not self.stopping.wait(0.5):
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    logger.error("Worker [%s] could not start: stopping", process.pid)
                    self.exit_code = STARTUP_FAILURE
                    self.stopping.set()
                    break
                code = process.exitcode
                logger.warning("Worker [%s] exited (%s): starting another", process.pid, code)
                if self.stopping.wait(RESTART_PAUSE_SECONDS):
                    break
                self.processes[index] = self._start()
        self._stop_all()
        return self.exit_code

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve_workers(host: str, port: int, workers: int, **options: Any) -> None:
    """Serve ``options["app"]`` (uvicorn's options) on ``host:port`` with ``workers`` processes
    (one: this process), each on its own socket where the system balances them
    (:func:`balanced`), else with uvicorn's own workers on one shared socket. Returns once
    stopped; exits with code 3 when the port is taken or a worker could not start."""
    if not balanced():
        uvicorn.run(host=host, port=port, workers=workers, **options)
        return
    uvicorn.Config(host=host, port=port, **options)  # checks the options, sets up the logging
    try:
        _refuse_taken(host, port)
    except OSError as error:
        logger.error("cannot listen on %s:%s: %s", host, port, error)
        sys.exit(STARTUP_FAILURE)
    if workers == 1:
        _worker(host, port, options)
        return
    code = _Supervisor(host, port, workers, options).run()
    if code:
        sys.exit(code)
