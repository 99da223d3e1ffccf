"""Find the API spec files under the paths a user gives and read each one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.asyncapi import read_asyncapi
from ingest.openapi import ApiSpec, read_openapi
from ingest.spec_files import SpecFileError

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class SpecRun:
    specs: list[ApiSpec] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # files that could not be read at all
    skipped: list[str] = field(default_factory=list)  # files that are not specs of this kind


def read_openapi_paths(paths: Iterable[Path], *, system: str | None = None) -> SpecRun:
    return _read(paths, "openapi", lambda f, root: read_openapi(f, system=system, root=root))


def read_asyncapi_paths(
    paths: Iterable[Path], *, system: str | None = None, broker: str | None = None
) -> SpecRun:
    def reader(f: Path, root: Path) -> ApiSpec:
        return read_asyncapi(f, system=system, broker=broker, root=root)

    return _read(paths, "asyncapi", reader)


def _read(paths, kind: str, reader: Callable[[Path, Path], ApiSpec]) -> SpecRun:
    run = SpecRun()
    for path, root, explicit in _candidates(paths):
        try:
            run.specs.append(reader(path, root))
        except SpecFileError as e:
            # In a folder, schema files that specs reference are not specs themselves.
            if not explicit and "not an" in str(e):
                run.skipped.append(str(path))
            else:
                run.failed.append(str(e))
    return run


def _candidates(paths) -> Iterable[tuple[Path, Path, bool]]:
    for path in map(Path, paths):
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.suffix.lower() in SPEC_SUFFIXES):
                yield found, path, False
        else:
            yield path, path.parent, True
