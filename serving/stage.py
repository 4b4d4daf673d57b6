"""Model staging: copy a model at a pinned revision into a target's bucket, with a sha256 manifest.

Run as a Kubernetes Job by the infra (``python -m serving.stage`` or
``python -m serving.launch stage``)::

    python -m serving.stage \\
        --source hf://meta-llama/Llama-3.1-8B-Instruct --revision 0e9e39f2... \\
        --dest s3://llm-weights/llama-8b/0e9e39f2... \\
        --allow-source hf://meta-llama/ [--dest-endpoint-url https://minio.lab.internal:9000]

Sources: ``hf://org/repo`` (huggingface_hub, which the vLLM image carries), ``s3://``,
``gs://`` or a local directory. Destinations: ``s3://`` (AWS or any S3-compatible
endpoint), ``gs://``, or an absolute path on a mounted volume (an on-prem weights PVC). Credentials come only from the environment or the workload
identity (``HF_TOKEN``, the AWS/GCP default chains); URIs carrying credentials are
refused and nothing secret is printed.

How a copy stays correct:

1. Every object is uploaded with its sha256 in the object metadata (``x-amz-meta-sha256``
   / GCS metadata), computed while the file came from the source. Uploads are multipart
   and parallel (boto3 TransferConfig; GCS transfer_manager); an interrupted multipart
   upload never becomes an object.
2. A rerun skips every object that already exists with the source's size and a sha256
   in its metadata (equal to the source's where the source publishes one): an
   interrupted copy resumes without re-sending what is complete.
3. After the copy every object is read back and hashed. A mismatch deletes the object and
   copies it again; a second mismatch fails the Job. The manifest is written last, only
   when every file verified, so a half-staged or corrupt model has no manifest.
4. With a manifest in place, a rerun checks each object's size and ETag against it
   (``--deep-verify`` re-hashes): all equal is a no-op; any difference removes the
   manifest first, repairs the bad files, and writes the manifest again.

The launcher refuses to serve a bucket model without a matching manifest
(:func:`verify_staged`).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import fnmatch
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from pydantic import Field, ValidationError

from serving._wire import WireModel, first_errors
from serving.errors import LlmFleetError

MANIFEST_NAME = "manifest.json"
META_SHA256 = "sha256"
META_REVISION = "llmfleet-revision"
DEFAULT_EXCLUDE = (".gitattributes", ".git/*", "original/*", ".llmfleet-staging/*", "*.partial")
"""Skipped by default: git metadata, Meta's duplicate ``original/`` consolidated checkpoints, and
the bookkeeping of a local staged copy."""
ALLOWED_SOURCES_ENV = "LLMFLEET_STAGE_ALLOWED_SOURCES"
CHUNK = 8 * 2**20

FaultHook = Callable[[str, str, Path | None], None]
"""Test hook: called with (event, path, local file) at "fetched" (after hashing, before the
upload: it may alter the file) and "uploaded". Raising interrupts the run."""


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------


class ManifestFile(WireModel):
    path: str
    size: int = Field(..., ge=0)
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    etag: str


class Manifest(WireModel):
    """``manifest.json`` at the destination prefix: written last, only after every file verified."""

    schema_version: int = 1
    source: str
    revision: str
    created_at: str
    total_bytes: int
    files: list[ManifestFile]

    def to_bytes(self) -> bytes:
        return (json.dumps(self.model_dump(mode="json", by_alias=True), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes, origin: str) -> Manifest:
        try:
            return cls.model_validate(json.loads(data))
        except (ValueError, ValidationError) as exc:
            detail = first_errors(exc) if isinstance(exc, ValidationError) else str(exc)
            raise LlmFleetError(f"{origin}: not a staging manifest: {detail}") from None


class StageReport(WireModel):
    source: str
    destination: str
    revision: str
    status: str = Field(..., description="'copied', 'resumed', 'repaired' or 'noop'.")
    files: int
    total_bytes: int
    copied: list[str]
    skipped: list[str]
    repaired: list[str]
    bytes_uploaded: int
    manifest_sha256: str


# ---------------------------------------------------------------------------
# URIs and the allow-list
# ---------------------------------------------------------------------------


class Uri(NamedTuple):
    scheme: str  # hf, s3, gs, file
    bucket: str  # repo for hf ("org/name"), bucket for s3/gs, "" for file
    prefix: str  # key prefix without leading/trailing slash; path for file

    def join(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path


def parse_uri(uri: str, *, what: str) -> Uri:
    """Split a source/destination URI, refusing credentials, queries and '..' segments."""
    if re.search(r"^[a-z0-9]+://[^/]*@", uri) or "?" in uri or "#" in uri:
        raise LlmFleetError(f"{what}: '{_redact(uri)}' must not carry credentials, a query or a fragment")
    if any(part == ".." for part in uri.split("/")):
        raise LlmFleetError(f"{what}: '{uri}' must not contain '..'")
    match = re.fullmatch(r"(s3|gs)://([a-z0-9][a-z0-9._-]{1,254})(?:/(.*))?", uri)
    if match:
        return Uri(match[1], match[2], (match[3] or "").strip("/"))
    match = re.fullmatch(r"hf://([\w.-]+/[\w.-]+)(?:@([\w.-]+))?/?", uri)
    if match:
        return Uri("hf", match[1], match[2] or "")
    if uri.startswith("file://"):
        return Uri("file", "", uri.removeprefix("file://"))
    if uri.startswith("/"):
        return Uri("file", "", uri)
    raise LlmFleetError(
        f"{what}: '{uri}' is not a supported URI (allowed: hf://org/repo[@revision], s3://bucket/prefix, "
        "gs://bucket/prefix, or an absolute local path)"
    )


def _redact(uri: str) -> str:
    return re.sub(r"//[^/@]*@", "//[secret]@", re.sub(r"\?.*", "?[secret]", uri))


def check_allowed(source: str, allowed: Sequence[str]) -> None:
    """The source must sit under one of the allowed prefixes (``hf://meta-llama/``, ``s3://bucket/models``)."""
    if not allowed:
        raise LlmFleetError(
            f"allowedSources: empty, so no source is allowed (source '{source}'); pass --allow-source PREFIX "
            f"or set {ALLOWED_SOURCES_ENV}"
        )
    for prefix in allowed:
        base = prefix.rstrip("/")
        if (
            source == base
            or source.startswith(base + "/")
            or (source.startswith(base + "@") and base.startswith("hf://"))
        ):
            return
    raise LlmFleetError(f"source: '{source}' is not under an allowed prefix (allowed: {', '.join(allowed)})")


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    path: str
    size: int
    sha256: str | None = None


class Source(Protocol):
    uri: str

    def list_files(self) -> list[SourceFile]: ...

    def fetch(self, path: str, dest: Path) -> None: ...


class LocalSource:
    def __init__(self, root: Path, uri: str):
        self.root, self.uri = root, uri
        if not root.is_dir():
            raise LlmFleetError(f"source: {root} is not a directory")

    def list_files(self) -> list[SourceFile]:
        out = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out.append(SourceFile(path.relative_to(self.root).as_posix(), path.stat().st_size))
        return out

    def fetch(self, path: str, dest: Path) -> None:
        shutil.copyfile(self.root / path, dest)


class S3Source:
    def __init__(self, uri: Uri, text: str, client: Any, transfer: Any):
        self.loc, self.uri, self.client, self.transfer = uri, text, client, transfer

    def list_files(self) -> list[SourceFile]:
        known = _source_manifest_hashes(self._get(MANIFEST_NAME))
        out = []
        start = self.loc.prefix + "/" if self.loc.prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.loc.bucket, Prefix=start):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(start) :]
                if rel and rel != MANIFEST_NAME and not rel.endswith("/"):
                    out.append(SourceFile(rel, obj["Size"], known.get(rel)))
        return out

    def _get(self, path: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.loc.bucket, Key=self.loc.join(path))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def fetch(self, path: str, dest: Path) -> None:
        self.client.download_file(self.loc.bucket, self.loc.join(path), str(dest), Config=self.transfer)


