"""Safe loading of API spec documents and their ``$ref``s.

A spec may span files (``$ref: ./schemas/order.yaml#/Order``). References are resolved
with the ``referencing`` library; retrieval is limited to files inside the spec's own
folder: URLs and paths that leave the folder are refused, never fetched. YAML with more
aliases than any real spec has (the "billion laughs" attack) or with non-standard tags is
refused, and so is a file over the size limit. Every refusal is one ``SpecFileError`` line
naming the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import yaml
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_YAML_ALIASES = 10_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecFileError(ValueError):
    """A document that cannot be used at all; the message names the file."""


@dataclass
class SpecDocuments:
    """The documents of one spec: the entry file and every file its ``$ref``s reach."""

    root: Path  # the folder references may not leave
    entry: Path
    documents: dict[str, object] = field(default_factory=dict)  # file URI -> parsed content
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def __post_init__(self) -> None:
        # (ref, base URI) -> resolve()'s answer: a large spec writes the same few hundred
        # references tens of thousands of times, and documents do not change while read.
        self._resolved: dict[tuple[str, str], tuple[str, object]] = {}
        self.registry = Registry(retrieve=self._retrieve)
        self.entry_uri = self.entry.resolve().as_uri()
        self.document = self.load(self.entry_uri)
        self.registry = self.registry.with_resource(self.entry_uri, Resource.opaque(self.document))

    def load(self, uri: str) -> object:
        if uri not in self.documents:
            path = self._local_path(uri)
            raw = read_limited(path)
            self.digest.update(uri.encode() + b"\0" + raw)
            self.documents[uri] = parse_document(path, raw)
        return self.documents[uri]

    def resolve(self, ref: str, base_uri: str) -> tuple[str, object]:
        """(absolute URI with fragment, target) of ``ref`` written in ``base_uri``."""
        found = self._resolved.get((ref, base_uri))
        if found is None:
            found = self._resolved[ref, base_uri] = self._resolve(ref, base_uri)
        return found

    def _resolve(self, ref: str, base_uri: str) -> tuple[str, object]:
        target = urljoin(base_uri, ref)
        if urlparse(target).scheme != "file":
            raise SpecFileError(f"$ref {ref!r} points outside the spec (no network fetches)")
        try:
            self._local_path(urldefrag(target)[0])
        except SpecFileError as e:
            raise SpecFileError(f"$ref {ref!r}: {e}") from e
        resolver = self.registry.resolver(base_uri=base_uri)
        try:
            resolved = resolver.lookup(ref)
        except SpecFileError:
            raise
        except Unresolvable as e:
            raise SpecFileError(f"$ref {ref!r} cannot be resolved: {_unresolvable(e)}") from e
        except (TypeError, ValueError, LookupError) as e:
            # the pointer walks through null, a scalar or a list the library cannot index
            raise SpecFileError(f"$ref {ref!r} cannot be resolved: {e}") from e
        document, fragment = urldefrag(target)
        return f"{document}#{fragment}", resolved.contents

    def _retrieve(self, uri: str) -> Resource:
        try:
            return Resource.opaque(self.load(uri))
        except SpecFileError as e:
            raise NoSuchResource(ref=uri) from e

    def _local_path(self, uri: str) -> Path:
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            raise SpecFileError(f"{uri}: only files inside the spec's folder are read")
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise SpecFileError(f"{path}: $ref leaves the spec's folder {self.root}")
        return path


def read_limited(path: Path, limit: int | None = None) -> bytes:
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        size = path.stat().st_size
        if size > limit:
            raise SpecFileError(f"{path}: {size:,} bytes; the limit is {limit:,}")
        return path.read_bytes()
    except OSError as e:
        raise SpecFileError(f"{path}: cannot read: {e.strerror}") from e


def parse_document(path: Path, raw: bytes) -> object:
    """JSON or YAML (JSON is YAML, but the JSON parser is much faster)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecFileError(f"{path}: not UTF-8 (byte {e.start})") from e
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            if path.suffix.lower() == ".json":
                raise SpecFileError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from e
    return _safe_yaml(path, text)


def _safe_yaml(path: Path, text: str) -> object:
    try:
        aliases = sum(1 for e in yaml.parse(text, Loader=_Loader) if isinstance(e, yaml.AliasEvent))
        if aliases > MAX_YAML_ALIASES:
            raise SpecFileError(
                f"{path}: {aliases:,} YAML aliases (more than {MAX_YAML_ALIASES:,}): refused, "
                "as aliases can expand a small file into an enormous one"
            )
        return yaml.load(text, Loader=_Loader)  # a safe loader: no python/* tags
    except yaml.constructor.ConstructorError as e:
        raise SpecFileError(f"{path}:{_line(e)}: unsupported YAML tag: {e.problem}") from e
    except yaml.YAMLError as e:
        raise SpecFileError(f"{path}:{_line(e)}: not valid YAML: {getattr(e, 'problem', e)}") from e


def _line(error: yaml.YAMLError) -> int:
    mark = getattr(error, "problem_mark", None)
    return mark.line + 1 if mark is not None else 1


def _unresolvable(error: Unresolvable) -> str:
    cause = error.__cause__
    if isinstance(cause, NoSuchResource) and isinstance(cause.__cause__, SpecFileError):
        return str(cause.__cause__)
    return type(error).__name__.replace("Pointer", "pointer ").strip()


def pointer(*parts: object) -> str:
    """A JSON pointer (RFC 6901) to ``parts``."""
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
