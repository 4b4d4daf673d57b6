"""`llmfleet promote SRC DST`: carry the promotable settings of one stack to another.

Promotable settings are what a stack *tested* and a later stack should run unchanged:

- ``llm-fleet:image`` ``digest`` (and ``tag``): the serving image, pinned by digest;
- for every model present in both stacks (matched by ``name``): ``source.revision`` and
  ``source.manifestSha256``, the weights and the checksum of their staged manifest.

Everything else in ``Pulumi.DST.yaml`` (targets, sizes, budgets, policy, comments, key
order, quoting, flow style) is left exactly as it is: the file is edited in place with a
ruamel.yaml round trip, and two guards refuse to write if anything beyond the promotable
keys would change. The edit is written atomically (temporary file + rename).

Promotion refuses (LlmFleetError, nothing written) when:

- SRC's image is not pinned by digest (``build: true`` and no digest) and no
  ``--image-digest`` was given (exit 2): a stack that builds its image records no digest,
  CI does (main.yml pushes ``<repository>:<commit>`` and prints the digest and the promote
  command in its job summary; promote.yml resolves it from the registry);
- ``Pulumi.SRC.yaml`` has local edits, i.e. differs from git ``HEAD`` (exit 2): only what
  is committed gets promoted;
- DST, with the promoted settings, would fail its policy pack (exit 1).

``check=True`` writes nothing and makes no git or policy check: exit 1 if DST is behind SRC
(any promotable setting differs), else 0. Without a digest for a SRC that builds its image,
the check compares everything else (tag, model revisions) and says the digest was not
compared.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from infra.config import PROJECT, StackConfig
from infra.stackfile import STACK_NAME, StackFile, find_project_dir, load_stack_file, parse_stack_text
from serving.errors import LlmFleetError

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
PROMOTABLE_IMAGE_KEYS = ("tag", "digest")
PROMOTABLE_SOURCE_KEYS = ("revision", "manifestSha256")
# A line the promotion may change: one of the promotable keys and its scalar value.
PROMOTABLE_LINE = re.compile(r"^\s*(?:-\s+)?(?:tag|digest|revision|manifestSha256):\s")


class PromotionPolicyError(LlmFleetError):
    """DST would fail its policy pack after the promotion."""

    exit_code = 1


@dataclass(frozen=True)
class Change:
    """One promotable setting that differs between SRC and DST."""

    key: str
    """Key path in the stack file, e.g. ``llm-fleet:models[llama-8b].source.revision``."""
    old: str | None
    new: str | None

    def describe(self) -> str:
        if self.new is None:
            return f"{self.key}: remove {self.old!r} (it belongs to the previous revision)"
        if self.old is None:
            return f"{self.key}: add {self.new!r}"
        return f"{self.key}: {self.old!r} -> {self.new!r}"


@dataclass(frozen=True)
class PromotionResult:
    src: str
    dst: str
    changes: list[Change]
    diff: str
    """Unified diff of ``Pulumi.DST.yaml`` (empty when nothing changes)."""
    written: bool
    exit_code: int
    message: str
    skipped_models: dict[str, list[str]] = field(default_factory=dict)
    """Models present in only one of the stacks, by stack name: they are not promoted."""


@dataclass(frozen=True)
class _Promotable:
    """The promotable settings of SRC (what DST should end up with)."""

    tag: str
    digest: str | None
    """None only for a --check of a SRC that builds its image: the digest is not compared."""
    sources: dict[str, tuple[str, str | None]]
    """model name -> (revision, manifestSha256)."""


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def promote_stacks(
    src: str,
    dst: str,
    *,
    check: bool = False,
    image_digest: str | None = None,
    project_dir: Path | None = None,
) -> PromotionResult:
    """Promote SRC's image digest and model revisions into ``Pulumi.DST.yaml``.

    Raises LlmFleetError (exit 2) or PromotionPolicyError (exit 1) for every refusal; nothing is
    written then. With ``check=True`` nothing is ever written.
    """
    for name in (src, dst):
        if not re.match(STACK_NAME, name):
            raise LlmFleetError(f"stack name '{name}' is not allowed; use letters, digits, '-', '_' and '.'")
    if src == dst:
        raise LlmFleetError(f"SRC and DST are both '{src}'; promote between two different stacks, e.g. dev prod")
    if image_digest is not None and not DIGEST.match(image_digest):
        raise LlmFleetError(
            f"--image-digest: '{image_digest}' is not allowed; expected 'sha256:' followed by 64 lower-case hex digits"
        )
    root = find_project_dir(project_dir)
    src_file = load_stack_file(src, root)
    dst_file = load_stack_file(dst, root)
    src_config = src_file.parse()
    dst_config = dst_file.parse()  # DST must be valid before it is edited
    wanted = promotable_settings(src, src_config, image_digest, check=check, dst=dst)
    if not check:
        ensure_committed(root, src_file.path.name)

    old_text = dst_file.path.read_text(encoding="utf-8")
    document = _yaml().load(old_text)
    changes = apply_promotion(document, wanted, dst_file.path.name)
    new_text = _dump(document)
    diff = "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"a/{dst_file.path.name}",
            tofile=f"b/{dst_file.path.name}",
        )
    )
    skipped = _skipped_models(src, dst, src_config, dst_config)
    note = "".join(f"; not promoted (only in '{stack}'): {', '.join(names)}" for stack, names in skipped.items())
    if wanted.digest is None:
        note += (
            f"; the image digest was not compared: '{src}' builds its image, pass --image-digest with the digest "
            "main.yml built (its job summary) to compare it too"
        )
    if not changes:
        return PromotionResult(src, dst, [], "", False, 0, f"stack '{dst}' is up to date with '{src}'{note}", skipped)
    _guard_only_promotable(old_text, new_text, wanted, changes, dst_file.path.name)
    keys = ", ".join(c.key for c in changes)
    if check:
        return PromotionResult(
            src,
            dst,
            changes,
            diff,
            False,
            1,
            f"stack '{dst}' is behind '{src}': {len(changes)} promotable setting(s) differ ({keys}); "
            f"run `{promote_command(src, dst, image_digest, src_config)}`{note}",
            skipped,
        )
    check_policy(dst_file, new_text, src)
    if dst_file.path.read_text(encoding="utf-8") != old_text:  # the policy check takes a while
        raise LlmFleetError(f"{dst_file.path.name} changed while promoting; nothing was written; run again")
    write_atomically(dst_file.path, new_text)
    return PromotionResult(
        src,
        dst,
        changes,
        diff,
        True,
        0,
        f"promoted {len(changes)} setting(s) from '{src}' to '{dst}' ({keys}); wrote {dst_file.path.name}{note}",
        skipped,
    )


# ---------------------------------------------------------------------------
# What gets promoted
# ---------------------------------------------------------------------------


def promote_command(src: str, dst: str, image_digest: str | None, config: StackConfig) -> str:
    """The command that promotes SRC to DST (with the digest when SRC builds its image)."""
    if config.image.digest is not None:
        return f"llmfleet promote {src} {dst}"
    return f"llmfleet promote {src} {dst} --image-digest {image_digest or 'sha256:<digest main.yml built>'}"


def promotable_settings(
    src: str, config: StackConfig, image_digest: str | None, *, check: bool = False, dst: str = "<DST>"
) -> _Promotable:
    """SRC's promotable settings; refuses an image that is not pinned by digest (a check compares the rest)."""
    digest = config.image.digest
    if digest is not None and image_digest is not None and image_digest != digest:
        raise LlmFleetError(
            f"--image-digest: '{image_digest}' differs from stack '{src}' {PROJECT}:image.digest '{digest}'; "
            "drop --image-digest or make the two agree"
        )
    digest = digest or image_digest
    if digest is None and not check:
        raise LlmFleetError(
            f"stack '{src}': {PROJECT}:image is not pinned by digest (build: true, no digest), so there is no "
            f"image to promote; pass the digest main.yml built for the commit {src} runs: "
            f"`llmfleet promote {src} {dst} --image-digest sha256:<64 hex>` (main.yml's job summary prints this "
            "command with the digest; or `docker buildx imagetools inspect <repository>:<commit> "
            "--format '{{json .Manifest.Digest}}'`); `--check` compares the other settings without it"
        )
    sources = {m.name: (m.source.revision, m.source.manifest_sha256) for m in config.models}
    return _Promotable(tag=config.image.tag, digest=digest, sources=sources)


