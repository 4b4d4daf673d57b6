"""Every pinned version of the infrastructure side: Helm charts and add-on images.

One place, named constants, never inline (STYLE.md, habit 9). A chart is pinned by its
exact chart version; an image by tag (and digest where one is published and checked).
Other areas add their own pins here (monitoring, autoscaling, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HelmChart:
    """A Helm chart pinned to one version, from a classic repository or an OCI registry."""

    chart: str
    """Chart name, or the full ``oci://`` reference for charts served from an OCI registry."""
    version: str
    repository: str | None = None
    """Classic chart repository URL (None for OCI charts)."""
    source: str = ""
    """Where the version was checked (release notes, compatibility matrix)."""

    def release_args(self) -> dict[str, Any]:
        """``chart``, ``version`` and (classic repositories only) ``repository_opts`` of a helm.v3.Release."""
        args: dict[str, Any] = {"chart": self.chart, "version": self.version}
        if self.repository:
            args["repository_opts"] = {"repo": self.repository}
        return args


# ---------------------------------------------------------------------------
# Cluster add-ons installed by the on-prem target (and the gateway on every target)
# ---------------------------------------------------------------------------

GPU_OPERATOR = HelmChart(
    chart="gpu-operator",
    version="v25.10.0",
    repository="https://helm.ngc.nvidia.com/nvidia",
    source="https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/release-notes.html "
    "(25.10.x is the generally available line; its default driver is R580, which the CUDA 13 vLLM image needs)",
)

ENVOY_GATEWAY = HelmChart(
    chart="oci://docker.io/envoyproxy/gateway-helm",
    version="v1.9.0",
    source="https://github.com/envoyproxy/gateway/releases/tag/v1.9.0 (2026-08-15; v1.9.2 was pinned before but "
    "no such tag exists: v1.9.0 is the newest v1.9 release); the chart installs the Gateway API v1.6.1 "
    "experimental-channel CRDs (charts/gateway-helm/charts/crds) with Envoy Gateway's own",
)

CERT_MANAGER = HelmChart(
    chart="cert-manager",
    version="v1.19.1",
    repository="https://charts.jetstack.io",
    source="https://cert-manager.io/docs/releases/release-notes/release-notes-1.19",
)

LEADER_WORKER_SET = HelmChart(
    chart="oci://registry.k8s.io/lws/charts/lws",
    version="0.8.0",
    source="https://github.com/kubernetes-sigs/lws/releases (chart lws from oci://registry.k8s.io/lws/charts)",
)

AI_GATEWAY_CRDS = HelmChart(
    chart="oci://docker.io/envoyproxy/ai-gateway-crds-helm",
    version="v1.1.0",
    source="https://github.com/envoyproxy/ai-gateway/releases/tag/v1.1.0 (commit "
    "c217da8a539570ba3f6014a60c2687c29a945f1f, 2026-08-21; charts versioned with the release tag). Built against "
    "Envoy Gateway v1.8.1 (go.mod), its documented minimum; ENVOY_GATEWAY is v1.9.x: upgrade both together",
)

AI_GATEWAY = HelmChart(
    chart="oci://docker.io/envoyproxy/ai-gateway-helm",
    version="v1.1.0",
    source="https://aigateway.envoyproxy.io/docs/getting-started/prerequisites (controller chart; same release as "
    "AI_GATEWAY_CRDS)",
)

VALKEY = HelmChart(
    chart="valkey",
    version="0.11.0",
    repository="https://valkey.io/valkey-helm/",
    source="https://github.com/valkey-io/valkey-helm tag valkey-0.11.0 (commit dbcf6a6093cab69ef174ed0c1bb679ba92d0bf2d; "
    "Valkey 9.1.1, the project's own chart): the Redis-protocol store of Envoy Gateway's rate-limit service",
)

CORAZA_WASM_IMAGE = "ghcr.io/corazawaf/coraza-proxy-wasm:0.6.0"
"""OWASP Coraza proxy-wasm filter with the OWASP Core Rule Set v4 embedded (``@owasp_crs``).
Envoy Gateway pulls it (an OCI image) and serves the module to its Envoy proxies. On-prem the
gateway pulls the copy mirrored into the target's registry (infra.workloads.gateway.mirrored_image).
https://github.com/corazawaf/coraza-proxy-wasm/releases"""

LETSENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory"
"""ACME directory of Let's Encrypt (production) for ``edge.tlsIssuer: acme``."""

# ---------------------------------------------------------------------------
# AWS target (infra/aws): node autoscaling, the load balancer binding, GPU devices
# ---------------------------------------------------------------------------

KARPENTER = HelmChart(
    chart="oci://public.ecr.aws/karpenter/karpenter",
    version="1.11.1",
    source="https://endoflife.date/karpenter (1.11.1, 2026-04-09; supports Kubernetes 1.29-1.35); "
    "the chart ships the karpenter.sh/v1 and karpenter.k8s.aws/v1 CRDs in crds/",
)

KARPENTER_AMI_ALIAS = "al2023@v20250915"
"""EC2NodeClass ``amiSelectorTerms`` alias: EKS-optimized AL2023, pinned to one AMI release so
node images change only when this pin does. Karpenter picks the NVIDIA variant for GPU
instance types. https://karpenter.sh/docs/concepts/nodeclasses/ (amiSelectorTerms.alias),
releases: https://github.com/awslabs/amazon-eks-ami/releases"""

AWS_LOAD_BALANCER_CONTROLLER = HelmChart(
    chart="aws-load-balancer-controller",
    version="1.17.0",
    repository="https://aws.github.io/eks-charts",
    source="https://github.com/aws/eks-charts/releases/tag/v0.0.220 (controller v2.17.0); used only for "
    "the TargetGroupBinding that registers the gateway's pods in the ALB target group",
)

