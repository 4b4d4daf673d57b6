"""Every item of issue 3 §2, checked on every placement of dev, prod and the LWS variant.

Each test reads the Plan (the program under the mock runtime): the settings themselves, as
the Kubernetes API would receive them.
"""

from __future__ import annotations

import hashlib
import json
import re

from infra import naming
from infra.plan import SECRET
from infra.targets import POOL_LABEL
from infra.workloads import credentials, image, meta, sizing
from serving.spec import ServingSpec
from tests.workloads.conftest import PlacementView

DIGEST_PIN = re.compile(r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$")


def spec_of(view: PlacementView) -> ServingSpec:
    config_map = view.one("ConfigMap", f"{view.model_name}-serving-spec")
    return ServingSpec.from_json(config_map.props["data"][image.SPEC_FILE])


# -- namespace ---------------------------------------------------------------------------------


def test_namespace_enforces_pod_security_restricted(view: PlacementView) -> None:
    namespace = view.one("Namespace")
    labels = namespace.props["metadata"]["labels"]
    assert namespace.props["metadata"]["name"] == view.namespace
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels[meta.GATEWAY_ACCESS_LABEL] == "true"
    assert labels["llm-fleet-cost-center"] == view.config["costCenter"]
    assert labels["llm-fleet-target"] == view.target


def test_every_object_lives_in_the_model_namespace(view: PlacementView) -> None:
    for resource in view.children:
        if not resource.type.startswith("kubernetes:") or resource.props.get("kind") == "Namespace":
            continue
        assert resource.props["metadata"]["namespace"] == view.namespace, resource.name


# -- service accounts ------------------------------------------------------------------------


def test_service_accounts_mount_no_token(view: PlacementView) -> None:
    accounts = {r.props["metadata"]["name"]: r for r in view.of_kind("ServiceAccount")}
    assert set(accounts) == {
        naming.server_service_account(view.model_name),
        naming.stager_service_account(view.model_name),
    }
    for account in accounts.values():
        assert account.props["automountServiceAccountToken"] is False
    for role, template in view.pod_templates().items():
        assert template["spec"]["serviceAccountName"] == naming.server_service_account(view.model_name), role
        assert template["spec"]["automountServiceAccountToken"] is False
    job = view.one("Job").props["spec"]["template"]["spec"]
    assert job["serviceAccountName"] == naming.stager_service_account(view.model_name)
    assert job["automountServiceAccountToken"] is False


# -- the server workload ----------------------------------------------------------------------


def test_image_is_pinned_by_digest(view: PlacementView) -> None:
    for where, _, container in view.all_containers():
        assert DIGEST_PIN.match(container["image"]), f"{where}/{container['name']}: {container['image']}"


def test_workload_kind_follows_the_gpus_a_server_needs(view: PlacementView) -> None:
    spec = spec_of(view)
    pool = next(p for p in view.target_config["gpuPools"] if p["name"] == view.placement["pool"])
    gpus_per_node = pool.get("gpusPerNode") or _cloud_gpus_per_node(view, pool)
    if spec.gpus > gpus_per_node:
        assert view.workload.props["kind"] == "LeaderWorkerSet"
        assert view.workload.props["spec"]["leaderWorkerTemplate"]["size"] == spec.gpus // gpus_per_node
    else:
        assert view.workload.props["kind"] == "Deployment"


def _cloud_gpus_per_node(view: PlacementView, pool: dict) -> int:
    from serving.catalog import get_instance

    return get_instance(view.target_config["kind"], pool["instanceTypes"][0]).gpu_count


def test_gpu_requests_match_the_serving_spec(view: PlacementView) -> None:
    spec = spec_of(view)
    pods = view.workload.props["spec"]["leaderWorkerTemplate"]["size"] if view.is_group else 1
    for role, container in view.serving_containers():
        resources = container["resources"]
        assert int(resources["requests"]["nvidia.com/gpu"]) * pods == spec.gpus, role
        assert resources["limits"]["nvidia.com/gpu"] == resources["requests"]["nvidia.com/gpu"]


def test_cpu_and_memory_requests_equal_limits_everywhere(view: PlacementView) -> None:
    for where, _, container in view.all_containers():
        requests, limits = container["resources"]["requests"], container["resources"]["limits"]
        assert {"cpu", "memory"} <= set(requests), f"{where}/{container['name']}"
        assert requests["cpu"] == limits["cpu"] and requests["memory"] == limits["memory"], where


def test_memory_limit_covers_shared_memory(view: PlacementView) -> None:
    for role, container in view.serving_containers():
        memory = int(container["resources"]["limits"]["memory"].removesuffix("Gi"))
        shm = next(v for v in view.pod_templates()[role]["spec"]["volumes"] if v["name"] == "shm")
        shm_gib = int(shm["emptyDir"]["sizeLimit"].removesuffix("Gi"))
        assert memory >= shm_gib + sizing.MIN_MEMORY_HEADROOM_GIB


def test_servers_land_on_the_placements_gpu_pool(view: PlacementView) -> None:
    pool = next(p for p in view.target_config["gpuPools"] if p["name"] == view.placement["pool"])
    expected = pool["nodeSelector"] if view.target_config["kind"] == "onprem" else {POOL_LABEL: pool["name"]}
    for role, template in view.pod_templates().items():
        spec = template["spec"]
        assert spec["nodeSelector"] == expected, role
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]


