"""How `llmfleet` fails: one line on stderr and an exit code, never a traceback.

Exit codes: 0 ok; 1 mandatory policy findings (or ``promote --check``: behind); 2 a user
mistake (configuration, file, argument, environment); 3 an internal error (a bug in
llmfleet: the line says so; ``LLMFLEET_DEBUG=1`` shows the traceback). A usage error
Typer/Click detects (unknown option, bad choice) is printed the same way.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from serving.errors import LlmFleetError

EXIT_CODES = (
    "Exit codes: 0 ok; 1 mandatory policy findings (promote --check: DST is behind SRC); "
    "2 bad input (configuration, file, argument or environment: the message names it); "
    "3 internal error (a bug; LLMFLEET_DEBUG=1 shows the traceback)."
)
INTERNAL_ERROR = 3

err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

F = TypeVar("F", bound=Callable[..., Any])


def print_error(message: str) -> None:
    """``error: message`` on stderr; the message is plain text (never read as rich markup)."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message))


def handles_errors(fn: F) -> F:
    """Turn every failure of a command into one error line and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except LlmFleetError as exc:
            print_error(str(exc))
            raise typer.Exit(getattr(exc, "exit_code", 2)) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader went away (| head): not an error of ours
                raise typer.Exit(0) from None
            where = f"{exc.filename}: " if exc.filename else ""
            print_error(f"{where}{exc.strerror or exc}")
            raise typer.Exit(2) from None
        except Exception as exc:  # the last line of defence: one line and exit 3, never exit 1
            if os.environ.get("LLMFLEET_DEBUG") == "1":
                raise
            print_error(
                f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                "(a bug in llmfleet; rerun with LLMFLEET_DEBUG=1 for the traceback and report it)"
            )
            raise typer.Exit(INTERNAL_ERROR) from None

    return wrapper  # type: ignore[return-value]


def usage_error_line(exc: typer.TyperException) -> str:
    """A Click usage error as one line, with the command's help to turn to."""
    message = " ".join(exc.format_message().replace("Value error, ", "").split())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


class OneLineErrorsGroup(TyperGroup):
    """Typer's group, with usage errors printed as one ``error:`` line instead of a panel."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # Typer's (vendored Click's) usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `llmfleet`: the help, as Typer prints it
                typer.echo(exc.format_message(), err=True)
            else:
                print_error(usage_error_line(exc))
            sys.exit(exc.exit_code)
        except typer.Abort:
            print_error("aborted")
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)
