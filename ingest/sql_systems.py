"""Which system holds a table: a small YAML map of systems to glob patterns.

```yaml
warehouse: ["analytics.*", "raw.*"]
crm: ["crm.*"]
ledger: ["LEDGER.GL.*"]
default: warehouse        # optional: the system of tables no pattern matches
```

Patterns match the whole dotted table name, case-insensitively, with the globs of
``fnmatch``: ``*`` (any text, dots included), ``?`` (one character) and ``[...]`` (one
character of a set, ``[!...]`` not of it). Quote a pattern that starts with ``*``: plain
YAML reads ``*x`` as an alias.

When several patterns match, the most specific wins: the one with the most literal
characters. Two equally specific patterns of different systems that can match one same
name are an error at load time, with an example name, since which one wins would otherwise
depend on the order of the file. Every error names the file and line.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_KEY = "default"
_STR_TAG = "tag:yaml.org,2002:str"
_MAX_CHAR = 0x10FFFF


class SystemMapError(ValueError):
    """The map cannot be used; the one-line message names the file and line."""


# -- glob patterns ---------------------------------------------------------------------

# A token is "*" (any text) or a character set (negated, ranges of code points): "?" is
# the negated empty set, a literal is one range of one code point.
_Set = tuple[bool, tuple[tuple[int, int], ...]]
_Token = str | _Set
_ANY: _Set = (True, ())


def _tokens(pattern: str) -> list[_Token]:
    """``pattern`` (lower-cased) as tokens, parsed as ``fnmatch`` parses it."""
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        end = _class_end(pattern, i) if char == "[" else -1
        if char == "*":
            if not tokens or tokens[-1] != "*":  # "**" is "*"
                tokens.append("*")
        elif char == "?":
            tokens.append(_ANY)
        elif end > 0:
            tokens.append(_class(pattern[i + 1 : end]))
            i = end
        else:
            tokens.append((False, ((ord(char), ord(char)),)))
        i += 1
    return tokens


def _class_end(pattern: str, start: int) -> int:
    """The index of the ``]`` closing the set opened at ``start``; -1 if none (a literal)."""
    j = start + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":  # a leading "]" is a member
        j += 1
    return pattern.find("]", j)


def _class(body: str) -> _Set:
    negated = body.startswith("!")
    body = body[1:] if negated else body
    ranges, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = ord(body[i]), ord(body[i + 2])
            i += 3
        else:
            low = high = ord(body[i])
            i += 1
        if low <= high:  # fnmatch drops reversed ranges
            ranges.append((low, high))
    return negated, tuple(ranges)


def _regex(tokens: list[_Token]) -> re.Pattern:
    return re.compile("".join(_token_regex(token) for token in tokens), re.DOTALL)


def _token_regex(token: _Token) -> str:
    if token == "*":
        return ".*"
    negated, ranges = token
    if not ranges:
        return "." if negated else "(?!)"  # "?"; an empty set matches nothing
    if _literal(token):
        return re.escape(chr(ranges[0][0]))
    members = "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )
    return f"[{'^' if negated else ''}{members}]"


def _in_set(char: int, chars: _Set) -> bool:
    negated, ranges = chars
    return negated != any(lo <= char <= hi for lo, hi in ranges)


def _common_char(a: _Set, b: _Set) -> str | None:
    """A character in both sets, or None. Membership only changes at a range's ends, so
    trying the start of every range, the code point after every range and 0 is exact;
    "x" first keeps the example names readable."""
    candidates = [ord("x")]
    for _, ranges in (a, b):
        candidates += [lo for lo, _ in ranges] + [hi + 1 for _, hi in ranges]
    candidates.append(0)
    for char in candidates:
        if char <= _MAX_CHAR and _in_set(char, a) and _in_set(char, b):
            return chr(char)
    return None


def common_name(a: str, b: str) -> str | None:
    """A name both patterns match (case-insensitively), or None when there is none.

    Walks the pairs of positions of the two patterns (the product of their automata);
    each step that reads a character advances a set of at least one of them, so the walk
    is finite and the example it returns is short."""
    left, right = _tokens(a.lower()), _tokens(b.lower())
    start, goal = (0, 0), (len(left), len(right))
    parents: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            return _spelled(parents, goal)
        for step, char in _steps(left, right, *here):
            if step not in parents:
                parents[step] = (here, char)
                queue.append(step)
    return None


def _steps(left: list[_Token], right: list[_Token], i: int, j: int):
    a = left[i] if i < len(left) else None
    b = right[j] if j < len(right) else None
    if a == "*":
        yield (i + 1, j), ""  # the star matches nothing
    if b == "*":
        yield (i, j + 1), ""
    if a is None or b is None:
        return
    if a == "*" and b != "*":
        char = _common_char(_ANY, b)
        if char is not None:
            yield (i, j + 1), char  # the star reads what the set reads
    elif b == "*" and a != "*":
        char = _common_char(a, _ANY)
        if char is not None:
            yield (i + 1, j), char
    elif a != "*" and b != "*":
        char = _common_char(a, b)
        if char is not None:
            yield (i + 1, j + 1), char


def _spelled(parents: dict, end: tuple[int, int]) -> str:
    chars = []
    while parents[end] is not None:
        end, char = parents[end]
        chars.append(char)
    return "".join(reversed(chars))


# -- the map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pattern:
    system: str
    pattern: str
    regex: re.Pattern = field(compare=False)
    specificity: int  # literal characters
    line: int | None


@dataclass(frozen=True)
class _Item:
    """One pattern as written, before compiling."""

    system: str
    pattern: str
    line: int | None


@dataclass
class SystemMap:
    patterns: list[_Pattern] = field(default_factory=list)
    default: str | None = None
    path: Path | None = None
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(
        cls,
        mapping: Mapping[str, Any],
        path: Path | None = None,
        lines: Mapping[str, int] | None = None,
    ) -> SystemMap:
        """From ``{system: [pattern, ...] | pattern, "default": system}``; ``lines`` (system
        -> line) only makes the messages point into a file."""
        where = str(path) if path else "system map"
        lines = lines or {}
        items: list[_Item] = []
        default = None
        for system, patterns in mapping.items():
            at = _at(where, lines.get(system))
            if system == DEFAULT_KEY:
                default = _system_name(patterns, at)
                continue
            name = _system_name(system, at)
            for pattern in _pattern_list(name, patterns, at):
                items.append(_Item(name, _pattern_text(name, pattern, at), lines.get(system)))
        return cls._built(items, default, path)

    @classmethod
    def _built(cls, items: Iterable[_Item], default: str | None, path: Path | None) -> SystemMap:
        result = cls(default=default, path=path)
        seen: set[tuple[str, str]] = set()
        for item in items:
            key = (item.system, item.pattern.lower())
            if key not in seen:  # the same pattern twice in one system says nothing new
                seen.add(key)
                result.patterns.append(_compiled(item))
        result._check_ties(str(path) if path else "system map")
        return result

    @property
    def fingerprint(self) -> tuple:
        return (tuple(sorted((p.system, p.pattern) for p in self.patterns)), self.default)

    def system_for(self, table: str) -> str | None:
        """The system of ``table`` (a dotted name), or the default, or None."""
        name = table.lower()
        if name not in self._cache:
            best = None
            for pattern in self.patterns:
                better = best is None or pattern.specificity > best.specificity
                if better and pattern.regex.fullmatch(name):
                    best = pattern
            self._cache[name] = best.system if best else self.default
        return self._cache[name]

    def _check_ties(self, where: str) -> None:
        by_specificity: dict[int, list[_Pattern]] = {}
        for pattern in self.patterns:
            by_specificity.setdefault(pattern.specificity, []).append(pattern)
        for group in by_specificity.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if a.system != b.system:
                        _refuse_tie(where, a, b)


def _refuse_tie(where: str, a: _Pattern, b: _Pattern) -> None:
    example = common_name(a.pattern, b.pattern)
    if example is None:
        return
    first, second = sorted((a, b), key=lambda p: (p.line or 0, p.system, p.pattern))
    on_line = f", line {first.line}" if first.line else ""
    raise SystemMapError(
        f"{_at(where, second.line)}: {second.pattern!r} ({second.system}) and "
        f"{first.pattern!r} ({first.system}{on_line}) are equally specific and both match "
        f"{example!r}; make one more specific"
    )


def _compiled(item: _Item) -> _Pattern:
    tokens = _tokens(item.pattern.lower())
    literal = sum(1 for token in tokens if _literal(token))
    return _Pattern(item.system, item.pattern, _regex(tokens), literal, item.line)


def _literal(token: _Token) -> bool:
    """One known character (``[a]`` counts: it reads one known character too)."""
    if token == "*":
        return False
    negated, ranges = token
    return not negated and len(ranges) == 1 and ranges[0][0] == ranges[0][1]


# -- reading ---------------------------------------------------------------------------


def read_system_map(path: Path) -> SystemMap:
    """The map in the YAML file ``path``; ``SystemMapError`` naming file and line if bad."""
    path = Path(path)
    root = _compose(path)
    if not isinstance(root, yaml.MappingNode):
        found = "nothing" if root is None else _node_kind(root)
        raise SystemMapError(
            f"{_at(str(path), _line(root))}: expected a mapping of system names to lists of "
            f"table patterns, found {found}"
        )
    items: list[_Item] = []
    default = None
    seen: dict[str, int] = {}
    for key, value in root.value:
        at = _at(str(path), _line(key))
        system = _system_name(key.value if _is_text(key) else _value(key), at)
        if system in seen:
            raise SystemMapError(f"{at}: {system!r} is already listed on line {seen[system]}")
        seen[system] = _line(key)
        if system == DEFAULT_KEY:
            default = _system_name(value.value if _is_text(value) else _value(value), at)
            continue
        items += _node_patterns(path, system, value, at)
    return SystemMap._built(items, default, path)


def _compose(path: Path) -> yaml.Node | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SystemMapError(f"{path}: cannot read the system map: {e}") from e
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        hint = " (quote patterns that start with '*')" if "alphabetic or numeric" in problem else ""
        raise SystemMapError(f"{path}{line}: not valid YAML: {problem}{hint}") from e


def _node_patterns(path: Path, system: str, value: yaml.Node, at: str) -> list[_Item]:
    if isinstance(value, yaml.SequenceNode):
        nodes = value.value
    else:
        nodes = [value] if _is_text(value) else []
    if not nodes:
        raise SystemMapError(f"{at}: {system}: expected a list of table patterns")
    items = []
    for node in nodes:
        here = _at(str(path), _line(node))
        pattern = node.value if _is_text(node) else _value(node)
        items.append(_Item(system, _pattern_text(system, pattern, here), _line(node)))
    return items


def _is_text(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG


def _value(node: yaml.Node) -> Any:
    """What YAML makes of a node that is not plain text (42, true, null, a list ...)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _node_kind(node: yaml.Node) -> str:
    return {yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list"}.get(
        type(node), "a single value"
    )


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _at(where: str, line: int | None) -> str:
    return f"{where}:{line}" if line else where


def _system_name(value: Any, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SystemMapError(f"{at}: system name {value!r} is empty or not text")
    return value.strip()


def _pattern_list(system: str, patterns: Any, at: str) -> list:
    if isinstance(patterns, str):
        return [patterns]
    if not isinstance(patterns, list | tuple) or not patterns:
        raise SystemMapError(f"{at}: {system}: expected a list of table patterns")
    return list(patterns)


def _pattern_text(system: str, pattern: Any, at: str) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise SystemMapError(f"{at}: {system}: pattern {pattern!r} is not text")
    return pattern.strip()