def apply_promotion(document: Any, wanted: _Promotable, filename: str) -> list[Change]:
    """Edit the round-trip ``document`` of DST in place; return what changed."""
    config = document.get("config") if isinstance(document, CommentedMap) else None
    if not isinstance(config, CommentedMap):
        raise LlmFleetError(f"{filename}: no 'config' mapping; a stack file holds its settings under config:")
    changes: list[Change] = []

    image_key = _project_key(config, "image")
    image = config.get(image_key) if image_key else None
    if not isinstance(image, CommentedMap):
        raise LlmFleetError(f"{filename}: {PROJECT}:image is missing or not a mapping; add it with tag and digest")
    for key, value in (("tag", wanted.tag), ("digest", wanted.digest)):
        if value is None:  # a check without the digest of a built image: not compared
            continue
        change = _set_scalar(image, key, value, after="tag", path=f"{image_key}.{key}")
        if change:
            changes.append(change)

    models_key = _project_key(config, "models")
    models = config.get(models_key) if models_key else None
    if isinstance(models, CommentedSeq):
        for model in models:
            if not isinstance(model, CommentedMap) or model.get("name") not in wanted.sources:
                continue
            source = model.get("source")
            if not isinstance(source, CommentedMap):
                continue
            revision, manifest = wanted.sources[model["name"]]
            where = f"{models_key}[{model['name']}].source"
            revision_changed = source.get("revision") != revision
            change = _set_scalar(source, "revision", revision, after=None, path=f"{where}.revision")
            if change:
                changes.append(change)
            if manifest is not None:
                change = _set_scalar(
                    source, "manifestSha256", manifest, after="revision", path=f"{where}.manifestSha256"
                )
                if change:
                    changes.append(change)
            elif revision_changed and "manifestSha256" in source:
                # SRC has no checksum for the new revision: DST's describes the old weights.
                old = str(source.pop("manifestSha256"))
                changes.append(Change(f"{where}.manifestSha256", old, None))
    return changes


