"""Progress: phases on stderr when it is a terminal; nothing when it is not, or with --quiet;
never anything on stdout (which may carry JSON or SARIF)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from infra import progress

ROOT = Path(__file__).resolve().parents[2]
LLMFLEET = Path(sys.executable).parent / "llmfleet"


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=120), buffer


def test_phases_are_shown_on_a_terminal() -> None:
    console, buffer = terminal()
    with progress.progress(console=console) as status:
        assert progress.current() is status and status.shown
        status.phase("loading stack 'prod'")
        status.evaluating(["aws-use1", "aws-use1-b", "gcp-usc1"])
        status.registered("aws-use1-b-cluster")
        status.registered("llama")  # no target prefix: stays on the last target
        status.registered("gcp-usc1-vpc")
        status.phase("checking rules")
    shown = buffer.getvalue()
    for text in (
        "loading stack 'prod'",
        "evaluating target aws-use1-b (1 resources)",
        "evaluating target gcp-usc1 (3 resources)",
        "checking rules",
    ):
        assert text in shown
    assert progress.current().shown is False, "outside the block, reporting is a no-op"


def test_markup_in_names_is_shown_as_text() -> None:
    console, buffer = terminal()
    with progress.progress(console=console) as status:
        status.phase("reading [bold]plan[/].json")
    assert "[bold]plan[/].json" in buffer.getvalue()


def test_nothing_when_not_a_terminal_or_quiet() -> None:
    plain = io.StringIO()
    with progress.progress(console=Console(file=plain)) as status:
        status.phase("loading")
        status.registered("x")
    assert plain.getvalue() == ""
    console, buffer = terminal()
    with progress.progress(quiet=True, console=console) as status:
        status.phase("loading")
    assert buffer.getvalue() == ""


def run_with_stderr_on_a_terminal(argv: list[str]) -> tuple[int, str, str]:
    """Run the installed command with stderr on a pseudo-terminal and stdout on a file."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    with tempfile.TemporaryFile() as stdout:
        process = subprocess.Popen([str(LLMFLEET), *argv], stdout=stdout, stderr=slave, cwd=ROOT, env=env)
        os.close(slave)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            data = b""
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    data = b""
                chunks.append(data)
            if not data and process.poll() is not None:
                break
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
        os.close(master)
        stdout.seek(0)
        return process.returncode, stdout.read().decode(), b"".join(chunks).decode(errors="replace")


def test_the_real_cli_shows_phases_on_stderr_and_keeps_stdout_clean() -> None:
    code, stdout, stderr = run_with_stderr_on_a_terminal(["policy", "dev", "--format", "json"])
    assert code in (0, 1), stderr
    json.loads(stdout)  # nothing but the report on stdout
    for text in ("loading stack 'dev'", "evaluating target", "checking rules"):
        assert text in stderr, stderr[-2000:]
    # The second command reuses the Plan and says so; --quiet shows nothing at all.
    code, stdout, stderr = run_with_stderr_on_a_terminal(["cost", "dev", "--format", "json"])
    assert code == 0 and json.loads(stdout)
    assert "Plan reused from the cache" in stderr and "evaluating" not in stderr
    code, stdout, stderr = run_with_stderr_on_a_terminal(["policy", "dev", "--format", "sarif", "--quiet"])
    assert code in (0, 1)
    assert json.loads(stdout)["version"] == "2.1.0"
    assert stderr == ""
