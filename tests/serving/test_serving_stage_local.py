"""Model staging without a server: allow-list, URIs, the Hugging Face source, a local destination."""

from __future__ import annotations

import hashlib
import os
import sys
import types
from pathlib import Path

import pytest

from serving.errors import LlmFleetError
from serving.stage import MANIFEST_NAME, HfSource, StageOptions, check_allowed, parse_uri, stage, verify_staged

REV = "0e9e39f249a16976918f6564b8830bc894c89659"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("source", "allowed", "pattern"),
    [
        ("hf://evil-org/Llama-3.1-8B-Instruct", ["hf://meta-llama/"], r"not under an allowed prefix"),
        ("s3://weights-evil/x", ["s3://weights"], r"not under an allowed prefix"),
        ("hf://meta-llama/Llama-3.1-8B-Instruct", [], r"allowedSources: empty, so no source is allowed"),
    ],
)
def test_allow_list_refuses_before_any_io(source, allowed, pattern):
    with pytest.raises(LlmFleetError, match=pattern):
        check_allowed(source, allowed)


def test_allow_list_accepts_prefixes():
    check_allowed("hf://meta-llama/Llama-3.1-8B-Instruct", ["hf://meta-llama/"])
    check_allowed("hf://meta-llama/Llama-3.1-8B-Instruct@" + REV, ["hf://meta-llama/Llama-3.1-8B-Instruct"])
    check_allowed("s3://weights/models/llama", ["s3://weights/models"])


@pytest.mark.parametrize(
    ("uri", "pattern"),
    [
        ("https://user:pw@example.com/x", r"must not carry credentials"),
        ("s3://bucket/x?X-Amz-Signature=abc", r"must not carry credentials"),
        ("s3://bucket/../other", r"must not contain '\.\.'"),
        ("ftp://host/x", r"is not a supported URI"),
    ],
)
def test_uris_with_credentials_or_tricks_are_refused(uri, pattern):
    with pytest.raises(LlmFleetError, match=pattern):
        parse_uri(uri, what="source")


def test_stage_refuses_disallowed_source_without_touching_the_destination(tmp_path):
    with pytest.raises(LlmFleetError, match=r"not under an allowed prefix"):
        stage(str(tmp_path), "s3://never-contacted/x", REV, ["hf://meta-llama/"])


def test_hf_source_lists_lfs_hashes_and_requires_a_pinned_commit(monkeypatch, tmp_path):
    data = b"weights"
    entries = [
        types.SimpleNamespace(path="config.json", size=2, lfs=None),
        types.SimpleNamespace(path="model.safetensors", size=len(data), lfs=types.SimpleNamespace(sha256=_sha(data))),
        types.SimpleNamespace(path="sub"),  # a folder: no size
    ]
    calls = []

    class FakeApi:
        def list_repo_tree(self, repo, revision, recursive, expand):
            calls.append((repo, revision))
            return entries

    def download(repo, filename, revision, local_dir):
        out = Path(local_dir) / filename
        out.write_bytes(data if filename.endswith("safetensors") else b"{}")
        return str(out)

    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(HfApi=FakeApi, hf_hub_download=download))
    with pytest.raises(LlmFleetError, match=r"revision: 'main' is not a pinned commit"):
        HfSource("meta-llama/Llama-3.1-8B-Instruct", "main", "hf://meta-llama/Llama-3.1-8B-Instruct")
    src = HfSource("meta-llama/Llama-3.1-8B-Instruct", REV, "hf://meta-llama/Llama-3.1-8B-Instruct")
    listed = src.list_files()
    assert [(f.path, f.sha256) for f in listed] == [("config.json", None), ("model.safetensors", _sha(data))]
    assert calls == [("meta-llama/Llama-3.1-8B-Instruct", REV)]
    target = tmp_path / "fetched"
    src.fetch("model.safetensors", target)
    assert target.read_bytes() == data


