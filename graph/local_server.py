"""Runs Neo4j Community on this machine without Docker, from Maven Central artifacts.

Maven resolves the server's runtime class path once (the jars stay in Maven's local
repository, so later starts need no network); the JVM then runs Neo4j's own entry point
against a home folder under ``FLOWATLAS_HOME`` that holds config, data, logs and the
generated password (mode 0600). Bolt listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from graph.settings import LocalServerSettings

POM = Path(__file__).with_name("neo4j_dist") / "pom.xml"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_ENTRY_POINT = "org.neo4j.server.startup.Neo4jAdminBoot"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
SUPPORTED_JAVA = (17, 21)
# Neo4j's own launcher passes these; the entry point needs them on Java 17+.
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Dfile.encoding=UTF-8",
)


def new_password() -> str:
    """A random password for a new local server: hex, because the admin tool would read a
    URL-safe token that starts with "-" (one in 64) as an option and refuse to start."""
    return secrets.token_hex(24)


class LocalServerError(RuntimeError):
    """An expected failure with a message meant for the user (no stack trace needed)."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    uri: str
    message: str


def neo4j_version() -> str:
    match = re.search(r"<neo4j.version>([^<]+)</neo4j.version>", POM.read_text(encoding="utf-8"))
    if not match:
        raise LocalServerError(f"{POM} does not pin <neo4j.version>")
    return match.group(1)


