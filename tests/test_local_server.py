"""The local Neo4j that flowatlas runs itself: start, status, stop, and its failure messages."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import psutil
import pytest

from graph import local_server
from graph.local_server import LocalServer, LocalServerError, find_java, find_maven
from graph.settings import LocalServerSettings, Settings
from tests.conftest import free_port


def local(settings: Settings) -> LocalServerSettings:
    if settings.local is None:
        pytest.skip("the tests run against an external server (FLOWATLAS_TEST_NEO4J_URI)")
    return settings.local


def test_status_of_running_server_names_pid_and_uri(neo4j_settings: Settings) -> None:
    status = LocalServer(local(neo4j_settings)).status()
    assert status.running
    assert status.pid is not None
    assert neo4j_settings.uri in status.message


def test_password_file_is_private(neo4j_settings: Settings) -> None:
    mode = stat.S_IMODE(os.stat(local(neo4j_settings).password_file).st_mode)
    assert mode == 0o600


def test_server_listens_on_loopback_only(neo4j_settings: Settings) -> None:
    pid = LocalServer(local(neo4j_settings)).pid()
    listening = [c for c in psutil.Process(pid).net_connections() if c.status == psutil.CONN_LISTEN]
    assert listening
    assert {c.laddr.ip for c in listening} <= {"127.0.0.1", "::ffff:127.0.0.1"}


def test_heap_is_set_explicitly_on_the_jvm(neo4j_settings: Settings) -> None:
    settings = local(neo4j_settings)
    cmdline = psutil.Process(LocalServer(settings).pid()).cmdline()
    assert f"-Xmx{settings.heap}" in cmdline


def test_stale_pid_file_reads_as_stopped_and_is_removed(tmp_path: Path) -> None:
    server = LocalServer(LocalServerSettings(tmp_path, free_port(), "1g", "128m"))
    server.pid_file.parent.mkdir(parents=True)
    server.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not a Neo4j of this home
    assert not server.status().running
    assert not server.pid_file.exists()


def test_start_refuses_a_port_taken_by_another_program(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        server = LocalServer(LocalServerSettings(tmp_path, port, "1g", "128m"))
        with pytest.raises(LocalServerError, match=f"port {port} .* FLOWATLAS_NEO4J_PORT"):
            server.start()


def test_stop_when_not_running_says_so(tmp_path: Path) -> None:
    assert (
        LocalServer(LocalServerSettings(tmp_path, free_port(), "1g", "128m")).stop().message
        == "not running"
    )


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_server, "_java_major_version", lambda java: 11)
    with pytest.raises(LocalServerError, match="apt-get install openjdk-17-jre-headless"):
        find_java()


def test_missing_maven_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(LocalServerError, match="apt-get install maven"):
        find_maven()


def test_java_17_is_preferred_to_a_newer_unsupported_java(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert local_server._java_major_version(find_java()) in local_server.SUPPORTED_JAVA


def test_new_passwords_never_look_like_an_option_to_the_admin_tool():
    passwords = {local_server.new_password() for _ in range(2000)}
    assert len(passwords) == 2000
    assert not [p for p in passwords if p.startswith("-")]
    assert all(len(p) >= 32 for p in passwords)
