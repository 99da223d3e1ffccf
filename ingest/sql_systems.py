"""Which system holds a table: a small YAML map of systems to glob patterns.

```yaml
warehouse: ["analytics.*", "raw.*"]
crm: ["crm.*"]
default: warehouse        # optional: the system of tables no pattern matches
```

Patterns match the dotted table name, case-insensitively. When several match, the most
specific wins (the one with the most literal characters); two equally specific patterns of
different systems that can match the same name are an error at load time, since which one
wins would otherwise depend on the order of the file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_KEY = "default"


class SystemMapError(ValueError):
    """The map cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class _Pattern:
    system: str
    pattern: str
    regex: re.Pattern
    specificity: int
    line: int


@dataclass
class SystemMap:
    patterns: list[_Pattern] = field(default_factory=list)
    default: str | None = None
    path: Path | None = None

    @classmethod
    def from_dict(cls, mapping: Mapping, path: Path | None = None, lines=None) -> SystemMap:
        where = str(path) if path else "system map"
        lines = lines or {}
        result = cls(path=path)
        for system, patterns in mapping.items():
            line = lines.get(system)
            at = f"{where}:{line}" if line else where
            if system == DEFAULT_KEY:
                result.default = _system_name(patterns, at)
                continue
            name = _system_name(system, at)
            if isinstance(patterns, str):
                patterns = [patterns]
            if not isinstance(patterns, list) or not patterns:
                raise SystemMapError(f"{at}: {name}: expected a list of table patterns")
            for pattern in patterns:
                if not isinstance(pattern, str) or not pattern.strip():
                    raise SystemMapError(f"{at}: {name}: pattern {pattern!r} is not text")
                result.patterns.append(_compile(name, pattern.strip(), line or 0))
        result._check_ties(where)
        return result

    @property
    def fingerprint(self) -> tuple:
        return (tuple((p.system, p.pattern) for p in self.patterns), self.default)

    def system_for(self, table: str) -> str | None:
        """The system of ``table`` (a dotted name), or the default, or None."""
        name = table.lower()
        best = None
        for pattern in self.patterns:
            if pattern.regex.fullmatch(name) and (
                best is None or pattern.specificity > best.specificity
            ):
                best = pattern
        return best.system if best else self.default

    def _check_ties(self, where: str) -> None:
        for i, a in enumerate(self.patterns):
            for b in self.patterns[i + 1 :]:
                same = a.specificity == b.specificity and a.system != b.system
                if same and _may_overlap(a.pattern, b.pattern):
                    raise SystemMapError(
                        f"{where}:{b.line}: {b.pattern!r} ({b.system}) and {a.pattern!r} "
                        f"({a.system}, line {a.line}) are equally specific and can match the "
                        "same table; make one more specific"
                    )


def read_system_map(path: Path) -> SystemMap:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SystemMapError(f"{path}: cannot read the system map: {e}") from e
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SystemMapError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, Mapping):
        raise SystemMapError(f"{path}: expected a mapping of system names to table patterns")
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if node is not None else {}
    return SystemMap.from_dict(data, path, lines)


def _system_name(value, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SystemMapError(f"{at}: system name {value!r} is empty or not text")
    return value.strip()


def _compile(system: str, pattern: str, line: int) -> _Pattern:
    literal = sum(1 for ch in pattern if ch not in "*?[]")
    regex = re.compile(fnmatch.translate(pattern.lower()))
    return _Pattern(system, pattern, regex, literal, line)


def _may_overlap(a: str, b: str) -> bool:
    """Cheap test: each pattern matches the other read as a name, or they are equal."""
    a, b = a.lower(), b.lower()
    return a == b or fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)
