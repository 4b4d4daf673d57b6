"""Progress of long commands: one rich status line on stderr naming the phase (loading,
evaluating target X, checking rules, writing).

Shown only when stderr is a terminal and --quiet is not given, and only ever on stderr,
so stdout stays a clean JSON/SARIF/text stream. The status is transient: nothing is left
on the screen when the command ends. Code anywhere in the command reports its phase
through ``current()``; outside ``progress()`` that is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text


class Progress:
    """Phase reporting; a no-op unless given a rich Live display."""

    def __init__(self, live: Live | None = None) -> None:
        self._live = live
        self._spinner = Spinner("dots", Text("starting ..."))
        self._targets: list[str] = []
        self._current_target: str | None = None
        self._registered = 0

    @property
    def shown(self) -> bool:
        return self._live is not None

    def phase(self, text: str, *, draw_now: bool = True) -> None:
        """Show ``text``; a new phase is drawn at once, a counter update at the next refresh."""
        if self._live is not None:
            self._spinner.update(text=Text(f"{text} ..."))  # Text: names are never read as markup
            self._live.update(self._spinner, refresh=draw_now)

    def evaluating(self, targets: list[str]) -> None:
        """The program runs now; resource names are matched to these target names."""
        self._targets = sorted(targets, key=len, reverse=True)  # longest prefix wins
        self._registered = 0
        self._current_target = None
        self.phase("evaluating the program")

    def registered(self, name: str) -> None:
        """Called for every resource the program registers (from the recording monitor)."""
        if self._live is None:
            return
        self._registered += 1
        target = next((t for t in self._targets if name == t or name.startswith(f"{t}-")), None)
        moved = target is not None and target != self._current_target
        if moved:
            self._current_target = target
        where = f"target {self._current_target}" if self._current_target else "the program"
        self.phase(f"evaluating {where} ({self._registered} resources)", draw_now=moved)


_NOOP = Progress()
_current: Progress = _NOOP


def current() -> Progress:
    """The running command's progress (a module global, not a context variable: the program
    is evaluated in a fresh contextvars.Context)."""
    return _current


@contextmanager
def progress(quiet: bool = False, console: Console | None = None) -> Iterator[Progress]:
    """Show phases on ``console`` (default: stderr) while the block runs."""
    global _current
    console = console or Console(stderr=True, highlight=False, markup=False)
    if quiet or not console.is_terminal:
        yield _NOOP
        return
    previous = _current
    with Live(console=console, transient=True, refresh_per_second=10, redirect_stdout=False) as live:
        _current = Progress(live)
        live.update(_current._spinner, refresh=True)
        try:
            yield _current
        finally:
            _current = previous
