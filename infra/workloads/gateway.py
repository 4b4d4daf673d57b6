"""The cluster's edge, for every target: Envoy Gateway (Gateway API) with TLS, an IP allow-list,
TLS 1.2+, and OWASP CRS rules (Coraza WASM). Per-model routes, API-key authentication and
per-client rate limits attach to it from each placement (``routes.py``).

On-prem the Gateway is the edge itself (a LoadBalancer Service, TLS from cert-manager,
Coraza): the target calls ``build_gateway(name, provider, GatewayOptions.from_edge(stack,
target))`` and hands ``edge.ref`` and ``extra={GATEWAY_KEY: edge}`` to its ClusterContext.

A cloud target puts the same in-cluster gateway behind its own load balancer, which ends
TLS and runs the cloud WAF: either it builds it the same way (with ``service_type``,
``service_annotations``, ``tls="none"``, ``trusted_proxy_hops``, ``waf=False``) and registers
it under ``GATEWAY_KEY``, or it leaves that to ``ensure_gateway``, which the first placement
on the cluster calls with ``GatewayOptions.from_context`` (see there for the ``extra`` keys).

Hostnames: ``edge_hostnames`` (certificates), ``model_hostnames`` (``/v1`` per model) and
``shared_hostnames`` (``/<model>/v1`` on the edge domain and multi-model routing hostnames).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from infra import naming, versions
from infra.config import AwsTarget, GcpTarget, OnPremTarget, StackConfig
from infra.workloads import ai_gateway, inference_extension, meta, ratelimit, system_namespaces
from infra.workloads.context import ClusterContext, GatewayRef
from serving.errors import LlmFleetError

ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system"
"""Namespace of the Envoy Gateway controller and of the Envoy proxies it runs for each Gateway."""
CERT_MANAGER_NAMESPACE = "cert-manager"
GATEWAY_NAMESPACE = "llm-edge"
GATEWAY_NAME = "llm-gateway"
GATEWAY_CLASS = "llm-fleet"
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
HTTPS_LISTENER = "https"
HTTP_LISTENER = "http"

ENVOY_PROXY_PORTS = (10080, 10443, 19003)
"""Envoy's listeners (Envoy Gateway maps ports 80 and 443 to 10080 and 10443) and readiness port."""
ENVOY_CONTROLLER_PORTS = (18000, 18001, 18002)
"""Envoy Gateway controller: xDS, rate limit, WASM module server."""
ENVOY_WEBHOOK_PORT = 9443
ENVOY_METRICS_PORT = 19001
CERT_MANAGER_WEBHOOK_PORT = 10250
CERT_MANAGER_METRICS_PORT = 9402
ACME_SOLVER_PORT = 8089
"""cert-manager's HTTP-01 solver pods listen here."""

CLIENT_ID_HEADER = "x-llm-fleet-client"
"""Header the gateway sets to the authenticated API client's id (rate limits key on it)."""
API_KEY_HEADERS = ("authorization", "x-api-key")
"""Where clients may send their key: OpenAI clients send ``Authorization: Bearer <key>``
(Envoy strips the Bearer prefix), others ``x-api-key``."""

TLS_MIN_VERSION = "1.2"
WAF_REQUEST_BODY_LIMIT = 8 * 2**20
"""Largest request body the WAF inspects (bytes); longer bodies are rejected. 8 MiB holds a
prompt at a 1M-token context."""

WAF_DIRECTIVES = (
    "Include @recommended-conf",
    "SecRuleEngine On",
    "SecRequestBodyAccess On",
    f"SecRequestBodyLimit {WAF_REQUEST_BODY_LIMIT}",
    "SecRequestBodyLimitAction Reject",
    "SecResponseBodyAccess Off",
    "Include @crs-setup-conf",
    "Include @owasp_crs/*.conf",
)
"""Coraza: blocking mode, the OWASP Core Rule Set at its default paranoia level 1. Response
bodies are not buffered: completions stream."""

EnvoyServiceType = Literal["LoadBalancer", "ClusterIP", "NodePort"]
TlsMode = Literal["acme", "internal-ca", "none"]


