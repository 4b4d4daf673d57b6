"""vendor/SOURCES: one row per vendored upstream file (where it came from, which pin it belongs to).

Columns (tab-separated, a header line, ``#`` comments allowed):

    file        path under vendor/ (crds/<component>/..., charts/<chart>/...)
    pin         the infra/versions.py constant the file belongs to; ``CONSTANT/subchart`` for a
                subchart whose version the pinned chart's own Chart.yaml fixes
    repository  GitHub owner/name
    tag         the release tag the file was taken from
    commit      the commit that tag points at (``git rev-parse TAG^{commit}``)
    path        the file's path in the repository at that tag
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "vendor"
SOURCES = VENDOR / "SOURCES"
COLUMNS = ("file", "pin", "repository", "tag", "commit", "path")


@dataclass(frozen=True)
class Source:
    file: str
    pin: str
    repository: str
    tag: str
    commit: str
    path: str

    @property
    def local(self) -> Path:
        return VENDOR / self.file


def read_sources(path: Path = SOURCES) -> list[Source]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t"))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{path}: the first row must be the header {COLUMNS}")
    sources = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            raise ValueError(f"{path}: row {number} has {len(row)} columns, expected {len(COLUMNS)}: {row}")
        sources.append(Source(*row))
    return sources


def write_sources(sources: list[Source], path: Path = SOURCES) -> None:
    header = (
        "# Upstream files vendored under vendor/ (see vendor/README.md). Tab-separated.\n"
        + "\t".join(COLUMNS)
        + "\n"
    )
    rows = ["\t".join((s.file, s.pin, s.repository, s.tag, s.commit, s.path)) for s in sorted(sources, key=lambda s: s.file)]
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
