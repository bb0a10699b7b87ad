"""Input errors that say where the problem is (file, row, column) and what was expected.

Validation is lazy, like pandera's: every problem in a file is collected before raising, so one run
shows a user everything to fix rather than one problem at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input. ``row`` is the line number as a text editor shows it."""

    file: str
    expected: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{printable(self.column)}'")
        found = f" (found {self.value!r})" if self.value else ""
        return f"{', '.join(where)}: {self.expected}{found}"


def printable(text: str) -> str:
    """A header as it can be shown on one line of a terminal: control characters (a stray byte, an
    escape sequence) written as escapes, as repr writes them."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """A file or option cannot be used. The CLI turns it into exit code 2."""

    def __init__(self, problems: list[Problem] | Problem, hint: str | None = None, omitted: int = 0):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.hint = hint
        self.omitted = omitted
        super().__init__(self.message())

    def __reduce__(self):
        """Pickled with its problems, not its message: an error raised in a Dask worker is re-raised
        by the client as the same InputError."""
        return type(self), (self.problems, self.hint, self.omitted)

    def message(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.omitted:
            lines.append(f"... and {self.omitted} more row{'s' if self.omitted > 1 else ''} with problems")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


@dataclass
class Problems:
    """Collects problems across a whole file; keeps the first MAX_LISTED and counts the rest."""

    listed: list[Problem] = field(default_factory=list)
    omitted: int = 0
    hints: list[str] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if len(self.listed) < MAX_LISTED:
            self.listed.append(problem)
        else:
            self.omitted += 1

    def add_rows(self, file: str, rows, column: str, values, expected: str) -> None:
        """One problem per failing row; ``rows`` and ``values`` are aligned sequences."""
        rows, values = list(rows), list(values)
        room = max(MAX_LISTED - len(self.listed), 0)
        for row, value in zip(rows[:room], values[:room]):
            self.listed.append(Problem(file, expected, int(row), column, str(value)))
        self.omitted += max(len(rows) - room, 0)

    def extend(self, other: Problems) -> None:
        """``other``'s problems after these, as if they had been added here."""
        for problem in other.listed:
            self.add(problem)
        self.omitted += other.omitted
        for text in other.hints:
            self.hint(text)

    def hint(self, text: str) -> None:
        if text not in self.hints:
            self.hints.append(text)

    def __bool__(self) -> bool:
        return bool(self.listed)

    def raise_if_any(self) -> None:
        if self.listed:
            raise InputError(self.listed, " ".join(self.hints) or None, self.omitted)