def mirrored_image(image: str, registry: str) -> str:
    """Where an upstream image lives once mirrored into a target's own registry: same path and
    tag under the registry's host (``ghcr.io/corazawaf/x:1`` -> ``registry.dc1.internal/corazawaf/x:1``).
    Clusters pull only from their own registries (policy SUPPLY-01); the operator copies the
    image there (``crane copy``, ``skopeo copy``), which keeps its digest."""
    host = registry.split("/", 1)[0]
    return f"{host}/{image.split('/', 1)[1]}"


@dataclass(frozen=True)
class GatewayOptions:
    """How one cluster's gateway is built. ``from_edge`` reads a target's ``edge`` config."""

    domain: str
    """The target's edge domain (``edge.domain``)."""
    hostnames: list[str]
    """Every hostname the gateway serves (certificate SANs), the domain included."""
    tls: TlsMode = "internal-ca"
    acme_email: str | None = None
    allowed_cidrs: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])
    waf: bool = True
    waf_image: str = versions.CORAZA_WASM_IMAGE
    """OCI image of the Coraza filter; on-prem, the copy mirrored into the target's registry."""
    service_type: EnvoyServiceType = "LoadBalancer"
    service_annotations: dict[str, str] = field(default_factory=dict)
    trusted_proxy_hops: int = 0
    """Load balancers in front of Envoy that append to X-Forwarded-For (0: Envoy is the edge)."""
    proxy_replicas: int = 2
    install_cert_manager: bool = True
    """Install cert-manager here (set False where the cluster already runs it)."""
    gateway_name: str = GATEWAY_NAME
    gateway_namespace: str = GATEWAY_NAMESPACE
    metrics: Literal["prometheus-operator", "gmp"] = "prometheus-operator"
    """Who scrapes the add-ons' metrics (NetworkPolicy allows)."""

    @classmethod
    def from_edge(
        cls, stack: StackConfig, target: AwsTarget | GcpTarget | OnPremTarget, **overrides: Any
    ) -> GatewayOptions:
        """Options from a target's ``edge`` config; ``overrides`` replace fields."""
        edge = target.edge
        options = cls(
            domain=edge.domain,
            hostnames=edge_hostnames(stack, target.name),
            tls=edge.tls_issuer,
            acme_email=edge.acme_email,
            allowed_cidrs=list(edge.allowed_cidrs),
            waf=edge.waf,
        )
        registry = getattr(target, "registry", None)
        if registry:
            options = replace(options, waf_image=mirrored_image(versions.CORAZA_WASM_IMAGE, registry))
        options = replace(options, **overrides)
        if options.tls == "acme" and not options.acme_email:
            raise LlmFleetError(
                f"targets.{target.name}.edge.acmeEmail: required when tlsIssuer is 'acme' "
                "(the ACME account's contact address)"
            )
        return options

    @classmethod
    def from_context(cls, context: ClusterContext) -> GatewayOptions:
        """Options for a cluster's in-cluster gateway, from its target config and ClusterContext.extra.

        On a cloud target the cloud's load balancer is the public edge: it terminates TLS and
        its WAF (AWS WAFv2, Cloud Armor) inspects requests (``edge.waf``), so by default the
        gateway is a ClusterIP Service with a plain HTTP listener on port 80, no Coraza, and
        client addresses from X-Forwarded-For. ``extra`` adjusts that:

        * ``gateway_service``: ``{"type", "annotations"}`` of the Envoy Service (NEG, target group);
        * ``gateway_tls``: ``"internal-ca"`` to re-encrypt behind the load balancer;
        * ``trusted_proxy_hops``: proxies appending to X-Forwarded-For (default 1);
        * ``in_cluster_waf``: True to run Coraza as well.

        On-prem the target's ``edge`` config applies as written (see from_edge).
        """
        extra = context.extra
        overrides: dict[str, Any] = {
            "gateway_name": context.gateway.name,
            "gateway_namespace": context.gateway.namespace,
            "proxy_replicas": context.gateway.proxy_replicas,
            "metrics": context.metrics,
        }
        if context.kind != "onprem":
            overrides.update(
                tls=extra.get("gateway_tls", "none"),
                trusted_proxy_hops=int(extra.get("trusted_proxy_hops", 1)),
                waf=bool(extra.get("in_cluster_waf", False)),
                service_type="ClusterIP",
            )
        service = extra.get("gateway_service") or {}
        if service.get("type"):
            overrides["service_type"] = service["type"]
        if service.get("annotations"):
            overrides["service_annotations"] = dict(service["annotations"])
        return cls.from_edge(context.stack, context.target, **overrides)


