"""Docs that cannot rot: every shell command the docs show runs, as written, on the shipped stacks.

Each document's commands run in order in a fresh copy of the project (a git repository with
the project's files and its virtualenv), the way a reader follows the page: `make plan`,
`llmfleet ...`, `git ...`, `jq ...`. Commands that need a cloud, the Pulumi CLI or Docker are
marked with the reason (tests/docs/commands.py) and only checked to still be marked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs.commands import (
    DOCUMENTS,
    NEEDS_OUTSIDE,
    OPTIONAL_TOOLS,
    PENDING_OPTIONS,
    PLACEHOLDERS,
    ROOT,
    DocCommand,
    all_commands,
    fenced_blocks_without_language,
    split_commands,
)

COMMANDS = all_commands()
SOURCES = sorted({c.source for c in COMMANDS if c.marker() is None})
# Makefile prerequisites of .venv: made older than the shared virtualenv so make never rebuilds it.
VENV_PREREQUISITES = ("requirements/main.txt", "pyproject.toml")


def project_copy(destination: Path) -> Path:
    """The project's files (tracked and new, not ignored) in a git repository of their own, with .venv linked."""
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if not source.is_file():
            continue  # deleted in the work tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    for name in VENV_PREREQUISITES:
        os.utime(destination / name, (1, 1))
    git = ["git", "-C", str(destination), "-c", "user.name=docs", "-c", "user.email=docs@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the project as documented"], check=True)
    return destination


def run(command: DocCommand, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LLMFLEET_", "PULUMI_", "GIT_", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{cwd / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",  # `llmfleet` as after `make venv` + activate
        HOME=str(cwd / ".home"),
        GIT_AUTHOR_NAME="docs",
        GIT_AUTHOR_EMAIL="docs@example.com",
        GIT_COMMITTER_NAME="docs",
        GIT_COMMITTER_EMAIL="docs@example.com",
    )
    (cwd / ".home").mkdir(exist_ok=True)
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command.runnable_text()],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES)
def test_documented_commands_run_as_written(source: str, tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    failures, pending = [], []
    for command in [c for c in COMMANDS if c.source == source]:
        if command.marker() is not None:
            continue
        program = command.words().split(" ")[0]
        if program in OPTIONAL_TOOLS and shutil.which(program) is None:
            continue
        result = run(command, project)
        output = result.stdout + result.stderr
        unknown_option = result.returncode == 2 and "No such option" in output
        if unknown_option and any(m.matches(command.words()) for m in PENDING_OPTIONS):
            pending.append(f"{command.id}: {command.text!r}: {output.strip().splitlines()[-1]}")
        elif result.returncode != 0 or "Traceback" in output:
            failures.append(f"{command.id}: {command.text!r} exited {result.returncode}:\n{output[-2000:]}")
    assert not failures, "\n\n".join(failures)
    if pending:
        reasons = {m.reason for m in PENDING_OPTIONS}
        pytest.xfail(f"{'; '.join(sorted(reasons))}: {'; '.join(pending)}")


def test_the_promotion_the_docs_show_edits_only_prod(tmp_path: Path) -> None:
    """README's promote line, run for real: prod gets the digest, nothing else changes, git sees one file."""
    project = project_copy(tmp_path / "project")
    line = next(c for c in COMMANDS if c.source == "README.md" and "--image-digest" in c.text)
    result = run(line, project)
    assert result.returncode == 0, result.stdout + result.stderr
    digest = {placeholder: value for placeholder, value, _ in PLACEHOLDERS}["sha256:..."]
    assert f"+    digest: {digest}" in result.stdout
    status = subprocess.run(
        ["git", "-C", str(project), "status", "--porcelain"], capture_output=True, text=True, check=True
    ).stdout
    assert status == " M Pulumi.prod.yaml\n"


def test_cloud_commands_are_marked_with_a_reason() -> None:
    marked = [c for c in COMMANDS if c.marker() is not None]
    assert marked, "the docs show pulumi/aws/gcloud commands: they must be found and marked"
    for command in COMMANDS:
        program = command.words().split(" ")[0]
        if program in ("pulumi", "aws", "gcloud", "docker", "kubectl", "gh", "crane"):
            assert command.marker() is not None, f"{command.id}: {command.text!r} needs a cloud but runs"
    unused = [m.pattern for m in NEEDS_OUTSIDE if not any(m.matches(c.words()) for c in COMMANDS)]
    assert not unused, f"markers that match no documented command (remove them): {unused}"
    assert all(m.reason for m in NEEDS_OUTSIDE)


def test_every_placeholder_is_used_and_documented_commands_run_somewhere() -> None:
    for placeholder, _, reason in PLACEHOLDERS:
        assert reason and any(placeholder in c.text for c in COMMANDS), placeholder
    runnable = [c for c in COMMANDS if c.marker() is None]
    assert any("llmfleet" in c.text for c in runnable) and any(c.text.startswith("make ") for c in runnable)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_code_block_names_its_language(document: str) -> None:
    # An unlabelled block could hold a command no test runs.
    assert fenced_blocks_without_language(document) == []


def test_commands_split_like_a_shell() -> None:
    block = [
        "# a comment line",
        "make venv   # trailing comment",
        "gcloud iam x \\",
        "  --flag=1",
        "jq -r '.a",
        "       | .b' f.json",
        "",
    ]
    commands = split_commands("doc.md", 10, block)
    assert [(c.line, c.words()) for c in commands] == [
        (11, "make venv"),
        (12, "gcloud iam x --flag=1"),
        (14, "jq -r .a\n       | .b f.json"),
    ]


def test_readme_states_what_the_npm_tools_need() -> None:
    # npm only downloads packages (`npm pack`); nothing runs under Node.js, so the README names
    # npm and no Node.js minimum (the kubernetes-models check that needed Node.js >= 22 is gone).
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    npm_verbs = set(re.findall(r"\bnpm\s+(\w+)", makefile))
    assert npm_verbs == {"pack"}, f"the Makefile runs npm {sorted(npm_verbs)}: say what Node.js they need in the README"
    packages = re.findall(r"npm pack [^@\n]*(@[\w./-]+)@\d", makefile)
    assert packages == ["@microsoft/sarif-multitool-linux"], packages
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "also needs npm, only to download the SARIF\nMultitool (`npm pack`" in readme
    assert "Node.js >=" not in readme
