"""`llmfleet promote`: on copies of the real stack files, only the promotable keys change,
comments/order/formatting survive, and every unsafe case is refused with a clear message."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import infra.promote
from infra import versions
from infra.cli import app
from infra.config import ConfigError
from infra.promote import PromotionPolicyError, _dump, _yaml, promote_stacks
from serving.errors import LlmFleetError
from tests.promote.conftest import ROOT, FakePolicy, FakeReport, commit, git

NEW_DIGEST = "sha256:" + "5e" * 32
NEW_REVISION = "5206a32e0bd3067aef1ce90f5528ade7d866253f"
MANIFEST = "9c" * 32
runner = CliRunner()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new))


def prod_model(repo: Path, name: str) -> dict[str, Any]:
    config = yaml.safe_load((repo / "Pulumi.prod.yaml").read_text())["config"]
    return next(m for m in config["llm-fleet:models"] if m["name"] == name)


def without_promotable(text: str, models: set[str]) -> dict[str, Any]:
    """The parsed stack file minus the promotable keys (of the models present in both stacks)."""
    document = yaml.safe_load(text)
    config = document["config"]
    for key in ("tag", "digest"):
        config["llm-fleet:image"].pop(key, None)
    for model in config["llm-fleet:models"]:
        if model["name"] in models:
            model["source"].pop("revision")
            model["source"].pop("manifestSha256", None)
    return document


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    body = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    return [line[1:] for line in body if line.startswith("-")], [line[1:] for line in body if line.startswith("+")]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


# ---------------------------------------------------------------------------
# Fidelity of the round trip
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_round_trip_of_the_real_stack_files_is_byte_identical(stack: str) -> None:
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert _dump(_yaml().load(text)) == text


# ---------------------------------------------------------------------------
# What changes, and only that
# ---------------------------------------------------------------------------


def test_promoting_a_digest_changes_only_the_digest_line(repo: Path, policy: FakePolicy, real_plan: None) -> None:
    before = (repo / "Pulumi.prod.yaml").read_text()
    old_digest = yaml.safe_load(before)["config"]["llm-fleet:image"]["digest"]

    result = promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)

    after = (repo / "Pulumi.prod.yaml").read_text()
    assert result.exit_code == 0 and result.written
    assert [c.key for c in result.changes] == ["llm-fleet:image.digest"]
    assert (result.changes[0].old, result.changes[0].new) == (old_digest, NEW_DIGEST)
    assert changed_lines(result.diff) == ([f"    digest: {old_digest}"], [f"    digest: {NEW_DIGEST}"])
    assert result.diff.startswith("--- a/Pulumi.prod.yaml\n+++ b/Pulumi.prod.yaml\n")
    assert after == before.replace(old_digest, NEW_DIGEST)
    assert comment_lines(after) == comment_lines(before) != []
    assert without_promotable(after, {"llama-8b"}) == without_promotable(before, {"llama-8b"})
    assert result.message == (
        "promoted 1 setting(s) from 'dev' to 'prod' (llm-fleet:image.digest); wrote Pulumi.prod.yaml; "
        "not promoted (only in 'prod'): llama-70b"
    )
    # The policy pack judged the real program's Plan of the edited config, evaluated in memory.
    (plan,) = policy.plans
    assert (plan["stack"], plan["config"]["image"]["digest"]) == ("prod", NEW_DIGEST)
    assert len(plan["resources"]) > 10
    images = [v for r in plan["resources"] for v in _strings(r["props"]) if "@sha256:" in v]
    # Every serving image is the promoted digest; the endpoint picker (mirrored into the same
    # repository) keeps its own pinned digest, which promotion must not touch.
    assert {v.rsplit("@", 1)[1] for v in images} == {NEW_DIGEST, versions.ENDPOINT_PICKER_DIGEST}
    assert old_digest not in json.dumps(plan)


def test_model_revision_tag_and_manifest_are_carried_with_comments_kept(repo: Path, policy: FakePolicy) -> None:
    dev, prod = repo / "Pulumi.dev.yaml", repo / "Pulumi.prod.yaml"
    edit(dev, "tag: 0.32.0-llmfleet.1", "tag: 0.32.0-llmfleet.2\n    digest: " + NEW_DIGEST)
    edit(
        dev,
        "revision: 0e9e39f249a16976918f6564b8830bc894c89659",
        f"revision: {NEW_REVISION}\n        manifestSha256: {MANIFEST}",
    )
    # Comments on and around the keys being promoted, and on a model only prod has.
    edit(prod, "    tag: 0.32.0-llmfleet.1\n", "    tag: 0.32.0-llmfleet.1  # the release tag\n")
    edit(
        prod,
        "        revision: 0e9e39f249a16976918f6564b8830bc894c89659\n",
        "        # pinned weights, promoted from dev\n"
        "        revision: 0e9e39f249a16976918f6564b8830bc894c89659  # llama 3.1 8b instruct\n",
    )
    edit(
        prod,
        "        revision: 1605565b47bb9346c5515c34102e054115b4f98b\n",
        "        revision: 1605565b47bb9346c5515c34102e054115b4f98b  # prod-only model\n",
    )
    commit(repo)
    before = prod.read_text()

    result = promote_stacks("dev", "prod", project_dir=repo)

    after = prod.read_text()
    assert [c.key for c in result.changes] == [
        "llm-fleet:image.tag",
        "llm-fleet:image.digest",
        "llm-fleet:models[llama-8b].source.revision",
        "llm-fleet:models[llama-8b].source.manifestSha256",
    ]
    removed, added = changed_lines(result.diff)
    assert removed == [
        "    tag: 0.32.0-llmfleet.1  # the release tag",
        "    digest: sha256:4f1c8e2a9b7d6c5e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e",
        "        revision: 0e9e39f249a16976918f6564b8830bc894c89659  # llama 3.1 8b instruct",
    ]
    assert added == [
        "    tag: 0.32.0-llmfleet.2  # the release tag",
        f"    digest: {NEW_DIGEST}",
        f"        revision: {NEW_REVISION}  # llama 3.1 8b instruct",
        f"        manifestSha256: {MANIFEST}",
    ]
    assert comment_lines(after) == comment_lines(before)
    assert "# prod-only model" in after and "1605565b47bb9346c5515c34102e054115b4f98b" in after
    assert prod_model(repo, "llama-8b")["source"] == {
        "uri": "hf://meta-llama/Llama-3.1-8B-Instruct",
        "revision": NEW_REVISION,
        "manifestSha256": MANIFEST,
        "token": {"awsSecretsManager": "llm-fleet/prod/hf-token"},
    }
    assert without_promotable(after, {"llama-8b"}) == without_promotable(before, {"llama-8b"})
    # Key order inside the source mapping: the checksum follows the revision it belongs to.
    lines = after.splitlines()
    at = lines.index(f"        revision: {NEW_REVISION}  # llama 3.1 8b instruct")
    assert lines[at + 1] == f"        manifestSha256: {MANIFEST}"


def test_a_stale_manifest_checksum_is_dropped_with_a_new_revision(repo: Path, policy: FakePolicy) -> None:
    dev, prod = repo / "Pulumi.dev.yaml", repo / "Pulumi.prod.yaml"
    edit(dev, "revision: 0e9e39f249a16976918f6564b8830bc894c89659", f"revision: {NEW_REVISION}")
    edit(
        prod,
        "revision: 0e9e39f249a16976918f6564b8830bc894c89659",
        f"revision: 0e9e39f249a16976918f6564b8830bc894c89659\n        manifestSha256: {MANIFEST}",
    )
    commit(repo)

    result = promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)

    source = prod_model(repo, "llama-8b")["source"]
    assert source["revision"] == NEW_REVISION and "manifestSha256" not in source
    assert result.changes[-1].describe() == (
        f"llm-fleet:models[llama-8b].source.manifestSha256: remove '{MANIFEST}' (it belongs to the previous revision)"
    )


def test_a_second_promotion_finds_nothing_to_do(repo: Path, policy: FakePolicy) -> None:
    promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
    written = (repo / "Pulumi.prod.yaml").read_bytes()

    result = promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)

    assert (result.exit_code, result.written, result.changes, result.diff) == (0, False, [], "")
    assert result.message == "stack 'prod' is up to date with 'dev'; not promoted (only in 'prod'): llama-70b"
    assert (repo / "Pulumi.prod.yaml").read_bytes() == written


# ---------------------------------------------------------------------------
# --check
# ---------------------------------------------------------------------------


def test_check_exits_1_when_behind_and_writes_nothing(repo: Path, policy: FakePolicy) -> None:
    before = (repo / "Pulumi.prod.yaml").read_bytes()

    result = promote_stacks("dev", "prod", check=True, image_digest=NEW_DIGEST, project_dir=repo)

    assert (result.exit_code, result.written) == (1, False)
    assert result.message == (
        "stack 'prod' is behind 'dev': 1 promotable setting(s) differ (llm-fleet:image.digest); "
        f"run `llmfleet promote dev prod --image-digest {NEW_DIGEST}`; not promoted (only in 'prod'): llama-70b"
    )
    assert changed_lines(result.diff)[1] == [f"    digest: {NEW_DIGEST}"]
    assert (repo / "Pulumi.prod.yaml").read_bytes() == before
    assert policy.plans == []  # a check judges nothing and writes nothing


def test_check_exits_0_once_promoted(repo: Path, policy: FakePolicy) -> None:
    promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
    result = promote_stacks("dev", "prod", check=True, image_digest=NEW_DIGEST, project_dir=repo)
    assert result.exit_code == 0


def test_check_sees_a_newer_revision_in_src_without_a_git_check(repo: Path, policy: FakePolicy) -> None:
    edit(repo / "Pulumi.dev.yaml", "revision: 0e9e39f249a16976918f6564b8830bc894c89659", f"revision: {NEW_REVISION}")
    # Uncommitted on purpose: --check compares the files as they are.
    prod_digest = yaml.safe_load((repo / "Pulumi.prod.yaml").read_text())["config"]["llm-fleet:image"]["digest"]
    result = promote_stacks("dev", "prod", check=True, image_digest=prod_digest, project_dir=repo)
    assert result.exit_code == 1
    assert [c.key for c in result.changes] == ["llm-fleet:models[llama-8b].source.revision"]


# ---------------------------------------------------------------------------
# Refusals: nothing is written, the message says what to do
# ---------------------------------------------------------------------------


def refused(repo: Path, **kwargs: Any) -> LlmFleetError:
    before = (repo / "Pulumi.prod.yaml").read_bytes()
    with pytest.raises(LlmFleetError) as info:
        promote_stacks(kwargs.pop("src", "dev"), kwargs.pop("dst", "prod"), project_dir=repo, **kwargs)
    assert (repo / "Pulumi.prod.yaml").read_bytes() == before
    assert not list(repo.glob(".Pulumi.*")), "no temporary file is left behind"
    return info.value


def test_refuses_an_image_not_pinned_by_digest(repo: Path, policy: FakePolicy) -> None:
    error = refused(repo)
    assert error.exit_code == 2
    assert str(error) == (
        "stack 'dev': llm-fleet:image is not pinned by digest (build: true, no digest), so there is no image to "
        "promote; pass the digest main.yml built for the commit dev runs: "
        "`llmfleet promote dev prod --image-digest sha256:<64 hex>` (main.yml's job summary prints this command "
        "with the digest; or `docker buildx imagetools inspect <repository>:<commit> "
        "--format '{{json .Manifest.Digest}}'`); `--check` compares the other settings without it"
    )


def test_check_without_a_digest_compares_the_rest_and_says_so(repo: Path) -> None:
    # The documented `llmfleet promote dev prod --check`: dev builds its image, so it has no digest.
    result = promote_stacks("dev", "prod", check=True, project_dir=repo)
    assert (result.exit_code, result.written, result.changes) == (0, False, [])
    assert "the image digest was not compared: 'dev' builds its image" in result.message

    edit(repo / "Pulumi.dev.yaml", "revision: 0e9e39f249a16976918f6564b8830bc894c89659", f"revision: {NEW_REVISION}")
    behind = promote_stacks("dev", "prod", check=True, project_dir=repo)
    assert behind.exit_code == 1
    assert [c.key for c in behind.changes] == ["llm-fleet:models[llama-8b].source.revision"]
    assert "run `llmfleet promote dev prod --image-digest sha256:<digest main.yml built>`" in behind.message


def test_refuses_unpromoted_local_edits_in_src(repo: Path, policy: FakePolicy) -> None:
    edit(repo / "Pulumi.dev.yaml", "revision: 0e9e39f249a16976918f6564b8830bc894c89659", f"revision: {NEW_REVISION}")
    error = refused(repo, image_digest=NEW_DIGEST)
    assert error.exit_code == 2
    assert str(error) == (
        "Pulumi.dev.yaml has local edits that are not committed; promote only what is committed: commit them "
        "(git commit Pulumi.dev.yaml) or discard them (git restore --staged --worktree Pulumi.dev.yaml), "
        "then run again"
    )
    assert policy.plans == []


def test_staged_but_uncommitted_edits_count_as_local_edits(repo: Path, policy: FakePolicy) -> None:
    edit(repo / "Pulumi.dev.yaml", "costCenter: llm-dev", "costCenter: llm-dev2")
    git(repo, "add", "Pulumi.dev.yaml")
    assert "has local edits that are not committed" in str(refused(repo, image_digest=NEW_DIGEST))


def test_edits_elsewhere_do_not_block(repo: Path, policy: FakePolicy) -> None:
    (repo / "notes.txt").write_text("scratch\n")
    edit(
        repo / "Pulumi.prod.yaml", "costCenter: llm-prod", "costCenter: llm-prod2"
    )  # DST's own edits are DST's business
    assert promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo).written


def test_refuses_an_untracked_src(repo: Path, policy: FakePolicy) -> None:
    (repo / "Pulumi.staging.yaml").write_text((repo / "Pulumi.dev.yaml").read_text())
    error = refused(repo, src="staging", image_digest=NEW_DIGEST)
    assert str(error) == "Pulumi.staging.yaml is not committed (untracked in git); commit it, then promote"


def test_refuses_outside_a_git_work_tree(repo: Path, policy: FakePolicy, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (plain / name).write_bytes((repo / name).read_bytes())
    error = refused(plain, image_digest=NEW_DIGEST)
    assert str(error) == (
        f"cannot tell whether Pulumi.dev.yaml has local edits: {plain} is not a git work tree; "
        "promote from a git checkout"
    )


def test_refuses_when_dst_would_fail_its_policy_pack(repo: Path, policy: FakePolicy) -> None:
    def deny_new_digest(plan: dict[str, Any]) -> FakeReport:
        if plan["config"]["image"]["digest"] != NEW_DIGEST:
            return FakeReport(0)
        return FakeReport(
            1,
            [
                {
                    "rule": "IMG-01",
                    "enforcement": "mandatory",
                    "suppressed": False,
                    "urn": "urn:pulumi:prod::llm-fleet::llm-fleet:aws:Target::aws-use1",
                    "message": "image is not signed",
                },
                {"rule": "K8S-02", "enforcement": "advisory", "suppressed": False, "urn": "x", "message": "adv"},
                {"rule": "K8S-03", "enforcement": "mandatory", "suppressed": True, "urn": "y", "message": "ok"},
            ],
        )

    policy.decide = deny_new_digest
    error = refused(repo, image_digest=NEW_DIGEST)
    assert isinstance(error, PromotionPolicyError) and error.exit_code == 1
    assert str(error) == (
        "promotion refused: Pulumi.prod.yaml would fail its policy pack after the change (1 mandatory finding(s): "
        "IMG-01 aws-use1: image is not signed); nothing was written; "
        "the promoted settings cause it: fix them in Pulumi.dev.yaml, then promote again"
    )
    # The promoted config was judged, then the current one (to tell where the fix belongs).
    digests = [p["config"]["image"]["digest"] for p in policy.plans]
    assert len(digests) == 2 and digests[0] == NEW_DIGEST != digests[1]


def test_a_dst_that_fails_already_is_named_as_the_place_to_fix(repo: Path, policy: FakePolicy) -> None:
    findings = [
        {"rule": f"K8S-1{i}", "enforcement": "mandatory", "suppressed": False, "urn": f"u::ns-{i}", "message": "m"}
        for i in range(5)
    ]
    policy.decide = lambda plan: FakeReport(1, findings)
    error = refused(repo, image_digest=NEW_DIGEST)
    assert error.exit_code == 1
    assert str(error) == (
        "promotion refused: Pulumi.prod.yaml would fail its policy pack after the change (5 mandatory finding(s): "
        "K8S-10 ns-0: m; K8S-11 ns-1: m; K8S-12 ns-2: m; and 2 more); nothing was written; "
        "stack 'prod' fails its pack already without this promotion: fix Pulumi.prod.yaml first "
        "(`llmfleet policy prod`)"
    )


def test_refuses_when_the_policy_engine_is_missing(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "policy.engine", None)  # makes the import fail
    error = refused(repo, image_digest=NEW_DIGEST)
    assert error.exit_code == 2
    assert str(error).startswith("cannot check stack 'prod' against its policy pack: policy.engine is not importable (")
    assert str(error).endswith("); nothing was written")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"image_digest": "sha256:ABC"},
            "--image-digest: 'sha256:ABC' is not allowed; expected 'sha256:' followed by 64 lower-case hex digits",
        ),
        (
            {"src": "prod", "dst": "prod"},
            "SRC and DST are both 'prod'; promote between two different stacks, e.g. dev prod",
        ),
        ({"src": "dev;rm", "dst": "prod"}, "stack name 'dev;rm' is not allowed; use letters, digits, '-', '_' and '.'"),
        ({"src": "qa", "dst": "prod"}, "stack 'qa': Pulumi.qa.yaml not found; available stacks: dev, prod"),
    ],
)
def test_refuses_bad_arguments(repo: Path, policy: FakePolicy, kwargs: dict[str, Any], message: str) -> None:
    error = refused(repo, **kwargs)
    assert (error.exit_code, str(error)) == (2, message)


def test_refuses_a_digest_that_contradicts_the_pinned_one(repo: Path, policy: FakePolicy) -> None:
    edit(repo / "Pulumi.dev.yaml", "    build: true", "    digest: " + NEW_DIGEST)
    commit(repo)
    other = "sha256:" + "0" * 64
    error = refused(repo, image_digest=other)
    assert str(error) == (
        f"--image-digest: '{other}' differs from stack 'dev' llm-fleet:image.digest '{NEW_DIGEST}'; "
        "drop --image-digest or make the two agree"
    )
    # A pinned SRC needs no --image-digest at all.
    assert promote_stacks("dev", "prod", project_dir=repo).changes[0].new == NEW_DIGEST


def test_refuses_an_invalid_dst_before_editing_it(repo: Path, policy: FakePolicy) -> None:
    edit(
        repo / "Pulumi.prod.yaml",
        "capacityType: on-demand\n          nodes: {min: 1, max: 6}",
        "capacityType: x\n          nodes: {min: 1, max: 6}",
    )
    error = refused(repo, image_digest=NEW_DIGEST)
    assert isinstance(error, ConfigError) and error.exit_code == 2
    assert "targets[0].gpuPools[0].capacityType: 'x' is not allowed" in str(error)


# ---------------------------------------------------------------------------
# Atomic write
# ---------------------------------------------------------------------------


def test_a_failed_write_leaves_dst_intact(repo: Path, policy: FakePolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (repo / "Pulumi.prod.yaml").read_bytes()
    mode = os.stat(repo / "Pulumi.prod.yaml").st_mode

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(infra.promote.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
    assert (repo / "Pulumi.prod.yaml").read_bytes() == before
    assert os.stat(repo / "Pulumi.prod.yaml").st_mode == mode
    assert sorted(p.name for p in repo.iterdir() if p.name != ".git") == sorted(
        ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]
    )


def test_the_written_file_keeps_its_mode(repo: Path, policy: FakePolicy) -> None:
    os.chmod(repo / "Pulumi.prod.yaml", 0o640)
    promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
    assert os.stat(repo / "Pulumi.prod.yaml").st_mode & 0o777 == 0o640


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_cli_promote_prints_the_diff_and_exits_0(repo: Path, policy: FakePolicy) -> None:
    result = runner.invoke(app, ["promote", "dev", "prod", "--image-digest", NEW_DIGEST, "-C", str(repo)])
    assert result.exit_code == 0, result.output
    assert f"+    digest: {NEW_DIGEST}" in result.output
    assert "wrote Pulumi.prod.yaml" in result.output
    assert git(repo, "status", "--porcelain") == " M Pulumi.prod.yaml\n"


def test_cli_check_exits_1_when_behind(repo: Path, policy: FakePolicy) -> None:
    result = runner.invoke(app, ["promote", "dev", "prod", "--check", "--image-digest", NEW_DIGEST, "-C", str(repo)])
    assert result.exit_code == 1, result.output
    assert "stack 'prod' is behind 'dev'" in result.output
    assert git(repo, "status", "--porcelain") == ""


def test_cli_refusal_is_one_error_line_and_exit_2(repo: Path) -> None:
    result = runner.invoke(app, ["promote", "dev", "prod", "-C", str(repo)])
    assert result.exit_code == 2
    assert re.search(r"error: stack 'dev': llm-fleet:image is not pinned by digest", result.output)
    assert "Traceback" not in result.output


def test_cli_runs_as_a_process_from_inside_the_project(repo: Path) -> None:
    # The real entry point, run where a user runs it (no -C): the project is found from the cwd.
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "llmfleet"), "promote", "dev", "prod", "--check", "--image-digest", NEW_DIGEST],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "is behind 'dev'" in proc.stdout


# ---------------------------------------------------------------------------
# The guards: nothing but the promotable keys may change
# ---------------------------------------------------------------------------


def test_a_flow_style_image_is_edited_in_place(repo: Path, policy: FakePolicy) -> None:
    prod = repo / "Pulumi.prod.yaml"
    text = prod.read_text()
    old_digest = yaml.safe_load(text)["config"]["llm-fleet:image"]["digest"]
    block = text[text.index("  llm-fleet:image:\n") : text.index("  llm-fleet:targets:")]
    edit(prod, block, f"  llm-fleet:image: {{tag: 0.32.0-llmfleet.1, digest: {old_digest}}}  # promoted\n")
    commit(repo)
    result = promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
    assert changed_lines(result.diff)[1] == [
        f"  llm-fleet:image: {{tag: 0.32.0-llmfleet.1, digest: {NEW_DIGEST}}}  # promoted"
    ]


def test_a_reformatted_line_is_refused(repo: Path, policy: FakePolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    real_dump = infra.promote._dump
    monkeypatch.setattr(
        infra.promote, "_dump", lambda doc: real_dump(doc).replace("costCenter: llm-prod", "costCenter: 'llm-prod'")
    )
    error = refused(repo, image_digest=NEW_DIGEST)
    assert str(error) == (
        "Pulumi.prod.yaml: promotion would change a line that holds no promotable key "
        "('llm-fleet:costCenter: llm-prod'); nothing was written"
    )


def test_a_change_to_a_model_that_is_not_promoted_is_refused(
    repo: Path, policy: FakePolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_dump = infra.promote._dump
    monkeypatch.setattr(
        infra.promote,
        "_dump",
        lambda doc: real_dump(doc).replace("1605565b47bb9346c5515c34102e054115b4f98b", NEW_REVISION),
    )
    error = refused(repo, image_digest=NEW_DIGEST)
    assert str(error) == "Pulumi.prod.yaml: promotion would change more than the promotable keys; nothing was written"
    assert policy.plans == []


def test_a_dst_edited_during_the_policy_check_is_not_overwritten(repo: Path, policy: FakePolicy) -> None:
    prod = repo / "Pulumi.prod.yaml"

    def edit_meanwhile(plan: dict[str, Any]) -> FakeReport:
        prod.write_text(prod.read_text() + "# someone else's edit\n")
        return FakeReport(0)

    policy.decide = edit_meanwhile
    with pytest.raises(LlmFleetError) as info:
        promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
    assert str(info.value) == "Pulumi.prod.yaml changed while promoting; nothing was written; run again"
    assert prod.read_text().endswith("# someone else's edit\n") and NEW_DIGEST not in prod.read_text()
