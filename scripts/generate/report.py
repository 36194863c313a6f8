"""How a load tells its caller what it is doing (a progress bar in the CLI, nothing in tests)."""

from typing import Protocol


class Reporter(Protocol):
    """Receives progress from a loader."""

    def table(self, name: str, total: int) -> None:
        """A table of ``total`` rows starts loading."""

    def advance(self, name: str, rows: int) -> None:
        """``rows`` more rows of ``name`` are loaded."""

    def step(self, description: str) -> None:
        """A step without rows (rebuilding indexes, analysing) starts."""


class Silent:
    """A reporter that reports nothing."""

    def table(self, name: str, total: int) -> None:
        """Ignore the table."""

    def advance(self, name: str, rows: int) -> None:
        """Ignore the progress."""

    def step(self, description: str) -> None:
        """Ignore the step."""