class GcsSource:
    def __init__(self, uri: Uri, text: str, client: Any):
        self.loc, self.uri, self.client = uri, text, client
        self.bucket = client.bucket(uri.bucket)

    def list_files(self) -> list[SourceFile]:
        manifest = self.bucket.get_blob(self.loc.join(MANIFEST_NAME))
        known = _source_manifest_hashes(manifest.download_as_bytes() if manifest else None)
        start = self.loc.prefix + "/" if self.loc.prefix else ""
        out = []
        for blob in self.client.list_blobs(self.loc.bucket, prefix=start):
            rel = blob.name[len(start) :]
            if rel and rel != MANIFEST_NAME and not rel.endswith("/"):
                out.append(SourceFile(rel, blob.size, known.get(rel)))
        return out

    def fetch(self, path: str, dest: Path) -> None:
        self.bucket.blob(self.loc.join(path)).download_to_filename(str(dest))


class HfSource:
    """A Hugging Face repo at a pinned commit (``HF_TOKEN`` from the environment for gated repos)."""

    def __init__(self, repo: str, revision: str, uri: str):
        if not re.fullmatch(r"[0-9a-f]{40}", revision):
            raise LlmFleetError(
                f"revision: '{revision}' is not a pinned commit (allowed: the 40-hex commit sha of {repo}); "
                "branches and tags move"
            )
        try:
            import huggingface_hub
        except ImportError:
            raise LlmFleetError(
                "source: hf:// needs huggingface_hub, which the serving image carries; run staging in that image"
            ) from None
        self.hub, self.repo, self.revision, self.uri = huggingface_hub, repo, revision, uri

    def list_files(self) -> list[SourceFile]:
        api = self.hub.HfApi()
        out = []
        for item in api.list_repo_tree(self.repo, revision=self.revision, recursive=True, expand=True):
            if getattr(item, "size", None) is None:  # folders
                continue
            lfs = getattr(item, "lfs", None)
            out.append(SourceFile(item.path, item.size, getattr(lfs, "sha256", None) if lfs else None))
        return out

    def fetch(self, path: str, dest: Path) -> None:
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            got = self.hub.hf_hub_download(self.repo, path, revision=self.revision, local_dir=tmp)
            shutil.move(got, dest)


