"""KEDA ScaledObject of one model placement: queue depth up, conservative down, zero when idle.

* Scale signal: ``vllm:num_requests_waiting_by_reason{reason="capacity"}`` summed over the
  placement's pods, ``threshold = autoscaling.queueDepthPerReplica`` with metricType
  AverageValue, so the HPA asks for ceil(waiting / threshold) replicas. Requests waiting for
  capacity (KV cache / batch slots) are the ones another replica serves; ``deferred`` ones wait
  on something else. Never GPU utilization: it sits near 100% whenever the engine batches
  (../shared/reference/vllm.md).
* Bounds: ``minReplicaCount``/``maxReplicaCount`` = ``placements[].replicas``; polling and the
  scale-to-zero cooldown from ``autoscaling``; the HPA removes at most one pod per period and
  waits ``autoscaling.scaleDownStabilizationSeconds`` first.
* Scale to zero (``replicas.min == 0``): with no replica there is no vLLM metric at all, so a
  second trigger watches the gateway: ``envoy_cluster_upstream_rq_completed`` of the model's
  API HTTPRoute clusters (not the health route: Route 53 probes it around the clock). Envoy creates that counter with the route and charges to it the 503 it
  answers while the model has no endpoint ("no healthy upstream"), so the first request after
  an idle period wakes the model (clients see 503s until a replica is ready: minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.config import Autoscaling, Bounds
from infra.workloads.operations.metrics import gateway_route_regex, selector

SCALE_UP_PODS_PER_MINUTE = 2
"""A GPU replica costs minutes to start; adding two per minute follows a burst without a stampede."""
MAX_HPA_PERIOD_SECONDS = 1800
"""HPA policies accept periodSeconds up to 1800."""
WAKE_WINDOW = "2m"
WAKE_THRESHOLD = 1000
"""Requests/s per replica for the wake trigger: so high that it never decides the replica count;
it only activates the workload (activationThreshold 0) and keeps one replica while traffic flows."""


@dataclass(frozen=True)
class ScalingTarget:
    """The workload KEDA scales and where it reads metrics."""

    name: str
    namespace: str
    api_routes: tuple[str, ...] = ()
    """HTTPRoutes of the model's API traffic (see ServerRef.api_routes)."""
    kind: str = "Deployment"
    api_version: str = "apps/v1"
    server_address: str = ""
    """Prometheus query API of the cluster (in-cluster service or Google Managed Prometheus)."""
    extra_matchers: tuple[tuple[str, str], ...] = ()
    """Label matchers every query gets (GMP: the cluster, since its API is project-wide)."""
    authentication: dict[str, str] | None = None
    """``authenticationRef`` of the triggers (GMP: a ClusterTriggerAuthentication)."""


def queue_query(target: ScalingTarget) -> str:
    matchers = {"namespace": target.namespace, "reason": "capacity", **dict(target.extra_matchers)}
    return f"sum(vllm:num_requests_waiting_by_reason{selector(matchers)})"


def wake_query(target: ScalingTarget) -> str:
    route = {"envoy_cluster_name": gateway_route_regex(target.namespace, target.api_routes)}
    return (
        f"sum(rate(envoy_cluster_upstream_rq_completed{selector(dict(target.extra_matchers), route)}"
        f"[{WAKE_WINDOW}]))"
    )


def _trigger(name: str, target: ScalingTarget, query: str, threshold: int | float) -> dict[str, Any]:
    trigger: dict[str, Any] = {
        "type": "prometheus",
        "name": name,
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": target.server_address,
            "query": query,
            "threshold": str(threshold),
            "activationThreshold": "0",
            "ignoreNullValues": "true",
        },
    }
    if target.authentication:
        trigger["authenticationRef"] = dict(target.authentication)
    return trigger


def scaled_object_spec(target: ScalingTarget, replicas: Bounds, autoscaling: Autoscaling) -> dict[str, Any]:
    """``spec`` of the ScaledObject (keda.sh/v1alpha1)."""
    triggers = [_trigger("queue-depth", target, queue_query(target), autoscaling.queue_depth_per_replica)]
    if replicas.min == 0:
        triggers.append(_trigger("gateway-requests", target, wake_query(target), WAKE_THRESHOLD))
    period = min(autoscaling.scale_down_stabilization_seconds, MAX_HPA_PERIOD_SECONDS)
    return {
        "scaleTargetRef": {"apiVersion": target.api_version, "kind": target.kind, "name": target.name},
        "pollingInterval": autoscaling.polling_seconds,
        "cooldownPeriod": autoscaling.cooldown_seconds,
        "minReplicaCount": replicas.min,
        "maxReplicaCount": replicas.max,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "name": f"{target.name}-keda",
                "behavior": {
                    "scaleDown": {
                        "stabilizationWindowSeconds": autoscaling.scale_down_stabilization_seconds,
                        "selectPolicy": "Min",
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": period}],
                    },
                    "scaleUp": {
                        "stabilizationWindowSeconds": 0,
                        "selectPolicy": "Max",
                        "policies": [{"type": "Pods", "value": SCALE_UP_PODS_PER_MINUTE, "periodSeconds": 60}],
                    },
                },
            }
        },
        "triggers": triggers,
    }
