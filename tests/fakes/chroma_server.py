"""A real Chroma server for tests: ``chroma run`` on a free loopback port.

Starts in about a second; a module shares one (see tests/test_chroma_server.py). The server's
output goes to a log file beside its data, shown when it fails to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMA = str(Path(sys.executable).parent / "chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ChromaServer:
    """A running ``chroma run``; ``url`` is what ``CAREERBOT_CHROMA_URL`` takes."""

    path: Path
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_chroma(path: Path, timeout: float = 60.0, attempts: int = 3) -> ChromaServer:
    """Start a server over ``path`` and wait for its heartbeat (retrying if the port was taken)."""
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    for _ in range(attempts):
        port = free_port()
        log = path.parent / f"chroma-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [CHROMA, "run", "--path", str(path), "--port", str(port), "--host", "127.0.0.1"],
                stdout=out, stderr=subprocess.STDOUT, env=env)
        server = ChromaServer(path=path, port=port, proc=proc, log=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if server.alive():
                return server
            time.sleep(0.1)
        server.stop()
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"chroma run did not answer its heartbeat on {path}:\n{tail}")


@contextmanager
def chroma_server(path: Path) -> Iterator[ChromaServer]:
    server = start_chroma(path)
    try:
        yield server
    finally:
        server.stop()