NVIDIA_DEVICE_PLUGIN = HelmChart(
    chart="nvidia-device-plugin",
    version="0.18.2",
    repository="https://nvidia.github.io/k8s-device-plugin",
    source="https://github.com/NVIDIA/k8s-device-plugin/releases (v0.18.2); the EKS AL2023 NVIDIA AMI "
    "has the driver and container toolkit but not the device plugin",
)

# ---------------------------------------------------------------------------
# GCP target (infra/gcp): versions GKE and Cloud Armor resolve on their side
# ---------------------------------------------------------------------------

GKE_GPU_DRIVER_VERSION = "LATEST"
"""GKE-installed NVIDIA driver (``gpu_driver_installation_config``): 'LATEST' rather than
'DEFAULT', because the CUDA 13 vLLM image needs an R580+ driver (serving/versions.py).
https://cloud.google.com/kubernetes-engine/docs/how-to/gpus#installing_drivers"""

CLOUD_ARMOR_CRS = "v422"
"""OWASP CRS release of Cloud Armor's preconfigured WAF rules (``sqli-v422-stable``, ...).
Google recommends 4.22 over 3.3 (``-v33-``) and 3.0; the Log4j rule is ``cve-canary``.
https://cloud.google.com/armor/docs/waf-rules"""

GMP_OPERATOR = "v0.17.2"
"""Google Managed Prometheus (GoogleCloudPlatform/prometheus-engine) release whose
monitoring.googleapis.com/v1 CRDs the fleet's PodMonitoring/ClusterPodMonitoring/ClusterRules are
checked against (vendor/crds/gmp). GKE installs and upgrades GMP itself with managed collection;
this is the newest final release (2026-01-07), not a version the program deploys.
https://github.com/GoogleCloudPlatform/prometheus-engine/releases/tag/v0.17.2"""

# ---------------------------------------------------------------------------
# Operations (infra/workloads/operations): metrics, GPU metrics, autoscaling
# ---------------------------------------------------------------------------

KUBE_PROMETHEUS_STACK = HelmChart(
    chart="kube-prometheus-stack",
    version="88.2.0",
    repository="https://prometheus-community.github.io/helm-charts",
    source="https://github.com/prometheus-community/helm-charts/releases/tag/kube-prometheus-stack-88.2.0 "
    "(2026-08-07; prometheus-operator v0.93, kube-state-metrics 8.2, Grafana with the dashboard sidecar)",
)

DCGM_EXPORTER = HelmChart(
    chart="dcgm-exporter",
    version="4.8.1",
    repository="https://nvidia.github.io/dcgm-exporter/helm-charts",
    source="https://nvidia.github.io/dcgm-exporter (chart 4.8.1, image 4.5.2-4.8.1; no CRDs, no webhooks). "
    "AWS only: the GPU Operator ships its own exporter on-prem and GKE has a managed DCGM package",
)

KEDA = HelmChart(
    chart="keda",
    version="2.20.2",
    repository="https://kedacore.github.io/charts",
    source="https://github.com/kedacore/charts/releases/tag/v2.20.2 (KEDA 2.20.2; Prometheus scaler with "
    "GCP workload identity for Google Managed Prometheus)",
)

# ---------------------------------------------------------------------------
# Supply chain (infra/workloads/admission.py, infra/image_distribution.py)
# ---------------------------------------------------------------------------

POLICY_CONTROLLER = HelmChart(
    chart="policy-controller",
    version="0.10.6",
    repository="https://sigstore.github.io/helm-charts",
    source="https://github.com/sigstore/helm-charts tag policy-controller-0.10.6 (commit 3d19e1d; "
    "policy-controller v0.13.1, its image pinned by digest in the chart's values; CRDs in templates/crds)",
)

SIGSTORE_FULCIO_URL = "https://fulcio.sigstore.dev"
"""Public-good Fulcio: the CA that certifies the signing workflow's OIDC identity (keyless)."""

COSIGN_VERSION = "v3.0.6"
"""cosign the deploy job installs (sigstore/cosign-installer v4.1.2's default): the image copy
verifies the source's signature with it before copying."""

ORAS_VERSION = "1.3.1"
"""oras copies an image with its referrers (cosign v3 bundles, provenance) between registries;
cosign v3.0.5 deprecated `cosign copy` in favour of `oras copy -r`."""
# --- Inference-aware routing (issue 18) -----------------------------------------------------

GATEWAY_API_INFERENCE_EXTENSION = "v1.6.0"
"""Gateway API Inference Extension: the ``InferencePool`` CRD (inference.networking.k8s.io/v1),
applied by the program from vendor/crds/gateway-api-inference-extension/ (the repository's
config/crd/bases at this tag, commit 992e5c29). https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/tag/v1.6.0"""

LLM_D_ROUTER = "v0.10.0"
"""llm-d's router (endpoint picker) release: https://github.com/llm-d/llm-d-router/releases/tag/v0.10.0
(commit 71f4f099). Validated upstream with vLLM 0.30, Gateway API 1.5, GIE v1.6."""

ENDPOINT_PICKER_IMAGE = "ghcr.io/llm-d/llm-d-router-endpoint-picker"
ENDPOINT_PICKER_DIGEST = "sha256:2e516fa1310da7be59b82beb1445362139597d6d553ef04d546716abe3aaaa70"
"""Digest of ``ENDPOINT_PICKER_IMAGE:LLM_D_ROUTER``. NOT confirmed against ghcr.io from here (no
registry access offline): it is the digest two independent public deployment records give for
the v0.10.0 picker. Confirm before the first deploy with ``crane digest
ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0``; the mirror step (``crane copy``) keeps it.
The picker runs mirrored into each target's serving-image repository, by this digest only."""