def test_dev_shm_is_a_memory_empty_dir_sized_for_the_gpus(view: PlacementView) -> None:
    for role, container in view.serving_containers():
        spec = view.pod_templates()[role]["spec"]
        shm = next(v for v in spec["volumes"] if v["name"] == "shm")
        gpus = int(container["resources"]["requests"]["nvidia.com/gpu"])
        assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "2Gi" if gpus == 1 else "8Gi"}
        assert {"name": "shm", "mountPath": "/dev/shm"} in container["volumeMounts"]


def test_service_links_are_off(view: PlacementView) -> None:
    for role, template in view.pod_templates().items():
        assert template["spec"]["enableServiceLinks"] is False, role
    assert view.one("Job").props["spec"]["template"]["spec"]["enableServiceLinks"] is False
    assert not view.one("Service").props["metadata"]["name"].startswith("vllm")


def test_root_filesystem_is_read_only_with_writable_caches(view: PlacementView) -> None:
    for where, spec, container in view.all_containers():
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, where
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        mounted = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert mounted.get(image.TMP_DIR) in empty_dirs, f"{where}/{container['name']}: /tmp"
    for _, container in view.serving_containers():
        mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert mounted[image.CACHE_ROOT] == "cache"
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[image.CACHE_ROOT_ENV] == image.CACHE_ROOT


def test_pods_run_as_uid_2000_without_privileges(view: PlacementView) -> None:
    specs = {role: t["spec"] for role, t in view.pod_templates().items()}
    specs["stager"] = view.one("Job").props["spec"]["template"]["spec"]
    for role, spec in specs.items():
        assert spec["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": 2000,
            "runAsGroup": 0,
            "fsGroup": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        }, role
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), role
        assert not any("hostPath" in v for v in spec["volumes"]), role
    for where, _, container in view.all_containers():
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] == 2000, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["privileged"] is False, where
        assert context["capabilities"] == {"drop": ["ALL"]}, where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where


def test_probes_on_health_sized_for_model_load(view: PlacementView) -> None:
    for role, container in view.serving_containers():
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if role == "worker":  # runs only Ray: its raylet's fixed port (tests/workloads/..._leader_worker_set.py)
                assert container[probe]["tcpSocket"] == {"port": "raylet"}, probe
            else:
                assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe
            assert "initialDelaySeconds" not in container[probe], probe
        startup = container["startupProbe"]
        assert startup["periodSeconds"] == 10
        budget = startup["periodSeconds"] * startup["failureThreshold"]
        assert budget >= 600, "at least 10 minutes to load weights, profile and capture CUDA graphs"
        weights_gib = _weights_gib_per_pod(view, container)
        assert budget >= sizing.STARTUP_BASE_S + sizing.STARTUP_S_PER_GIB * weights_gib
        assert container["readinessProbe"]["periodSeconds"] == 5
        assert container["livenessProbe"]["failureThreshold"] >= 3


def _weights_gib_per_pod(view: PlacementView, container: dict) -> float:
    from serving.capacity import plan_capacity

    spec = spec_of(view)
    plan = plan_capacity(
        spec.architecture, spec.gpu, tp=spec.tensor_parallel_size, max_model_len=spec.max_model_len,
        kv_cache_dtype=spec.kv_cache_dtype, gpu_memory_utilization=spec.gpu_memory_utilization,
        quantization=spec.quantization, max_num_seqs=spec.max_num_seqs,
    )
    return plan.weights_gib_per_gpu * int(container["resources"]["requests"]["nvidia.com/gpu"])


