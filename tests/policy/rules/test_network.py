"""Cases for the network-exposure rules (NET-01..09, and EKS-14 / EKS-01 / GKE-02 with CIDRs
read as sets): what the internet, the cluster and the edge can reach."""

import pytest

from tests.policy.harness import Case, add, cases_params, chain, check, config, drop, remove, resource, set_

SG, SG_RULE, SG_INGRESS = "aws1-nodes", "aws1-kubelet", "aws1-alb-https"
HALVES = ["0.0.0.0/1", "128.0.0.0/1"]
FW = "gcp1-edge-from-google"
NP = "dc1-server-ingress"
SVC = "dc1-service"


def _aws_res(type_, name, props):
    from tests.policy.baseline import _res

    return _res(type_, name, props, "aws1", "aws1-aws")


def _gcp_res(type_, name, props):
    from tests.policy.baseline import _res

    return _res(type_, name, props, "gcp1", "gcp1-gcp")


def _egress_rule(props):
    from tests.policy.baseline import _res

    return _res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws1-out-all", props, "aws1", "aws1-aws")


def _split_kubelet(plan):
    """Two ingress rules on one group, each half the internet, on the kubelet port."""
    from tests.policy.baseline import _res

    for half, suffix in (("0.0.0.0/1", "a"), ("128.0.0.0/1", "b")):
        props = {
            "securityGroupId": "sg-nodes",
            "cidrIpv4": half,
            "fromPort": 10250,
            "toPort": 10250,
            "ipProtocol": "tcp",
        }
        plan["resources"].append(_res(SG_INGRESS_TYPE, f"aws1-kubelet-{suffix}", props, "aws1", "aws1-aws"))


SG_INGRESS_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _ingress(**rule):
    return set_(SG, "ingress", [{"protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"], **rule}])


def _append(name, path, item):
    def change(plan):
        node = resource(plan, name)["props"]
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[keys[-1]] = [*node[keys[-1]], item]

    return change


SERVER_SERVICE = {"kind": "Service", "name": "llama-8b-server", "port": 8000}
SERVER_POOL = {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "llama-8b"}


def _pool(plan):
    """An InferencePool over the model-server pods (what inference-aware routing adds)."""
    from tests.policy.baseline import _k8s

    add(
        _k8s(
            "kubernetes:inference.networking.k8s.io/v1:InferencePool",
            "dc1-pool",
            {
                "metadata": {"name": "llama-8b", "namespace": "llm-llama-8b"},
                "spec": {
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "llama-8b-server"}},
                    "targetPorts": [{"number": 8000}],
                    "endpointPickerRef": {"kind": "Service", "name": "llama-8b-epp", "port": {"number": 9002}},
                },
            },
        )
    )(plan)


def _route(path_type, value, filters=None, name="dc1-extra", backend=SERVER_SERVICE):
    from tests.policy.baseline import _k8s

    rule = {
        "matches": [{"path": {"type": path_type, "value": value}}],
        "backendRefs": [backend],
    }
    if filters:
        rule["filters"] = filters
    return add(
        _k8s(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            name,
            {
                "metadata": {"name": "llama-8b-extra", "namespace": "llm-llama-8b"},
                "spec": {
                    "parentRefs": [{"kind": "Gateway", "name": "llm-gateway", "namespace": "llm-edge"}],
                    "rules": [rule],
                },
            },
        )
    )


def _ingress_res(service):
    from tests.policy.baseline import _k8s

    path = {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 8000}}}}
    return _k8s(
        "kubernetes:networking.k8s.io/v1:Ingress",
        "dc1-ingress",
        {
            "metadata": {"name": "llama-8b", "namespace": "llm-llama-8b"},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": "x.example.com", "http": {"paths": [path]}}]},
        },
    )


def _tcp_route():
    from tests.policy.baseline import _k8s

    return _k8s(
        "kubernetes:gateway.networking.k8s.io/v1alpha2:TCPRoute",
        "dc1-tcp",
        {
            "metadata": {"name": "llama-8b-tcp", "namespace": "llm-llama-8b"},
            "spec": {
                "parentRefs": [{"name": "llm-gateway", "namespace": "llm-edge"}],
                "rules": [{"backendRefs": [{"name": "llama-8b-server", "port": 8000}]}],
            },
        },
    )