def _project_key(config: CommentedMap, name: str) -> str | None:
    """The key of a project setting: ``llm-fleet:NAME`` (or bare ``NAME``, which Pulumi namespaces)."""
    for key in (f"{PROJECT}:{name}", name):
        if key in config:
            return key
    return None


def _set_scalar(mapping: CommentedMap, key: str, value: str, *, after: str | None, path: str) -> Change | None:
    if key in mapping:
        old = mapping[key]
        if old == value:
            return None
        # Keep the quoting style of the value being replaced.
        mapping[key] = type(old)(value) if isinstance(old, ScalarString) else value
        return Change(path, str(old), value)
    position = list(mapping).index(after) + 1 if after in mapping else len(mapping)
    mapping.insert(position, key, value)
    return Change(path, None, value)


def _skipped_models(src: str, dst: str, src_config: StackConfig, dst_config: StackConfig) -> dict[str, list[str]]:
    src_names = {m.name for m in src_config.models}
    dst_names = {m.name for m in dst_config.models}
    skipped = {src: sorted(src_names - dst_names), dst: sorted(dst_names - src_names)}
    return {stack: names for stack, names in skipped.items() if names}


# ---------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------


def ensure_committed(root: Path, filename: str) -> None:
    """Refuse when ``filename`` (in ``root``) differs from git HEAD: promote only what is committed."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise LlmFleetError(
                f"cannot tell whether {filename} has local edits: git is not installed; promote from a git checkout"
            ) from None

    inside = git("rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise LlmFleetError(
            f"cannot tell whether {filename} has local edits: {root} is not a git work tree; promote from a git checkout"
        )
    if git("ls-files", "--error-unmatch", "--", filename).returncode != 0:
        raise LlmFleetError(f"{filename} is not committed (untracked in git); commit it, then promote")
    diff = git("diff", "--quiet", "HEAD", "--", filename)
    if diff.returncode == 1:
        raise LlmFleetError(
            f"{filename} has local edits that are not committed; promote only what is committed: commit them "
            f"(git commit {filename}) or discard them (git restore --staged --worktree {filename}), then run again"
        )
    if diff.returncode != 0:
        detail = diff.stderr.strip().splitlines()[0] if diff.stderr.strip() else f"exit {diff.returncode}"
        raise LlmFleetError(f"cannot tell whether {filename} has local edits: git diff failed ({detail})")


def check_policy(dst_file: StackFile, new_text: str, src: str) -> None:
    """Evaluate DST with the promoted settings, in memory, against the policy pack."""
    candidate = parse_stack_text(dst_file.stack, dst_file.path, new_text)
    evaluate_plan = _policy_evaluator(dst_file.stack)
    report = evaluate_plan(_plan_json(candidate, candidate.parse()))
    if report.exit_code == 0:
        return
    findings = _blocking_findings(report)
    listed = "; ".join(findings[:3]) + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
    # Say where the fix belongs: does DST fail already, without the promoted settings?
    before = evaluate_plan(_plan_json(dst_file, dst_file.parse()))
    if before.exit_code != 0:
        hint = (
            f"stack '{dst_file.stack}' fails its pack already without this promotion: fix {dst_file.path.name} "
            f"first (`llmfleet policy {dst_file.stack}`)"
        )
    else:
        hint = f"the promoted settings cause it: fix them in Pulumi.{src}.yaml, then promote again"
    raise PromotionPolicyError(
        f"promotion refused: {dst_file.path.name} would fail its policy pack after the change "
        f"({len(findings)} mandatory finding(s){': ' + listed if listed else ''}); nothing was written; {hint}"
    )


def _plan_json(stack_file: StackFile, config: StackConfig) -> dict[str, Any]:
    """The offline Plan of a stack file's (edited, in-memory) config, as the policy engine reads it."""
    from infra.plan import evaluate_config

    return evaluate_config(stack_file, config).to_json()


