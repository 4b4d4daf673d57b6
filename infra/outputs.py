"""Where the CLI writes: checked before any work, written whole or not at all.

- ``check_output_file`` / ``check_output_dir`` run before the (slow) evaluation, so a
  directory given as ``--out FILE``, a file given as ``--out DIR``, an unwritable place or a
  folder holding someone else's files is refused at once (exit 2), not after a minute.
- ``write_file_atomically`` writes a temporary file next to the target and renames it over
  the target: a reader sees the old file or the new one, and no temporary file outlives a
  failure.
- ``write_tree`` replaces a rendered folder the same way: the new files are written into a
  temporary folder next to it, then swapped in. A folder is llmfleet's only if it holds the
  ownership manifest (``MANIFEST``) a previous render wrote; only the files listed there are
  removed, so files someone else put there are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from serving.errors import LlmFleetError

MANIFEST = ".llmfleet-render.json"
MANIFEST_KIND = "llmfleet-render"


def check_output_file(path: Path, option: str = "--out") -> None:
    """Refuse, before any work, a path that cannot take the file."""
    if path.is_dir():
        raise LlmFleetError(f"{option}: '{path}' is a directory; give a file path, e.g. {path / 'out.json'}")
    if path.exists() and not path.is_file():
        raise LlmFleetError(f"{option}: '{path}' is not a regular file; give a file path")
    _check_writable(path.parent, option, path)


def check_output_dir(path: Path, option: str = "--out") -> None:
    """Refuse, before any work, a path that is a file, unwritable, or a folder llmfleet did not write."""
    if path.exists() and not path.is_dir():
        raise LlmFleetError(f"{option}: '{path}' is a file, not a folder; give a folder path")
    if path.is_dir():
        entries = [p.name for p in path.iterdir()]
        if entries and MANIFEST not in entries:
            raise LlmFleetError(
                f"{option}: '{path}' is not empty and holds no earlier render (no {MANIFEST}); "
                "give an empty or new folder, so no stale or foreign file is mixed in"
            )
        if entries:
            owned_files(path)  # a damaged manifest is refused here, before the evaluation
    _check_writable(path if path.is_dir() else path.parent, option, path)


def _check_writable(folder: Path, option: str, target: Path) -> None:
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise LlmFleetError(f"{option}: '{target}': '{existing}' is a file, so no folder can be made there")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".llmfleet-probe-"):
            pass
    except OSError as exc:
        raise LlmFleetError(f"{option}: '{target}' is not writable ({exc.strerror or exc} in {existing})") from None


def write_file_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename; a failure leaves the old file and no temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else _default_mode()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_tree(out_dir: Path, files: Mapping[PurePosixPath, str], *, source: str) -> list[Path]:
    """Make ``out_dir`` hold exactly ``files`` (relative path -> text) plus the manifest.

    Files of an earlier render (listed in its manifest) that are not written again are
    removed; anything else in the folder stays. Returns the written paths, sorted.
    """
    previous = owned_files(out_dir) if out_dir.is_dir() else []
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        manifest = {"kind": MANIFEST_KIND, "source": source, "files": sorted(p.as_posix() for p in files)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if not out_dir.exists():
            os.rename(staging, out_dir)
        else:
            _swap_in(staging, out_dir, previous, list(files))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(out_dir / p for p in files)


def owned_files(out_dir: Path) -> list[PurePosixPath]:
    """The files an earlier render wrote into ``out_dir`` (from its manifest)."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return []
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        listed = data["files"] if isinstance(data, dict) and data.get("kind") == MANIFEST_KIND else None
    except (OSError, ValueError, KeyError):
        listed = None
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise LlmFleetError(f"--out: '{manifest}' is damaged; remove the folder '{out_dir}' or give another one")
    owned = []
    for name in listed:
        relative = PurePosixPath(name)
        # Never follow a manifest outside its folder.
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise LlmFleetError(f"--out: '{manifest}' lists '{name}', outside the folder; remove the manifest")
        owned.append(relative)
    return owned


def _swap_in(staging: Path, out_dir: Path, previous: list[PurePosixPath], current: list[PurePosixPath]) -> None:
    for relative in set(previous) - set(current):
        stale = out_dir / relative
        if stale.is_file() or stale.is_symlink():
            stale.unlink()
        _remove_empty_parents(stale.parent, out_dir)
    for relative in [*current, PurePosixPath(MANIFEST)]:
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target)


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