def test_drain_fits_in_the_grace_period(view: PlacementView) -> None:
    spec = spec_of(view)
    assert spec.shutdown_timeout > 0, "vLLM must drain in-flight requests, not abort them"
    for role, container in view.serving_containers():
        pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        grace = view.pod_templates()[role]["spec"]["terminationGracePeriodSeconds"]
        assert pre_stop > 0
        assert pre_stop + spec.shutdown_timeout + sizing.GRACE_MARGIN_S <= grace, role


def test_topology_spread_over_zones_and_nodes(view: PlacementView) -> None:
    selector = meta.selector_labels(view.model_name)
    for role, template in view.pod_templates().items():
        constraints = template["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in constraints} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        for constraint in constraints:
            assert constraint["labelSelector"] == {"matchLabels": selector}, role
            assert constraint["maxSkew"] == 1


def test_rolling_updates_never_drop_below_capacity(view: PlacementView) -> None:
    spec = view.workload.props["spec"]
    if view.is_group:
        rolling = spec["rolloutStrategy"]["rollingUpdateConfiguration"]
    else:
        assert spec["strategy"]["type"] == "RollingUpdate"
        rolling = spec["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0
    assert rolling["maxSurge"] >= 1


def test_replicas_are_left_to_the_autoscaler(view: PlacementView) -> None:
    # program.py marks every placement replicas_managed_externally (KEDA owns the count).
    assert "replicas" not in view.workload.props["spec"]


# -- service, PDB ----------------------------------------------------------------------------


def test_service_selects_the_serving_pods(view: PlacementView) -> None:
    service = view.one("Service")
    spec = service.props["spec"]
    assert service.props["metadata"]["name"] == naming.server_name(view.model_name)
    assert spec["type"] == "ClusterIP"
    assert spec["ports"] == [
        {"name": "http", "port": naming.SERVER_PORT, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"}
    ]
    for role, template in view.pod_templates().items():
        labels = template["metadata"]["labels"]
        selected = all(labels.get(k) == v for k, v in spec["selector"].items())
        assert selected == (role in ("server", "leader")), role
    for role, container in view.serving_containers():
        http = {"name": "http", "containerPort": naming.SERVER_PORT, "protocol": "TCP"}
        assert (http in container["ports"]) == (role != "worker"), role  # a group worker runs only Ray


def test_pod_disruption_budget_covers_the_servers(view: PlacementView) -> None:
    pdb = view.one("PodDisruptionBudget").props["spec"]
    assert pdb["maxUnavailable"] == 1
    for template in view.pod_templates().values():
        labels = template["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in pdb["selector"]["matchLabels"].items())


# -- serving spec --------------------------------------------------------------------------------


def test_serving_spec_config_map_is_what_the_launcher_reads(view: PlacementView) -> None:
    spec = spec_of(view)
    config_map = view.one("ConfigMap", f"{view.model_name}-serving-spec")
    text = config_map.props["data"][image.SPEC_FILE]
    sha = hashlib.sha256(text.encode()).hexdigest()
    assert spec.served_model_name == (view.model.get("servedName") or view.model_name)
    assert spec.revision == view.model["source"]["revision"]
    assert spec.max_model_len == view.model["maxModelLen"]
    if view.placement.get("tensorParallel"):
        assert spec.tensor_parallel_size == view.placement["tensorParallel"]
    assert spec.api_key_file == image.API_KEY_PATH and spec.api_key_env is None
    assert spec.distributed_executor_backend == ("ray" if view.is_group else None)
    assert spec.require_manifest is True and spec.hf_hub_offline is True
    for role, template in view.pod_templates().items():
        assert template["metadata"]["annotations"][meta.SPEC_HASH_ANNOTATION] == sha, role
        volume = next(v for v in template["spec"]["volumes"] if v["name"] == "serving-spec")
        assert volume["configMap"]["name"] == config_map.props["metadata"]["name"]
    for _, container in view.serving_containers():
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[image.SPEC_ENV] == image.SPEC_PATH
        assert {"name": "serving-spec", "mountPath": image.SPEC_DIR, "readOnly": True} in container["volumeMounts"]


# -- secrets -----------------------------------------------------------------------------------


def test_api_key_is_a_read_only_file_from_its_secret(view: PlacementView) -> None:
    """The server's own key (defence in depth): the gateway injects it; no client ever holds it."""
    name = f"{view.model_name}-server-key"
    secret = view.one("Secret", name)
    assert secret.props["stringData"] == SECRET
    keys = secret.props["metadata"]["annotations"][meta.SECRET_KEYS_ANNOTATION].split(",")
    assert keys == [credentials.SERVER_KEY, credentials.SERVER_CREDENTIAL_KEY]
    client = credentials.SERVER_KEY
    path = spec_of(view).api_key_file
    for role, template in view.pod_templates().items():
        volumes = [v for v in template["spec"]["volumes"] if v.get("secret", {}).get("secretName") == name]
        (container,) = template["spec"]["containers"]
        mounts = [m for m in container["volumeMounts"] if volumes and m["name"] == volumes[0]["name"]]
        if role == "worker":  # runs only Ray: no API server, so no key
            assert not volumes and name not in json.dumps(template["spec"]), role
            continue
        (volume,) = volumes
        assert volume["secret"]["items"] == [{"key": client, "path": image.API_KEY_FILE}], role
        assert volume["secret"]["defaultMode"] == 0o440, "readable by the owner and group 0 only"
        assert template["spec"]["securityContext"]["fsGroup"] == 0, "UID 2000 reads it through group 0"
        (mount,) = mounts
        assert mount["readOnly"] is True and "subPath" not in mount, role
        assert f"{mount['mountPath']}/{image.API_KEY_FILE}" == path == image.API_KEY_PATH, role
        assert path.startswith(f"{image.SECRETS_DIR}/")
    # kubernetes key source: generated by pulumi_random, redacted in the Plan
    password = [r for r in view.children if r.type == "random:index/randomPassword:RandomPassword"]
    assert len(password) == 1 and password[0].props["length"] >= 32


def test_no_container_takes_a_secret_through_its_environment(view: PlacementView) -> None:
    for where, _, container in view.all_containers():
        for env in container.get("env", []):
            assert "secretKeyRef" not in json.dumps(env.get("valueFrom", {})), f"{where}: {env['name']}"
        assert "envFrom" not in container, where
    for template in view.pod_templates().values():
        annotations = json.dumps(template["metadata"].get("annotations", {}))
        assert "CKV_K8S_35" not in annotations
    assert "CKV_K8S_35" not in json.dumps(view.workload.props["metadata"].get("annotations", {}))


def test_no_secret_reaches_an_environment_value(view: PlacementView) -> None:
    for where, _, container in view.all_containers():
        for env in container.get("env", []):
            if "value" in env:
                assert env["value"] != SECRET, f"{where}: {env['name']}"
                assert not re.search(r"(token|secret|password|key)$", env["name"].lower()), env["name"]


# -- staging ---------------------------------------------------------------------------------


def test_staging_job_runs_the_image_staging_command(view: PlacementView) -> None:
    job = view.one("Job")
    revision = view.model["source"]["revision"]
    assert job.props["metadata"]["name"] == f"{view.model_name}-stage-{revision[:12]}"
    assert job.props["metadata"]["annotations"][meta.PULUMI_SKIP_AWAIT] == "true"
    spec = job.props["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    (container,) = spec["containers"]
    args = container["args"]
    assert "command" not in container, "the image's ENTRYPOINT (serving.launch) runs `stage`"
    assert args[0] == "stage"
    assert args[args.index("--source") + 1] == view.model["source"]["uri"]
    assert args[args.index("--revision") + 1] == revision
    assert args[args.index("--dest") + 1] == spec_of(view).model
    allowed = [args[i + 1] for i, a in enumerate(args) if a == "--allow-source"]
    assert allowed and any(view.model["source"]["uri"].startswith(p) for p in allowed)
    assert "--verify-only" not in args


def test_servers_wait_for_the_staged_manifest(view: PlacementView) -> None:
    dest = spec_of(view).model
    for role, template in view.pod_templates().items():
        (wait,) = template["spec"]["initContainers"]
        command = wait["command"]
        assert command[:2] == ["sh", "-c"], role
        assert "--verify-only" in command and command[command.index("--dest") + 1] == dest
        budget = int(command[3])
        assert budget >= sizing.STAGING_FLOOR_S


def test_source_token_is_a_mounted_file_for_the_stager_only(view: PlacementView) -> None:
    token = view.model["source"].get("token")
    secrets = {r.props["metadata"]["name"] for r in view.of_kind("Secret")}
    name = f"{view.model_name}-source-token"
    assert (name in secrets) == bool(token)
    if not token:
        return
    job = view.one("Job").props["spec"]["template"]["spec"]
    volume = next(v for v in job["volumes"] if v.get("secret", {}).get("secretName") == name)
    (container,) = job["containers"]
    assert any(m["name"] == volume["name"] and m["readOnly"] for m in container["volumeMounts"])
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HF_TOKEN_PATH"].startswith(image.SECRETS_DIR)
    for role, template in view.pod_templates().items():
        volumes = json.dumps(template["spec"]["volumes"])
        assert name not in volumes, f"{role} must not see the source token"
