"""``python -m tools.crdcheck.vendor`` against a real local git repository standing in for an
upstream snapshot: copies files byte for byte at the tag, fills the commit, refuses a moved tag
and a symbolic link."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.crdcheck.sources import COLUMNS, read_sources

CRD = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"},
                          ).stdout.strip()


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """<mirrors>/acme+widgets/repo: a bare clone of a repository with tag v1.0.0."""
    work = tmp_path / "work"
    (work / "crds").mkdir(parents=True)
    git(work.parent, "init", "-q", "-b", "main", str(work))
    (work / "crds" / "widgets.yaml").write_text(CRD, encoding="utf-8")
    (work / "crds" / "link.yaml").symlink_to("widgets.yaml")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "widgets")
    git(work, "tag", "v1.0.0")
    mirrors = tmp_path / "mirrors"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(mirrors / "acme+widgets" / "repo"))
    return mirrors


def write_sources(vendor: Path, *rows: tuple[str, ...]) -> None:
    vendor.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(COLUMNS), *("\t".join(row) for row in rows)]
    (vendor / "SOURCES").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(mirrors: Path, vendor: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tools.crdcheck.vendor", "--mirrors", str(mirrors), "--vendor", str(vendor)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_vendors_the_file_at_the_tag_and_fills_the_commit(upstream: Path, tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    write_sources(vendor, ("crds/widgets/widgets.yaml", "WIDGETS", "acme/widgets", "v1.0.0", "-", "crds/widgets.yaml"))
    done = run(upstream, vendor)
    assert done.returncode == 0, done.stderr
    assert (vendor / "crds/widgets/widgets.yaml").read_text(encoding="utf-8") == CRD
    [row] = read_sources(vendor / "SOURCES")
    assert row.commit == git(upstream / "acme+widgets" / "repo", "rev-parse", "v1.0.0^{commit}")
    assert run(upstream, vendor).returncode == 0  # re-checking a filled row is fine


def test_a_moved_tag_and_a_symbolic_link_are_refused(upstream: Path, tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    write_sources(vendor, ("crds/widgets/widgets.yaml", "WIDGETS", "acme/widgets", "v1.0.0", "0" * 40, "crds/widgets.yaml"))
    done = run(upstream, vendor)
    assert done.returncode != 0 and "tag v1.0.0 of acme/widgets is now" in done.stderr
    write_sources(vendor, ("crds/widgets/link.yaml", "WIDGETS", "acme/widgets", "v1.0.0", "-", "crds/link.yaml"))
    done = run(upstream, vendor)
    assert done.returncode != 0 and "is not a regular file (mode 120000)" in done.stderr
    assert not (vendor / "crds/widgets/link.yaml").exists()