class LocalServer:
    """One Neo4j instance living in ``settings.home / "neo4j"``."""

    def __init__(self, settings: LocalServerSettings) -> None:
        self.settings = settings
        self.root = settings.home / "neo4j"
        self.conf_dir = self.root / "conf"
        self.pid_file = self.root / "run" / "flowatlas-neo4j.pid"
        self.console_log = self.root / "logs" / "console.log"

    # -- queries -------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The pid of our running server, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if self._is_our_process(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def status(self) -> ServerStatus:
        pid = self.pid()
        uri = self.settings.uri
        if pid is None:
            return ServerStatus(False, None, uri, f"stopped (home {self.root})")
        if _port_open(self.settings.bolt_port):
            return ServerStatus(True, pid, uri, f"running, pid {pid}, Bolt on {uri}")
        return ServerStatus(True, pid, uri, f"starting, pid {pid}, Bolt not yet open on {uri}")

    # -- start / stop --------------------------------------------------------------------

    def start(self, timeout: float = 180.0, password_check=None) -> ServerStatus:
        """Start the server (a no-op when it already runs) and wait until Bolt answers.

        ``password_check(uri, password)`` is called until it returns without raising; the
        CLI passes a driver ``verify_connectivity`` so "started" means "answers queries".
        """
        if (pid := self.pid()) is not None:
            return ServerStatus(True, pid, self.settings.uri, f"already running, pid {pid}")
        if _port_open(self.settings.bolt_port) and not _port_frees_up(self.settings.bolt_port):
            raise LocalServerError(
                f"port {self.settings.bolt_port} on 127.0.0.1 is taken by another program; "
                "stop it or set FLOWATLAS_NEO4J_PORT to a free port"
            )
        java = find_java()
        classpath = resolve_classpath(cache_dir())
        self._prepare_dirs()
        self._write_config()
        password = self._ensure_password(java, classpath)
        process = self._spawn(java, classpath)
        self._wait_until_answering(process, password, timeout, password_check)
        return ServerStatus(True, process.pid, self.settings.uri, f"started, pid {process.pid}")

    def stop(self, timeout: float = 60.0) -> ServerStatus:
        pid = self.pid()
        if pid is None:
            return ServerStatus(False, None, self.settings.uri, "not running")
        process = psutil.Process(pid)
        process.send_signal(signal.SIGTERM)  # Neo4j checkpoints and closes stores on TERM
        try:
            process.wait(timeout=timeout)
            message = f"stopped, pid {pid}"
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            message = f"did not stop within {timeout:.0f} s after SIGTERM; killed pid {pid}"
        self.pid_file.unlink(missing_ok=True)
        return ServerStatus(False, None, self.settings.uri, message)

    # -- internals -----------------------------------------------------------------------

    def _is_our_process(self, pid: int) -> bool:
        try:
            process = psutil.Process(pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
            cmdline = process.cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False
        return ENTRY_POINT in cmdline and f"--home-dir={self.root}" in cmdline

    def _prepare_dirs(self) -> None:
        for name in ("conf", "data", "logs", "run", "plugins", "import"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def _write_config(self) -> None:
        s = self.settings
        lines = [
            "# Written by `flowatlas neo4j start` on every start; edit FLOWATLAS_NEO4J_* instead.",
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{s.bolt_port}",
            "server.http.enabled=false",
            "server.https.enabled=false",
            f"server.memory.pagecache.size={s.pagecache}",
            f"server.memory.heap.initial_size={s.heap}",
            f"server.memory.heap.max_size={s.heap}",
            "db.tx_log.rotation.retention_policy=2 files",
            "dbms.usage_report.enabled=false",
        ]
        for name in ("data", "logs", "run", "plugins", "import"):
            lines.append(f"server.directories.{name}={self.root / name}")
        (self.conf_dir / "neo4j.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _ensure_password(self, java: Path, classpath: str) -> str:
        password_file = self.settings.password_file
        initialised = (self.root / "data" / "dbms").exists()
        if password_file.exists():
            return password_file.read_text(encoding="utf-8").strip()
        if initialised:
            raise LocalServerError(
                f"the local database in {self.root / 'data'} exists but its password file "
                f"{password_file} is missing; delete {self.root} to start afresh"
            )
        password = new_password()
        result = subprocess.run(
            [
                str(java),
                "-cp",
                classpath,
                ADMIN_ENTRY_POINT,
                "dbms",
                "set-initial-password",
                password,
            ],
            env={**os.environ, "NEO4J_HOME": str(self.root), "NEO4J_CONF": str(self.conf_dir)},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise LocalServerError(
                "setting the initial Neo4j password failed: "
                + _last_lines(result.stderr or result.stdout)
            )
        password_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        return password

    def _spawn(self, java: Path, classpath: str) -> subprocess.Popen:
        argfile = self.root / "run" / "jvm-classpath.args"
        argfile.write_text(f'-cp "{classpath}"\n', encoding="utf-8")
        heap = self.settings.heap
        command = [
            str(java),
            f"-Xms{heap}",
            f"-Xmx{heap}",  # heap settings in neo4j.conf are ignored on this start path
            *JVM_FLAGS,
            f"@{argfile}",
            ENTRY_POINT,
            f"--home-dir={self.root}",
            f"--config-dir={self.conf_dir}",
            "--console-mode",
        ]
        log = open(self.console_log, "ab")  # noqa: SIM115 - handed to the child process
        process = subprocess.Popen(
            command,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the CLI that started it
        )
        log.close()
        self.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
        return process

    def _wait_until_answering(self, process, password: str, timeout: float, password_check) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LocalServerError(
                    f"Neo4j exited with code {process.returncode} while starting; "
                    f"last lines of {self.console_log}:\n{_last_lines(self._console_tail())}"
                )
            if _port_open(self.settings.bolt_port):
                if password_check is None:
                    return
                try:
                    password_check(self.settings.uri, password)
                    return
                except Exception as error:  # not ready yet: keep polling until the deadline
                    last_error = error
            time.sleep(0.5)
        reason = f" (last error: {last_error})" if last_error else ""
        raise LocalServerError(
            f"Neo4j did not answer on {self.settings.uri} within {timeout:.0f} s{reason}; "
            f"it is still running as pid {process.pid}, see {self.console_log}"
        )

    def _console_tail(self) -> str:
        try:
            return self.console_log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


def find_java() -> Path:
    """A Java that Neo4j 5 supports: $JAVA_HOME, then Debian's JDK 17, then ``java`` on PATH."""
    candidates = []
    if java_home := os.environ.get("JAVA_HOME"):
        candidates.append(Path(java_home) / "bin" / "java")
    candidates += sorted(Path("/usr/lib/jvm").glob("*17*/bin/java"))
    candidates += sorted(Path("/usr/lib/jvm").glob("*21*/bin/java"))
    if on_path := shutil.which("java"):
        candidates.append(Path(on_path))
    seen: list[str] = []
    for java in candidates:
        version = _java_major_version(java)
        if version in SUPPORTED_JAVA:
            return java
        if version is not None:
            seen.append(f"{java} is Java {version}")
    found = f" (found: {'; '.join(seen)})" if seen else ""
    raise LocalServerError(
        "Neo4j 5 needs Java 17 or 21 and none was found"
        f"{found}. Install it with: apt-get install openjdk-17-jre-headless "
        "(or set JAVA_HOME to a Java 17 installation)"
    )


def find_maven() -> Path:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalServerError(
            "Maven is needed once to download Neo4j from Maven Central and was not found. "
            "Install it with: apt-get install maven"
        )
    return Path(mvn)


def cache_dir() -> Path:
    """Shared by every instance (a test server too), so Maven runs once per machine."""
    if explicit := os.environ.get("FLOWATLAS_CACHE"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flowatlas"


def resolve_classpath(cache_dir: Path) -> str:
    """The server's runtime class path, cached per pom content; Maven runs only when the
    cache is missing or a jar has gone from Maven's local repository."""
    pom_digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    cache = cache_dir / f"neo4j-{neo4j_version()}-{pom_digest}.classpath"
    if cache.exists():
        classpath = cache.read_text(encoding="utf-8").strip()
        if classpath and all(Path(jar).exists() for jar in classpath.split(os.pathsep)):
            return classpath
    cache_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            str(find_maven()),
            "-B",
            "-q",
            "-f",
            str(POM),
            f"{DEPENDENCY_PLUGIN}:build-classpath",
            "-Dmdep.includeScope=runtime",
            f"-Dmdep.outputFile={cache}",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "JAVA_HOME": str(find_java().resolve().parent.parent)},
    )
    if result.returncode != 0 or not cache.exists():
        raise LocalServerError(
            f"Maven could not resolve Neo4j {neo4j_version()} from Maven Central "
            f"(is the registry reachable?):\n{_last_lines(result.stdout + result.stderr)}"
        )
    return cache.read_text(encoding="utf-8").strip()


def _java_major_version(java: Path) -> int | None:
    try:
        result = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', result.stderr + result.stdout)
    return int(match.group(1)) if match else None


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _port_frees_up(port: int, seconds: float = 10.0) -> bool:
    """A server that just died may hold its port for a moment."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _port_open(port):
            return True
        time.sleep(0.25)
    return False


def _last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-count:])