def _policy_evaluator(stack: str) -> Callable[[dict[str, Any]], Any]:
    """policy.engine.evaluate_plan: Plan JSON -> report with ``exit_code`` (tests replace this)."""
    try:
        from policy.engine import evaluate_plan
    except ImportError as exc:
        raise LlmFleetError(
            f"cannot check stack '{stack}' against its policy pack: policy.engine is not importable ({exc}); "
            "nothing was written"
        ) from None
    return evaluate_plan


def _blocking_findings(report: Any) -> list[str]:
    """``RULE resource: message`` for each unsuppressed mandatory finding of a policy report."""
    try:
        data = report.to_json()
    except Exception:  # noqa: BLE001 - the report format is the policy engine's; fall back to a count
        return []
    lines = []
    for finding in data.get("findings", []):
        if finding.get("enforcement") != "mandatory" or finding.get("suppressed"):
            continue
        resource = str(finding.get("urn") or "stack").rsplit("::", 1)[-1]
        lines.append(f"{finding.get('rule')} {resource}: {finding.get('message')}")
    return lines


# ---------------------------------------------------------------------------
# Guards and writing
# ---------------------------------------------------------------------------


def _guard_only_promotable(
    old_text: str, new_text: str, wanted: _Promotable, changes: list[Change], filename: str
) -> None:
    """Refuse to write when anything but the promotable keys would change (text and data).

    A changed line must hold a promotable key, or (flow style, ``image: {tag: ..}``) differ
    from its old version only in the promoted values.
    """
    values = sorted({v for c in changes for v in (c.old, c.new) if v}, key=len, reverse=True)

    def masked(line: str) -> str:
        for value in values:
            line = line.replace(value, "\0")
        return line

    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = old_lines[i1:i2], new_lines[j1:j2]
        if tag == "replace" and len(removed) == len(added):
            leftover = [(a, b) for a, b in zip(removed, added, strict=True) if masked(a) != masked(b)]
            lines = [line for pair in leftover for line in pair]
        else:
            lines = removed + added
        for line in lines:
            if not PROMOTABLE_LINE.match(line):
                raise LlmFleetError(
                    f"{filename}: promotion would change a line that holds no promotable key ({line.strip()!r}); "
                    "nothing was written"
                )
    if _without_promotable(yaml.safe_load(old_text), wanted) != _without_promotable(yaml.safe_load(new_text), wanted):
        raise LlmFleetError(f"{filename}: promotion would change more than the promotable keys; nothing was written")


def _without_promotable(document: Any, wanted: _Promotable) -> Any:
    """A copy of a parsed stack file with the promotable keys removed."""
    config = dict((document or {}).get("config") or {})
    for name in ("image", f"{PROJECT}:image"):
        if isinstance(config.get(name), dict):
            config[name] = {k: v for k, v in config[name].items() if k not in PROMOTABLE_IMAGE_KEYS}
    for name in ("models", f"{PROJECT}:models"):
        if isinstance(config.get(name), list):
            models = []
            for model in config[name]:
                if (
                    isinstance(model, dict)
                    and model.get("name") in wanted.sources
                    and isinstance(model.get("source"), dict)
                ):
                    source = {k: v for k, v in model["source"].items() if k not in PROMOTABLE_SOURCE_KEYS}
                    model = {**model, "source": source}
                models.append(model)
            config[name] = models
    return {**(document or {}), "config": config}


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename: readers see the old file or the new one."""
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _yaml() -> YAML:
    """A round-trip YAML that reproduces the stack files byte for byte (tested on both)."""
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 4096  # never re-wrap long flow sequences
    return rt


def _dump(document: Any) -> str:
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    return buffer.getvalue()