def _rewrite(kind, value):
    key = "replaceFullPath" if kind == "ReplaceFullPath" else "replacePrefixMatch"
    return [{"type": "URLRewrite", "urlRewrite": {"path": {"type": kind, key: value}}}]


def _key_on_extra(plan):
    auth = resource(plan, "dc1-auth")["props"]["spec"]["targetRefs"]
    auth.append({"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "llama-8b-extra"})


CASES = {
    "EKS-14": [
        Case("ssh-from-half-the-internet", _ingress(fromPort=22, toPort=22, cidrBlocks=["0.0.0.0/1"])),
        Case(
            "ssh-from-both-halves",
            _ingress(fromPort=22, toPort=22, cidrBlocks=HALVES),
            {SG: ["ingress[0] allows port 22 from '0.0.0.0/1 + 128.0.0.0/1'; expected specific sources"]},
        ),
        Case(
            "all-traffic-rule-resource",
            chain(set_(SG_RULE, "protocol", "-1"), set_(SG_RULE, "cidrBlocks", ["0.0.0.0/0"])),
            {SG_RULE: ["ingress allows port 22 from '0.0.0.0/0'; expected specific sources"]},
        ),
    ],
    "EKS-01": [
        Case(
            "public-cidrs-union-is-the-internet",
            chain(
                set_("aws1-cluster", "vpcConfig.endpointPublicAccess", True),
                set_("aws1-cluster", "vpcConfig.publicAccessCidrs", HALVES),
            ),
            {
                "aws1-cluster": [
                    "vpcConfig.publicAccessCidrs contains '0.0.0.0/1 + 128.0.0.0/1'; expected specific CIDRs"
                ]
            },
        ),
    ],
    "NET-01": [
        Case("baseline"),
        Case("https-from-the-internet", _ingress(fromPort=443, toPort=443)),
        Case("ssh-alone-is-eks-14s", _ingress(fromPort=22, toPort=22)),
        Case("kubelet-from-the-vpc", set_(SG_RULE, "cidrBlocks", ["10.40.0.0/16"])),
        Case(
            "kubelet-from-the-internet",
            set_(SG_RULE, "cidrBlocks", ["0.0.0.0/0"]),
            {SG_RULE: ["ingress admits '0.0.0.0/0' on tcp 10250; expected only 443/80 from the internet"]},
        ),
        Case(
            "database-from-ipv6-internet",
            chain(
                set_(SG_INGRESS, "cidrIpv4", None),
                set_(SG_INGRESS, "cidrIpv6", "::/0"),
                set_(SG_INGRESS, "fromPort", 5432),
                set_(SG_INGRESS, "toPort", 5432),
            ),
            {SG_INGRESS: ["ingress admits '::/0' on tcp 5432; expected only 443/80 from the internet"]},
        ),
        Case(
            "all-protocols",
            set_(SG_INGRESS, "ipProtocol", "-1"),
            {SG_INGRESS: ["ingress admits '0.0.0.0/0' on all ports; expected only 443/80 from the internet"]},
        ),
        Case(
            "wide-range-through-halves",
            _ingress(fromPort=0, toPort=65535, cidrBlocks=HALVES),
            {
                SG: [
                    "ingress[0] admits '0.0.0.0/1 + 128.0.0.0/1' on tcp 0-65535; expected only 443/80 from the internet"
                ]
            },
        ),
        Case(
            "internet-split-across-two-rules",
            _split_kubelet,
            {
                "aws1-kubelet-a": [
                    "ingress admits '0.0.0.0/1 + 128.0.0.0/1' on tcp 10250; expected only 443/80 from the internet"
                ],
                "aws1-kubelet-b": [
                    "ingress admits '0.0.0.0/1 + 128.0.0.0/1' on tcp 10250; expected only 443/80 from the internet"
                ],
            },
        ),
        Case(
            "rdp",
            _ingress(fromPort=3389, toPort=3389, protocol="6"),
            {SG: ["ingress[0] admits '0.0.0.0/0' on tcp 3389; expected only 443/80 from the internet"]},
        ),
    ],
    "NET-02": [
        Case("baseline"),
        Case(
            "iap-ssh",
            chain(
                set_(FW, "sourceRanges", ["35.235.240.0/20"]),
                set_(FW, "allows", [{"protocol": "tcp", "ports": ["22"]}]),
            ),
        ),
        Case("egress-rule", chain(set_(FW, "direction", "EGRESS"), set_(FW, "sourceRanges", ["0.0.0.0/0"]))),
        Case(
            "https-from-anywhere",
            chain(
                set_(FW, "sourceRanges", ["0.0.0.0/0"]),
                set_(FW, "allows", [{"protocol": "tcp", "ports": ["443", "80"]}]),
            ),
        ),
        Case(
            "ssh-from-anywhere",
            chain(set_(FW, "sourceRanges", ["0.0.0.0/0"]), set_(FW, "allows", [{"protocol": "tcp", "ports": ["22"]}])),
            {FW: ["sourceRanges '0.0.0.0/0' reach tcp 22; expected only 443/80 from the internet"]},
        ),
        Case(
            "all-protocols-no-source",
            chain(drop(FW, "sourceRanges"), set_(FW, "allows", [{"protocol": "all"}])),
            {FW: ["sourceRanges '0.0.0.0/0' reach all (all ports); expected only 443/80 from the internet"]},
        ),
        Case(
            "range-through-halves",
            chain(set_(FW, "sourceRanges", HALVES), set_(FW, "allows", [{"protocol": "tcp", "ports": ["1-65535"]}])),
            {FW: ["sourceRanges '0.0.0.0/1 + 128.0.0.0/1' reach tcp 1-65535; expected only 443/80 from the internet"]},
        ),
    ],
    "NET-03": [
        Case("baseline"),
        Case("listed", config("targets.0.endpointPublicAccessCidrs", ["203.0.113.0/24"])),
        Case(
            "aws-world",
            config("targets.0.endpointPublicAccessCidrs", ["0.0.0.0/0"]),
            {
                "llm-fleet-prod": [
                    "targets.aws1.endpointPublicAccessCidrs contains '0.0.0.0/0', the whole internet; expected specific CIDRs"
                ]
            },
        ),
        Case(
            "gcp-halves",
            config("targets.1.masterAuthorizedCidrs", HALVES),
            {
                "llm-fleet-prod": [
                    "targets.gcp1.masterAuthorizedCidrs contains '0.0.0.0/1 + 128.0.0.0/1', the whole internet; expected specific CIDRs"
                ]
            },
        ),
    ],
    "NET-04": [
        Case("baseline"),
        Case("reject-only", set_("aws1-flow-log", "trafficType", "REJECT")),
        Case(
            "no-flow-log",
            remove("aws1-flow-log"),
            {"aws1-vpc": ["no aws:ec2/flowLog:FlowLog with trafficType ALL or REJECT names this VPC"]},
        ),
        Case(
            "accept-only",
            set_("aws1-flow-log", "trafficType", "ACCEPT"),
            {"aws1-vpc": ["no aws:ec2/flowLog:FlowLog with trafficType ALL or REJECT names this VPC"]},
        ),
        Case(
            "other-vpc",
            set_("aws1-flow-log", "vpcId", "vpc-elsewhere"),
            {"aws1-vpc": ["no aws:ec2/flowLog:FlowLog with trafficType ALL or REJECT names this VPC"]},
        ),
    ],
    "NET-05": [
        Case("baseline"),
        Case(
            "proxy-only-subnet",
            chain(drop("gcp1-nodes", "logConfig"), set_("gcp1-nodes", "purpose", "REGIONAL_MANAGED_PROXY")),
        ),
        Case(
            "no-log-config",
            drop("gcp1-nodes", "logConfig"),
            {"gcp1-nodes": ["logConfig is not set (flow logs off); expected a logConfig"]},
        ),
        Case(
            "zero-sampling",
            set_("gcp1-nodes", "logConfig.flowSampling", 0),
            {"gcp1-nodes": ["logConfig.flowSampling is 0; expected more than 0"]},
        ),
    ],
    "NET-06": [
        Case("baseline"),
        Case("headless", set_(SVC, "spec.clusterIP", "None")),
        Case(
            "load-balancer",
            set_(SVC, "spec.type", "LoadBalancer"),
            {SVC: ["spec.type is 'LoadBalancer'; expected ClusterIP behind the Gateway"]},
        ),
        Case(
            "internal-lb-for-another-service",
            chain(
                set_("dc1-edge-service", "spec.selector", {"app": "prometheus"}),
                set_(
                    "dc1-edge-service",
                    "metadata.annotations",
                    {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
                ),
            ),
        ),
        Case(
            "internal-lb-for-the-model-server",
            chain(
                set_(SVC, "spec.type", "LoadBalancer"),
                set_(SVC, "metadata.annotations", {"networking.gke.io/load-balancer-type": "Internal"}),
            ),
            {SVC: ["spec.type is 'LoadBalancer'; expected ClusterIP behind the Gateway"]},
        ),
        Case(
            "node-port",
            set_(SVC, "spec.type", "NodePort"),
            {SVC: ["spec.type is 'NodePort'; expected ClusterIP behind the Gateway"]},
        ),
        Case(
            "external-ips",
            set_(SVC, "spec.externalIPs", ["203.0.113.9"]),
            {SVC: ["spec.externalIPs is ['203.0.113.9']; expected none"]},
        ),
        Case(
            "edge-label-without-edge-selector",
            set_("dc1-edge-service", "spec.selector", {"app": "debug"}),
            {"dc1-edge-service": ["spec.type is 'LoadBalancer'; expected ClusterIP behind the Gateway"]},
        ),
        Case(
            "chart-service-load-balancer",
            set_("dc1-gpu-operator", "values.dcgmExporter", {"service": {"type": "LoadBalancer"}}),
            {
                "dc1-gpu-operator": [
                    "values.dcgmExporter.service.type is 'LoadBalancer': the chart exposes a Service outside the cluster; expected ClusterIP"
                ]
            },
        ),
        Case(
            "chart-service-cluster-ip",
            set_("dc1-gpu-operator", "values.dcgmExporter", {"service": {"type": "ClusterIP"}}),
        ),
    ],
    "NET-07": [
        Case("baseline"),
        Case(
            "open-ingress-to-a-non-server-pod",
            chain(set_(NP, "spec.podSelector", {"matchLabels": {"app": "stage"}}), set_(NP, "spec.ingress.0.from", [])),
        ),
        Case(
            "namespace-selector-with-pods",
            _append(
                NP,
                "spec.ingress",
                {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "prometheus"}}}]},
            ),
        ),
        Case("vpc-ip-block", _append(NP, "spec.ingress", {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]})),
        Case(
            "egress-https-with-metadata-excepted",
            set_(
                NP,
                "spec.egress",
                [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}], "ports": [{"port": 443}]}],
            ),
        ),
        Case(
            "egress-reaches-instance-metadata",
            set_(NP, "spec.egress", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}]),
            {
                NP: [
                    "spec.egress[0] lets a model server reach the instance metadata service through ipBlock '0.0.0.0/0'; expected 169.254.0.0/16 in except"
                ]
            },
        ),
        Case(
            "egress-everything",
            set_(NP, "spec.egress", [{}]),
            {
                NP: [
                    "spec.egress[0] lets a model server reach everything on every port; expected named destinations and ports (443 for the hub)"
                ]
            },
        ),
        Case(
            "egress-internet-every-port",
            set_(
                NP,
                "spec.egress",
                [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.0.0/16"]}}]}],
            ),
            {
                NP: [
                    "spec.egress[0] lets a model server reach '0.0.0.0/0' on every port; expected named destinations and ports (443 for the hub)"
                ]
            },
        ),
        Case(
            "no-from",
            drop(NP, "spec.ingress.0.from"),
            {NP: ["spec.ingress[0] has no 'from' (every source) on a model server; expected the gateway only"]},
        ),
        Case(
            "every-namespace",
            _append(NP, "spec.ingress", {"from": [{"namespaceSelector": {}}]}),
            {
                NP: [
                    "spec.ingress[2] admits namespaceSelector {} (every pod of every namespace) to a model server; expected the gateway only"
                ]
            },
        ),
        Case(
            "namespace-wide-policy-internet",
            chain(
                set_(NP, "spec.podSelector", {}),
                _append(NP, "spec.ingress", {"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}),
            ),
            {NP: ["spec.ingress[2] admits ipBlock '0.0.0.0/0' to a model server; expected the gateway only"]},
        ),
        Case(
            "internet-in-halves",
            _append(
                NP, "spec.ingress", {"from": [{"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}}]}
            ),
            {
                NP: [
                    "spec.ingress[2] admits ipBlocks '0.0.0.0/1 + 128.0.0.0/1' to a model server; expected the gateway only"
                ]
            },
        ),
    ],
    "NET-08": [
        Case("baseline"),
        Case(
            "prefixed-v1-rewritten",
            chain(_route("PathPrefix", "/llama-8b/v1", _rewrite("ReplacePrefixMatch", "/v1")), _key_on_extra),
        ),
        Case("health-prefix", _route("PathPrefix", "/health")),
        Case("health-rewritten", _route("Exact", "/llama-8b/health", _rewrite("ReplaceFullPath", "/health"))),
        Case(
            "v1-with-gateway-key",
            chain(
                _route("PathPrefix", "/v1"),
                set_("dc1-auth", "spec.targetRefs", [{"kind": "Gateway", "name": "llm-gateway"}]),
                set_("dc1-auth", "metadata.namespace", "llm-edge"),
            ),
        ),
        Case(
            "pool-prefixed-v1-rewritten",
            chain(
                _pool,
                _route("PathPrefix", "/llama-8b/v1", _rewrite("ReplacePrefixMatch", "/v1"), backend=SERVER_POOL),
                _key_on_extra,
            ),
        ),
        Case(
            "pool-catch-all",
            chain(_pool, _route("PathPrefix", "/", backend=SERVER_POOL), _key_on_extra),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix / to model server 'llama-8b' as PathPrefix /; expected only /v1 (behind an API key) and Exact /health"
                ]
            },
        ),
        Case(
            "pool-v1-without-key",
            chain(_pool, _route("PathPrefix", "/v1", backend=SERVER_POOL)),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix /v1 to model server 'llama-8b' with no API-key SecurityPolicy on HTTPRoute 'llama-8b-extra' or its Gateway"
                ]
            },
        ),
        Case(
            "catch-all",
            chain(_route("PathPrefix", "/"), _key_on_extra),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix / to model server 'llama-8b-server' as PathPrefix /; expected only /v1 (behind an API key) and Exact /health"
                ]
            },
        ),
        Case(
            "invocations",
            chain(_route("PathPrefix", "/invocations"), _key_on_extra),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix /invocations to model server 'llama-8b-server' as PathPrefix /invocations; expected only /v1 (behind an API key) and Exact /health"
                ]
            },
        ),
        Case(
            "metrics-behind-a-health-path",
            _route("Exact", "/llama-8b/health", _rewrite("ReplaceFullPath", "/metrics")),
            {
                "dc1-extra": [
                    "rules[0] sends Exact /llama-8b/health to model server 'llama-8b-server' as Exact /metrics; expected only /v1 (behind an API key) and Exact /health"
                ]
            },
        ),
        Case(
            "model-prefix-rewritten-to-root",
            chain(_route("PathPrefix", "/llama-8b", _rewrite("ReplacePrefixMatch", "/")), _key_on_extra),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix /llama-8b to model server 'llama-8b-server' as PathPrefix /; expected only /v1 (behind an API key) and Exact /health"
                ]
            },
        ),
        Case(
            "no-matches-at-all",
            chain(
                _route("PathPrefix", "/v1"),
                lambda plan: resource(plan, "dc1-extra")["props"]["spec"]["rules"][0].pop("matches"),
            ),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix / to model server 'llama-8b-server' as PathPrefix /; expected only /v1 (behind an API key) and Exact /health"
                ]
            },
        ),
        Case(
            "v1-without-key",
            _route("PathPrefix", "/v1"),
            {
                "dc1-extra": [
                    "rules[0] sends PathPrefix /v1 to model server 'llama-8b-server' with no API-key SecurityPolicy on HTTPRoute 'llama-8b-extra' or its Gateway"
                ]
            },
        ),
        Case(
            "empty-api-key-auth",
            set_("dc1-auth", "spec.apiKeyAuth", {"credentialRefs": []}),
            {
                "dc1-api": [
                    "rules[0] sends PathPrefix /v1 to model server 'llama-8b-server' with no API-key SecurityPolicy "
                    "on HTTPRoute 'llama-8b' or its Gateway"
                ]
            },
        ),
        Case("ingress-to-another-service", add(_ingress_res("metrics-proxy"))),
        Case(
            "ingress-to-the-model-server",
            add(_ingress_res("llama-8b-server")),
            {
                "dc1-ingress": [
                    "Ingress 'llama-8b' sends traffic to model server 'llama-8b-server' around the Gateway's "
                    "HTTPRoutes (no API key, every path); expected an HTTPRoute on /v1 behind an API key"
                ]
            },
        ),
        Case(
            "tcp-route-to-the-model-server",
            add(_tcp_route()),
            {
                "dc1-tcp": [
                    "TCPRoute 'llama-8b-tcp' sends traffic to model server 'llama-8b-server' around the Gateway's "
                    "HTTPRoutes (no API key, every path); expected an HTTPRoute on /v1 behind an API key"
                ]
            },
        ),
        Case(
            "key-removed-from-the-policy",
            drop("dc1-auth", "spec.apiKeyAuth"),
            {
                "dc1-api": [
                    "rules[0] sends PathPrefix /v1 to model server 'llama-8b-server' with no API-key SecurityPolicy on HTTPRoute 'llama-8b' or its Gateway"
                ]
            },
        ),
    ],
    "NET-09": [
        Case("baseline"),
        Case("same", set_("dc1-gateway", "spec.listeners.0.allowedRoutes.namespaces", {"from": "Same"})),
        Case(
            "all",
            set_("dc1-gateway", "spec.listeners.0.allowedRoutes.namespaces", {"from": "All"}),
            {
                "dc1-gateway": [
                    "listener 'https': allowedRoutes.namespaces.from is 'All'; expected 'Same' or 'Selector'"
                ]
            },
        ),
        Case(
            "empty-selector",
            set_("dc1-gateway", "spec.listeners.1.allowedRoutes.namespaces", {"from": "Selector", "selector": {}}),
            {
                "dc1-gateway": [
                    "listener 'http': allowedRoutes.namespaces.selector is empty (every namespace); expected labels"
                ]
            },
        ),
    ],
    "NET-10": [
        Case("baseline"),
        Case(
            "https-out",
            set_(SG, "egress", [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]),
        ),
        Case(
            "all-to-the-vpc",
            set_(SG, "egress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.40.0.0/16"]}]),
        ),
        Case(
            "all-to-the-internet",
            set_(SG, "egress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]),
            {SG: ["egress[0] allows all traffic to '0.0.0.0/0'; expected specific destinations and ports"]},
        ),
        Case(
            "egress-rule-resource",
            add(_egress_rule({"securityGroupId": "sg-1", "cidrIpv6": "::/0", "ipProtocol": "-1"})),
            {"aws1-out-all": ["egress allows all traffic to '::/0'; expected specific destinations and ports"]},
        ),
        Case(
            "every-tcp-port",
            chain(
                set_(SG_RULE, "type", "egress"),
                set_(SG_RULE, "cidrBlocks", ["0.0.0.0/0"]),
                set_(SG_RULE, "fromPort", 0),
                set_(SG_RULE, "toPort", 65535),
            ),
            {SG_RULE: ["egress allows all tcp ports to '0.0.0.0/0'; expected specific destinations and ports"]},
        ),
    ],
    "NET-11": [
        Case("baseline"),
        Case(
            "internal-nlb", chain(set_("aws1-alb", "loadBalancerType", "network"), set_("aws1-alb", "internal", True))
        ),
        Case(
            "public-nlb",
            set_("aws1-alb", "loadBalancerType", "network"),
            {
                "aws1-alb": [
                    "an internet-facing network load balancer passes traffic around the WAF; expected internal: true"
                ]
            },
        ),
        Case(
            "classic-elb",
            add(_aws_res("aws:elb/loadBalancer:LoadBalancer", "aws1-classic", {"listeners": [{"lbPort": 8000}]})),
            {
                "aws1-classic": [
                    "a classic load balancer faces the internet (no WAF, no TLS policy); expected internal: true"
                ]
            },
        ),
        Case(
            "gcp-passthrough",
            add(
                _gcp_res(
                    "gcp:compute/forwardingRule:ForwardingRule", "gcp1-l4", {"ports": ["8000"], "backendService": "x"}
                )
            ),
            {"gcp1-l4": ["loadBalancingScheme is 'EXTERNAL' (a public passthrough load balancer); expected INTERNAL"]},
        ),
        Case(
            "gcp-internal",
            add(_gcp_res("gcp:compute/forwardingRule:ForwardingRule", "gcp1-ilb", {"loadBalancingScheme": "INTERNAL"})),
        ),
    ],
    "NET-12": [
        Case("baseline"),
        Case(
            "on-prem-load-balancer",
            chain(
                set_("aws1-envoy-proxy", "spec.provider.kubernetes.envoyService.type", "LoadBalancer"),
                lambda plan: resource(plan, "aws1-envoy-proxy").update(
                    parent="urn:pulumi:prod::llm-fleet::llm-fleet:onprem:Target::dc1", name="dc1-envoy-proxy"
                ),
            ),
        ),
        Case(
            "cloud-load-balancer",
            set_("aws1-envoy-proxy", "spec.provider.kubernetes.envoyService.type", "LoadBalancer"),
            {
                "aws1-envoy-proxy": [
                    "spec.provider.kubernetes.envoyService.type is 'LoadBalancer'; expected 'ClusterIP' behind the cloud load balancer"
                ]
            },
        ),
        Case(
            "default-service-type",
            drop("aws1-envoy-proxy", "spec.provider.kubernetes.envoyService"),
            {
                "aws1-envoy-proxy": [
                    "spec.provider.kubernetes.envoyService.type is not set (Envoy Gateway's default: LoadBalancer); expected 'ClusterIP' behind the cloud load balancer"
                ]
            },
        ),
    ],
    "NET-13": [
        Case("baseline"),
        Case(
            "ssh-from-the-vpc",
            set_(
                "aws1-public-acl",
                "ingress.2",
                {
                    "ruleNo": 120,
                    "action": "allow",
                    "protocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrBlock": "10.0.0.0/8",
                },
            ),
        ),
        Case(
            "ssh-allowed",
            set_("aws1-public-acl", "ingress.2.action", "allow"),
            {
                "aws1-public-acl": [
                    "ingress[2] allows 22 (SSH) from '0.0.0.0/0'; expected no admin ports from the internet"
                ]
            },
        ),
        Case(
            "all-traffic-rule-resource",
            add(
                _aws_res(
                    "aws:ec2/networkAclRule:NetworkAclRule",
                    "aws1-acl-all",
                    {
                        "networkAclId": "acl-1",
                        "ruleNumber": 90,
                        "egress": False,
                        "protocol": "-1",
                        "ruleAction": "allow",
                        "ipv6CidrBlock": "::/0",
                    },
                )
            ),
            {
                "aws1-acl-all": [
                    "rule allows 20 (FTP data), 21 (FTP), 22 (SSH), 3389 (RDP) from '::/0'; expected no admin ports from the internet"
                ]
            },
        ),
        Case(
            "egress-rule",
            add(
                _aws_res(
                    "aws:ec2/networkAclRule:NetworkAclRule",
                    "aws1-acl-out",
                    {
                        "networkAclId": "acl-1",
                        "ruleNumber": 90,
                        "egress": True,
                        "protocol": "-1",
                        "ruleAction": "allow",
                        "cidrBlock": "0.0.0.0/0",
                    },
                )
            ),
        ),
    ],
    "NET-14": [
        Case("baseline"),
        Case(
            "self-referencing-ingress",
            set_("aws1-default-sg", "ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
            {"aws1-default-sg": ["the default security group has 1 rule(s); expected none"]},
        ),
        Case(
            "left-to-aws",
            remove("aws1-default-sg"),
            {
                "aws1-vpc": [
                    "no aws:ec2/defaultSecurityGroup:DefaultSecurityGroup closes this VPC's default security group"
                ]
            },
        ),
    ],
    "NET-15": [
        Case("baseline"),
        Case(
            "public-subnet-without-nodes",
            chain(
                set_("aws1-private-a-assoc", "subnetId", "subnet-public-a"),
                set_("aws1-private-a-default", "gatewayId", "igw-1"),
            ),
        ),
        Case(
            "node-subnet-to-the-internet-gateway",
            chain(
                drop("aws1-private-a-default", "natGatewayId"), set_("aws1-private-a-default", "gatewayId", "igw-0a1b")
            ),
            {
                "aws1-private-a-default": [
                    "a node subnet's route table sends 0.0.0.0/0 to an internet gateway; expected a NAT gateway"
                ]
            },
        ),
        Case("node-subnet-to-a-vpn-gateway", set_("aws1-private-a-default", "gatewayId", "vgw-1")),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule(rule_id, case):
    check(rule_id, case)
