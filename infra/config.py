"""StackConfig: the one schema of ``Pulumi.<stack>.yaml``.

Every key under the ``llm-fleet:`` namespace of a stack file is validated here, both in a
real ``pulumi up`` (values read from ``pulumi.Config``) and offline (values read from the
YAML file by :mod:`infra.stackfile`). Keys are camelCase in the stack files; fields are
snake_case in Python. Each error names the key path, the value and what is allowed
(see :func:`format_validation_error`).
"""

from __future__ import annotations

import datetime as dt
import difflib
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
        from policy.rules._credentials import looks_like_pasted_secret

        if not isinstance(value, str):
            return value
        if looks_like_pasted_secret(value):
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

    node_price_usd: float = Field(..., gt=0, description="Purchase price of one GPU node, USD.")
    amortization_months: int = Field(36, ge=1, le=120, description="Months over which a node is written off.")
    power_kw: float = Field(..., gt=0, description="Average power draw of one node under load, kW.")
    price_per_kwh_usd: float = Field(0.12, gt=0, description="Electricity price incl. cooling, USD per kWh.")


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
        600, ge=1, le=1_000_000, description="Requests per client IP (or API key on-prem) per minute on /v1."
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
    size_gib: int = Field(500, ge=10, description="PVC size, GiB, for kind pvc.")

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
        None, description="User that pushes the image built with image.build (default: the local docker login)."
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
        99.5, gt=90, lt=100, description="Share of requests that must not fail (5xx/aborted), percent."
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
    monthly_usd: float = Field(..., gt=0, description="Monthly budget for the whole stack, USD.")
    alert_thresholds_percent: list[int] = Field(
        default_factory=lambda: [50, 80, 100], description="Alert at these shares of the budget (actual and forecast)."
    )
    notify_emails: list[str] = Field(..., min_length=1, description="Who gets budget alerts.")

    @field_validator("notify_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email):
                raise ValueError(f"'{email}' is not an e-mail address")
        return emails


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


class ServingImage(Model):
    tag: str = Field(..., pattern=r"^[\w][\w.-]{0,127}$", description="Image tag of the bundled serving image.")
    digest: str | None = Field(
        None, pattern=r"^sha256:[0-9a-f]{64}$", description="Image digest; required unless build is true."
    )
    build: bool = Field(False, description="Build serving/ and push it to each target's registry (dev).")

    @model_validator(mode="after")
    def _digest_or_build(self) -> ServingImage:
        if not self.build and self.digest is None:
            raise ValueError("set digest (sha256:...) or build: true")
        return self


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
        return self

    # Convenience views used by the program, the policy engine and the report.
    def target(self, name: str) -> AwsTarget | GcpTarget | OnPremTarget:
        return next(t for t in self.targets if t.name == name)

    def placements(self) -> list[tuple[ModelConfig, Placement]]:
        return [(m, p) for m in self.models for p in m.placements]

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
        super().__init__(f"stack '{stack}': invalid configuration\n" + "\n".join(f"  {line}" for line in lines))


def parse_stack_config(values: Mapping[str, Any], stack: str) -> StackConfig:
    """Validate the ``llm-fleet:`` keys of a stack (namespace already stripped)."""
    for old, new in RENAMED_KEYS.items():
        if old in values:
            raise ConfigError(stack, [f"{old}: this key was renamed; use '{new}'"])
    try:
        return StackConfig.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigError(stack, format_validation_error(exc, StackConfig)) from None


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("aws", "gcp", "onprem") and out.endswith("]"):
            continue  # the discriminated-union tag pydantic inserts
        elif isinstance(part, str) and part.startswith(("function-after", "function-before")):
            continue
        else:
            text = str(part)
            if not re.fullmatch(r"[A-Za-z_][\w-]*", text):
                text = repr(text)  # odd keys (spaces, newlines) stay on one readable line
            out += f".{text}" if out else text
    return out or "(root)"


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """(model class, field info) reached by following ``loc`` through the schema by alias."""
    current: Any = model
    field: Any = None
    for part in loc:
        if isinstance(part, int):
            continue
        if part in ("aws", "gcp", "onprem"):
            current = {"aws": AwsTarget, "gcp": GcpTarget, "onprem": OnPremTarget}[part]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None, None
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None, None
        current = _inner_model(field.annotation)
    return current, field


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The allowed keys at ``loc`` (for did-you-mean)."""
    current, _ = _walk(model, loc[:-1]) if len(loc) > 1 else (model, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _description(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    _, field = _walk(model, loc)
    return getattr(field, "description", None)


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """One line per error: ``key.path: 'value' is not allowed; <what is allowed>``."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = _path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            known = _known_keys(model, loc)
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            allowed = f" (allowed: {', '.join(sorted(known))})" if known else ""
            lines.append(f"{path}: unknown key{suggestion}{allowed}")
        elif kind == "missing":
            lines.append(f"{path}: required key is missing")
        elif kind == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{path}: {message}" if path != "(root)" else message)
        elif kind == "union_tag_invalid":
            lines.append(
                f"{path}.kind: {_short(err['input'].get('kind'))} is not allowed; expected 'aws', 'gcp' or 'onprem'"
            )
        elif kind == "union_tag_not_found":
            lines.append(f"{path}.kind: required key is missing; expected 'aws', 'gcp' or 'onprem'")
        elif "SecretRef" in str(err["msg"]):
            # Never echo the value: it is probably the secret itself.
            lines.append(
                f"{path}: a plain value is not allowed here; give a secret reference "
                "(one of config, env, awsSecretsManager, gcpSecretManager)"
            )
        elif kind == "string_pattern_mismatch" and _description(model, loc):
            lines.append(f"{path}: {_short(err.get('input'))} is not allowed; expected {_description(model, loc)}")
        else:
            lines.append(f"{path}: {_short(err.get('input'))} is not allowed; {err['msg'][:1].lower()}{err['msg'][1:]}")
    return lines


def json_schema() -> dict[str, Any]:
    """JSON Schema of the ``llm-fleet:`` keys, for editors and `llmfleet schema`."""
    schema = StackConfig.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llm-fleet stack configuration (keys under 'llm-fleet:')"
    return schema
