"""StackConfig: the one schema of ``Pulumi.<stack>.yaml``.

Every key under the ``llm-fleet:`` namespace of a stack file is validated here, both in a
real ``pulumi up`` (values read from ``pulumi.Config``) and offline (values read from the
YAML file by :mod:`infra.stackfile`). Keys are camelCase in the stack files; fields are
snake_case in Python. Each error names the key path, the value and what is allowed
(see :func:`format_validation_error`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from serving.errors import LlmFleetError
from serving.traffic import (
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_PEAK_REQUESTS_PER_SECOND,
    DEFAULT_PROMPT_TOKENS,
    DEFAULT_SHARED_PREFIX_PERCENT,
)

PROJECT = "llm-fleet"

# DNS-1123 label: names become Kubernetes namespaces and Pulumi resource names.
DNS_LABEL = r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$"
Name = Annotated[
    str,
    Field(
        pattern=DNS_LABEL,
        description="Lower-case DNS label: a-z, 0-9 and '-', 2-32 characters, starting with a letter.",
    ),
]
RuleId = Annotated[str, Field(pattern=r"^[A-Z0-9]+-[0-9]{2}$", description="A policy rule id such as EKS-01.")]
Environment = Literal["dev", "staging", "prod"]
Enforcement = Literal["advisory", "mandatory", "disabled"]


class Model(BaseModel):
    """Base of every config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=True,
    )


# ---------------------------------------------------------------------------
# Secrets: only references ever live in the stack config
# ---------------------------------------------------------------------------


_SECRET_NAME_SHAPES = {"config": re.compile(r"[A-Za-z][A-Za-z0-9]*"), "env": re.compile(r"[A-Z_][A-Z0-9_]*")}
"""The names a config key and an environment variable may have (SecretRef's patterns)."""