def _source_manifest_hashes(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    try:
        manifest = Manifest.model_validate(json.loads(data))
    except (ValueError, ValidationError):
        return {}
    return {f.path: f.sha256 for f in manifest.files}


# ---------------------------------------------------------------------------
# Destinations
# ---------------------------------------------------------------------------


class ObjectInfo(NamedTuple):
    size: int
    etag: str
    sha256: str | None


class Destination(Protocol):
    uri: str

    def head(self, path: str) -> ObjectInfo | None: ...

    def upload(self, local: Path, path: str, sha256: str, revision: str) -> None: ...

    def read_sha256(self, path: str) -> str: ...

    def delete(self, path: str) -> None: ...

    def get_bytes(self, path: str) -> bytes | None: ...

    def put_bytes(self, path: str, data: bytes) -> None: ...


class S3Destination:
    def __init__(self, uri: Uri, text: str, client: Any, transfer: Any):
        self.loc, self.uri, self.client, self.transfer = uri, text, client, transfer

    def head(self, path: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            got = self.client.head_object(Bucket=self.loc.bucket, Key=self.loc.join(path))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(got["ContentLength"], got["ETag"].strip('"'), got.get("Metadata", {}).get(META_SHA256))

    def upload(self, local: Path, path: str, sha256: str, revision: str) -> None:
        self.client.upload_file(
            str(local),
            self.loc.bucket,
            self.loc.join(path),
            Config=self.transfer,
            ExtraArgs={"Metadata": {META_SHA256: sha256, META_REVISION: revision}},
        )

    def read_sha256(self, path: str) -> str:
        body = self.client.get_object(Bucket=self.loc.bucket, Key=self.loc.join(path))["Body"]
        digest = hashlib.sha256()
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
        return digest.hexdigest()

    def delete(self, path: str) -> None:
        self.client.delete_object(Bucket=self.loc.bucket, Key=self.loc.join(path))

    def get_bytes(self, path: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.loc.bucket, Key=self.loc.join(path))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def put_bytes(self, path: str, data: bytes) -> None:
        sha = hashlib.sha256(data).hexdigest()
        self.client.put_object(
            Bucket=self.loc.bucket,
            Key=self.loc.join(path),
            Body=data,
            ContentType="application/json",
            Metadata={META_SHA256: sha},
        )


class GcsDestination:
    def __init__(self, uri: Uri, text: str, client: Any, chunk_bytes: int, workers: int):
        self.loc, self.uri, self.client = uri, text, client
        self.bucket = client.bucket(uri.bucket)
        self.chunk_bytes, self.workers = chunk_bytes, workers

    def head(self, path: str) -> ObjectInfo | None:
        blob = self.bucket.get_blob(self.loc.join(path))
        if blob is None:
            return None
        return ObjectInfo(blob.size, blob.etag, (blob.metadata or {}).get(META_SHA256))

    def upload(self, local: Path, path: str, sha256: str, revision: str) -> None:
        blob = self.bucket.blob(self.loc.join(path))
        blob.metadata = {META_SHA256: sha256, META_REVISION: revision}
        size = local.stat().st_size
        if size > self.chunk_bytes:
            from google.cloud.storage import transfer_manager

            transfer_manager.upload_chunks_concurrently(
                str(local), blob, chunk_size=self.chunk_bytes, max_workers=self.workers
            )
        else:
            blob.upload_from_filename(str(local), checksum="crc32c")

    def read_sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        with self.bucket.blob(self.loc.join(path)).open("rb", chunk_size=CHUNK) as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def delete(self, path: str) -> None:
        self.bucket.blob(self.loc.join(path)).delete()

    def get_bytes(self, path: str) -> bytes | None:
        blob = self.bucket.get_blob(self.loc.join(path))
        return None if blob is None else blob.download_as_bytes()

    def put_bytes(self, path: str, data: bytes) -> None:
        blob = self.bucket.blob(self.loc.join(path))
        blob.metadata = {META_SHA256: hashlib.sha256(data).hexdigest()}
        blob.upload_from_string(data, content_type="application/json")


class LocalDestination:
    """A directory (an on-prem weights PVC): files land by atomic rename; each file's sha256 is
    recorded under ``.llmfleet-staging/`` together with the size and mtime it belongs to."""

    SIDECAR = ".llmfleet-staging"

    def __init__(self, root: Path, uri: str):
        self.root, self.uri = root, uri
        root.mkdir(parents=True, exist_ok=True)

    def _etag(self, path: Path) -> str:
        st = path.stat()
        return f"{st.st_size}-{st.st_mtime_ns}"

    def _sidecar(self, path: str) -> Path:
        return self.root / self.SIDECAR / f"{path}.sha256"

    def head(self, path: str) -> ObjectInfo | None:
        target = self.root / path
        if not target.is_file():
            return None
        etag = self._etag(target)
        sidecar = self._sidecar(path)
        sha = None
        if sidecar.is_file():
            recorded, _, for_etag = sidecar.read_text().strip().partition(" ")
            sha = recorded if for_etag == etag else None
        return ObjectInfo(target.stat().st_size, etag, sha)

    def upload(self, local: Path, path: str, sha256: str, revision: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(local, partial)
        os.replace(partial, target)
        sidecar = self._sidecar(path)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(f"{sha256} {self._etag(target)}\n")

    def read_sha256(self, path: str) -> str:
        return _sha256_file(self.root / path)

    def delete(self, path: str) -> None:
        (self.root / path).unlink(missing_ok=True)
        self._sidecar(path).unlink(missing_ok=True)

    def get_bytes(self, path: str) -> bytes | None:
        target = self.root / path
        return target.read_bytes() if target.is_file() else None

    def put_bytes(self, path: str, data: bytes) -> None:
        target = self.root / path
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)


# ---------------------------------------------------------------------------
# Opening URIs (boto3 / google-cloud-storage imported only when needed)
# ---------------------------------------------------------------------------


def s3_client(endpoint_url: str | None = None) -> Any:
    """An S3 client from the default credential chain; path-style addressing for custom endpoints."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 10, "mode": "adaptive"},
        s3={"addressing_style": "path"} if endpoint_url else None,
        request_checksum_calculation="when_supported",
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def s3_transfer(part_size_mib: int, part_workers: int) -> Any:
    from boto3.s3.transfer import TransferConfig

    size = part_size_mib * 2**20
    return TransferConfig(multipart_threshold=size, multipart_chunksize=size, max_concurrency=part_workers)


def gcs_client() -> Any:
    from google.cloud import storage

    return storage.Client()


def open_source(uri: str, revision: str, options: StageOptions) -> Source:
    loc = parse_uri(uri, what="source")
    if loc.scheme == "hf":
        if loc.prefix and loc.prefix != revision:
            raise LlmFleetError(f"source: '{uri}' pins revision {loc.prefix}, but --revision is {revision}")
        return HfSource(loc.bucket, revision, uri)
    if loc.scheme == "s3":
        return S3Source(
            loc, uri, s3_client(options.source_endpoint_url), s3_transfer(options.part_size_mib, options.part_workers)
        )
    if loc.scheme == "gs":
        return GcsSource(loc, uri, gcs_client())
    return LocalSource(Path(loc.prefix), uri)


def open_destination(uri: str, options: StageOptions) -> Destination:
    loc = parse_uri(uri, what="dest")
    if loc.scheme == "s3":
        return S3Destination(
            loc, uri, s3_client(options.dest_endpoint_url), s3_transfer(options.part_size_mib, options.part_workers)
        )
    if loc.scheme == "gs":
        return GcsDestination(loc, uri, gcs_client(), options.part_size_mib * 2**20, options.part_workers)
    if loc.scheme == "file":
        return LocalDestination(Path(loc.prefix), uri)
    raise LlmFleetError(
        f"dest: '{uri}' is not a destination (allowed: s3://bucket/prefix, gs://bucket/prefix, or an absolute path "
        "on a mounted volume)"
    )


# ---------------------------------------------------------------------------
# The staging run
# ---------------------------------------------------------------------------


@dataclass
class StageOptions:
    workers: int = 4
    """Files copied at once."""
    part_size_mib: int = 64
    """Multipart part size (S3's minimum is 5 MiB)."""
    part_workers: int = 8
    """Parts of one file uploaded at once."""
    deep_verify: bool = False
    """On an already staged destination, re-hash every object instead of comparing size and ETag."""
    max_attempts: int = 2
    """Copies of one file before a checksum mismatch fails the run."""
    exclude: Sequence[str] = DEFAULT_EXCLUDE
    scratch_dir: Path | None = None
    source_endpoint_url: str | None = None
    dest_endpoint_url: str | None = None
    log: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr, flush=True))


def stage(
    source: str,
    dest: str,
    revision: str,
    allowed_sources: Sequence[str],
    options: StageOptions | None = None,
    *,
    source_impl: Source | None = None,
    dest_impl: Destination | None = None,
    fault_hook: FaultHook | None = None,
) -> StageReport:
    """Copy ``source`` at ``revision`` to ``dest``, verify it, and write the manifest. Idempotent."""
    opts = options or StageOptions()
    if not re.fullmatch(r"[\w.-]{1,64}", revision):
        raise LlmFleetError(f"revision: '{revision}' is not a revision (allowed: letters, digits, '.', '_', '-')")
    parse_uri(source, what="source")
    check_allowed(source, allowed_sources)
    src = source_impl or open_source(source, revision, opts)
    dst = dest_impl or open_destination(dest, opts)
    return _Run(src, dst, revision, opts, fault_hook).run()


class _Run:
    def __init__(self, src: Source, dst: Destination, revision: str, opts: StageOptions, hook: FaultHook | None):
        self.src, self.dst, self.revision, self.opts = src, dst, revision, opts
        self.hook = hook or (lambda event, path, local: None)
        self.lock = threading.Lock()
        self.uploaded_bytes = 0
        self.sha: dict[str, str] = {}
        self.scratch = Path(tempfile.gettempdir())

    def run(self) -> StageReport:
        files = self._listing()
        existing = self.dst.get_bytes(MANIFEST_NAME)
        suspect: set[str] = set()
        if existing is not None:
            manifest = Manifest.from_bytes(existing, f"{self.dst.uri}/{MANIFEST_NAME}")
            if manifest.revision != self.revision:
                raise LlmFleetError(
                    f"dest: {self.dst.uri} holds revision {manifest.revision}, not {self.revision}; "
                    "stage each revision into its own prefix"
                )
            suspect = self._check_against(manifest, files)
            if not suspect:
                self.opts.log(f"stage: {self.dst.uri} already holds {self.src.uri}@{self.revision}; nothing to do")
                return self._report(files, "noop", [], [f.path for f in files], [], existing)
            self.opts.log(f"stage: {len(suspect)} object(s) differ from the manifest: {', '.join(sorted(suspect))}")
            # Never leave a manifest that vouches for objects being replaced.
            self.dst.delete(MANIFEST_NAME)

        with tempfile.TemporaryDirectory(prefix="llmfleet-stage-", dir=self.opts.scratch_dir) as scratch:
            self.scratch = Path(scratch)
            copied, skipped = self._copy_all(files, force=suspect)
            repaired = self._verify_all(files)
        manifest = Manifest(
            source=self.src.uri,
            revision=self.revision,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            total_bytes=sum(f.size for f in files),
            files=[self._entry(f) for f in files],
        )
        data = manifest.to_bytes()
        self.dst.put_bytes(MANIFEST_NAME, data)
        status = "repaired" if suspect or repaired else ("resumed" if skipped else "copied")
        fixed = sorted(set(repaired) | (suspect & set(copied)))
        self.opts.log(
            f"stage: {status}: {len(copied)} copied ({len(fixed)} of them repairs), {len(skipped)} already complete; "
            f"manifest sha256 {hashlib.sha256(data).hexdigest()}"
        )
        return self._report(files, status, copied, skipped, fixed, data)

    def _listing(self) -> list[SourceFile]:
        files = [
            f
            for f in self.src.list_files()
            if f.path != MANIFEST_NAME and not any(fnmatch.fnmatch(f.path, p) for p in self.opts.exclude)
        ]
        for f in files:
            if f.path.startswith("/") or ".." in f.path.split("/"):
                raise LlmFleetError(f"source: refusing file path '{f.path}'")
        if not files:
            raise LlmFleetError(f"source: {self.src.uri} has no files to stage")
        return sorted(files, key=lambda f: f.path)

    def _check_against(self, manifest: Manifest, files: list[SourceFile]) -> set[str]:
        listed = {f.path: f for f in manifest.files}
        suspect = {f.path for f in files if f.path not in listed or listed[f.path].size != f.size}
        suspect |= set(listed) - {f.path for f in files}  # the source no longer has them: rewrite the manifest
        suspect |= {f.path for f in files if f.sha256 and f.path in listed and listed[f.path].sha256 != f.sha256}

        def check(entry: ManifestFile) -> str | None:
            info = self.dst.head(entry.path)
            if info is None or info.size != entry.size or info.etag != entry.etag:
                return entry.path
            if self.opts.deep_verify and self.dst.read_sha256(entry.path) != entry.sha256:
                return entry.path
            return None

        present = [listed[f.path] for f in files if f.path in listed]
        for bad in self._parallel(check, present):
            if bad:
                suspect.add(bad)
        for entry in present:
            if entry.path not in suspect:
                self.sha[entry.path] = entry.sha256
        return suspect

    def _copy_all(self, files: list[SourceFile], force: set[str]) -> tuple[list[str], list[str]]:
        copied: list[str] = []
        skipped: list[str] = []

        def one(f: SourceFile) -> None:
            info = None if f.path in force else self.dst.head(f.path)
            if info and info.size == f.size and info.sha256 and (f.sha256 is None or info.sha256 == f.sha256):
                with self.lock:
                    skipped.append(f.path)
                    self.sha[f.path] = info.sha256
                return
            self._copy(f)
            with self.lock:
                copied.append(f.path)

        list(self._parallel(one, files))
        return sorted(copied), sorted(skipped)

    def _copy(self, f: SourceFile) -> None:
        local = self.scratch / hashlib.sha256(f.path.encode()).hexdigest()[:32]
        try:
            self.opts.log(f"stage: copying {f.path} ({f.size:,} bytes)")
            self.src.fetch(f.path, local)
            size = local.stat().st_size
            digest = _sha256_file(local)
            if size != f.size or (f.sha256 and digest != f.sha256):
                raise LlmFleetError(
                    f"source: {f.path} came back as {size:,} bytes sha256 {digest}, but the source lists "
                    f"{f.size:,} bytes sha256 {f.sha256 or '(unknown)'}"
                )
            self.hook("fetched", f.path, local)
            self.dst.upload(local, f.path, digest, self.revision)
            with self.lock:
                self.uploaded_bytes += size
                self.sha[f.path] = digest
            self.hook("uploaded", f.path, local)
        finally:
            local.unlink(missing_ok=True)

    def _verify_all(self, files: list[SourceFile]) -> list[str]:
        repaired: list[str] = []

        def one(f: SourceFile) -> None:
            for attempt in range(1, self.opts.max_attempts + 1):
                expected = self.sha.get(f.path)
                got = self.dst.read_sha256(f.path)
                if expected is not None and got == expected:
                    return
                self.opts.log(
                    f"stage: checksum mismatch on {f.path}: object sha256 {got}, expected {expected} "
                    f"(attempt {attempt} of {self.opts.max_attempts})"
                )
                self.dst.delete(f.path)
                if attempt == self.opts.max_attempts:
                    raise LlmFleetError(
                        f"stage: {self.dst.uri}/{f.path} failed verification {attempt} times (sha256 {got}, expected "
                        f"{expected}); the object was deleted and no manifest was written"
                    )
                self._copy(f)
                with self.lock:
                    repaired.append(f.path)

        list(self._parallel(one, files))
        return sorted(repaired)

    def _entry(self, f: SourceFile) -> ManifestFile:
        info = self.dst.head(f.path)
        if info is None:
            raise LlmFleetError(f"stage: {self.dst.uri}/{f.path} vanished before the manifest was written")
        return ManifestFile(path=f.path, size=info.size, sha256=self.sha[f.path], etag=info.etag)

    def _parallel(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterable[Any]:
        items = list(items)
        if self.opts.workers <= 1:
            return [fn(item) for item in items]
        with cf.ThreadPoolExecutor(max_workers=self.opts.workers) as pool:
            futures = [pool.submit(fn, item) for item in items]
            try:
                return [fut.result() for fut in futures]
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise

    def _report(
        self,
        files: list[SourceFile],
        status: str,
        copied: list[str],
        skipped: list[str],
        repaired: list[str],
        manifest: bytes,
    ) -> StageReport:
        return StageReport(
            source=self.src.uri,
            destination=self.dst.uri,
            revision=self.revision,
            status=status,
            files=len(files),
            total_bytes=sum(f.size for f in files),
            copied=copied,
            skipped=skipped,
            repaired=repaired,
            bytes_uploaded=self.uploaded_bytes,
            manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# The launcher's check
# ---------------------------------------------------------------------------


def verify_staged(
    model: str,
    *,
    revision: str | None = None,
    manifest_sha256: str | None = None,
    endpoint_url: str | None = None,
    dest_impl: Destination | None = None,
) -> Manifest:
    """Check that ``model`` (a bucket prefix or a local directory) holds a complete staged copy.

    Reads ``manifest.json``, checks its revision and (if given) its sha256, and compares every
    object's size and ETag (for a directory: size and mtime) with it. Raises LlmFleetError.
    """
    dst = dest_impl or open_destination(model, StageOptions(dest_endpoint_url=endpoint_url))
    data = dst.get_bytes(MANIFEST_NAME)
    if data is None:
        raise LlmFleetError(
            f"model: {model} has no {MANIFEST_NAME}: it was never staged or its staging did not finish "
            "(run the staging Job; the server refuses unverified weights)"
        )
    if manifest_sha256 and hashlib.sha256(data).hexdigest() != manifest_sha256:
        raise LlmFleetError(
            f"model: {model}/{MANIFEST_NAME} has sha256 {hashlib.sha256(data).hexdigest()}, expected {manifest_sha256}"
        )
    manifest = Manifest.from_bytes(data, f"{model}/{MANIFEST_NAME}")
    if revision and manifest.revision != revision:
        raise LlmFleetError(f"model: {model} holds revision {manifest.revision}, expected {revision}")

    def check(entry: ManifestFile) -> str | None:
        info = dst.head(entry.path)
        if info is None:
            return f"{entry.path} is missing"
        if info.size != entry.size:
            return f"{entry.path} is {info.size:,} bytes, manifest {entry.size:,}"
        if info.etag != entry.etag:
            return f"{entry.path} changed since staging (ETag {info.etag}, manifest {entry.etag})"
        return None

    with cf.ThreadPoolExecutor(max_workers=16) as pool:
        problems = [p for p in pool.map(check, manifest.files) if p]
    if problems:
        raise LlmFleetError(f"model: {model} does not match its manifest: {'; '.join(problems[:5])}")
    return manifest


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m serving.stage",
        description="Copy a model at a pinned revision into a bucket, with a verified sha256 manifest.",
    )
    parser.add_argument("--source", required=True, help="hf://org/repo[@rev], s3://bucket/prefix, gs://... or /path")
    parser.add_argument("--dest", required=True, help="s3://bucket/prefix, gs://bucket/prefix or /mounted/path")
    parser.add_argument("--revision", required=True, help="pinned revision (the 40-hex commit for hf://)")
    parser.add_argument(
        "--allow-source",
        action="append",
        default=None,
        help=f"allowed source prefix (repeatable; default: ${ALLOWED_SOURCES_ENV}, comma-separated)",
    )
    parser.add_argument("--source-endpoint-url", default=None, help="S3-compatible endpoint of the source")
    parser.add_argument("--dest-endpoint-url", default=None, help="S3-compatible endpoint of the destination (on-prem)")
    parser.add_argument("--workers", type=int, default=4, help="files copied at once")
    parser.add_argument("--part-size-mib", type=int, default=64, help="multipart part size, MiB (>= 5)")
    parser.add_argument("--part-workers", type=int, default=8, help="parts of one file uploaded at once")
    parser.add_argument("--exclude", action="append", default=None, help=f"glob to skip (default: {DEFAULT_EXCLUDE})")
    parser.add_argument("--deep-verify", action="store_true", help="re-hash every object of an already staged copy")
    parser.add_argument("--scratch-dir", default=None, help="local scratch for files in flight (default: $TMPDIR)")
    parser.add_argument("--verify-only", action="store_true", help="only check the destination against its manifest")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.part_size_mib < 5:
            raise LlmFleetError(f"--part-size-mib: {args.part_size_mib} is below S3's 5 MiB minimum part size")
        if args.verify_only:
            manifest = verify_staged(args.dest, revision=args.revision, endpoint_url=args.dest_endpoint_url)
            print(json.dumps({"status": "verified", "files": len(manifest.files), "revision": manifest.revision}))
            return 0
        allowed = args.allow_source
        if allowed is None:
            allowed = [p.strip() for p in os.environ.get(ALLOWED_SOURCES_ENV, "").split(",") if p.strip()]
        options = StageOptions(
            workers=args.workers,
            part_size_mib=args.part_size_mib,
            part_workers=args.part_workers,
            deep_verify=args.deep_verify,
            exclude=tuple(args.exclude) if args.exclude else DEFAULT_EXCLUDE,
            scratch_dir=Path(args.scratch_dir) if args.scratch_dir else None,
            source_endpoint_url=args.source_endpoint_url,
            dest_endpoint_url=args.dest_endpoint_url,
        )
        report = stage(args.source, args.dest, args.revision, allowed, options)
    except LlmFleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(report.model_dump(mode="json", by_alias=True), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
