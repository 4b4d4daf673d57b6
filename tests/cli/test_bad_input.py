"""A new user's mistakes, through the real CLI: exit 2, one `error:` line naming the key or
argument (and the rule), no traceback, no secret echoed, nothing half-written.

Each case breaks a copy of the project (or an argument, a file, the environment) one way.
Property-based tests then throw random damage at the stack file and the arguments.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import infra.plan.runner  # imported up front: timings below measure the check, not imports
from infra.cli import app
from infra.outputs import MANIFEST

ROOT = Path(__file__).resolve().parents[2]
LLMFLEET = ROOT / ".venv" / "bin" / "llmfleet"
STACK_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml")
PLANTED = "hf_PLANTEDsecretTOKEN1234567890abcd"
runner = CliRunner()

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    """Substrings of the error output: the key or argument, the value, the rule."""
    setup: Setup | None = None
    hidden: tuple[str, ...] = ()
    """Substrings that must not appear anywhere (secrets)."""
    env: dict[str, str] = field(default_factory=dict)


def edit(old: str, new: str, stack: str = "dev") -> Setup:
    def apply(project: Path) -> None:
        path = project / f"Pulumi.{stack}.yaml"
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        # surrogateescape: "\udcff" in a case writes the raw byte 0xff
        path.write_text(text.replace(old, new, 1), encoding="utf-8", errors="surrogateescape")

    return apply


def append(text: str, stack: str = "dev") -> Setup:
    def apply(project: Path) -> None:
        path = project / f"Pulumi.{stack}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return apply


def write(name: str, data: bytes | str) -> Setup:
    def apply(project: Path) -> None:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")

    return apply


def mkdir(*names: str) -> Setup:
    def apply(project: Path) -> None:
        for name in names:
            (project / name).mkdir(parents=True, exist_ok=True)

    return apply


def both(*setups: Setup) -> Setup:
    def apply(project: Path) -> None:
        for setup in setups:
            setup(project)

    return apply


def alias_bomb(levels: int = 9) -> str:
    lines = ["  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    names = "abcdefghijklmnopqrstuvwxyz"
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "config:\n" + "\n".join(lines) + "\n"


SUPPRESSION = (
    "    suppressions:\n      - rule: EKS-01\n        resource: aws-dev-cluster\n"
    '        justification: "Break-glass access for the on-call VPN range."\n'
    "        owner: security@example.com\n        expires: {date}\n"
)
PLAN = ("plan", "dev")

# Line numbers the errors must name, read from the committed dev stack so the cases follow
# the file as it grows (1-based, as editors and the loader count).
DEV_LINES = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8").splitlines()


def line_of(text: str) -> int:
    """The line of the committed dev stack that is exactly `text` (it must occur once)."""
    hits = [number for number, line in enumerate(DEV_LINES, start=1) if line == text]
    assert len(hits) == 1, f"{text!r} is on lines {hits} of Pulumi.dev.yaml"
    return hits[0]


OWNER_LINE = f"line {line_of('  llm-fleet:owner: ml-platform')}"
APPENDED_LINE = f"line {len(DEV_LINES) + 1}"
SECOND_REGION_LINE = f"line {line_of('      region: us-east-1') + 1}"  # the duplicate goes right after it

CASES = [
    # --- the stack file: YAML itself -------------------------------------------------------
    Case("impossible-date", PLAN, ("policy.suppressions[0].expires", "2027-02-30", "YYYY-MM-DD"),
         append(SUPPRESSION.format(date="2027-02-30"))),
    Case("datetime-not-date", PLAN, ("policy.suppressions[0].expires",),
         append(SUPPRESSION.format(date="2027-03-31T10:00:00Z"))),
    Case("non-utf8-byte", PLAN, ("Pulumi.dev.yaml", OWNER_LINE, "not UTF-8"),
         edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: ml-pl\udcffatform")),
    Case("latin1-file", PLAN, ("Pulumi.dev.yaml", "not UTF-8"), edit("costCenter: llm-dev", "costCenter: llm-d\udce9v")),
    Case("duplicate-top-level-key", PLAN, ("duplicate key 'llm-fleet:owner'", APPENDED_LINE, f"first at {OWNER_LINE}"),
         append("  llm-fleet:owner: someone-else\n")),
    Case("duplicate-nested-key", PLAN, ("duplicate key 'region'", SECOND_REGION_LINE),
         edit("      region: us-east-1\n", "      region: us-east-1\n      region: us-west-2\n")),
    Case("alias-bomb", PLAN, ("aliases", "100,000"), write("Pulumi.dev.yaml", alias_bomb())),
    Case("recursive-alias", PLAN, ("refers to itself",), write("Pulumi.dev.yaml", "config: &c\n  x: [*c]\n")),
    Case("too-large", PLAN, ("Pulumi.dev.yaml", "too large", "262,144"),
         append("#" + "x" * 300_000 + "\n")),
    Case("nested-too-deeply", PLAN, ("nested too deeply",), write("Pulumi.dev.yaml", "config: " + "[" * 3000 + "]" * 3000)),
    Case("binary-tag", PLAN, ("tag !!binary", OWNER_LINE), edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: !!binary aGk=")),
    Case("python-tag", PLAN, ("tag !!python/object", "not allowed"),
         edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: !!python/object:os.system {}")),
    Case("syntax-error", PLAN, ("Pulumi.dev.yaml", "line"), edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: [ml-platform")),
    Case("tab-indent", PLAN, ("Pulumi.dev.yaml", "line"), edit("  llm-fleet:costCenter", "\tllm-fleet:costCenter")),
    Case("top-level-list", PLAN, ("expected a mapping at the top level",), write("Pulumi.dev.yaml", "- config\n")),
    Case("config-not-mapping", PLAN, ("config: expected a mapping",), write("Pulumi.dev.yaml", "config: [a, b]\n")),
    # --- the stack file: layout and namespaces -----------------------------------------------
    Case("namespace-typo", PLAN, ("'llm-flet:owner'", "did you mean 'llm-fleet:owner'"),
         edit("llm-fleet:owner: ml-platform", "llm-flet:owner: ml-platform")),
    Case("unknown-namespace", PLAN, ("'azure:location'", "namespace 'azure'"), append("  azure:location: westeurope\n")),
    Case("missing-config-wrapper", PLAN, ("sit at the top level", "under 'config:'"),
         lambda p: (p / "Pulumi.dev.yaml").write_text(
             "\n".join(line[2:] if line.startswith("  ") else line
                       for line in (p / "Pulumi.dev.yaml").read_text().splitlines() if line != "config:") + "\n")),
    Case("top-level-typo", PLAN, ("unknown top-level key 'confg'", "did you mean 'config'"),
         edit("\nconfig:\n", "\nconfg:\n")),
    Case("unknown-key", PLAN, ("targets[0].edge.rateLimitPerMinut", "did you mean 'rateLimitPerMinute'"),
         edit("        tlsIssuer: internal-ca\n        rateLimitPerMinute: 300",
              "        tlsIssuer: internal-ca\n        rateLimitPerMinut: 300")),
    # --- the stack file: values -----------------------------------------------------------------
    Case("budget-1e30", PLAN, ("budget.monthlyUsd", "1e30", "1 <= value <= 100,000,000"), edit("monthlyUsd: 3500", "monthlyUsd: 1e30")),
    Case("budget-zero", PLAN, ("budget.monthlyUsd", "1 <= value"), edit("monthlyUsd: 3500", "monthlyUsd: 0")),
    Case("budget-nan", PLAN, ("budget.monthlyUsd", ".nan"), edit("monthlyUsd: 3500", "monthlyUsd: .nan")),
    Case("budget-inf", PLAN, ("budget.monthlyUsd", ".inf"), edit("monthlyUsd: 3500", "monthlyUsd: .inf")),
    Case("negative-threshold", PLAN, ("budget.alertThresholdsPercent[0]", "-50", "1 <= value <= 1,000"),
         edit("alertThresholdsPercent: [50, 80, 100]", "alertThresholdsPercent: [-50, 80]")),
    Case("too-many-thresholds", PLAN, ("budget.alertThresholdsPercent", "at most 5"),
         edit("alertThresholdsPercent: [50, 80, 100]", "alertThresholdsPercent: [10, 20, 30, 40, 50, 60]")),
    Case("owner-pattern", PLAN, ("owner", "'ML_Platform'", "^[a-z][-a-z0-9]*$"),
         edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: ML_Platform")),
    Case("digest-pattern", ("plan", "prod"), ("image.digest", "64 lower-case hex digits"),
         edit("digest: sha256:4f1c", "digest: sha256:XYZ4f1c", stack="prod")),
    Case("unquoted-kubernetes-version", PLAN, ("targets[1].kubernetesVersion", "1.30", "quote it", '"1.30"'),
         edit('kubernetesVersion: "1.35"', "kubernetesVersion: 1.30")),
    Case("number-for-tag", PLAN, ("image.tag", "quote it"), edit("tag: 0.32.0-llmfleet.1", "tag: 1.0")),
    Case("bad-enum", PLAN, ("capacityType", "'cheap'", "'spot' or 'on-demand'"), edit("capacityType: spot", "capacityType: cheap")),
    Case("rich-markup-in-value", PLAN, ("owner", "[bold]x[/]"), edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: '[bold]x[/]'")),
    Case("gcp-secret-manager", PLAN, ("token.gcpSecretManager", "[/versions/V]", "^projects/"),
         edit("config: hfToken", "gcpSecretManager: projects/p/oops")),
    Case("secret-in-config-name", PLAN, ("models[0].source.token.config", "not shown"), edit("config: hfToken", f"config: {PLANTED}"),
         hidden=(PLANTED,)),
    Case("secret-in-env-name", PLAN, ("targets[0].kubeconfig.env", "not shown"),
         edit("env: LLMFLEET_LAB_KUBECONFIG", "env: ghp_PLANTEDsecret0123456789abcdefXYZ"), hidden=("PLANTEDsecret",)),
    Case("plain-secret-value", PLAN, ("targets[0].weights.credentials", "secret reference"),
         edit("        credentials:\n          config: labWeightsCredentials", "        credentials: AKIAPLANTED12345678"),
         hidden=("AKIAPLANTED",)),
    Case("plain-kubeconfig", PLAN, ("targets[0].kubeconfig", "secret reference"),
         edit("      kubeconfig:\n        env: LLMFLEET_LAB_KUBECONFIG", "      kubeconfig: PLANTED-kube-token"),
         hidden=("PLANTED-kube",)),
    # --- files given as arguments -------------------------------------------------------------
    Case("binary-plan", ("policy", "plan.json"), ("plan.json", "not a Plan"), write("plan.json", bytes(range(256)) * 4)),
    Case("directory-plan", ("cost", "plans.json"), ("plans.json", "is a directory"), mkdir("plans.json")),
    Case("missing-plan", ("policy", "nothere.json"), ("nothere.json", "no such Plan file"), None),
    Case("not-a-plan", ("report", "x.json", "--out", "r.html"), ("x.json", "not a Plan"), write("x.json", "[1, 2]")),
    Case("plan-wrong-version", ("policy", "p.json"), ("p.json", "schemaVersion"),
         write("p.json", json.dumps({"schemaVersion": 9, "stack": "dev", "resources": []}))),
    Case("plan-bad-resources", ("policy", "p.json"), ("p.json", "resources[0].urn"),
         write("p.json", json.dumps({"schemaVersion": 1, "stack": "dev", "resources": [{"type": "x", "name": "y"}]}))),
    Case("plan-deep-json", ("policy", "p.json"), ("p.json",), write("p.json", "[" * 100_000 + "]" * 100_000)),
    # --- --out ------------------------------------------------------------------------------------
    Case("out-is-a-directory", ("plan", "dev", "--out", "outdir"), ("--out", "outdir", "is a directory"), mkdir("outdir")),
    Case("policy-out-is-a-directory", ("policy", "dev", "--out", "outdir"), ("--out", "is a directory"), mkdir("outdir")),
    Case("report-out-is-a-directory", ("report", "dev", "--out", "outdir"), ("--out", "is a directory"), mkdir("outdir")),
    Case("schema-out-is-a-directory", ("schema", "--out", "outdir"), ("--out", "is a directory"), mkdir("outdir")),
    Case("out-unwritable", ("plan", "dev", "--out", "/proc/llmfleet/plan.json"), ("--out", "not writable"), None),
    Case("out-under-a-file", ("policy", "dev", "--out", "afile/report.json"), ("--out", "afile", "is a file"),
         write("afile", "x")),
    Case("render-into-a-file", ("render", "dev", "--out", "afile"), ("--out", "is a file"), write("afile", "x")),
    Case("render-into-foreign-folder", ("render", "dev", "--out", "manifests"), ("--out", "not empty", MANIFEST),
         write("manifests/mine.yaml", "kind: ConfigMap\n")),
    Case("render-damaged-manifest", ("render", "dev", "--out", "manifests"), ("--out", "damaged"),
         write(f"manifests/{MANIFEST}", "{not json")),
    Case("render-manifest-escapes", ("render", "dev", "--out", "manifests"), ("outside the folder",),
         write(f"manifests/{MANIFEST}", json.dumps({"kind": "llmfleet-render", "files": ["../Pulumi.dev.yaml"]}))),
    Case("bad-stack-after-good-out", ("plan", "dev", "--out", "build/plan.json"), ("budget.monthlyUsd",),
         edit("monthlyUsd: 3500", "monthlyUsd: -1")),
    # --- arguments and environment ----------------------------------------------------------------
    Case("unknown-stack", ("plan", "staging"), ("Pulumi.staging.yaml not found", "dev, prod"), None),
    Case("file-name-for-stack", ("plan", "Pulumi.dev.yaml"), ("give the stack name: dev",), None),
    Case("stack-file-is-a-folder", ("plan", "qa"), ("Pulumi.qa.yaml is not a file",), mkdir("Pulumi.qa.yaml")),
    Case("empty-stack-file", PLAN, ("no settings under 'config:'", "llm-fleet:environment"), write("Pulumi.dev.yaml", "")),
    Case("utf16-stack-file", PLAN, ("line 1", "not UTF-8"),
         write("Pulumi.dev.yaml", (ROOT / "Pulumi.dev.yaml").read_text().encode("utf-16"))),
    Case("capacity-flag-named", ("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--max-model-len", "99999999"),
         ("--max-model-len:", "131,072"), None),
    Case("stack-name-path", ("plan", "..dev"), ("stack name '..dev'",), None),
    Case("max-model-len-zero", ("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--max-model-len", "0"),
         ("--max-model-len", "'0'", "'native'"), None),
    Case("max-model-len-word", ("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--max-model-len", "lots"),
         ("--max-model-len", "'lots'"), None),
    Case("tp-zero", ("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--tp", "0"), ("--tp",), None),
    Case("concurrency-zero", ("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--recommend", "--concurrency", "0"),
         ("--concurrency",), None),
    Case("utilization", ("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--gpu-memory-utilization", "1.5"),
         ("--gpu-memory-utilization", "1.5"), None),
    Case("unknown-model", ("capacity", "-m", "llama-3.1-8", "-g", "L4"), ("llama-3.1-8b",), None),
    Case("unknown-gpu", ("capacity", "-m", "llama-3.1-8b", "-g", "L5"), ("L5",), None),
    Case("bad-format", ("policy", "dev", "--format", "xml"), ("--format", "'xml'", "'sarif'"), None),
    Case("unknown-option", ("plan", "dev", "--bogus"), ("--bogus",), None),
    Case("unknown-command", ("polcy", "dev"), ("'polcy'", "'policy'"), None),
    Case("missing-argument", ("plan",), ("'stack'",), None),
    Case("promote-same-stack", ("promote", "dev", "dev"), ("SRC and DST",), None),
    Case("promote-bad-digest", ("promote", "dev", "prod", "--image-digest", "sha256:abc"), ("--image-digest", "64"), None),
    Case("promote-unpinned", ("promote", "dev", "prod"), ("not pinned by digest", "--image-digest sha256:"), None),
    Case("plan-timeout-env", PLAN, ("LLMFLEET_PLAN_TIMEOUT", "'soon'"), None, env={"LLMFLEET_PLAN_TIMEOUT": "soon"}),
]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name in STACK_FILES:
        shutil.copy(ROOT / name, project / name)
    return project


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under root with its content (None for folders): 'nothing half-written' compares these."""
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if not p.is_symlink()
    }


