"""Split a SQL script into statements, keeping the line each one starts on."""

from __future__ import annotations

import re

import sqlglot

# T-SQL batch separator: a line holding only GO (sqlcmd and SSMS scripts).
_GO = re.compile(r"^[ \t]*GO[ \t]*$", re.IGNORECASE | re.MULTILINE)


def split_statements(sql: str, dialect=None) -> list[tuple[int, str]]:
    """(1-based start line, text) of each statement; ``GO`` lines separate batches."""
    return [(line, text) for line, text, _ in split_tokens(sql, dialect)]


def split_tokens(sql: str, dialect=None) -> list[tuple[int, str, list | None]]:
    """(1-based start line, text, tokens) of each statement; ``GO`` lines separate batches.

    Splitting uses sqlglot's tokenizer so that semicolons inside strings, comments and
    dollar-quoted bodies do not split. A script the tokenizer rejects (an unterminated
    string, say) is returned as one statement, which then fails to parse with a message.
    The tokens are handed on so that the statement is not tokenized twice; they keep their
    positions in the whole script.
    """
    text = _GO.sub(lambda m: ";" + " " * (len(m.group(0)) - 1), sql)
    try:
        tokens = sqlglot.tokenize(text, read=dialect)
    except Exception:
        first = next((i for i, ln in enumerate(text.splitlines(), 1) if ln.strip()), 1)
        return [(first, text, None)] if text.strip() else []
    out: list[tuple[int, str, list | None]] = []
    chunk: list = []
    for tok in [*tokens, None]:
        if tok is not None and tok.token_type != sqlglot.TokenType.SEMICOLON:
            chunk.append(tok)
        elif chunk:
            statement = text[chunk[0].start : chunk[-1].end + 1]
            out.append((_start_line(chunk[0]), statement, chunk))
            chunk = []
    return out


def _start_line(token) -> int:
    # A token's line is where it ends; a multi-line first token (a quoted identifier
    # spanning lines is rare, a string never starts a statement) would be off by its height.
    return token.line - token.text.count("\n")
