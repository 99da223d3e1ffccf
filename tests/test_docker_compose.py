"""docker-compose.yml and the Dockerfile, checked as files (no Docker engine is needed).

Each rule is a small checker that returns the problems it finds, so the same function is run
on the real file and, in the negative tests, on broken examples it must reject.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

LOCAL_HOSTS = {"127.0.0.1", "::1", "[::1]"}

# A reference to a variable, with no fallback value that could be a literal secret:
# ${VAR}, ${VAR:?message}, ${VAR?message}, $VAR, and their $$ forms (expanded in the container).
_REFERENCE = re.compile(
    r"""^["']?\$\$?(\{[A-Za-z_]\w*(#[^}]*)?(:?\?[^}]*)?\}|[A-Za-z_]\w*)["']?$"""
)
_ENV_ITEM = re.compile(r"^([A-Za-z_]\w*)=(.*)$", re.DOTALL)
_SHELL_ASSIGNMENT = re.compile(r"\b(\w*PASSWORD\w*|NEO4J_AUTH)=(\S+)", re.IGNORECASE)
_COMPOSE_EXPRESSION = re.compile(r"\$\$|\$\{([^}]*)\}")
# What Compose can interpolate: a name, optionally with :-, -, :?, ?, :+ or +.
_COMPOSE_SYNTAX = re.compile(r"^[A-Za-z_]\w*(:?[-?+].*)?$", re.DOTALL)


# --- reading ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def neo4j(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]["neo4j"]


@pytest.fixture(scope="module")
def app(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]["app"]


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose.get("services") or {}


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of Compose's two forms it uses."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {key: "" if value is None else str(value) for key, value in env.items()}
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)


def command_line(command: str | list[str]) -> str:
    return command if isinstance(command, str) else " ".join(command)