class SecretRef(Model):
    """Where a secret value comes from. Exactly one key is set; the value itself never is."""

    config: str | None = Field(
        None,
        pattern=r"^[A-Za-z][A-Za-z0-9]*$",
        description="Name of a secure key in this stack's config (`pulumi config set --secret NAME`).",
    )
    env: str | None = Field(
        None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Environment variable of the process running `pulumi up`.",
    )
    aws_secrets_manager: str | None = Field(None, description="Name or ARN of an AWS Secrets Manager secret.")
    gcp_secret_manager: str | None = Field(
        None,
        pattern=r"^projects/[^/]+/secrets/[^/]+(/versions/[^/]+)?$",
        description="Secret Manager resource name: projects/P/secrets/S[/versions/V].",
    )

    @field_validator("config", "env", "aws_secrets_manager", "gcp_secret_manager", mode="before")
    @classmethod
    def _a_name_not_a_secret(cls, value: Any, info: ValidationInfo) -> Any:
        # A pasted token where its name belongs: refuse it before any check that would echo it.
        # config and env names have a strict shape: anything else is refused without echo too.
        from infra.config_errors import looks_secret
        from policy.rules._credentials import looks_like_pasted_secret

        if not isinstance(value, str):
            return value
        if looks_secret(value) or looks_like_pasted_secret(value):
            # The message never repeats the value: it is most likely the secret itself.
            raise ValueError(
                "this looks like a secret value, not the name of one (value not shown); store it with "
                "`pulumi config set --secret NAME` (or in a secret manager) and give its name"
            )
        shape = _SECRET_NAME_SHAPES.get(str(info.field_name))
        if shape is not None and not shape.fullmatch(value):
            raise ValueError(f"not a valid name (value not shown: it may be a secret); expected {shape.pattern}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        set_keys = [k for k, v in self.model_dump(by_alias=True).items() if v is not None]
        if len(set_keys) != 1:
            raise ValueError(
                "a secret reference needs exactly one of config, env, awsSecretsManager, "
                f"gcpSecretManager; got {set_keys or 'none'}"
            )
        return self

    @property
    def source(self) -> str:
        """Stable description of the reference (safe to print: no value)."""
        for key, value in self.model_dump(by_alias=True).items():
            if value is not None:
                return f"{key}:{value}"
        raise AssertionError("unreachable: validated to have one key")


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------


class Bounds(Model):
    """An inclusive range of counts (nodes or replicas)."""

    min: int = Field(0, ge=0, le=1000, description="Minimum count; 0 allows scale to zero.")
    max: int = Field(..., ge=1, le=1000, description="Maximum count (required: capacity and cost need a ceiling).")

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class OnPremHardware(Model):
    """Amortized cost of owned hardware, for the cost model."""

    node_price_usd: float = Field(
        ..., gt=0, le=10_000_000, allow_inf_nan=False, description="Purchase price of one GPU node, USD."
    )
    amortization_months: int = Field(36, ge=1, le=120, description="Months over which a node is written off.")
    power_kw: float = Field(
        ..., gt=0, le=200, allow_inf_nan=False, description="Average power draw of one node under load, kW."
    )
    price_per_kwh_usd: float = Field(
        0.12, gt=0, le=10, allow_inf_nan=False, description="Electricity price incl. cooling, USD per kWh."
    )


class GpuPool(Model):
    """A group of identical GPU nodes. Cloud pools autoscale between ``nodes.min`` and ``nodes.max``."""

    name: Name
    instance_types: list[str] = Field(
        default_factory=list,
        description=(
            "Cloud instance/machine types allowed in this pool (aws: g6.xlarge, p5.48xlarge, ...; "
            "gcp: g2-standard-8, a3-highgpu-8g, ...). All must carry the same GPU type. Empty on-prem."
        ),
    )
    gpu: str | None = Field(
        None,
        description="GPU type id from the serving catalogue (L4, L40S, H100-80GB, ...). "
        "Required on-prem; on clouds derived from the instance types.",
    )
    gpus_per_node: int | None = Field(
        None, ge=1, le=16, description="GPUs per node. Required on-prem; derived on clouds."
    )
    capacity_type: Literal["spot", "on-demand"] = Field(
        "on-demand", description="'spot' (interruptible, cheaper) or 'on-demand'."
    )
    nodes: Bounds = Field(..., description="Node count bounds for this pool.")
    zones: list[str] = Field(default_factory=list, description="Zones to use (empty: every zone of the target).")
    node_selector: dict[str, str] = Field(
        default_factory=dict, description="On-prem: labels that select this pool's nodes."
    )
    disk_gib: int = Field(200, ge=100, le=4096, description="Root disk per node, GiB (the vLLM image alone is ~12 GB).")
    hardware: OnPremHardware | None = Field(None, description="On-prem only: amortized hardware and power cost.")


class Edge(Model):
    """The public (or internal) entry of a target: TLS, WAF, rate limits."""

    domain: str = Field(
        ...,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$",
        description="DNS name the target serves models under, e.g. llm.example.com.",
    )
    dns_zone: str | None = Field(
        None,
        description="Public DNS zone used for certificate validation and routing records "
        "(Route 53 zone name on aws, Cloud DNS zone name on gcp).",
    )
    waf: bool = Field(True, description="Attach WAF rules (AWS WAFv2, Cloud Armor, Coraza/OWASP CRS on-prem).")
    rate_limit_per_minute: int = Field(
        600, ge=1, le=1_000_000, description="Requests per client IP per minute on /v1 at the cloud edge (AWS WAF, Cloud Armor); "
        "per API client limits are clients[].requestsPerMinute."
    )
    allowed_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="Client CIDRs allowed to reach the edge.",
    )
    tls_issuer: Literal["acme", "internal-ca"] = Field(
        "acme", description="On-prem: cert-manager issuer, 'acme' (Let's Encrypt) or 'internal-ca'."
    )
    acme_email: str | None = Field(None, description="Contact e-mail for ACME registration.")


class WeightStore(Model):
    """On-prem weight storage: an S3-compatible endpoint or a PersistentVolumeClaim."""

    kind: Literal["s3", "pvc"] = Field("s3", description="'s3' (S3-compatible endpoint) or 'pvc'.")
    endpoint: str | None = Field(None, description="S3-compatible endpoint URL (https://...), for kind s3.")
    bucket: str | None = Field(None, description="Bucket name, for kind s3.")
    credentials: SecretRef | None = Field(
        None, description="Access key pair for the S3-compatible endpoint (JSON {accessKeyId, secretAccessKey})."
    )
    storage_class: str | None = Field(None, description="StorageClass of the PVC, for kind pvc.")
    size_gib: int = Field(500, ge=10, le=1_048_576, description="PVC size, GiB, for kind pvc.")

    @model_validator(mode="after")
    def _kind_fields(self) -> WeightStore:
        if self.kind == "s3" and not (self.endpoint and self.bucket):
            raise ValueError("kind 's3' needs endpoint and bucket")
        return self


class Monitoring(Model):
    stack: Literal["in-cluster", "managed"] = Field(
        "in-cluster",
        description="'in-cluster' (kube-prometheus-stack + Grafana) or 'managed' "
        "(Amazon Managed Prometheus / Google Managed Prometheus). On-prem is always in-cluster.",
    )
    retention_days: int = Field(15, ge=1, le=400, description="Metrics retention, days.")