GATEWAY_KEY = "gateway_edge"
"""ClusterContext.extra key of the cluster's GatewayEdge (set by the target, or by ensure_gateway)."""


def ensure_gateway(context: ClusterContext, parent: pulumi.Resource | None) -> GatewayEdge:
    """The cluster's gateway: the one the target built (``extra[GATEWAY_KEY]``), else build it once
    from ``GatewayOptions.from_context`` under ``parent`` (the target component)."""
    edge = context.extra.get(GATEWAY_KEY)
    if edge is None:
        edge = build_gateway(
            f"{context.name}-gateway",
            context.provider,
            GatewayOptions.from_context(context),
            pulumi.ResourceOptions(parent=parent, depends_on=list(context.depends_on)),
        )
        context.extra[GATEWAY_KEY] = edge
    return edge


def model_hostnames(stack: StackConfig, target: str, model: str) -> list[str]:
    """Hostnames dedicated to one model at a target, served at ``/v1``: ``<model>.<edge.domain>``
    and every routing hostname (``routing[].hostname``) that carries only this model here."""
    domain = stack.target(target).edge.domain
    names = {f"{model}.{domain}"}
    for route in stack.routing:
        if route.models == [model] and target in {e.target for e in route.endpoints}:
            names.add(route.hostname)
    return sorted(names)


def shared_hostnames(stack: StackConfig, target: str, model: str) -> list[str]:
    """Hostnames several models share at a target, where a model answers at ``/<model>/v1``:
    the edge domain, and routing hostnames that carry more than one model."""
    names = {stack.target(target).edge.domain}
    for route in stack.routing:
        if model in route.models and len(route.models) > 1 and target in {e.target for e in route.endpoints}:
            names.add(route.hostname)
    return sorted(names)


def edge_hostnames(stack: StackConfig, target: str) -> list[str]:
    """Every hostname the target's gateway serves (its certificate's names)."""
    names = {stack.target(target).edge.domain}
    for model, placement in stack.placements():
        if placement.target == target:
            names.update(model_hostnames(stack, target, model.name))
            names.update(shared_hostnames(stack, target, model.name))
    return sorted(names)


def proxy_peer(ref: GatewayRef) -> dict[str, Any]:
    """NetworkPolicy peer matching the Envoy proxies of ``ref`` (they run in the controller's namespace)."""
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ENVOY_GATEWAY_NAMESPACE}},
        "podSelector": {
            "matchLabels": {
                "gateway.envoyproxy.io/owning-gateway-name": ref.name,
                "gateway.envoyproxy.io/owning-gateway-namespace": ref.namespace,
            }
        },
    }


def gateway_target_ref(ref: GatewayRef, section: str | None = None) -> dict[str, Any]:
    out = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": ref.name}
    if section:
        out["sectionName"] = section
    return out


def cidr_authorization(allowed_cidrs: list[str]) -> dict[str, Any]:
    """SecurityPolicy ``authorization``: deny unless the client address is in the allow-list."""
    return {
        "defaultAction": "Deny",
        "rules": [{"name": "allowed-clients", "action": "Allow", "principal": {"clientCIDRs": list(allowed_cidrs)}}],
    }


def build_gateway(
    name: str, provider: k8s.Provider, options: GatewayOptions, opts: pulumi.ResourceOptions | None = None
) -> GatewayEdge:
    """Install and configure the cluster's gateway; see the module docstring."""
    return GatewayEdge(name, provider, options, opts)


