"""Model staging against moto's S3 server on loopback: copy, manifest, resume, corruption, no-op."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import types
import uuid
from pathlib import Path

import pytest

from serving.errors import LlmFleetError
from serving.stage import (
    MANIFEST_NAME,
    META_SHA256,
    S3Destination,
    StageOptions,
    parse_uri,
    s3_client,
    s3_transfer,
    stage,
    verify_staged,
)

MIB = 2**20
REV = "0e9e39f249a16976918f6564b8830bc894c89659"


def _model_dir(root: Path) -> dict[str, bytes]:
    """A small model: configs, two shards (one multipart at 5 MiB parts) and an excluded original/."""
    files = {
        "config.json": b'{"architectures": ["LlamaForCausalLM"]}',
        "tokenizer.json": os.urandom(4096),
        "model-00001-of-00002.safetensors": os.urandom(12 * MIB),
        "model-00002-of-00002.safetensors": os.urandom(3 * MIB),
        "nested/generation_config.json": b"{}",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "original").mkdir()
    (root / "original" / "consolidated.00.pth").write_bytes(b"duplicate weights")
    return files


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def world(tmp_path, moto_endpoint, aws_env):
    """A source directory, an empty bucket and the options every run uses."""
    src = tmp_path / "src"
    files = _model_dir(src)
    client = s3_client(moto_endpoint)
    bucket = f"weights-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    log: list[str] = []
    opts = StageOptions(
        workers=1,
        part_size_mib=5,
        part_workers=4,
        dest_endpoint_url=moto_endpoint,
        scratch_dir=tmp_path,
        log=log.append,
    )
    return types.SimpleNamespace(
        src=src,
        files=files,
        client=client,
        bucket=bucket,
        endpoint=moto_endpoint,
        dest=f"s3://{bucket}/llama-8b/{REV}",
        prefix=f"llama-8b/{REV}",
        opts=opts,
        log=log,
    )


def _run(world, **kwargs):
    return stage(str(world.src), world.dest, REV, [str(world.src)], world.opts, **kwargs)


def _object(world, name: str) -> bytes:
    return world.client.get_object(Bucket=world.bucket, Key=f"{world.prefix}/{name}")["Body"].read()


def _manifest(world) -> dict | None:
    try:
        return json.loads(_object(world, MANIFEST_NAME))
    except world.client.exceptions.NoSuchKey:
        return None


pytestmark = pytest.mark.server


def test_copy_writes_objects_with_sha256_metadata_and_a_manifest(world):
    report = _run(world)
    assert report.status == "copied" and report.copied == sorted(world.files) and not report.skipped
    assert report.bytes_uploaded == sum(len(d) for d in world.files.values())
    for name, data in world.files.items():
        assert _object(world, name) == data
        head = world.client.head_object(Bucket=world.bucket, Key=f"{world.prefix}/{name}")
        assert head["Metadata"][META_SHA256] == _sha(data)
    manifest = _manifest(world)
    assert manifest["revision"] == REV and manifest["source"] == str(world.src)
    assert {f["path"]: (f["size"], f["sha256"]) for f in manifest["files"]} == {
        name: (len(data), _sha(data)) for name, data in world.files.items()
    }
    assert report.manifest_sha256 == _sha(_object(world, MANIFEST_NAME))
    keys = [o["Key"] for o in world.client.list_objects_v2(Bucket=world.bucket)["Contents"]]
    assert not any("original/" in k for k in keys)  # excluded by default
    verify_staged(world.dest, revision=REV, endpoint_url=world.endpoint, manifest_sha256=report.manifest_sha256)


def test_rerun_on_a_matching_manifest_is_a_no_op(world):
    first = _run(world)
    again = _run(world)
    assert again.status == "noop" and again.bytes_uploaded == 0 and not again.copied
    assert again.manifest_sha256 == first.manifest_sha256


def test_interrupted_after_two_files_resumes_without_resending_them(world):
    done: list[str] = []

    def fail_after_two(event, path, local):
        if event == "uploaded":
            done.append(path)
            if len(done) == 2:
                raise RuntimeError("injected: the Job's pod was evicted")

    with pytest.raises(RuntimeError, match="injected"):
        _run(world, fault_hook=fail_after_two)
    assert _manifest(world) is None  # an unfinished copy has no manifest
    with pytest.raises(LlmFleetError, match=r"has no manifest\.json"):
        verify_staged(world.dest, endpoint_url=world.endpoint)

    report = _run(world)
    assert report.status == "resumed"
    assert report.skipped == sorted(done)
    assert report.copied == sorted(set(world.files) - set(done))
    assert report.bytes_uploaded == sum(len(world.files[n]) for n in report.copied)
    for name, data in world.files.items():
        assert _object(world, name) == data


def test_interrupted_multipart_upload_leaves_no_object_and_is_resent(world):
    """The second part of the 12 MiB shard fails: the upload is aborted and redone on resume."""
    dest = S3Destination(parse_uri(world.dest, what="dest"), world.dest, s3_client(world.endpoint), s3_transfer(5, 1))
    parts = {"n": 0}

    def fail_second_part(params, **kwargs):
        parts["n"] += 1
        if parts["n"] == 2:
            raise RuntimeError("injected: connection reset during part 2")

    dest.client.meta.events.register("before-call.s3.UploadPart", fail_second_part)
    with pytest.raises(RuntimeError, match="part 2"):
        _run(world, dest_impl=dest)
    big = "model-00001-of-00002.safetensors"
    keys = {o["Key"] for o in world.client.list_objects_v2(Bucket=world.bucket).get("Contents", [])}
    assert f"{world.prefix}/{big}" not in keys
    assert not world.client.list_multipart_uploads(Bucket=world.bucket).get("Uploads")

    report = _run(world)
    assert big in report.copied
    assert "config.json" in report.skipped  # sorted order: it went before the shard
    assert _object(world, big) == world.files[big]


def test_object_corrupted_after_staging_is_detected_and_repaired(world):
    _run(world)
    name = "model-00002-of-00002.safetensors"
    key = f"{world.prefix}/{name}"
    head = world.client.head_object(Bucket=world.bucket, Key=key)
    # Same size, same sha256 metadata: only the bytes changed.
    world.client.put_object(
        Bucket=world.bucket, Key=key, Body=os.urandom(len(world.files[name])), Metadata=head["Metadata"]
    )
    with pytest.raises(LlmFleetError, match=rf"does not match its manifest: {name} changed since staging"):
        verify_staged(world.dest, endpoint_url=world.endpoint)  # the launcher would refuse to serve

    report = _run(world)
    assert report.status == "repaired" and report.repaired == [name] and report.copied == [name]
    assert _object(world, name) == world.files[name]
    verify_staged(world.dest, revision=REV, endpoint_url=world.endpoint)


def test_corruption_in_transit_is_caught_by_verification_and_recopied(world):
    name = "model-00002-of-00002.safetensors"
    seen = {"n": 0}

    def corrupt_first_attempt(event, path, local):
        if event == "fetched" and path == name:
            seen["n"] += 1
            if seen["n"] == 1:
                with local.open("r+b") as handle:
                    handle.seek(1000)
                    handle.write(b"\xff" * 16)

    report = _run(world, fault_hook=corrupt_first_attempt)
    assert report.repaired == [name] and seen["n"] == 2
    assert _object(world, name) == world.files[name]
    assert any("checksum mismatch on model-00002-of-00002.safetensors" in line for line in world.log)


def test_persistent_corruption_fails_and_never_writes_a_manifest(world):
    name = "tokenizer.json"

    def always_corrupt(event, path, local):
        if event == "fetched" and path == name:
            local.write_bytes(b"X" * local.stat().st_size)

    with pytest.raises(LlmFleetError, match=rf"{name} failed verification 2 times .* no manifest was written"):
        _run(world, fault_hook=always_corrupt)
    assert _manifest(world) is None
    keys = {o["Key"] for o in world.client.list_objects_v2(Bucket=world.bucket).get("Contents", [])}
    assert f"{world.prefix}/{name}" not in keys  # the bad object is gone, so it can never be served


def test_parallel_workers_copy_everything(world):
    world.opts.workers = 4
    report = _run(world)
    assert report.copied == sorted(world.files)
    verify_staged(world.dest, endpoint_url=world.endpoint)


def test_deep_verify_rehashes(world):
    _run(world)
    world.opts.deep_verify = True
    assert _run(world).status == "noop"


def test_other_revision_at_the_destination_is_refused(world):
    _run(world)
    with pytest.raises(LlmFleetError, match=rf"holds revision {REV}, not r2; stage each revision into its own prefix"):
        stage(str(world.src), world.dest, "r2", [str(world.src)], world.opts)


def test_bucket_to_bucket_uses_the_source_manifest(world):
    _run(world)
    copy_dest = f"s3://{world.bucket}/mirror/{REV}"
    world.opts.source_endpoint_url = world.endpoint
    report = stage(world.dest, copy_dest, REV, [f"s3://{world.bucket}/llama-8b"], world.opts)
    assert report.copied == sorted(world.files)
    manifest = verify_staged(copy_dest, endpoint_url=world.endpoint)
    assert {f.path: f.sha256 for f in manifest.files} == {n: _sha(d) for n, d in world.files.items()}


def test_cli_keeps_credentials_out_of_output(world, tmp_path):
    env = {**os.environ, "AWS_SECRET_ACCESS_KEY": "do-not-print-this-secret", "HF_TOKEN": "hf_do_not_print"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "serving.stage", "--source", str(world.src), "--dest", world.dest]
        argv += ["--revision", REV, "--dest-endpoint-url", world.endpoint, *args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)

    done = cli("--allow-source", str(world.src), "--part-size-mib", "5", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "copied"
    for secret in ("do-not-print-this-secret", "hf_do_not_print"):
        assert secret not in done.stdout + done.stderr
    verify = cli("--verify-only")
    assert verify.returncode == 0 and json.loads(verify.stdout)["status"] == "verified"