class TargetBase(Model):
    name: Name = Field(..., description="Target name; prefixes every resource of the target.")
    edge: Edge = Field(..., description="Entry point: domain, TLS, WAF, rate limits.")
    gpu_pools: list[GpuPool] = Field(..., min_length=1, description="GPU node pools.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description="Where metrics are collected.")

    @field_validator("gpu_pools")
    @classmethod
    def _unique_pools(cls, pools: list[GpuPool]) -> list[GpuPool]:
        _require_unique([p.name for p in pools], "pool name")
        return pools


class AwsTarget(TargetBase):
    kind: Literal["aws"] = Field(..., description="'aws': an EKS cluster built by this stack.")
    region: str = Field(..., pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="AWS region, e.g. us-east-1.")
    availability_zones: int = Field(3, ge=2, le=6, description="Number of AZs the VPC spans.")
    vpc_cidr: str = Field("10.40.0.0/16", description="VPC CIDR block.")
    kubernetes_version: str = Field("1.35", pattern=r"^1\.\d{2}$", description="EKS Kubernetes version.")
    endpoint_public_access_cidrs: list[str] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the EKS API publicly; empty keeps the endpoint private.",
    )
    admin_role_arns: list[str] = Field(
        default_factory=list, description="IAM role ARNs granted cluster admin through access entries."
    )


class GcpTarget(TargetBase):
    kind: Literal["gcp"] = Field(..., description="'gcp': a GKE cluster built by this stack.")
    project: str = Field(..., pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$", description="GCP project id.")
    region: str = Field(..., pattern=r"^[a-z]+-[a-z]+\d$", description="GCP region, e.g. us-central1.")
    billing_account: str = Field(
        ..., pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", description="Billing account id for the budget."
    )
    network_cidr: str = Field("10.60.0.0/20", description="Primary range of the node subnet.")
    pods_cidr: str = Field("10.64.0.0/14", description="Secondary range for pods.")
    services_cidr: str = Field("10.68.0.0/20", description="Secondary range for services.")
    master_cidr: str = Field("172.16.0.32/28", description="Control-plane range of the private cluster.")
    master_authorized_cidrs: list[str] = Field(
        default_factory=list, description="CIDRs allowed to reach the control plane; empty: private endpoint."
    )
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = Field("REGULAR", description="GKE release channel.")


class OnPremTarget(TargetBase):
    kind: Literal["onprem"] = Field(..., description="'onprem': an existing cluster reached by kubeconfig.")
    kubeconfig: SecretRef = Field(..., description="Kubeconfig of the existing cluster (a secret reference).")
    context: str | None = Field(None, description="Kubeconfig context to use (default: current).")
    gpu_operator: Literal["install", "preinstalled"] = Field(
        "install", description="'install' the NVIDIA GPU Operator, or 'preinstalled'."
    )
    weights: WeightStore = Field(..., description="Where staged model weights are kept.")
    registry: str = Field(
        ...,
        pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+$",
        description="Image repository the serving image is mirrored to, e.g. harbor.lab.example/llm/serving.",
    )
    registry_username: str | None = Field(
        None,
        description="User that pushes the image to registry: the one built with image.build, or the promoted "
        "digest copied from image.source (default: the deploying machine's docker login).",
    )
    registry_password: SecretRef | None = Field(
        None, description="Password or token of registryUsername (a secret reference)."
    )

    @field_validator("gpu_pools")
    @classmethod
    def _onprem_pools_explicit(cls, pools: list[GpuPool]) -> list[GpuPool]:
        for pool in pools:
            if pool.gpu is None or pool.gpus_per_node is None:
                raise ValueError(f"on-prem pool '{pool.name}' needs gpu and gpusPerNode")
            if pool.instance_types:
                raise ValueError(f"on-prem pool '{pool.name}' takes no instanceTypes")
        return pools


Target = Annotated[AwsTarget | GcpTarget | OnPremTarget, Field(discriminator="kind")]


# ---------------------------------------------------------------------------
# Models and placements
# ---------------------------------------------------------------------------


class ModelSource(Model):
    uri: str = Field(
        ...,
        pattern=r"^(hf://[\w.-]+/[\w.-]+|s3://[\w.-]+/\S+|gs://[\w.-]+/\S+)$",
        description="Where the weights come from: hf://org/repo, s3://bucket/prefix or gs://bucket/prefix.",
    )
    revision: str = Field(
        ...,
        pattern=r"^[0-9a-f]{40}$",
        description="Pinned revision: the 40-hex commit of the Hugging Face repo (or of the manifest).",
    )
    manifest_sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="sha256 of the staged manifest (set by promotion)."
    )
    token: SecretRef | None = Field(None, description="Hub token for gated models (a secret reference).")


