"""The shell commands the documentation shows, and which of them a test can run.

Sources: every fenced ``sh``/``bash``/``shell`` block of the documented Markdown files, and
every backticked ``llmfleet ...`` command in a comment of a shipped stack file. A command
spans continuation lines (``\\``) and quoted strings over several lines, as in a shell.

A command runs in the test unless a marker below says why it cannot: each marker is a
pattern with its reason, and the test fails when a marker matches nothing (so the list
shrinks with the docs). Placeholders the docs use for values only CI or a person knows
are replaced by example values, each with its reason too.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DOCUMENTS = (
    "README.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")),
    "serving/README.md",
    "policy/README.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "infra").rglob("README.md")),
)
STACK_FILES = ("Pulumi.dev.yaml", "Pulumi.prod.yaml")
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(\s*)```(.*)$")


@dataclass(frozen=True)
class Marker:
    pattern: str
    reason: str

    def matches(self, command: str) -> bool:
        return re.search(self.pattern, command) is not None


# Commands that need what a test here does not have. Patterns match the whole command text.
NEEDS_OUTSIDE = (
    Marker(r"^pulumi\b", "the Pulumi CLI and a state backend with cloud credentials"),
    Marker(r"^aws\b", "an AWS account (KMS keys, Secrets Manager)"),
    Marker(r"^gcloud\b", "a GCP project (workload identity federation)"),
    Marker(r"^crane\b", "a container registry (ghcr.io, each target's registry) and go-containerregistry's crane"),
    Marker(r"^export LLMFLEET_LAB_KUBECONFIG=", "the lab cluster's kubeconfig (~/.kube/lab.yaml)"),
    Marker(r"^make test$", "the whole test suite, this test included (CI runs it)"),
    Marker(r"-m pytest\b", "a test run of its own (make test runs these tests)"),
)

# Tools the docs use that are not project dependencies: their commands run where installed.
OPTIONAL_TOOLS = {"jq": "reads the SARIF in the security reviewer's guide; not needed by llm-fleet"}

# Placeholders -> example values.
PLACEHOLDERS = (("sha256:...", "sha256:" + "5e" * 32, "a digest main.yml would print in its job summary"),)


@dataclass(frozen=True)
class DocCommand:
    source: str
    line: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.source}:{self.line}"

    def runnable_text(self) -> str:
        text = self.text
        for placeholder, value, _ in PLACEHOLDERS:
            text = text.replace(placeholder, value)
        return text

    def words(self) -> str:
        """The command as the shell splits it, comments dropped (what markers match)."""
        return " ".join(shlex.split(self.text.replace("\\\n", " "), comments=True))

    def marker(self) -> Marker | None:
        return next((m for m in NEEDS_OUTSIDE if m.matches(self.words())), None)


def markdown_commands(relative: str) -> list[DocCommand]:
    commands: list[DocCommand] = []
    lines = (ROOT / relative).read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        language = match.group(2).strip().split(" ")[0].lower()
        start = index + 1
        end = start
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        if language in SHELL_LANGUAGES:
            commands += split_commands(relative, start + 1, lines[start:end])
        index = end + 1
    return commands


def fenced_blocks_without_language(relative: str) -> list[int]:
    """Line numbers of opening fences that name no language (a command could hide there)."""
    missing = []
    inside = False
    for number, line in enumerate((ROOT / relative).read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if not match:
            continue
        if not inside and not match.group(2).strip():
            missing.append(number)
        inside = not inside
    return missing


def stack_file_commands(relative: str) -> list[DocCommand]:
    commands = []
    for number, line in enumerate((ROOT / relative).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.lstrip().startswith("#"):
            continue
        for text in re.findall(r"`(llmfleet [^`]+)`", line):
            commands.append(DocCommand(relative, number, text))
    return commands


def split_commands(source: str, first_line: int, lines: list[str]) -> list[DocCommand]:
    """Shell commands of a code block: comment lines dropped, continuations joined."""
    commands = []
    pending: list[str] = []
    start = first_line
    for offset, line in enumerate(lines):
        if not pending:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = first_line + offset
        pending.append(line)
        text = "\n".join(pending)
        if text.rstrip().endswith("\\") or not _complete(text):
            continue
        commands.append(DocCommand(source, start, text.strip()))
        pending = []
    if pending:
        raise ValueError(f"{source}:{start}: unterminated command {pending!r}")
    return commands


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # an open quote: the command goes on
        return False
    return True


def all_commands() -> list[DocCommand]:
    commands = [c for doc in DOCUMENTS for c in markdown_commands(doc)]
    return commands + [c for stack in STACK_FILES for c in stack_file_commands(stack)]


# Documented commands whose options another change adds: until it lands, the command fails
# with "No such option" and the test reports it as an expected failure, with this reason.
PENDING_OPTIONS = (
    Marker(
        r"^llmfleet capacity ",
        "the planner's quantization and KV-dtype options for the Pulumi.prod.yaml comment come with issue 19",
    ),
)