def _scalars(node: Any, key: str | None = None) -> Iterator[tuple[str | None, str]]:
    """Every string in the file with the mapping key it is the value of (None in lists)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _scalars(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _scalars(item)
    elif isinstance(node, str):
        yield key, node


# --- checkers: each returns the problems it finds --------------------------------------


def literal_passwords(compose: dict[str, Any]) -> list[str]:
    """Passwords written into the file instead of referenced from the environment."""
    problems = []
    for key, value in _scalars(compose):
        item = _ENV_ITEM.match(value) if key is None else None
        if item:
            key, value = item.groups()
        if key and "password" in key.lower() and not _REFERENCE.match(value):
            problems.append(f"{key}: {value!r} is not a ${{...}} reference")
        if key == "NEO4J_AUTH" and not _auth_is_referenced(value):
            problems.append(f"NEO4J_AUTH: {value!r} does not reference the password")
        for name, assigned in _SHELL_ASSIGNMENT.findall(value):
            if name != key and not _REFERENCE.match(assigned):
                problems.append(f"{value!r} assigns {name} a literal")
        problems.extend(_password_options(value))
    return problems


def _auth_is_referenced(value: str) -> bool:
    user, _, password = value.partition("/")
    return value == "none" or bool(user and _REFERENCE.match(password))


def _password_options(line: str) -> list[str]:
    try:
        tokens = shlex.split(line)
    except ValueError:
        tokens = line.split()
    problems = []
    for option, argument in zip(tokens, [*tokens[1:], ""], strict=True):
        if option in ("-p", "--password"):
            value = argument
        elif option.startswith("--password="):
            value = option.partition("=")[2]
        elif option.startswith("-p") and not option.startswith("--"):
            value = option[2:]
        else:
            continue
        if not _REFERENCE.match(value):
            problems.append(f"{line!r} passes a literal password")
    return problems


def public_ports(compose: dict[str, Any]) -> list[str]:
    """Ports published on anything but the loopback interface."""
    problems = []
    for name, service in services(compose).items():
        if service.get("network_mode") == "host":
            problems.append(f"{name} shares the host's network")
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                host = port.get("host_ip")
            else:
                parts = str(port).split("/")[0].rsplit(":", 2)
                host = parts[0] if len(parts) == 3 else None
            if host not in LOCAL_HOSTS:
                problems.append(f"{name} publishes {port!r} beyond 127.0.0.1")
    return problems


def volume_problems(compose: dict[str, Any]) -> list[str]:
    """Named volumes used but not declared, or declared but not used."""
    declared = set(compose.get("volumes") or {})
    used: set[str] = set()
    for service in services(compose).values():
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                source = volume.get("source") if volume.get("type") == "volume" else None
            else:
                source = volume.split(":")[0] if ":" in volume else None
            if source and not source.startswith(("/", ".", "~", "$")):
                used.add(source)
    return [f"volume {v} is used but not declared" for v in sorted(used - declared)] + [
        f"volume {v} is declared but not used" for v in sorted(declared - used)
    ]


def unhealthy_waits(compose: dict[str, Any]) -> list[str]:
    """Dependencies that do not wait until the service they need is healthy."""
    problems = []
    all_services = services(compose)
    for name, service in all_services.items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, list):
            depends_on = {dependency: {} for dependency in depends_on}
        for dependency, options in depends_on.items():
            if (options or {}).get("condition") != "service_healthy":
                problems.append(f"{name} does not wait for {dependency} to be healthy")
            healthcheck = all_services.get(dependency, {}).get("healthcheck") or {}
            if not healthcheck.get("test") or healthcheck.get("disable"):
                problems.append(f"{dependency} has no healthcheck for {name} to wait on")
    return problems


def bad_interpolations(compose: dict[str, Any]) -> list[str]:
    """${...} expressions Compose cannot expand (shell syntax meant for the container needs $$)."""
    problems = []
    for _, value in _scalars(compose):
        for match in _COMPOSE_EXPRESSION.finditer(value):
            if match.group(0) != "$$" and not _COMPOSE_SYNTAX.match(match.group(1)):
                problems.append(f"{match.group(0)!r} in {value!r} is not Compose syntax")
    return problems


def host_expansions_in_healthchecks(compose: dict[str, Any]) -> list[str]:
    """Healthchecks that Compose would fill in from the host instead of the container."""
    problems = []
    for name, service in services(compose).items():
        test = (service.get("healthcheck") or {}).get("test") or []
        for part in [test] if isinstance(test, str) else test:
            if "$" in part.replace("$$", ""):
                problems.append(f"{name}'s healthcheck expands {part!r} on the host")
    return problems


def misread_neo4j_settings(service: dict[str, Any]) -> list[str]:
    """Variables the Neo4j image would turn into (unknown) settings and refuse to start on.

    The image maps NEO4J_server_memory_heap_max__size to server.memory.heap.max_size; a
    NEO4J_PASSWORD would become a setting named PASSWORD.
    """
    problems = ["an env_file passes on every variable in it"] if "env_file" in service else []
    controls = {"NEO4J_AUTH", "NEO4J_AUTH_PATH", "NEO4J_PLUGINS", "NEO4J_ACCEPT_LICENSE_AGREEMENT"}
    for key in environment(service):
        if key.startswith("NEO4J_") and key not in controls and not key[6:7].islower():
            problems.append(f"{key} is not a Neo4j setting")
    return problems


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def whole_context_copies(text: str) -> list[str]:
    """COPY/ADD lines that would take everything, a local .env included, into the image."""
    problems = []
    for instruction, arguments in dockerfile_instructions(text):
        if instruction in ("COPY", "ADD"):
            sources = [a for a in arguments.split() if not a.startswith("--")][:-1]
            if any(s in (".", "./", "*", "./*") or s.startswith(".env") for s in sources):
                problems.append(f"{instruction} {arguments}")
    return problems


# --- the real file ---------------------------------------------------------------------


def test_compose_defines_neo4j_and_app(compose):
    assert set(services(compose)) == {"neo4j", "app"}


def test_neo4j_runs_the_pinned_community_image(neo4j):
    assert neo4j["image"] == "neo4j:5.26-community"


def test_neo4j_is_healthy_only_when_a_query_succeeds(neo4j):
    test = neo4j["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert "cypher-shell" in test[1]
    assert "RETURN 1" in test[1]


def test_healthcheck_reads_the_password_inside_the_container(compose):
    assert host_expansions_in_healthchecks(compose) == []


def test_neo4j_memory_is_configured(neo4j):
    env = environment(neo4j)
    for setting in (
        "NEO4J_server_memory_heap_initial__size",
        "NEO4J_server_memory_heap_max__size",
        "NEO4J_server_memory_pagecache_size",
    ):
        assert env.get(setting), setting


def test_neo4j_gets_no_variable_it_would_misread_as_a_setting(neo4j):
    assert misread_neo4j_settings(neo4j) == []


def test_neo4j_keeps_data_and_logs_in_named_volumes(neo4j):
    mounts = {target: source for source, target, *_ in (v.split(":") for v in neo4j["volumes"])}
    assert mounts == {"/data": "neo4j_data", "/logs": "neo4j_logs"}


def test_named_volumes_are_declared_and_used(compose):
    assert volume_problems(compose) == []


def test_app_is_built_from_the_dockerfile(app):
    assert app["build"] in (".", {"context": "."})


def test_app_uses_the_neo4j_service(app):
    env = environment(app)
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert {"NEO4J_USER", "NEO4J_PASSWORD"} <= set(env)


def test_app_waits_for_a_healthy_neo4j(compose, app):
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert unhealthy_waits(compose) == []


def test_app_initialises_loads_the_demo_then_serves(app):
    line = command_line(app["command"])
    steps = ["flowatlas init", "flowatlas demo", "streamlit run app.py"]
    assert all(step in line for step in steps), line
    assert [line.index(step) for step in steps] == sorted(line.index(step) for step in steps)
    for option in ("--server.address 0.0.0.0", "--server.port 8501", "--server.headless true"):
        assert option in line


def test_app_is_published_on_port_8501(app):
    assert "127.0.0.1:8501:8501" in app["ports"]


def test_ports_are_bound_to_localhost_only(compose):
    assert public_ports(compose) == []


def test_no_password_is_written_in_the_file(compose):
    assert literal_passwords(compose) == []


def test_password_is_required_from_the_environment(neo4j, app):
    assert ":?" in environment(neo4j)["NEO4J_AUTH"]
    assert ":?" in environment(app)["NEO4J_PASSWORD"]


def test_interpolations_are_compose_syntax(compose):
    assert bad_interpolations(compose) == []


def test_image_is_python_without_java():
    instructions = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert not any(re.search(r"java|jdk|jre", args, re.I) for _, args in instructions)


def test_image_installs_the_project():
    instructions = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    assert any(i == "RUN" and re.search(r"pip install \.(\s|$)", a) for i, a in instructions)


def test_image_never_copies_the_whole_build_context():
    assert whole_context_copies(DOCKERFILE.read_text(encoding="utf-8")) == []


# --- the checkers reject broken files --------------------------------------------------


def _compose_with(**service: Any) -> dict[str, Any]:
    return {"services": {"neo4j": {"image": "neo4j"}, "app": service}}


@pytest.mark.parametrize(
    "service",
    [
        {"environment": {"NEO4J_PASSWORD": "hunter22"}},
        {"environment": ["NEO4J_PASSWORD=hunter22"]},
        {"environment": {"NEO4J_PASSWORD": "${NEO4J_PASSWORD:-hunter22}"}},
        {"environment": {"NEO4J_AUTH": "neo4j/hunter22"}},
        {"environment": ["NEO4J_AUTH=neo4j/hunter22"]},
        {"healthcheck": {"test": ["CMD-SHELL", "cypher-shell -u neo4j -p hunter22 'RETURN 1'"]}},
        {"healthcheck": {"test": "cypher-shell --password=hunter22 'RETURN 1'"}},
        {"command": "sh -c 'NEO4J_PASSWORD=hunter22 flowatlas init'"},
    ],
)
def test_literal_password_is_caught(service):
    assert literal_passwords(_compose_with(**service))


@pytest.mark.parametrize(
    "ports",
    [["8501:8501"], ["0.0.0.0:8501:8501"], ["8501"], [8501], [{"target": 8501, "published": 8501}]],
)
def test_public_port_is_caught(ports):
    assert public_ports(_compose_with(ports=ports))


def test_host_network_is_caught():
    assert public_ports(_compose_with(network_mode="host"))


HEALTHY = {"healthcheck": {"test": ["CMD", "true"]}}
DATA_VOLUME = {"type": "volume", "source": "neo4j_data", "target": "/data"}


@pytest.mark.parametrize(
    ("mounts", "declared"),
    [(["neo4j_data:/data"], None), ([DATA_VOLUME], None), ([], {"neo4j_data": None})],
)
def test_undeclared_or_unused_volume_is_caught(mounts, declared):
    compose = {"services": {"neo4j": {"volumes": mounts}}, "volumes": declared}
    assert volume_problems(compose)


@pytest.mark.parametrize(
    ("depends_on", "neo4j_service"),
    [
        (["neo4j"], HEALTHY),
        ({"neo4j": {"condition": "service_started"}}, HEALTHY),
        ({"neo4j": {"condition": "service_healthy"}}, {}),
    ],
)
def test_wait_without_health_is_caught(depends_on, neo4j_service):
    compose = {"services": {"neo4j": neo4j_service, "app": {"depends_on": depends_on}}}
    assert unhealthy_waits(compose)


def test_shell_syntax_left_to_compose_is_caught():
    test = ["CMD-SHELL", "cypher-shell -p \"${NEO4J_AUTH#*/}\" 'RETURN 1'"]
    assert bad_interpolations(_compose_with(healthcheck={"test": test}))


def test_healthcheck_expanded_on_the_host_is_caught():
    test = ["CMD-SHELL", "cypher-shell -p \"${NEO4J_PASSWORD}\" 'RETURN 1'"]
    assert host_expansions_in_healthchecks(_compose_with(healthcheck={"test": test}))


@pytest.mark.parametrize(
    "service",
    [
        {"env_file": ".env"},
        {"environment": {"NEO4J_PASSWORD": "${NEO4J_PASSWORD}"}},
        {"environment": ["NEO4J_URI=bolt://neo4j:7687"]},
    ],
)
def test_variable_neo4j_would_misread_is_caught(service):
    assert misread_neo4j_settings(service)


@pytest.mark.parametrize("line", ["COPY . .", "COPY ./ /app/", "ADD . /app", "COPY .env ./"])
def test_copy_of_the_whole_context_is_caught(line):
    assert whole_context_copies(f"FROM python:3.11-slim\n{line}\n")