class GatewayEdge(pulumi.ComponentResource):
    """Envoy Gateway, cert-manager (unless tls is 'none'), the Gateway and its cluster-wide policies."""

    ref: GatewayRef
    hostnames: list[str]
    envoy_gateway: k8s.helm.v3.Release
    cert_manager: k8s.helm.v3.Release | None
    gateway: k8s.apiextensions.CustomResource
    inference_pool_crd: k8s.apiextensions.v1.CustomResourceDefinition
    ready: list[pulumi.Resource]
    """What workloads attaching routes must wait for (CRDs and the Gateway)."""

    def __init__(
        self, name: str, provider: k8s.Provider, options: GatewayOptions, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("llm-fleet:workloads:Gateway", name, None, opts)
        self._name = name
        self._options = options
        self._child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.ref = GatewayRef(
            name=options.gateway_name,
            namespace=options.gateway_namespace,
            hostname=options.domain,
            proxy_replicas=options.proxy_replicas,
        )
        self.cert_manager = None
        self._issuer: str | None = None
        self._tls_secret = f"{options.gateway_name}-tls"
        self.hostnames = list(options.hostnames)
        self._create_namespaces()
        self.rate_limit_store = ratelimit.create_store(
            self._name, self._opts(), self.controller_namespace, ENVOY_GATEWAY_NAMESPACE
        )
        self._create_envoy_gateway()
        if options.tls != "none":
            self._create_tls()
        self._create_gateway()
        self._create_policies()
        self.ready = [self.envoy_gateway, self.ai_gateway, self.gateway]
        self.register_outputs({"gateway": f"{options.gateway_namespace}/{options.gateway_name}", "hostnames": options.hostnames})

    # -- helpers --------------------------------------------------------------------------
    def _opts(self, *depends_on: pulumi.Resource | None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(
            self._child, pulumi.ResourceOptions(depends_on=[d for d in depends_on if d is not None])
        )

    def _custom(
        self, suffix: str, api_version: str, kind: str, name: str, namespace: str | None, spec: dict[str, Any],
        *depends_on: pulumi.Resource | None,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{suffix}",
            api_version=api_version,
            kind=kind,
            metadata=meta.metadata(name, namespace, {"app.kubernetes.io/part-of": meta.PART_OF}),
            spec=spec,
            opts=self._opts(*depends_on),
        )

    # -- namespaces -----------------------------------------------------------------------
    def _create_namespaces(self) -> None:
        metrics = system_namespaces.scraper(self._options.metrics)
        controller_ports = system_namespaces.tcp(*ENVOY_CONTROLLER_PORTS)
        self.controller_namespace = system_namespaces.create_addon_namespace(
            f"{self._name}-envoy-gateway",
            ENVOY_GATEWAY_NAMESPACE,
            self._opts(),
            pod_security="baseline",
            exception="Envoy Gateway sets the pod security of the proxies it creates and of its certgen job; "
            "they are not verified against 'restricted' (warn and audit stay at restricted)",
            ingress=[
                # clients through the load balancer, and its health checks
                {"from": system_namespaces.anywhere(), "ports": system_namespaces.tcp(*ENVOY_PROXY_PORTS)},
                # the proxies fetch configuration (xDS), rate limits and WASM modules from the controller,
                # and ask the rate-limit service (global rate limits)
                {
                    "from": [system_namespaces.namespace_peer(ENVOY_GATEWAY_NAMESPACE)],
                    "ports": [*controller_ports, *system_namespaces.tcp(ratelimit.RATELIMIT_GRPC_PORT)],
                },
                # the API server calls the controller's admission webhook
                {"from": system_namespaces.anywhere(), "ports": system_namespaces.tcp(ENVOY_WEBHOOK_PORT)},
                # Envoy's stats, and the AI Gateway processor's token metrics beside each proxy
                {"from": [metrics], "ports": system_namespaces.tcp(ENVOY_METRICS_PORT, ai_gateway.EXTPROC_ADMIN_PORT)},
            ],
            egress=[
                {
                    "to": [{"namespaceSelector": {"matchLabels": {meta.GATEWAY_ACCESS_LABEL: "true"}}}],
                    "ports": system_namespaces.tcp(naming.SERVER_PORT),
                },
                {
                    "to": [system_namespaces.namespace_peer(self.ref.namespace)],
                    "ports": system_namespaces.tcp(ACME_SOLVER_PORT),
                },
                {
                    "to": [system_namespaces.namespace_peer(ENVOY_GATEWAY_NAMESPACE)],
                    "ports": [*controller_ports, *system_namespaces.tcp(ratelimit.RATELIMIT_GRPC_PORT)],
                },
                # the proxies ask each InferencePool's endpoint picker which server to use (ext_proc)
                {
                    "to": [{"namespaceSelector": {"matchLabels": {meta.GATEWAY_ACCESS_LABEL: "true"}}}],
                    "ports": system_namespaces.tcp(inference_extension.EXT_PROC_PORT),
                },
                # Envoy Gateway's controller calls AI Gateway's extension server while translating
                {
                    "to": [system_namespaces.namespace_peer(ai_gateway.NAMESPACE)],
                    "ports": system_namespaces.tcp(ai_gateway.EXTENSION_PORT),
                },
                # the rate-limit service keeps its counters in the store
                {
                    "to": [system_namespaces.namespace_peer(ratelimit.STORE_NAMESPACE)],
                    "ports": system_namespaces.tcp(ratelimit.STORE_PORT),
                },
                # the API server, and the registry serving the WAF's WASM module (HTTPS)
                system_namespaces.api_server_egress(),
            ],
        )
        self.gateway_namespace = system_namespaces.create_addon_namespace(
            f"{self._name}-gateway",
            self.ref.namespace,
            self._opts(),
            # cert-manager's HTTP-01 solver pods answer the ACME challenge through the proxies
            ingress=[
                {
                    "from": [system_namespaces.namespace_peer(ENVOY_GATEWAY_NAMESPACE)],
                    "ports": system_namespaces.tcp(ACME_SOLVER_PORT),
                }
            ],
        )

    # -- Envoy Gateway ----------------------------------------------------------------------
    def _create_envoy_gateway(self) -> None:
        chart = versions.ENVOY_GATEWAY
        self.envoy_gateway = k8s.helm.v3.Release(
            f"{self._name}-envoy-gateway",
            name="envoy-gateway",
            **chart.release_args(),
            namespace=ENVOY_GATEWAY_NAMESPACE,
            create_namespace=False,
            values={
                "deployment": {"replicas": 2},
                "podDisruptionBudget": {"minAvailable": 1},
                # The global rate limit (client token quotas) and its store (ratelimit.py); the
                # extension hooks and Backend API Envoy AI Gateway needs (ai_gateway.py).
                "config": {
                    "envoyGateway": {
                        **ratelimit.envoy_gateway_config(self.rate_limit_store),
                        **ai_gateway.ENVOY_GATEWAY_CONFIG,
                    }
                },
            },
            opts=self._opts(self.controller_namespace, self.rate_limit_store.auth_secret),
        )
        # AI Gateway's controller enables its InferencePool support only if the CRD exists at start.
        self.inference_pool_crd = inference_extension.create_crds(self._name, self._opts())
        self.ai_gateway = ai_gateway.create_ai_gateway(
            self._name,
            self._opts(self.inference_pool_crd),
            self.envoy_gateway,
            ENVOY_GATEWAY_NAMESPACE,
            self._options.metrics,
            CLIENT_ID_HEADER,
        )

    # -- TLS --------------------------------------------------------------------------------
    def _create_tls(self) -> None:
        options = self._options
        if options.install_cert_manager:
            chart = versions.CERT_MANAGER
            namespace = system_namespaces.create_addon_namespace(
                f"{self._name}-cert-manager",
                CERT_MANAGER_NAMESPACE,
                self._opts(),
                ingress=[
                    {"from": system_namespaces.anywhere(), "ports": system_namespaces.tcp(CERT_MANAGER_WEBHOOK_PORT)},
                    {
                        "from": [system_namespaces.scraper(options.metrics)],
                        "ports": system_namespaces.tcp(CERT_MANAGER_METRICS_PORT),
                    },
                ],
                # the API server; the ACME directory (HTTPS); the HTTP-01 self-check (HTTP)
                egress=[{"to": system_namespaces.anywhere(), "ports": system_namespaces.tcp(80, 443, 6443)}],
            )
            self.cert_manager = k8s.helm.v3.Release(
                f"{self._name}-cert-manager",
                name="cert-manager",
                **chart.release_args(),
                namespace=CERT_MANAGER_NAMESPACE,
                create_namespace=False,
                values={
                    "crds": {"enabled": True, "keep": True},
                    "replicaCount": 2,
                    "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                    # The HTTP-01 solver answers through a Gateway API HTTPRoute.
                    "config": {
                        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
                        "kind": "ControllerConfiguration",
                        "enableGatewayAPI": True,
                    },
                },
                opts=self._opts(namespace, self.envoy_gateway),
            )
        cm = self.cert_manager
        if options.tls == "acme":
            self._issuer = "llm-fleet-acme"
            self._custom(
                "acme-issuer",
                "cert-manager.io/v1",
                "ClusterIssuer",
                self._issuer,
                None,
                {
                    "acme": {
                        "email": options.acme_email,
                        "server": versions.LETSENCRYPT_DIRECTORY,
                        "privateKeySecretRef": {"name": "llm-fleet-acme-account"},
                        "solvers": [
                            {
                                "http01": {
                                    "gatewayHTTPRoute": {
                                        "parentRefs": [
                                            {
                                                "kind": "Gateway",
                                                "name": self.ref.name,
                                                "namespace": self.ref.namespace,
                                                "sectionName": HTTP_LISTENER,
                                            }
                                        ]
                                    }
                                }
                            }
                        ],
                    }
                },
                cm,
            )
        else:
            selfsigned = self._custom(
                "selfsigned-issuer", "cert-manager.io/v1", "ClusterIssuer", "llm-fleet-selfsigned", None,
                {"selfSigned": {}}, cm,
            )
            ca = self._custom(
                "ca-certificate",
                "cert-manager.io/v1",
                "Certificate",
                "llm-fleet-ca",
                CERT_MANAGER_NAMESPACE,
                {
                    "isCA": True,
                    "commonName": f"llm-fleet {self._name} CA",
                    "secretName": "llm-fleet-ca",
                    "duration": "87600h",
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                    "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "llm-fleet-selfsigned"},
                },
                cm,
                selfsigned,
            )
            self._issuer = "llm-fleet-ca"
            self._custom("ca-issuer", "cert-manager.io/v1", "ClusterIssuer", self._issuer, None,
                         {"ca": {"secretName": "llm-fleet-ca"}}, cm, ca)
        self.certificate = self._custom(
            "certificate",
            "cert-manager.io/v1",
            "Certificate",
            self._tls_secret,
            self.ref.namespace,
            {
                "secretName": self._tls_secret,
                "dnsNames": list(options.hostnames),
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": self._issuer},
            },
            cm,
            self.gateway_namespace,
        )

    # -- Gateway ----------------------------------------------------------------------------
    def _create_gateway(self) -> None:
        options = self._options
        envoy_service: dict[str, Any] = {"type": options.service_type}
        if options.service_annotations:
            envoy_service["annotations"] = dict(options.service_annotations)
        if options.service_type != "ClusterIP":
            # Keep the client address (the allow-list and the WAF need it).
            envoy_service["externalTrafficPolicy"] = "Local"
        self.envoy_proxy = self._custom(
            "envoy-proxy",
            "gateway.envoyproxy.io/v1alpha1",
            "EnvoyProxy",
            self.ref.name,
            self.ref.namespace,
            {
                "provider": {
                    "type": "Kubernetes",
                    "kubernetes": {
                        "envoyDeployment": {
                            "replicas": options.proxy_replicas,
                            "pod": {
                                "securityContext": {
                                    "runAsNonRoot": True,
                                    "seccompProfile": {"type": "RuntimeDefault"},
                                },
                                "topologySpreadConstraints": [
                                    {
                                        "maxSkew": 1,
                                        "topologyKey": key,
                                        "whenUnsatisfiable": "ScheduleAnyway",
                                        "labelSelector": {
                                            "matchLabels": {"gateway.envoyproxy.io/owning-gateway-name": self.ref.name}
                                        },
                                    }
                                    for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                                ],
                            },
                        },
                        "envoyService": envoy_service,
                        "envoyPDB": {"minAvailable": 1},
                    },
                }
            },
            self.envoy_gateway,
            self.gateway_namespace,
        )
        self.gateway_class = k8s.apiextensions.CustomResource(
            f"{self._name}-gateway-class",
            api_version="gateway.networking.k8s.io/v1",
            kind="GatewayClass",
            metadata=meta.metadata(GATEWAY_CLASS, labels={"app.kubernetes.io/part-of": meta.PART_OF}),
            spec={"controllerName": CONTROLLER_NAME},
            opts=self._opts(self.envoy_gateway),
        )
        model_routes = {
            "namespaces": {"from": "Selector", "selector": {"matchLabels": {meta.GATEWAY_ACCESS_LABEL: "true"}}},
            "kinds": [{"kind": "HTTPRoute"}],
        }
        if options.tls == "none":
            listeners = [{"name": HTTP_LISTENER, "protocol": "HTTP", "port": 80, "allowedRoutes": model_routes}]
        else:
            listeners = [
                {
                    "name": HTTPS_LISTENER,
                    "protocol": "HTTPS",
                    "port": 443,
                    "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": self._tls_secret}]},
                    "allowedRoutes": model_routes,
                },
                # Plain HTTP only redirects to HTTPS (and answers ACME HTTP-01 challenges).
                {"name": HTTP_LISTENER, "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "Same"}}},
            ]
        self.gateway = self._custom(
            "gateway",
            "gateway.networking.k8s.io/v1",
            "Gateway",
            self.ref.name,
            self.ref.namespace,
            {
                "gatewayClassName": GATEWAY_CLASS,
                "infrastructure": {
                    "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": self.ref.name}
                },
                "listeners": listeners,
            },
            self.gateway_class,
            self.envoy_proxy,
        )
        if options.tls != "none":
            self._custom(
                "https-redirect",
                "gateway.networking.k8s.io/v1",
                "HTTPRoute",
                "https-redirect",
                self.ref.namespace,
                {
                    "parentRefs": [{"name": self.ref.name, "sectionName": HTTP_LISTENER}],
                    "rules": [
                        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
                    ],
                },
                self.gateway,
            )

    # -- cluster-wide policies --------------------------------------------------------------------
    def _create_policies(self) -> None:
        options = self._options
        listener = None if options.tls == "none" else HTTPS_LISTENER
        client: dict[str, Any] = {
            "targetRefs": [gateway_target_ref(self.ref)],
            # AI Gateway's processor reads whole request bodies (the model, the prompt); Envoy's
            # default 32 KiB buffer would refuse long prompts: allow what the WAF inspects.
            "connection": {"bufferLimit": f"{WAF_REQUEST_BODY_LIMIT // 2**20}Mi"},
        }
        if options.tls != "none":
            client["tls"] = {"minVersion": TLS_MIN_VERSION}
        if options.trusted_proxy_hops:
            client["clientIPDetection"] = {"xForwardedFor": {"numTrustedHops": options.trusted_proxy_hops}}
        self.client_policy = self._custom(
            "client-policy", "gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy", self.ref.name,
            self.ref.namespace, client, self.gateway,
        )
        # Routes without a policy of their own fall back to this one: only allow-listed clients.
        self.security_policy = self._custom(
            "security-policy",
            "gateway.envoyproxy.io/v1alpha1",
            "SecurityPolicy",
            self.ref.name,
            self.ref.namespace,
            {
                "targetRefs": [gateway_target_ref(self.ref, listener)],
                "authorization": cidr_authorization(options.allowed_cidrs),
            },
            self.gateway,
        )
        self.waf_policy = None
        if options.waf:
            self.waf_policy = self._custom(
                "waf",
                "gateway.envoyproxy.io/v1alpha1",
                "EnvoyExtensionPolicy",
                f"{self.ref.name}-waf",
                self.ref.namespace,
                {
                    "targetRefs": [gateway_target_ref(self.ref)],
                    "wasm": [
                        {
                            "name": "coraza-owasp-crs",
                            "code": {"type": "Image", "image": {"url": options.waf_image}},
                            "config": {"directives_map": {"default": list(WAF_DIRECTIVES)},
                                       "default_directives": "default"},
                            "failOpen": False,
                        }
                    ],
                },
                self.gateway,
            )