class TestLocalDestination:
    """Staging onto a mounted volume (on-prem weights PVC): same guarantees, no server needed."""

    def _setup(self, tmp_path):
        src = tmp_path / "src"
        files = {"config.json": b"{}", "model.safetensors": os.urandom(256 * 1024), "tok/tokenizer.json": b"[]"}
        for name, data in files.items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes(data)
        dest = tmp_path / "pvc" / "llama-8b" / REV
        opts = StageOptions(workers=2, log=lambda line: None)
        return src, dest, files, opts

    def test_copy_noop_corruption_and_resume(self, tmp_path):
        src, dest, files, opts = self._setup(tmp_path)
        first = stage(str(src), str(dest), REV, [str(src)], opts)
        assert first.status == "copied" and first.copied == sorted(files)
        assert {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()} >= set(files) | {MANIFEST_NAME}
        verify_staged(str(dest), revision=REV)
        assert stage(str(src), str(dest), REV, [str(src)], opts).status == "noop"

        (dest / "model.safetensors").write_bytes(os.urandom(256 * 1024))  # same size, other bytes
        with pytest.raises(LlmFleetError, match=r"model.safetensors changed since staging"):
            verify_staged(str(dest))
        fixed = stage(str(src), str(dest), REV, [str(src)], opts)
        assert fixed.status == "repaired" and fixed.repaired == ["model.safetensors"]
        assert (dest / "model.safetensors").read_bytes() == files["model.safetensors"]

        (dest / MANIFEST_NAME).unlink()  # as if the Job died after the copies, before the manifest
        resumed = stage(str(src), str(dest), REV, [str(src)], opts)
        assert resumed.status == "resumed" and resumed.bytes_uploaded == 0 and resumed.skipped == sorted(files)
        verify_staged(str(dest), revision=REV)


class _FakeBlob:
    def __init__(self, store, name):
        self.store, self.name = store, name
        self.metadata = None

    @property
    def _row(self):
        return self.store[self.name]

    @property
    def size(self):
        return len(self._row["data"])

    @property
    def etag(self):
        return self._row["etag"]

    def _save(self, data):
        self.store[self.name] = {
            "data": data,
            "metadata": dict(self.metadata or {}),
            "etag": hashlib.md5(data).hexdigest(),
        }

    def upload_from_filename(self, filename, checksum=None):
        self._save(Path(filename).read_bytes())

    def upload_from_string(self, data, content_type=None):
        self._save(data)

    def download_as_bytes(self):
        return self._row["data"]

    def download_to_filename(self, filename):
        Path(filename).write_bytes(self._row["data"])

    def open(self, mode, chunk_size=None):
        import io

        return io.BytesIO(self._row["data"])

    def delete(self):
        del self.store[self.name]


class _FakeBucket:
    def __init__(self, store):
        self.store = store

    def blob(self, name):
        return _FakeBlob(self.store, name)

    def get_blob(self, name):
        if name not in self.store:
            return None
        blob = _FakeBlob(self.store, name)
        blob.metadata = self.store[name]["metadata"]
        return blob


class _FakeGcs:
    """Just enough of google.cloud.storage.Client for GcsSource / GcsDestination."""

    def __init__(self):
        self.store = {}

    def bucket(self, name):
        return _FakeBucket(self.store)

    def list_blobs(self, bucket, prefix):
        return [self.bucket(bucket).get_blob(k) for k in sorted(self.store) if k.startswith(prefix)]


def test_gcs_destination_and_source_paths(tmp_path):
    from serving.stage import GcsDestination, GcsSource, LocalSource

    src = tmp_path / "src"
    src.mkdir()
    files = {"config.json": b"{}", "model.safetensors": os.urandom(4096)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    fake = _FakeGcs()
    uri = f"gs://weights/qwen3-8b/{REV}"
    dest = GcsDestination(parse_uri(uri, what="dest"), uri, fake, chunk_bytes=1 << 30, workers=2)
    opts = StageOptions(workers=2, log=lambda line: None)
    report = stage(str(src), uri, REV, [str(src)], opts, source_impl=LocalSource(src, str(src)), dest_impl=dest)
    assert report.status == "copied"
    assert fake.store[f"qwen3-8b/{REV}/model.safetensors"]["metadata"]["sha256"] == _sha(files["model.safetensors"])
    verify_staged(uri, revision=REV, dest_impl=dest)
    assert (
        stage(str(src), uri, REV, [str(src)], opts, source_impl=LocalSource(src, str(src)), dest_impl=dest).status
        == "noop"
    )

    # The staged prefix as a source (bucket to volume): hashes come from its manifest.
    source = GcsSource(parse_uri(uri, what="source"), uri, fake)
    listed = {f.path: f.sha256 for f in source.list_files()}
    assert listed == {name: _sha(data) for name, data in files.items()}
    target = tmp_path / "pvc"
    copied = stage(uri, str(target), REV, ["gs://weights/"], opts, source_impl=source)
    assert copied.copied == sorted(files)
    assert (target / "model.safetensors").read_bytes() == files["model.safetensors"]
