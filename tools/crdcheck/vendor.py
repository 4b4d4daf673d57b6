"""Fill vendor/ from local snapshots of the upstream repositories, as vendor/SOURCES lists them.

    python -m tools.crdcheck.vendor --mirrors DIR [--vendor vendor]

For each row: ``git --git-dir=<mirrors>/<owner>+<name>/repo show <tag>:<path>`` is written to
vendor/<file> byte for byte, and the commit column is set to ``<tag>^{commit}``. Rows whose commit
is ``-`` are new; rows with a commit are re-checked (a moved tag is an error). Not run by the tests:
CI has no network and no snapshots, the vendored files are committed.
"""

from __future__ import annotations

import argparse
import subprocess
from dataclasses import replace
from pathlib import Path

from tools.crdcheck.sources import VENDOR, Source, read_sources, write_sources


def git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={mirror}", *args], check=True, capture_output=True).stdout


def vendor_one(source: Source, mirrors: Path, vendor: Path) -> Source:
    mirror = mirrors / source.repository.replace("/", "+") / "repo"
    commit = git(mirror, "rev-parse", f"{source.tag}^{{commit}}").decode().strip()
    if source.commit not in ("-", commit):
        raise SystemExit(f"{source.file}: tag {source.tag} of {source.repository} is now {commit}, SOURCES says {source.commit}")
    mode = git(mirror, "ls-tree", commit, "--", source.path).decode().split(" ", 1)[0]
    if mode not in ("100644", "100755"):
        raise SystemExit(f"{source.file}: {source.path} at {source.tag} is not a regular file (mode {mode or 'absent'}); "
                         "a symbolic link: vendor the file it points to")
    local = vendor / source.file
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(git(mirror, "show", f"{commit}:{source.path}"))
    return replace(source, commit=commit)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of <owner>+<name>/repo git directories")
    parser.add_argument("--vendor", type=Path, default=VENDOR, help="the vendor folder (holds SOURCES)")
    args = parser.parse_args(argv)
    sources = read_sources(args.vendor / "SOURCES")
    write_sources([vendor_one(source, args.mirrors, args.vendor) for source in sources], args.vendor / "SOURCES")


if __name__ == "__main__":
    main()