class Placement(Model):
    target: Name = Field(..., description="Name of a target in `targets`.")
    pool: Name = Field(..., description="Name of a GPU pool of that target.")
    replicas: Bounds = Field(..., description="Model server replica bounds (autoscaled on queue depth).")
    tensor_parallel: int | None = Field(
        None, ge=1, le=8, description="Tensor-parallel size; default: the capacity planner's choice."
    )


class Slo(Model):
    availability_percent: float = Field(
        99.5, gt=90, lt=100, description="Share of requests the gateway must not answer with a 5xx, percent."
    )
    ttft_p95_ms: int = Field(2000, ge=50, le=120_000, description="Time to first token, 95th percentile, ms.")
    itl_p95_ms: int = Field(150, ge=5, le=10_000, description="Inter-token latency, 95th percentile, ms.")
    window_days: int = Field(30, ge=1, le=90, description="SLO window, days.")


class Autoscaling(Model):
    queue_depth_per_replica: int = Field(
        5, ge=1, le=1000, description="Waiting requests per replica that trigger a scale-up."
    )
    polling_seconds: int = Field(15, ge=5, le=300, description="KEDA polling interval, s.")
    cooldown_seconds: int = Field(360, ge=30, le=7200, description="Idle time before scaling to zero, s.")
    scale_down_stabilization_seconds: int = Field(
        600, ge=60, le=7200, description="Window the HPA waits before removing a replica, s."
    )


class Traffic(Model):
    """Typical requests and the peak rate: what replicas, SLO checks and $/1M tokens are sized on."""

    prompt_tokens: int = Field(
        DEFAULT_PROMPT_TOKENS, ge=1, le=1_048_576, description="Typical (mean) prompt length, tokens."
    )
    output_tokens: int = Field(
        DEFAULT_OUTPUT_TOKENS, ge=1, le=1_048_576, description="Typical (mean) output length, tokens."
    )
    peak_requests_per_second: float = Field(
        DEFAULT_PEAK_REQUESTS_PER_SECOND,
        ge=0,
        le=100_000,
        description="Peak request rate over all placements of the model, requests/s (0: idle model).",
    )
    shared_prefix_percent: float = Field(
        DEFAULT_SHARED_PREFIX_PERCENT,
        ge=0,
        le=99,
        description="Share of each prompt served from the prefix cache (shared system prompt), percent.",
    )


RoutingStrategy = Literal["inference-aware", "round-robin"]
"""Replica selection inside a cluster (docs/routing.md)."""


class ModelConfig(Model):
    name: Name = Field(..., description="Model name; used in Kubernetes names and URNs.")
    architecture: str = Field(..., description="Architecture id from the serving catalogue (llama-3.1-8b, ...).")
    source: ModelSource = Field(..., description="Where the weights come from, at a pinned revision.")
    served_name: str | None = Field(
        None, pattern=r"^[\w./-]+$", description="Name clients use in requests (default: the model name)."
    )
    max_model_len: int = Field(8192, ge=256, le=1_048_576, description="Longest sequence served, tokens.")
    kv_cache_dtype: Literal["auto", "fp8", "fp8_e4m3", "fp8_e5m2"] = Field("auto", description="KV cache dtype.")
    quantization: str | None = Field(None, description="vLLM quantization method (default: auto-detected).")
    gpu_memory_utilization: float = Field(0.9, gt=0.1, le=0.98, description="Share of GPU memory vLLM may use.")
    max_num_seqs: int | None = Field(None, ge=1, le=4096, description="Max concurrent sequences per replica.")
    placements: list[Placement] = Field(..., min_length=1, description="Where the model runs.")
    slo: Slo = Field(default_factory=Slo, description="Service level objectives; alerts are generated from them.")
    autoscaling: Autoscaling = Field(default_factory=Autoscaling, description="Queue-depth autoscaling settings.")
    traffic: Traffic = Field(
        default_factory=Traffic, description="Typical request lengths and peak rate (capacity and cost sizing)."
    )
    routing: RoutingStrategy = Field(
        "inference-aware",
        description="How a cluster's gateway picks a replica: 'inference-aware' (an InferencePool whose endpoint "
        "picker scores queue depth, KV-cache use and prefix-cache affinity) or 'round-robin' (the model's Service).",
    )


# ---------------------------------------------------------------------------
# Stack-wide settings
# ---------------------------------------------------------------------------


class RouteEndpoint(Model):
    target: Name
    role: Literal["primary", "secondary"] | None = Field(None, description="For failover routes.")
    weight: int | None = Field(None, ge=0, le=255, description="For weighted routes.")