def invoke(project: Path, argv: tuple[str, ...], env: dict[str, str] | None = None) -> tuple[int, str]:
    cwd = Path.cwd()
    os.chdir(project)  # relative paths in argv are the user's, from inside the project
    try:
        result = runner.invoke(app, [*argv, *(["-C", str(project)] if _takes_project(argv) else [])], env=env)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.output


def _takes_project(argv: tuple[str, ...]) -> bool:
    return argv[0] in ("plan", "policy", "cost", "render", "promote", "report") and len(argv) > 1


def assert_one_clear_line(code: int, output: str, expect: tuple[str, ...], hidden: tuple[str, ...] = ()) -> None:
    assert code == 2, output
    assert "Traceback" not in output and "internal error" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    for text in expect:
        assert text in output, f"{text!r} missing from:\n{output}"
    for text in hidden:
        assert text not in output, f"secret {text!r} echoed"
    assert "╭" not in output, "usage errors are one line, not a panel"


@pytest.fixture
def never_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every mistake here is found before the (slow) evaluation of the program starts."""

    def evaluate(*args: object, **kwargs: object) -> None:
        raise AssertionError("the program was evaluated before the mistake was reported")

    monkeypatch.setattr(infra.plan.runner, "evaluate_config", evaluate)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_mistake_is_one_clear_line_and_exit_2(case: Case, project: Path, never_evaluated: None) -> None:
    if case.setup is not None:
        case.setup(project)
    before = tree(project)
    code, output = invoke(project, case.argv, case.env)
    assert_one_clear_line(code, output, case.expect, case.hidden)
    assert tree(project) == before, "nothing is written, half-written or left behind"


def test_the_alias_bomb_is_refused_within_a_second(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(alias_bomb(levels=12))
    started = time.monotonic()
    code, output = invoke(project, PLAN)
    assert time.monotonic() - started < 1.0
    assert_one_clear_line(code, output, ("aliases",))


def test_an_unquoted_date_is_the_date_it_reads_as(project: Path) -> None:
    # The suppression example of docs/security-reviewer.md, as written there (expires unquoted),
    # with a date in the past: the policy engine must see the date and report it as expired.
    append(SUPPRESSION.format(date="2020-01-31"))(project)
    code, output = invoke(project, ("policy", "dev", "--format", "json"))
    assert code == 0, output  # dev is advisory
    report = json.loads(output[output.index("{") :])
    messages = {f["rule"]: f["message"] for f in report["findings"]}
    assert "expired on 2020-01-31" in messages["POL-01"]


# ---------------------------------------------------------------------------
# The real process, for the cases where the process boundary matters
# ---------------------------------------------------------------------------

PROCESS_CASES = [
    pytest.param(("plan", "dev"), edit("llm-fleet:owner: ml-platform", "llm-fleet:owner: ml-pl\udcffatform"), (OWNER_LINE,), id="non-utf8"),
    pytest.param(("plan", "dev"), write("Pulumi.dev.yaml", alias_bomb()), ("aliases",), id="alias-bomb"),
    pytest.param(("plan", "dev", "--out", "outdir"), mkdir("outdir"), ("--out",), id="out-directory"),
    pytest.param(("plan", "dev", "--bogus"), None, ("--bogus",), id="unknown-option"),
    pytest.param(("capacity", "-m", "llama-3.1-8b", "-g", "L4", "--max-model-len", "0"), None, ("--max-model-len",), id="magic-zero"),
    pytest.param(("plan", "dev"), edit("config: hfToken", "gcpSecretManager: projects/p/oops"), ("[/versions/V]",), id="markup"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "setup", "expect"), PROCESS_CASES)
def test_the_installed_command_fails_the_same_way(
    argv: tuple[str, ...], setup: Setup | None, expect: tuple[str, ...], project: Path
) -> None:
    if setup is not None:
        setup(project)
    before = tree(project)
    proc = subprocess.run([str(LLMFLEET), *argv], cwd=project, capture_output=True, text=True, check=False, timeout=120)
    assert proc.stdout == ""
    assert_one_clear_line(proc.returncode, proc.stderr, expect)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert tree(project) == before


def test_help_version_and_exit_codes() -> None:
    for argv in (["-h"], ["--help"], ["plan", "-h"]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0 and "Usage" in result.output, argv
    assert "3 internal error" in runner.invoke(app, ["-h"]).output.replace("\n", " ").replace("  ", " ")
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and re.fullmatch(r"llmfleet \d+\.\d+\.\d+\n", version.output)


# ---------------------------------------------------------------------------
# Property-based: any damage to the stack file or the arguments
# ---------------------------------------------------------------------------


def check_outcome(code: int, output: str) -> None:
    """Either the stack is still valid (0/1) or one clear line and exit 2; never a crash."""
    assert "Traceback" not in output and "internal error" not in output, output
    assert code in (0, 1, 2), output
    if code == 2:
        assert len([line for line in output.splitlines() if line.startswith("error:")]) == 1, output


STACK_BYTES = (ROOT / "Pulumi.dev.yaml").read_bytes()
SCALAR_LINES = [i for i, line in enumerate(STACK_BYTES.splitlines()) if re.match(rb"^\s+[\w-]+: \S", line)]
yaml_scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["1.30", "yes", "~", "2027-02-30", "0x1F", ".inf", "-1", "1e30", "&a x", "*a", "!!binary x", "[", "{"]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.sampled_from(SCALAR_LINES), value=yaml_scalars)
def test_any_value_in_the_stack_file(project: Path, index: int, value: str) -> None:
    lines = STACK_BYTES.splitlines()
    key = lines[index].split(b":", 1)[0]
    lines[index] = key + b": " + value.encode("utf-8", "surrogateescape")
    (project / "Pulumi.dev.yaml").write_bytes(b"\n".join(lines) + b"\n")
    # --check parses and validates both stacks without evaluating the program: fast.
    check_outcome(*invoke(project, ("promote", "dev", "prod", "--check")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(0, len(STACK_BYTES)), junk=st.binary(min_size=1, max_size=8))
def test_any_bytes_anywhere_in_the_stack_file(project: Path, position: int, junk: bytes) -> None:
    (project / "Pulumi.dev.yaml").write_bytes(STACK_BYTES[:position] + junk + STACK_BYTES[position:])
    check_outcome(*invoke(project, ("promote", "dev", "prod", "--check")))


@settings(max_examples=40, deadline=None)
@given(token=st.from_regex(r"hf_[A-Za-z0-9]{30}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36}", fullmatch=True),
       where=st.sampled_from(["config: hfToken", "env: LLMFLEET_LAB_KUBECONFIG", "config: labRegistryPassword"]))  # fmt: skip
def test_a_pasted_secret_is_never_echoed(token: str, where: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = tmp_path_factory.mktemp("secret")
    for name in STACK_FILES:
        shutil.copy(ROOT / name, project / name)
    key = where.split(":")[0]
    edit(where, f"{key}: {token}")(project)
    code, output = invoke(project, ("promote", "dev", "prod", "--check"))
    assert code == 2 and token not in output, output


@settings(max_examples=40, deadline=None)
@given(value=st.text(min_size=1, max_size=12).filter(lambda v: not v.startswith("-")))
def test_any_max_model_len(value: str) -> None:
    result = runner.invoke(app, ["capacity", "-m", "llama-3.1-8b", "-g", "H100-80GB", "--max-model-len", value])
    check_outcome(result.exit_code, result.output)
    if result.exit_code == 2:
        assert "--max-model-len" in result.output or "maxModelLen" in result.output
