"""The container entrypoint: spec loading, environment, preflight, weights check, exec."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from serving import launch
from serving.launch import (
    EXIT_BAD_SPEC,
    EXIT_GROUP,
    EXIT_NO_VLLM,
    EXIT_PREFLIGHT,
    EXIT_WEIGHTS,
    GpuInfo,
    GroupError,
    RayControl,
    main,
    probe_gpus,
    ray_head_argv,
    ray_worker_argv,
)
from serving.spec import ServingSpec
from serving.stage import MANIFEST_NAME, StageOptions, stage
from serving.supervisor import Serving, backend_argv
from serving.versions import BACKEND_PORT
from tests.serving.serving_cases import cases

GIB = 2**30
API_KEY = "sk-test-do-not-print-0123456789"


class Recorder:
    def __init__(self):
        self.lines: list[str] = []
        self.execs: list[tuple[str, list[str], dict[str, str]]] = []
        self.serving: list[Serving] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def exec(self, file: str, argv: list[str], env) -> None:
        self.execs.append((file, list(argv), dict(env)))

    def run(self, argv: list[str], env, serving: Serving, log) -> int:
        """The supervisor's place: vLLM's argv and environment, and what the drain proxy gets."""
        self.execs.append((argv[0], list(argv), dict(env)))
        self.serving.append(serving)
        return 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _gpus(count: int, name: str = "NVIDIA L40S", total_gib: float = 44.7, free_gib: float | None = None):
    free = total_gib if free_gib is None else free_gib
    return lambda: [GpuInfo(i, name, int(total_gib * GIB), int(free * GIB)) for i in range(count)]


def _staged_dir(root: Path, revision: str = "r1") -> Path:
    """A model staged with serving.stage into a local directory (as on an on-prem weights PVC)."""
    src = root.parent / f"{root.name}-source"
    src.mkdir(parents=True, exist_ok=True)
    (src / "config.json").write_bytes(b"{}")
    (src / "model.safetensors").write_bytes(b"\0" * 1024)
    stage(str(src), str(root), revision, [str(src)], StageOptions(workers=1, log=lambda line: None))
    return root


def _write_spec(tmp_path: Path, **fields) -> Path:
    base = {"model": str(_staged_dir(tmp_path / "model")), "served_model_name": "llama-3.1-8b-instruct"}
    spec = ServingSpec(**{**base, **fields})
    path = tmp_path / "spec.json"
    path.write_text(spec.to_json())
    return path


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LLMFLEET_CACHE_ROOT": str(tmp_path / "cache"), "HOME": "/nonexistent/ro", **extra}


def _serve(spec_path: Path, rec: Recorder, environ: dict[str, str], gpu_probe=None, **kwargs) -> int:
    """main() on one spec file (one L40S unless gpu_probe is given), its log and execs recorded in rec."""
    kwargs.setdefault("exec_fn", rec.exec)
    kwargs.setdefault("run_fn", rec.run)
    probe = _gpus(1) if gpu_probe is None else gpu_probe
    return main(["--spec", str(spec_path)], environ=environ, gpu_probe=probe, log=rec.log, **kwargs)


def test_serve_sets_the_environment_and_execs_vllm(tmp_path):
    spec_path = _write_spec(
        tmp_path, api_key_env="LLMFLEET_API_KEY", architecture="llama-3.1-8b", gpu="L40S", max_model_len=16384
    )
    rec = Recorder()
    env = _env(tmp_path, LLMFLEET_API_KEY=API_KEY, VLLM_PORT="tcp://10.0.0.1:8000", LLMFLEET_SPEC=str(spec_path))
    code = main([], environ=env, gpu_probe=_gpus(1), exec_fn=rec.exec, run_fn=rec.run, log=rec.log)
    assert code == 0, rec.text
    ((file, argv, child_env),) = rec.execs
    spec = ServingSpec.from_file(spec_path)
    assert file == "vllm" and argv == backend_argv(spec.to_vllm_argv(), port=BACKEND_PORT)
    ((serving,),) = [rec.serving]
    assert (serving.listen_host, serving.listen_port) == (spec.host, spec.port)
    assert serving.shutdown_timeout_s == spec.shutdown_timeout and serving.api_keys == (API_KEY,)
    cache = tmp_path / "cache"
    assert child_env["HOME"] == str(cache / "home")
    for var in ("HF_HOME", "VLLM_CACHE_ROOT", "XDG_CACHE_HOME", "TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR"):
        assert Path(child_env[var]).is_dir() and Path(child_env[var]).is_relative_to(cache), var
    assert child_env["HF_HUB_OFFLINE"] == "1" and child_env["TRANSFORMERS_OFFLINE"] == "1"
    assert child_env["VLLM_NO_USAGE_STATS"] == "1" and child_env["DO_NOT_TRACK"] == "1"
    assert child_env["VLLM_API_KEY"] == API_KEY and "LLMFLEET_API_KEY" not in child_env
    assert "VLLM_PORT" not in child_env
    assert API_KEY not in " ".join(argv) and API_KEY not in rec.text
    assert "planned per GPU: weights 14.96 GiB" in rec.text and "weights verified against manifest" in rec.text


def test_existing_writable_cache_variables_are_kept(tmp_path):
    spec_path = _write_spec(tmp_path)
    mine = tmp_path / "pvc-vllm-cache"
    mine.mkdir()
    rec = Recorder()
    assert _serve(spec_path, rec, _env(tmp_path, VLLM_CACHE_ROOT=str(mine))) == 0
    assert rec.execs[0][2]["VLLM_CACHE_ROOT"] == str(mine)


def test_unwritable_cache_root_falls_back_to_tmp(tmp_path):
    spec_path = _write_spec(tmp_path)
    rec = Recorder()
    env = _env(tmp_path)
    env["LLMFLEET_CACHE_ROOT"] = "/proc/llm-fleet-cannot-write-here"
    assert _serve(spec_path, rec, env) == 0
    assert "is not writable; caches go to" in rec.text
    assert Path(rec.execs[0][2]["HOME"]).is_dir()


def test_missing_api_key_is_a_clear_error(tmp_path):
    spec_path = _write_spec(tmp_path, api_key_env="LLMFLEET_API_KEY")
    rec = Recorder()
    code = _serve(spec_path, rec, _env(tmp_path))
    assert code == EXIT_BAD_SPEC and not rec.execs
    assert "apiKeyEnv: environment variable LLMFLEET_API_KEY is empty or unset" in rec.text


def test_bad_spec_exits_2_with_one_line(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"model": "/m", "servedModelName": "m", "extraFlags": ["--swap-space", "4"]}))
    rec = Recorder()
    assert main(["--spec", str(path)], environ=_env(tmp_path), exec_fn=rec.exec, log=rec.log) == EXIT_BAD_SPEC
    assert len(rec.lines) == 1 and "'--swap-space' was removed from vLLM in 0.18" in rec.lines[0]
    assert main(["--spec", str(tmp_path / "none.json")], environ=_env(tmp_path), log=rec.log) == EXIT_BAD_SPEC


@pytest.mark.parametrize(
    ("probe", "fields", "pattern"),
    [
        (
            _gpus(2, "NVIDIA H100 80GB HBM3", 79.19),
            {"tensor_parallel_size": 4},
            r"needs tensorParallelSize x pipelineParallelSize = 4 GPUs, 2 visible",
        ),
        (
            _gpus(1, free_gib=30.0),
            {},
            r"GPU 0 \(NVIDIA L40S\) has 30.00 GiB free of 44.70 GiB, less than "
            r"gpuMemoryUtilization 0.9 x total = 40.23 GiB.*at most 0.67",
        ),
        (
            _gpus(1),
            {"architecture": "llama-3.1-70b"},
            r"preflight: llama-3.1-70b on 1x NVIDIA L40S: weights 131.42 GiB .* exceed the budget",
        ),
        (
            _gpus(1, "NVIDIA L4", 22.35),
            {"architecture": "llama-3.1-8b", "max_model_len": 131072},
            r"fewer than one sequence of max_model_len 131,072",
        ),
    ],
)
def test_preflight_failures_exit_3_with_the_numbers(tmp_path, probe, fields, pattern):
    spec_path = _write_spec(tmp_path, **fields)
    rec = Recorder()
    code = _serve(spec_path, rec, _env(tmp_path), probe)
    assert code == EXIT_PREFLIGHT and not rec.execs, rec.text
    assert any(re.search(pattern, line) for line in rec.lines), rec.text


def test_preflight_without_torch_or_gpu_fails_clearly(tmp_path, monkeypatch):
    fake = tmp_path / "fake-python"
    fake.write_text('#!/bin/sh\necho \'{"error": "no-cuda", "detail": "x", "torch": "2.13.0+cpu", "cuda": null}\'\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(launch.PreflightError, match=r"no CUDA GPU is visible .*torch 2.13.0\+cpu.*nvidia.com/gpu"):
        probe_gpus(python=str(fake))
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\necho boom >&2\nexit 7\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(launch.PreflightError, match=r"the GPU probe failed \(exit 7\): boom"):
        probe_gpus(python=str(broken))


def test_preflight_on_this_machine_fails_with_a_message(tmp_path):
    """The real probe here: no GPU (and, in the main virtualenv, no torch) -> exit 3, one clear line."""
    spec_path = _write_spec(tmp_path)
    env = {**os.environ, "LLMFLEET_SPEC": str(spec_path), "LLMFLEET_CACHE_ROOT": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "serving.launch"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == EXIT_PREFLIGHT, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("llm-fleet error: preflight: ")
    assert "torch is not importable" in last or "no CUDA GPU is visible" in last


def test_unstaged_or_changed_weights_exit_4(tmp_path):
    spec_path = _write_spec(tmp_path)
    model = Path(ServingSpec.from_file(spec_path).model)
    (model / "model.safetensors").write_bytes(b"\0" * 10)
    rec = Recorder()
    assert _serve(spec_path, rec, _env(tmp_path)) == EXIT_WEIGHTS
    assert "does not match its manifest: model.safetensors is 10 bytes, manifest 1,024" in rec.text
    (model / MANIFEST_NAME).unlink()
    assert _serve(spec_path, rec, _env(tmp_path)) == EXIT_WEIGHTS
    assert "has no manifest.json: it was never staged or its staging did not finish" in rec.text
    assert not rec.execs


def test_wrong_revision_is_refused(tmp_path):
    spec_path = _write_spec(tmp_path, revision="0e9e39f249a16976918f6564b8830bc894c89659")
    rec = Recorder()
    assert _serve(spec_path, rec, _env(tmp_path)) == EXIT_WEIGHTS
    assert "holds revision r1, expected 0e9e39f2" in rec.text


def test_print_argv_needs_no_gpu(tmp_path, capsys):
    spec = cases()["prod-llama-70b-h100-tp4"]
    path = tmp_path / "spec.json"
    path.write_text(spec.to_json())
    assert main(["--print-argv", "--spec", str(path)], environ={}) == 0
    assert json.loads(capsys.readouterr().out) == spec.to_vllm_argv()


def test_stage_subcommand_dispatches(tmp_path, capsys):
    assert main(["stage", "--source", str(tmp_path), "--dest", "s3://b/p", "--revision", "r1"], environ={}) == 2
    assert "allowedSources: empty, so no source is allowed" in capsys.readouterr().err


def test_unknown_argument(tmp_path):
    rec = Recorder()
    assert main(["--bogus"], environ={}, log=rec.log) == EXIT_BAD_SPEC
    assert "unknown argument '--bogus'" in rec.text


def test_missing_vllm_binary_is_reported(tmp_path):
    spec_path = _write_spec(tmp_path)
    rec = Recorder()

    # The real supervisor: PATH (/usr/bin:/bin) has no vllm.
    assert _serve(spec_path, rec, _env(tmp_path), run_fn=None) == launch.EXIT_NO_VLLM
    assert "'vllm' is not on PATH" in rec.text


# -- the API key as a file -------------------------------------------------------------------


def _key_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "secrets" / "api-key"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def test_api_key_file_reaches_vllm_only_through_its_environment(tmp_path):
    key_file = _key_file(tmp_path, API_KEY + "\n")
    spec_path = _write_spec(tmp_path, api_key_file=str(key_file))
    rec = Recorder()
    env = _env(tmp_path, VLLM_API_KEY="stale-value-from-the-pod")
    assert _serve(spec_path, rec, env) == 0
    ((_, argv, child_env),) = rec.execs
    assert child_env["VLLM_API_KEY"] == API_KEY  # trailing newline stripped, the file wins
    assert API_KEY not in " ".join(argv) and str(key_file) not in " ".join(argv)
    assert API_KEY not in rec.text
    assert env["VLLM_API_KEY"] == "stale-value-from-the-pod", "the launcher's own environment is left alone"


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (None, r"apiKeyFile: .*/secrets/api-key does not exist; mount the API key Secret there"),
        ("\n", r"apiKeyFile: .*/secrets/api-key is empty"),
        ("   \r\n", r"apiKeyFile: .*/secrets/api-key is empty"),
        ("dir", r"apiKeyFile: cannot read .*/secrets/api-key \(Is a directory\)"),
        (b"\xff\xfe-not-utf8", r"apiKeyFile: cannot read .*/secrets/api-key \(UnicodeDecodeError\)"),
    ],
)
def test_missing_empty_or_unreadable_api_key_file_exits_2(tmp_path, content, pattern):
    path = tmp_path / "secrets" / "api-key"
    path.parent.mkdir(parents=True)
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    spec_path = _write_spec(tmp_path, api_key_file=str(path))
    rec = Recorder()
    code = _serve(spec_path, rec, _env(tmp_path))
    assert code == EXIT_BAD_SPEC and not rec.execs
    assert len(rec.lines) == 1 and re.search(pattern, rec.lines[0]), rec.text


# -- multi-node groups -----------------------------------------------------------------------

LEADER = "llama-70b-server-0.llama-70b-server.llm-llama-70b"


class FakeRay(RayControl):
    """Records the Ray calls; a fake clock that sleeps advance."""

    def __init__(self, alive=(2,), reachable_after: float = 0.0, head_error: Exception | None = None):
        super().__init__()
        self.now = 0.0
        self.alive = list(alive)
        self.reachable_after = reachable_after
        self.head_error = head_error
        self.heads: list[tuple[list[str], dict[str, str]]] = []
        self.polls: list[dict[str, str]] = []
        self.probes: list[tuple[str, int]] = []

    def start_head(self, argv, env):
        self.heads.append((list(argv), dict(env)))
        if self.head_error is not None:
            raise self.head_error

    def alive_nodes(self, env):
        self.polls.append(dict(env))
        value = self.alive.pop(0) if len(self.alive) > 1 else self.alive[0]
        if isinstance(value, Exception):
            raise value
        return value

    def reachable(self, host, port):
        self.probes.append((host, port))
        return self.now >= self.reachable_after

    def sleep(self, seconds):
        self.now += seconds

    def clock(self):
        return self.now


def _group_env(tmp_path: Path, role: str, **extra: str) -> dict[str, str]:
    base = {"LLMFLEET_GROUP_ROLE": role, "LLMFLEET_GROUP_SIZE": "2", "LWS_GROUP_SIZE": "2", "LWS_LEADER_ADDRESS": LEADER}
    return _env(tmp_path, **{**base, **extra})


def _group_spec(tmp_path: Path, **fields) -> Path:
    key_file = _key_file(tmp_path, API_KEY + "\n")
    base = {
        "tensor_parallel_size": 4,
        "distributed_executor_backend": "ray",
        "architecture": "llama-3.1-70b",
        "gpu": "H100-80GB",
        "max_model_len": 32768,
        "group_join_timeout": 60,
        "api_key_file": str(key_file),
    }
    return _write_spec(tmp_path, **{**base, **fields})


H100 = {"name": "NVIDIA H100 80GB HBM3", "total_gib": 79.19}


def test_leader_starts_the_head_waits_for_the_group_then_execs_vllm_on_ray(tmp_path):
    spec_path = _group_spec(tmp_path)
    ray = FakeRay(alive=(1, 1, 2))
    rec = Recorder()
    code = _serve(spec_path, rec, _group_env(tmp_path, "leader"), _gpus(2, **H100), ray=ray)
    assert code == 0, rec.text
    ((head, head_env),) = ray.heads
    assert head == ray_head_argv(2)
    assert {"--head", "--port=6379", "--num-gpus=2", "--disable-usage-stats"} <= set(head)
    assert "VLLM_API_KEY" not in head_env and all("VLLM_API_KEY" not in env for env in ray.polls)
    assert len(ray.polls) == 3 and ray.now == 2 * launch.RAY_POLL_INTERVAL_S
    ((file, argv, child_env),) = rec.execs
    spec = ServingSpec.from_file(spec_path)
    assert file == "vllm" and argv == backend_argv(spec.to_vllm_argv(), port=BACKEND_PORT)
    assert argv[argv.index("--distributed-executor-backend") + 1] == "ray"
    assert argv[argv.index("--tensor-parallel-size") + 1] == "4"
    assert child_env["VLLM_API_KEY"] == API_KEY and API_KEY not in rec.text
    carry = Path(child_env["VLLM_CONFIG_ROOT"]) / launch.RAY_NON_CARRY_OVER_FILE
    assert json.loads(carry.read_text()) == ["VLLM_API_KEY"], "vLLM must not copy the key to the Ray workers"
    assert "weights verified against manifest" in rec.text
    assert "group: 1 of 2 nodes joined the Ray head" in rec.text and "group: 2 of 2 nodes joined" in rec.text


def test_leader_gives_up_naming_how_many_nodes_joined(tmp_path):
    spec_path = _group_spec(tmp_path)
    ray = FakeRay(alive=(GroupError("group: counting the Ray nodes failed: ConnectionError('x')"), 1))
    rec = Recorder()
    code = _serve(spec_path, rec, _group_env(tmp_path, "leader"), _gpus(2, **H100), ray=ray)
    assert code == EXIT_GROUP and not rec.execs
    assert "error: group: only 1 of 2 nodes joined the Ray head within groupJoinTimeout 60 s" in rec.lines[-1]
    assert ray.now >= 60 and len(ray.polls) == 60 / launch.RAY_POLL_INTERVAL_S + 1


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (GroupError("group: `ray start --head ...` failed (exit 1); its output is above"), EXIT_GROUP, "failed (exit 1)"),
        (FileNotFoundError("ray"), EXIT_NO_VLLM, "'ray' is not on PATH; the launcher runs inside the serving image"),
    ],
)
def test_leader_reports_a_head_that_does_not_start(tmp_path, error, code, message):
    spec_path = _group_spec(tmp_path)
    ray = FakeRay(head_error=error)
    rec = Recorder()
    assert _serve(spec_path, rec, _group_env(tmp_path, "leader"), _gpus(2, **H100), ray=ray) == code
    assert not rec.execs and not ray.polls and message in rec.text


def test_worker_joins_the_leaders_head_and_never_runs_vllm(tmp_path):
    spec_path = _group_spec(tmp_path)
    (tmp_path / "secrets" / "api-key").unlink()  # a worker pod has no API key mounted
    model = Path(ServingSpec.from_file(spec_path).model)
    (model / MANIFEST_NAME).unlink()  # nor does it check the weights: the leader does
    ray = FakeRay(reachable_after=20)
    rec = Recorder()
    env = _group_env(tmp_path, "worker", VLLM_API_KEY="must-not-pass")
    code = _serve(spec_path, rec, env, _gpus(2, **H100), ray=ray)
    assert code == 0, rec.text
    ((file, argv, child_env),) = rec.execs
    assert file == "ray" and argv == ray_worker_argv(LEADER, 2)
    assert argv[:3] == ["ray", "start", f"--address={LEADER}:6379"] and argv[-1] == "--block"
    assert "--num-gpus=2" in argv and "vllm" not in argv
    assert not ray.heads and not ray.polls
    assert set(ray.probes) == {(LEADER, 6379)} and ray.now == 20
    assert "VLLM_API_KEY" not in child_env and child_env["HF_HUB_OFFLINE"] == "1"
    assert child_env["RAY_USAGE_STATS_ENABLED"] == "0" and Path(child_env["HOME"]).is_dir()


def test_worker_gives_up_when_the_head_never_answers(tmp_path):
    spec_path = _group_spec(tmp_path)
    ray = FakeRay(reachable_after=10_000)
    rec = Recorder()
    code = _serve(spec_path, rec, _group_env(tmp_path, "worker"), _gpus(2, **H100), ray=ray)
    assert code == EXIT_GROUP and not rec.execs
    assert f"the leader's Ray head at {LEADER}:6379 did not answer within groupJoinTimeout 60 s" in rec.lines[-1]


def test_worker_preflights_its_own_share_of_the_gpus(tmp_path):
    spec_path = _group_spec(tmp_path)
    ray = FakeRay()
    rec = Recorder()
    code = _serve(spec_path, rec, _group_env(tmp_path, "worker"), _gpus(1, **H100), ray=ray)
    assert code == EXIT_PREFLIGHT and not rec.execs and not ray.probes
    assert "= 4 GPUs, 2 on each of the group's 2 pods, 1 visible" in rec.lines[-1]


def test_missing_ray_binary_on_a_worker_exits_127(tmp_path):
    spec_path = _group_spec(tmp_path)
    rec = Recorder()

    def no_ray(file, argv, env):
        raise FileNotFoundError(file)

    code = _serve(spec_path, rec, _group_env(tmp_path, "worker"), _gpus(2, **H100), exec_fn=no_ray, ray=FakeRay())
    assert code == EXIT_NO_VLLM and "'ray' is not on PATH" in rec.text and "ray==2.48.0" in rec.text


@pytest.mark.parametrize(
    ("role", "env", "fields", "pattern"),
    [
        ("worker", {"LWS_LEADER_ADDRESS": ""}, {}, r"LWS_LEADER_ADDRESS: unset; a worker joins the Ray head"),
        ("worker", {"LWS_LEADER_ADDRESS": "http://leader:6379"}, {}, r"LWS_LEADER_ADDRESS: 'http://leader:6379' is not"),
        ("leader", {"LLMFLEET_GROUP_SIZE": "1", "LWS_GROUP_SIZE": ""}, {}, r"LLMFLEET_GROUP_SIZE: 1 is not a group"),
        ("worker", {"LLMFLEET_GROUP_SIZE": "two", "LWS_GROUP_SIZE": ""}, {}, r"'two' is not a pod count"),
        ("leader", {"LWS_GROUP_SIZE": "3"}, {}, r"LLMFLEET_GROUP_SIZE: 2 disagrees with LWS_GROUP_SIZE 3"),
        ("boss", {}, {}, r"LLMFLEET_GROUP_ROLE: 'boss' is not allowed \(allowed: leader, worker"),
        ("", {}, {}, r"LLMFLEET_GROUP_ROLE: unset, but LWS_GROUP_SIZE is 2"),
        (
            "leader",
            {},
            {"distributed_executor_backend": None},
            r"distributedExecutorBackend: a 2-pod group runs vLLM on one Ray cluster, so it must be 'ray' \(got null\)",
        ),
        (
            "worker",
            {"LLMFLEET_GROUP_SIZE": "3", "LWS_GROUP_SIZE": "3"},
            {},
            r"= 4 GPUs do not split evenly over 3 pods",
        ),
    ],
)
def test_bad_group_environment_exits_2_before_any_work(tmp_path, role, env, fields, pattern):
    spec_path = _group_spec(tmp_path, **fields)
    ray = FakeRay()
    rec = Recorder()
    probed = []

    def probe():
        probed.append(1)
        return _gpus(2, **H100)()

    code = _serve(spec_path, rec, _group_env(tmp_path, role, **env), probe, ray=ray)
    assert code == EXIT_BAD_SPEC, rec.text
    assert len(rec.lines) == 1 and re.search(pattern, rec.lines[0]), rec.text
    assert not rec.execs and not probed and not ray.heads and not ray.probes


def test_a_one_pod_server_ignores_the_ray_hooks(tmp_path):
    spec_path = _write_spec(tmp_path)
    ray = FakeRay()
    rec = Recorder()
    env = _env(tmp_path, LLMFLEET_GROUP_ROLE="server", LWS_GROUP_SIZE="1")
    assert _serve(spec_path, rec, env, ray=ray) == 0
    assert rec.execs[0][0] == "vllm" and not ray.heads and not ray.probes


@pytest.mark.parametrize(
    ("env", "fields", "pattern"),
    [
        ({"LLMFLEET_TEST_ON_CPU": "yes"}, {}, r"^error: LLMFLEET_TEST_ON_CPU: 'yes' is not allowed \(allowed: 1, 0 or unset\)$"),
        (
            {"LLMFLEET_TEST_ON_CPU": "1", "KUBERNETES_SERVICE_HOST": "10.96.0.1"},
            {},
            r"^error: LLMFLEET_TEST_ON_CPU: the CPU test switch is set inside Kubernetes",
        ),
        ({"LLMFLEET_BACKEND_PORT": "80"}, {}, r"^error: LLMFLEET_BACKEND_PORT: '80' is not a port \(allowed: 1024-65535\)$"),
        ({}, {"port": 8001}, r"^error: port: 8001 is where vLLM listens behind the launcher's drain proxy"),
    ],
)
def test_bad_test_switch_or_ports_exit_2_before_any_work(tmp_path, env, fields, pattern):
    spec_path = _write_spec(tmp_path, **fields)
    rec = Recorder()
    probed = []
    code = _serve(spec_path, rec, _env(tmp_path, **env), lambda: probed.append(1) or [])
    assert code == EXIT_BAD_SPEC and not rec.execs, rec.text
    assert re.search(pattern, rec.lines[-1]), rec.text


def test_the_cpu_test_switch_skips_the_gpu_preflight_only(tmp_path):
    spec_path = _write_spec(tmp_path, api_key_env="LLMFLEET_API_KEY")
    rec = Recorder()
    probed = []
    env = _env(tmp_path, LLMFLEET_TEST_ON_CPU="1", LLMFLEET_API_KEY=API_KEY)
    assert _serve(spec_path, rec, env, lambda: probed.append(1) or []) == 0, rec.text
    assert not probed and "GPU preflight skipped" in rec.text and "weights verified against manifest" in rec.text
    ((serving,),) = [rec.serving]
    assert serving.api_keys == (API_KEY,)
