"""What a bench run ran on: CPU, memory, library versions and load, for its figures' header."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    """The machine and library versions a run measured, and the load average at its start."""

    def version(pkg: str) -> str | None:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return None

    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), None)
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_mb": mem,
            "python": platform.python_version(), "platform": platform.platform(),
            "torch": version("torch"), "onnxruntime": version("onnxruntime"),
            "chromadb": version("chromadb"), "sentence_transformers":
            version("sentence-transformers"), "date": time.strftime("%Y-%m-%d %H:%M"),
            "loadavg_start": round(os.getloadavg()[0], 2)}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
