"""A rich progress bar per table for the ``generate`` command (on stderr, like its messages)."""

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RichReporter:
    """Reports a load as one bar per table and a spinner per step; use as a context manager."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._step: TaskID | None = None

    def __enter__(self) -> "RichReporter":
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._finish_step()
        self._progress.stop()

    def _finish_step(self) -> None:
        if self._step is not None:
            self._progress.update(self._step, total=1, completed=1)
            self._step = None

    def table(self, name: str, total: int) -> None:
        """Start a bar for ``name``."""
        self._finish_step()
        self._tasks[name] = self._progress.add_task(name, total=total)

    def advance(self, name: str, rows: int) -> None:
        """Move ``name``'s bar on."""
        self._progress.advance(self._tasks[name], rows)

    def step(self, description: str) -> None:
        """Show a spinner for a step without rows, until the next table or step."""
        self._finish_step()
        self._step = self._progress.add_task(description, total=None)
