"""infra.outputs: output paths checked up front, files written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest

from infra.outputs import MANIFEST, check_output_dir, check_output_file, write_file_atomically, write_tree
from serving.errors import LlmFleetError


def test_a_file_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("old")
    out.chmod(0o640)
    write_file_atomically(out, "new")
    assert out.read_text() == "new" and (out.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    out.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_file_atomically(out, "half \udcff")  # cannot be encoded: fails while writing
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_missing_folders_are_made_only_when_writing(tmp_path: Path) -> None:
    out = tmp_path / "build" / "deep" / "plan.json"
    check_output_file(out)
    assert not (tmp_path / "build").exists(), "the check creates nothing"
    write_file_atomically(out, "{}")
    assert out.read_text() == "{}"


@pytest.mark.parametrize(
    ("make", "target", "message"),
    [
        (lambda p: (p / "d").mkdir(), "d", "is a directory"),
        (lambda p: (p / "f").write_text("x"), "f/out.json", "is a file"),
    ],
)
def test_unusable_file_targets_are_refused(tmp_path: Path, make, target: str, message: str) -> None:
    make(tmp_path)
    with pytest.raises(LlmFleetError, match=message):
        check_output_file(tmp_path / target)


def test_an_unwritable_place_is_refused_up_front() -> None:
    with pytest.raises(LlmFleetError, match="not writable"):
        check_output_file(Path("/proc/llmfleet-test/out.json"))


def files(*names: str) -> dict[PurePosixPath, str]:
    return {PurePosixPath(name): f"{name}\n" for name in names}


def test_a_tree_records_what_it_owns_and_replaces_only_that(tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    write_tree(out, files("a/one.yaml", "b/two.yaml"), source="stack dev")
    assert json.loads((out / MANIFEST).read_text())["files"] == ["a/one.yaml", "b/two.yaml"]
    (out / "a" / "notes.md").write_text("mine")
    check_output_dir(out)  # an earlier render: accepted
    written = write_tree(out, files("a/one.yaml", "c/three.yaml"), source="stack dev")
    assert written == [out / "a" / "one.yaml", out / "c" / "three.yaml"]
    assert not (out / "b").exists(), "files (and folders) of the earlier render that left are removed"
    assert (out / "a" / "notes.md").read_text() == "mine", "files llmfleet did not write stay"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifests"], "no staging folder left"


def test_a_folder_llmfleet_did_not_write_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("kind: ConfigMap\n")
    with pytest.raises(LlmFleetError, match="not empty and holds no earlier render"):
        check_output_dir(tmp_path)


@pytest.mark.parametrize("listed", [["../outside.yaml"], ["/etc/passwd"], "not-a-list"])
def test_a_manifest_never_points_outside_its_folder(tmp_path: Path, listed: object) -> None:
    (tmp_path / "victim.yaml").write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"kind": "llmfleet-render", "files": listed}))
    with pytest.raises(LlmFleetError):
        check_output_dir(out)
    with pytest.raises(LlmFleetError):
        write_tree(out, files("x.yaml"), source="test")
    assert (tmp_path / "victim.yaml").read_text() == "keep"


def test_a_plan_file_reads_back_and_is_checked(tmp_path: Path, dev_plan) -> None:
    from infra.plan import Plan

    path = tmp_path / "plan.json"
    write_file_atomically(path, dev_plan.dumps())
    assert Plan.load(path).to_json() == dev_plan.to_json()
    data = json.loads(path.read_text())
    data["config"]["budget"]["monthlyUsd"] = -1  # a hand-edited Plan is refused like a stack file
    path.write_text(json.dumps(data))
    with pytest.raises(LlmFleetError, match=r"plan.json: its config is not a valid stack configuration \(budget"):
        Plan.load(path)