class Route(Model):
    hostname: str = Field(
        ...,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$",
        description="Public hostname clients use, e.g. api.llm.example.com.",
    )
    dns_zone: str = Field(..., description="DNS zone that holds the hostname.")
    mode: Literal["failover", "weighted"] = Field(..., description="'failover' or 'weighted'.")
    models: list[Name] = Field(..., min_length=1, description="Models served under this hostname.")
    endpoints: list[RouteEndpoint] = Field(..., min_length=1, description="Targets serving this hostname.")
    health_check_path: str = Field("/health", description="Path probed on every endpoint.")

    @model_validator(mode="after")
    def _mode_fields(self) -> Route:
        if self.mode == "failover":
            roles = sorted(e.role or "" for e in self.endpoints)
            if roles != ["primary", "secondary"]:
                raise ValueError("a failover route needs exactly one primary and one secondary endpoint")
        else:
            if any(e.weight is None for e in self.endpoints):
                raise ValueError("every endpoint of a weighted route needs a weight")
            if sum(e.weight or 0 for e in self.endpoints) == 0:
                raise ValueError("the weights of a weighted route must not all be 0")
        return self


class Budget(Model):
    monthly_usd: float = Field(
        ...,
        ge=1,
        le=100_000_000,
        allow_inf_nan=False,
        description="Monthly budget for the whole stack, USD, 1 to 100,000,000 (it becomes each cloud's budget limit).",
    )
    alert_thresholds_percent: list[Annotated[int, Field(ge=1, le=1000)]] = Field(
        default_factory=lambda: [50, 80, 100],
        min_length=1,
        max_length=5,
        description="Alert at these shares of the budget (actual and forecast), percent, 1 to 1000; "
        "1 to 5 thresholds (an AWS budget holds 10 notifications).",
    )
    notify_emails: list[str] = Field(..., min_length=1, description="Who gets budget alerts.")

    @field_validator("notify_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email):
                raise ValueError(f"'{email}' is not an e-mail address")
        return emails


# ---------------------------------------------------------------------------
# Alert routing: who hears about page and ticket alerts
# ---------------------------------------------------------------------------

EMAIL = r"[^@\s]+@[^@\s]+\.[a-z]{2,}"


class PagerDutyReceiver(Model):
    """PagerDuty Events API v2."""

    routing_key: SecretRef = Field(..., description="Integration (routing) key of the PagerDuty service.")


class SlackReceiver(Model):
    """Slack incoming webhook."""

    api_url: SecretRef = Field(..., description="Incoming-webhook URL (a secret: the URL is the credential).")
    channel: str = Field(..., pattern=r"^[#@][\w.-]{1,80}$", description="Channel (#name) or user (@name).")


class EmailReceiver(Model):
    """E-mail over SMTP with STARTTLS."""

    to: list[str] = Field(..., min_length=1, description="Recipients.")
    sender: str = Field(..., alias="from", description="Sender address.")
    smarthost: str = Field(..., pattern=r"^[A-Za-z0-9.-]+:\d{1,5}$", description="SMTP server, host:port.")
    auth_username: str | None = Field(None, description="SMTP user name (with authPassword).")
    auth_password: SecretRef | None = Field(None, description="SMTP password (a secret reference).")

    @field_validator("to")
    @classmethod
    def _recipients(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not re.fullmatch(EMAIL, email):
                raise ValueError(f"'{email}' is not an e-mail address")
        return emails

    @field_validator("sender")
    @classmethod
    def _sender(cls, email: str) -> str:
        if not re.fullmatch(EMAIL, email):
            raise ValueError(f"'{email}' is not an e-mail address")
        return email

    @model_validator(mode="after")
    def _auth_pair(self) -> EmailReceiver:
        if (self.auth_username is None) != (self.auth_password is None):
            raise ValueError("authUsername and authPassword go together")
        return self


class WebhookReceiver(Model):
    """Alertmanager's generic webhook (JSON POST)."""

    url: str = Field(..., pattern=r"^https://[^\s]+$", description="https:// endpoint (an address, not a secret).")
    token: SecretRef | None = Field(None, description="Bearer token sent in the Authorization header (a secret reference).")


class AlertReceiver(Model):
    """One named receiver: exactly one of pagerduty, slack, email, webhook."""

    name: Name = Field(..., description="Receiver name, used in `page` and `ticket`.")
    pagerduty: PagerDutyReceiver | None = Field(None, description="PagerDuty Events API v2.")
    slack: SlackReceiver | None = Field(None, description="Slack incoming webhook.")
    email: EmailReceiver | None = Field(None, description="E-mail over SMTP.")
    webhook: WebhookReceiver | None = Field(None, description="Generic webhook.")

    @model_validator(mode="after")
    def _exactly_one(self) -> AlertReceiver:
        kinds = [k for k in RECEIVER_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a receiver needs exactly one of {list(RECEIVER_KINDS)}; got {kinds or 'none'}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in RECEIVER_KINDS if getattr(self, k) is not None)


RECEIVER_KINDS = ("pagerduty", "slack", "email", "webhook")


class Alerting(Model):
    """Where alerts go: page alerts (severity critical) and ticket alerts (severity warning)."""

    receivers: list[AlertReceiver] = Field(..., min_length=1, description="Named receivers.")
    page: list[Name] = Field(
        default_factory=list, description="Receivers of page alerts (severity critical: SLO fast burn, GPU faults)."
    )
    ticket: list[Name] = Field(
        default_factory=list, description="Receivers of ticket alerts (severity warning: slow burn, causes)."
    )

    @model_validator(mode="after")
    def _known_receivers(self) -> Alerting:
        names = [r.name for r in self.receivers]
        _require_unique(names, "receiver name")
        for key in ("page", "ticket"):
            chosen = getattr(self, key)
            _require_unique(chosen, f"{key} receiver")
            for name in chosen:
                if name not in names:
                    raise ValueError(f"{key}: '{name}' is not a receiver; expected one of {sorted(names)}")
        return self


class Suppression(Model):
    rule: RuleId
    resource: str = Field(..., description="Resource name or URN; '*' wildcards allowed.")
    justification: str = Field(..., min_length=10, description="Why this finding is accepted.")
    owner: str = Field(..., description="Who answers for it.")
    expires: dt.date = Field(..., description="Date after which the suppression is itself a violation.")


class PolicySettings(Model):
    enforcement: Enforcement | None = Field(
        None, description="Default enforcement: dev advisory, prod mandatory when unset."
    )
    overrides: dict[RuleId, Enforcement] = Field(default_factory=dict, description="Per-rule enforcement.")
    allowed_instance_types: list[str] = Field(
        default_factory=list, description="Instance/machine types allowed in this environment (empty: any)."
    )
    allowed_model_sources: list[str] = Field(
        default_factory=lambda: ["hf://meta-llama/", "hf://Qwen/", "hf://mistralai/", "hf://google/"],
        description="URI prefixes model weights may come from.",
    )
    suppressions: list[Suppression] = Field(
        default_factory=list, description="Accepted findings, each with justification, owner and expiry."
    )


GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"


class ImageSigner(Model):
    """The CI workflow whose keyless (Sigstore) signature every target's admission check requires."""

    repository: str = Field(
        ...,
        pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]*/[-A-Za-z0-9_.]+$",
        description="GitHub repository that builds and signs the serving image, as OWNER/NAME.",
    )
    workflow: str = Field(
        ".github/workflows/main.yml",
        pattern=r"^\.github/workflows/[-\w.]+\.ya?ml$",
        description="Workflow file that signs the image (the certificate's workflow path).",
    )
    ref: str = Field(
        "refs/heads/main",
        pattern=r"^refs/(heads|tags)/[-\w./]+$",
        description="Git ref the signing workflow ran on: refs/heads/BRANCH or refs/tags/TAG.",
    )

    @property
    def identity(self) -> str:
        """The Fulcio certificate's subject (SAN URI) for a GitHub Actions workflow run."""
        return f"https://github.com/{self.repository}/{self.workflow}@{self.ref}"

    @property
    def issuer(self) -> str:
        return GITHUB_OIDC_ISSUER


class ServingImage(Model):
    tag: str = Field(..., pattern=r"^[\w][\w.-]{0,127}$", description="Image tag of the bundled serving image.")
    digest: str | None = Field(
        None, pattern=r"^sha256:[0-9a-f]{64}$", description="Image digest; required unless build is true."
    )
    build: bool = Field(False, description="Build serving/ and push it to each target's registry (dev).")
    source: str | None = Field(
        None,
        pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+$",
        description=(
            "Repository CI pushed the image to (REGISTRY/PATH, no tag). With a digest, each target copies "
            "that digest from here into its own registry (with its signatures) before its servers start."
        ),
    )
    signer: ImageSigner | None = Field(
        None,
        description=(
            "CI workflow that signs the image keylessly. Every target then admits, in model namespaces, "
            "only images signed by this workflow identity (Sigstore policy-controller)."
        ),
    )

    @model_validator(mode="after")
    def _digest_or_build(self) -> ServingImage:
        if not self.build and self.digest is None:
            raise ValueError("set digest (sha256:...) or build: true")
        return self


# ---------------------------------------------------------------------------
# API clients: who may call which model, with which keys and limits
# ---------------------------------------------------------------------------

KeySource = Literal["generated"]
MAX_RATE_LIMIT = 2**32 - 1
"""Largest limit Envoy Gateway's rate-limit rules take (``limit.requests`` is a uint32)."""


class ClientKey(Model):
    """One API key of a client. Several may be active at once (rotation without downtime)."""

    id: Name = Field(..., description="Key id, unique within the client (e.g. k2026a); never the key itself.")
    state: Literal["active", "revoked"] = Field(
        "active", description="'active' (accepted on every target serving the client's models) or 'revoked' "
        "(removed from every gateway at the next `pulumi up`)."
    )
    expires: dt.date | None = Field(
        None, description="Date after which the key must be rotated (YYYY-MM-DD); an active key past it is a "
        "policy finding (CLIENT-04)."
    )
    source: KeySource | SecretRef = Field(
        "generated",
        description="'generated': created once for this key (pulumi_random) and kept as a Pulumi secret; or a "
        "secret reference: {config: NAME}, {awsSecretsManager: NAME}, {gcpSecretManager: projects/P/secrets/S}.",
    )

    @field_validator("source", mode="before")
    @classmethod
    def _no_plain_key(cls, value: Any) -> Any:
        # Never echo the value: a string here is probably the key itself.
        if isinstance(value, str) and value != "generated":
            raise ValueError(
                "a plain value is not allowed here (value not shown); give 'generated' or a secret reference "
                "(one of config, awsSecretsManager, gcpSecretManager)"
            )
        return value

    @property
    def generated(self) -> bool:
        return self.source == "generated"


class Client(Model):
    """A named API client: its models, limits and keys. Every target serving one of its models accepts it."""

    name: Name = Field(..., description="Client name; the gateway forwards '<name>.<key id>' as the client id.")
    owner: str = Field(..., pattern=r"^[a-z][-a-z0-9]*$", description="Team answerable for the client (showback).")
    models: list[Name] = Field(..., min_length=1, description="Models the client may call (names in `models`); "
                               "any other model answers 403.")
    requests_per_minute: int = Field(
        ..., ge=1, le=1_000_000, description="Requests per minute, per model and per target gateway (all its keys together)."
    )
    tokens_per_minute: int | None = Field(
        None, ge=1, le=MAX_RATE_LIMIT,
        description="Prompt + completion tokens per minute, per model and per target gateway (unset: no per-minute "
        "token quota).",
    )
    tokens_per_month: int | None = Field(
        None, ge=1, le=MAX_RATE_LIMIT,
        description="Prompt + completion tokens per 30-day window, per model and per target gateway, at most "
        "4294967295 (the gateway's counters are 32-bit) (unset: no monthly quota).",
    )
    keys: list[ClientKey] = Field(..., min_length=1, description="The client's API keys (rotation: add, then revoke).")

    @field_validator("keys")
    @classmethod
    def _unique_keys(cls, keys: list[ClientKey]) -> list[ClientKey]:
        _require_unique([k.id for k in keys], "key id")
        return keys

    def active_keys(self) -> list[ClientKey]:
        return [k for k in self.keys if k.state == "active"]

    def key_client_id(self, key: ClientKey) -> str:
        """The id the gateway forwards for requests made with ``key``: ``<client>.<key id>``."""
        return client_key_id(self.name, key.id)


CLIENT_KEY_SEPARATOR = "."
"""Client and key ids are DNS labels (no dots), so ``<client>.<key>`` is unambiguous."""


def client_key_id(client: str, key: str) -> str:
    return f"{client}{CLIENT_KEY_SEPARATOR}{key}"


class StackConfig(Model):
    """Everything a stack declares. ``Pulumi.<stack>.yaml`` keys under ``llm-fleet:``."""

    environment: Environment = Field(..., description="'dev', 'staging' or 'prod'.")
    owner: str = Field(..., pattern=r"^[a-z][-a-z0-9]*$", description="Team that owns the stack (cost tag).")
    cost_center: str = Field("llm-platform", description="Cost-allocation tag value.")
    image: ServingImage = Field(..., description="The bundled vLLM serving image (tag and digest).")
    targets: list[Target] = Field(..., min_length=1, description="Clusters: aws, gcp and onprem targets.")
    models: list[ModelConfig] = Field(..., min_length=1, description="Models to serve and where.")
    routing: list[Route] = Field(default_factory=list, description="Public hostnames routed across targets.")
    budget: Budget = Field(..., description="Monthly budget and its alerts.")
    policy: PolicySettings = Field(default_factory=PolicySettings, description="Policy enforcement and suppressions.")
    alerting: Alerting | None = Field(
        None, description="Alert receivers and which alerts reach them (none: alerts reach no one)."
    )
    clients: list[Client] = Field(
        default_factory=list,
        description="Named API clients: the only keys the gateways accept (none: every API route refuses all).",
    )

    @model_validator(mode="after")
    def _cross_references(self) -> StackConfig:
        _require_unique([t.name for t in self.targets], "target name")
        _require_unique([m.name for m in self.models], "model name")
        targets = {t.name: t for t in self.targets}
        for mi, model in enumerate(self.models):
            for pi, placement in enumerate(model.placements):
                where = f"models[{mi}].placements[{pi}]"
                target = targets.get(placement.target)
                if target is None:
                    raise ValueError(
                        f"{where}.target: '{placement.target}' is not a target; expected one of {sorted(targets)}"
                    )
                pools = [p.name for p in target.gpu_pools]
                if placement.pool not in pools:
                    raise ValueError(
                        f"{where}.pool: '{placement.pool}' is not a pool of target "
                        f"'{target.name}'; expected one of {pools}"
                    )
            _require_unique([p.target for p in model.placements], f"models[{mi}] placement target")
        models = {m.name for m in self.models}
        for ri, route in enumerate(self.routing):
            for name in route.models:
                if name not in models:
                    raise ValueError(f"routing[{ri}].models: '{name}' is not a model; expected one of {sorted(models)}")
            for endpoint in route.endpoints:
                if endpoint.target not in targets:
                    raise ValueError(
                        f"routing[{ri}].endpoints: '{endpoint.target}' is not a target; expected one of {sorted(targets)}"
                    )
                missing = [
                    m.name
                    for m in self.models
                    if m.name in route.models and endpoint.target not in {p.target for p in m.placements}
                ]
                if missing:
                    raise ValueError(
                        f"routing[{ri}]: target '{endpoint.target}' does not serve {missing}; place them there first"
                    )
        _require_unique([c.name for c in self.clients], "client name")
        for ci, client in enumerate(self.clients):
            for name in client.models:
                if name not in models:
                    raise ValueError(f"clients[{ci}].models: '{name}' is not a model; expected one of {sorted(models)}")
            _require_unique(client.models, f"clients[{ci}] model")
        return self

    # Convenience views used by the program, the policy engine and the report.
    def target(self, name: str) -> AwsTarget | GcpTarget | OnPremTarget:
        return next(t for t in self.targets if t.name == name)

    def placements(self) -> list[tuple[ModelConfig, Placement]]:
        return [(m, p) for m in self.models for p in m.placements]

    def clients_of(self, model: str) -> list[Client]:
        """The clients allowed to call ``model``, in config order."""
        return [c for c in self.clients if model in c.models]

    @property
    def enforcement(self) -> Enforcement:
        if self.policy.enforcement is not None:
            return self.policy.enforcement
        return "mandatory" if self.environment == "prod" else "advisory"


def _require_unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} '{name}'")
        seen.add(name)


