"""What every benchmark shares: a private server, the machine's description, results files."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psutil

from graph.connection import open_driver, verify_credentials
from graph.local_server import LocalServer, neo4j_version
from graph.settings import LocalServerSettings, Settings
from tests.conftest import free_port

RESULTS = Path(__file__).resolve().parents[2] / "bench-results"

HEAP_POOLS = """
CALL dbms.queryJmx('java.lang:type=MemoryPool,name=*') YIELD attributes
WITH attributes WHERE attributes.Type.value = 'HEAP'
RETURN sum(attributes.PeakUsage.value.properties.used) AS peak
"""


@contextmanager
def bench_server(home: Path, heap: str, pagecache: str) -> Iterator[tuple[LocalServer, Settings]]:
    local = LocalServerSettings(home=home, bolt_port=free_port(), heap=heap, pagecache=pagecache)
    server = LocalServer(local)
    server.start(password_check=lambda uri, pw: verify_credentials(uri, "neo4j", pw))
    settings = Settings(local.uri, "neo4j", local.password_file.read_text().strip(), None, local)
    try:
        yield server, settings
    finally:
        server.stop()


def neo4j_memory(server: LocalServer, settings: Settings) -> dict[str, float]:
    """The JVM's configured heap, the heap pools' peak use, and the process's peak RSS."""
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(HEAP_POOLS)
    peak_heap = records[0]["peak"] if records else None
    status = Path(f"/proc/{server.pid()}/status").read_text()
    hwm_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return {
        "neo4j_heap_max": server.settings.heap,
        "neo4j_heap_peak_mb": round(peak_heap / 2**20) if peak_heap else None,
        "neo4j_rss_peak_mb": round(hwm_kb / 1024),
    }


def machine_description() -> dict[str, str | int]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "neo4j": neo4j_version(),
        "neo4j_driver": version("neo4j"),
        "neo4j_rust_ext": _installed("neo4j-rust-ext"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def settings_from_json(data: dict) -> Settings:
    return Settings(data["uri"], data["user"], data["password"], data["database"], None)


def write_results(name: str, results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}")
    return path


def _installed(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "not installed"