# ---------------------------------------------------------------------------
# Loading and errors
# ---------------------------------------------------------------------------

# Keys that were renamed: a stack using the old name gets pointed to the new one.
RENAMED_KEYS: dict[str, str] = {}


class ConfigError(LlmFleetError):
    """A stack configuration that does not validate. ``lines`` holds one message per problem."""

    def __init__(self, stack: str, lines: list[str]):
        self.stack = stack
        self.lines = lines
        if len(lines) == 1:  # the common case: one mistake, one line
            super().__init__(f"stack '{stack}': {lines[0]}")
        else:
            problems = "\n".join(f"  {line}" for line in lines)
            super().__init__(f"stack '{stack}': invalid configuration ({len(lines)} problems)\n{problems}")


def parse_stack_config(values: Mapping[str, Any], stack: str) -> StackConfig:
    """Validate the ``llm-fleet:`` keys of a stack (namespace already stripped)."""
    for old, new in RENAMED_KEYS.items():
        if old in values:
            raise ConfigError(stack, [f"{old}: this key was renamed; use '{new}'"])
    try:
        return StackConfig.model_validate(dict(values))
    except ValidationError as exc:
        from infra.config_errors import format_validation_error

        raise ConfigError(stack, format_validation_error(exc, StackConfig)) from None


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def json_schema() -> dict[str, Any]:
    """JSON Schema of the ``llm-fleet:`` keys, for editors and `llmfleet schema`."""
    schema = StackConfig.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llm-fleet stack configuration (keys under 'llm-fleet:')"
    return schema
