"""The public edge of an AWS target: ALB + ACM + WAFv2 in front of the in-cluster gateway.

Clients reach an internet-facing ALB in the public subnets. HTTPS only (TLS 1.2+ policy
ELBSecurityPolicy-TLS13-1-2-2021-06, certificate from ACM validated in Route 53); port 80
only redirects. The ALB drops invalid header fields, mitigates request desync (strictest),
logs to the target's log bucket and is deletion-protected in prod. A WAFv2 web ACL with the
AWS managed Common, KnownBadInputs and IP-reputation rule groups plus a per-IP rate limit on
the inference paths (``/v1/...`` and ``/<model>/v1/...``) is attached to it and logs to a KMS-encrypted log group (the API
key header redacted).

Traffic goes to the cluster's gateway, never to model pods: the ALB forwards to an IP target
group that the AWS Load Balancer Controller keeps filled with the Envoy proxy pods of the
serving layer's Gateway (infra/workloads/gateway.py), through a TargetGroupBinding on a
ClusterIP Service selecting those pods. Only the ALB's security group may reach them, and
only on the proxy's listener and readiness ports. Envoy trusts one X-Forwarded-For hop (the
ALB) for client addresses. The ALB terminates TLS; inside the VPC the hop is HTTP.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import versions
from infra.aws.cluster import SYSTEM_NODE_LABEL, Cluster
from infra.aws.common import AwsEnv, log_group, statement
from infra.aws.identity import pod_identity_role
from infra.aws.keys import Keys
from infra.aws.network import Network
from infra.aws.storage import ALB_LOG_PREFIX, Storage
from infra.workloads.gateway import ENVOY_GATEWAY_NAMESPACE, GatewayEdge, edge_hostnames
from serving.errors import LlmFleetError

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HSTS = "max-age=31536000; includeSubDomains"
IDLE_TIMEOUT_S = 300
"""Long enough for a non-streamed completion of a large model."""
DESYNC_MITIGATION = "strictest"

GATEWAY_SERVICE_PORT = 80
GATEWAY_CONTAINER_PORT = 10080
"""Envoy Gateway maps a listener on a privileged port to port + 10000 in the proxy container."""
GATEWAY_READY_PORT = 19003
GATEWAY_READY_PATH = "/ready"
"""Envoy Gateway's proxy readiness listener (what its own readiness probe uses)."""
ALB_SERVICE = "llm-gateway-alb"
"""ClusterIP Service (in the proxies' namespace) the TargetGroupBinding registers."""
LBC_NAMESPACE = "kube-system"
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"

WAF_MANAGED_RULE_GROUPS = [
    # (name, rules switched to count) -- SizeRestrictions_BODY blocks bodies over 8 KB:
    # every long prompt. The in-cluster gateway bounds body size instead.
    ("AWSManagedRulesAmazonIpReputationList", []),
    ("AWSManagedRulesCommonRuleSet", ["SizeRestrictions_BODY"]),
    ("AWSManagedRulesKnownBadInputsRuleSet", []),
]
WAF_RATE_WINDOW_S = 60
"""Evaluation window of the rate-based rule (60, 120, 300 or 600 s): with 60 s the limit is
``edge.rateLimitPerMinute`` itself."""
WAF_MIN_RATE_LIMIT = 10
INFERENCE_PATH_REGEX = "^/([^/]+/)?v1(/|$)"
"""Every routed API path: ``/v1/...`` on a model's own hostname and ``/<model>/v1/...`` on the
shared one (infra.workloads.gateway); the same paths as Cloud Armor's throttle rule."""
WAF_REDACTED_HEADERS = ["authorization", "x-api-key"]


def rate_limit(env: AwsEnv) -> int:
    limit = env.target.edge.rate_limit_per_minute
    if limit < WAF_MIN_RATE_LIMIT:
        raise LlmFleetError(
            f"targets.{env.name}.edge.rateLimitPerMinute: {limit} is not allowed on aws; "
            f"AWS WAF rate-based rules need at least {WAF_MIN_RATE_LIMIT} requests per window"
        )
    return limit


class Edge(pulumi.ComponentResource):
    """ALB, listeners, certificate, DNS, WAF and the binding to the in-cluster gateway."""

    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    web_acl: aws.wafv2.WebAcl | None
    hostnames: list[str]

    def __init__(
        self,
        name: str,
        env: AwsEnv,
        network: Network,
        cluster: Cluster,
        keys: Keys,
        storage: Storage,
        gateway: GatewayEdge,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("llm-fleet:aws:Edge", name, None, opts)
        self._name = name
        self._env = env
        self._network = network
        self._cluster = cluster
        self._keys = keys
        self._storage = storage
        self._gateway = gateway
        if not env.target.edge.dns_zone:
            raise LlmFleetError(
                f"targets.{env.name}.edge.dnsZone: required on aws (the Route 53 public zone that "
                "validates the ACM certificate and holds the edge's records)"
            )
        self.hostnames = edge_hostnames(env.stack, env.name)
        self._zones: dict[str, pulumi.Output[str]] = {}
        self._create_certificate()
        self._create_security_groups()
        self._create_load_balancer()
        self._create_listeners()
        self._create_dns()
        self.web_acl = None
        if env.target.edge.waf:
            self._create_waf()
        self._create_controller()
        self._create_binding()
        self.register_outputs(
            {
                "dnsName": self.load_balancer.dns_name,
                "zoneId": self.load_balancer.zone_id,
                "hostnames": self.hostnames,
            }
        )

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _k8s(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._cluster.provider, **kwargs)

    # -- DNS zones and certificate ----------------------------------------------------------
    def _zone_of(self, hostname: str) -> str:
        """The public zone a hostname lives in: a routing hostname's own zone, else the edge's."""
        for route in self._env.stack.routing:
            if route.hostname == hostname:
                return route.dns_zone
        return self._env.target.edge.dns_zone or ""

    def _zone_id(self, zone: str) -> pulumi.Output[str]:
        if zone not in self._zones:
            self._zones[zone] = aws.route53.get_zone_output(
                name=zone,
                private_zone=False,
                opts=pulumi.InvokeOutputOptions(parent=self, provider=self._env.provider),
            ).zone_id
        return self._zones[zone]

    def _create_certificate(self) -> None:
        env = self._env
        domain = env.target.edge.domain
        self.certificate = aws.acm.Certificate(
            f"{self._name}-cert",
            domain_name=domain,
            subject_alternative_names=[h for h in self.hostnames if h != domain],
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            tags=env.tagged(Name=domain),
            opts=self._child(),
        )
        records = []
        for hostname in self.hostnames:
            option = self.certificate.domain_validation_options.apply(
                lambda options, h=hostname: next(o for o in options if o.domain_name == h)
            )
            records.append(
                aws.route53.Record(
                    f"{self._name}-cert-{hostname}",
                    zone_id=self._zone_id(self._zone_of(hostname)),
                    name=option.resource_record_name,
                    type=option.resource_record_type,
                    records=[option.resource_record_value],
                    ttl=60,
                    allow_overwrite=True,
                    opts=self._child(),
                )
            )
        self.validation = aws.acm.CertificateValidation(
            f"{self._name}-cert",
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            opts=self._child(),
        )

    # -- network access -----------------------------------------------------------------------
    def _create_security_groups(self) -> None:
        env = self._env
        self.security_group = aws.ec2.SecurityGroup(
            f"{self._name}-alb",
            description=f"Public ALB of {env.cluster_name}: HTTPS (and HTTP redirect) in, gateway out",
            vpc_id=self._network.vpc.id,
            tags=env.tagged(Name=f"{env.cluster_name}-alb"),
            opts=self._child(),
        )
        for cidr in env.target.edge.allowed_cidrs:
            for port in (443, 80):
                aws.vpc.SecurityGroupIngressRule(
                    f"{self._name}-alb-in-{port}-{cidr.replace('/', '-')}",
                    security_group_id=self.security_group.id,
                    description=f"clients {cidr} on {port}" + (" (redirected to HTTPS)" if port == 80 else ""),
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    tags=env.tagged(),
                    opts=self._child(),
                )
        for port, what in ((GATEWAY_CONTAINER_PORT, "traffic"), (GATEWAY_READY_PORT, "health checks")):
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-alb-out-{port}",
                security_group_id=self.security_group.id,
                description=f"gateway proxies: {what}",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=self._cluster.security_group_id,
                tags=env.tagged(),
                opts=self._child(),
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-gateway-in-{port}",
                security_group_id=self._cluster.security_group_id,
                description=f"ALB to gateway proxies: {what}",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=self.security_group.id,
                tags=env.tagged(),
                opts=self._child(),
            )

    # -- load balancer --------------------------------------------------------------------------
    def _create_load_balancer(self) -> None:
        env = self._env
        self.target_group = aws.lb.TargetGroup(
            f"{self._name}-gw",
            target_type="ip",
            protocol="HTTP",
            protocol_version="HTTP1",
            port=GATEWAY_CONTAINER_PORT,
            vpc_id=self._network.vpc.id,
            deregistration_delay=60,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                port=str(GATEWAY_READY_PORT),
                path=GATEWAY_READY_PATH,
                matcher="200",
                interval=10,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags=env.tagged(),
            opts=self._child(),
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{self._name}",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=[s.id for s in self._network.public_subnets],
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode=DESYNC_MITIGATION,
            enable_deletion_protection=env.prod,
            enable_http2=True,
            enable_waf_fail_open=False,
            idle_timeout=IDLE_TIMEOUT_S,
            xff_header_processing_mode="append",
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=self._storage.logs.bucket.bucket,
                prefix=ALB_LOG_PREFIX,
                enabled=True,
            ),
            tags=env.tagged(Name=f"{env.cluster_name}"),
            # The ALB checks at creation that it may write to the log bucket.
            opts=self._child(depends_on=[self._storage.logs.policy]),
        )

    def _create_listeners(self) -> None:
        env = self._env
        self.https_listener = aws.lb.Listener(
            f"{self._name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=SSL_POLICY,
            certificate_arn=self.validation.certificate_arn,
            routing_http_response_strict_transport_security_header_value=HSTS,
            routing_http_response_server_enabled=False,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)],
            tags=env.tagged(),
            opts=self._child(),
        )
        self.http_listener = aws.lb.Listener(
            f"{self._name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443", status_code="HTTP_301"),
                )
            ],
            tags=env.tagged(),
            opts=self._child(),
        )

    def _create_dns(self) -> None:
        """Alias records for the target's own hostnames. Routing hostnames (``routing[]``) get
        health-checked failover/weighted records from the routing layer instead."""
        routed = {r.hostname for r in self._env.stack.routing}
        for hostname in self.hostnames:
            if hostname in routed:
                continue
            aws.route53.Record(
                f"{self._name}-{hostname}",
                zone_id=self._zone_id(self._zone_of(hostname)),
                name=hostname,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.load_balancer.dns_name,
                        zone_id=self.load_balancer.zone_id,
                        evaluate_target_health=True,
                    )
                ],
                opts=self._child(),
            )

    # -- WAF --------------------------------------------------------------------------------------
    def _create_waf(self) -> None:
        env = self._env
        prefix = env.cluster_name

        def visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
            return aws.wafv2.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{prefix}-{metric}", sampled_requests_enabled=True
            )

        rules = [
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                                name=rule,
                                action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                                    count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
                                ),
                            )
                            for rule in counted
                        ]
                        or None,
                    )
                ),
                visibility_config=visibility(group),
            )
            for priority, (group, counted) in enumerate(WAF_MANAGED_RULE_GROUPS)
        ]
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name="inference-rate-limit",
                priority=len(rules),
                action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        aggregate_key_type="IP",
                        limit=rate_limit(env),
                        evaluation_window_sec=WAF_RATE_WINDOW_S,
                        scope_down_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementArgs(
                            regex_match_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementArgs(
                                regex_string=INFERENCE_PATH_REGEX,
                                field_to_match=aws.wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementFieldToMatchArgs(
                                    uri_path=aws.wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementFieldToMatchUriPathArgs()
                                ),
                                text_transformations=[
                                    aws.wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementRegexMatchStatementTextTransformationArgs(
                                        priority=0, type="NONE"
                                    )
                                ],
                            )
                        ),
                    )
                ),
                visibility_config=visibility("inference-rate-limit"),
            )
        )
        self.web_acl = aws.wafv2.WebAcl(
            f"{self._name}-waf",
            description=f"Edge of {env.cluster_name}: AWS managed rules and a per-IP rate limit on the /v1 API paths",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=prefix, sampled_requests_enabled=True
            ),
            tags=env.tagged(),
            opts=self._child(),
        )
        aws.wafv2.WebAclAssociation(
            f"{self._name}-waf",
            resource_arn=self.load_balancer.arn,
            web_acl_arn=self.web_acl.arn,
            opts=self._child(),
        )
        self._create_waf_logging()

    def _create_waf_logging(self) -> None:
        env = self._env
        assert self.web_acl is not None
        # WAF delivers only to log groups whose name starts with aws-waf-logs-.
        group = log_group(
            f"{self._name}-waf-logs", f"aws-waf-logs-{env.cluster_name}", env, self._keys.arn("logs"), self._child()
        )
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{self._name}-waf-logs",
            policy_name=f"{env.cluster_name}-waf-logs",
            policy_document=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        statement(
                            "AllowWafLogDelivery",
                            ["logs:CreateLogStream", "logs:PutLogEvents"],
                            [pulumi.Output.concat(group.arn, ":*")],
                            principal={"Service": "delivery.logs.amazonaws.com"},
                            conditions={
                                "StringEquals": {"aws:SourceAccount": env.account_id},
                                "ArnLike": {"aws:SourceArn": env.arn("logs", "*")},
                            },
                        )
                    ],
                }
            ),
            opts=self._child(),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{self._name}-waf-logs",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in WAF_REDACTED_HEADERS
            ],
            opts=self._child(depends_on=[policy]),
        )

    # -- binding to the in-cluster gateway ---------------------------------------------------------
    def _create_controller(self) -> None:
        env = self._env
        role = pod_identity_role(
            f"{self._name}-lb-controller",
            env,
            self._cluster,
            LBC_NAMESPACE,
            LBC_SERVICE_ACCOUNT,
            [
                statement(
                    "DescribeTargets",
                    [
                        "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
                        "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetGroups",
                        "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
                        "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
                    ],
                ),
                statement(
                    "RegisterGatewayTargets",
                    ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                    [self.target_group.arn],
                ),
            ],
            "AWS Load Balancer Controller: register the gateway's pods in the ALB target group only",
            parent=self,
        )
        chart = versions.AWS_LOAD_BALANCER_CONTROLLER
        self.controller = k8s.helm.v3.Release(
            f"{self._name}-lb-controller",
            name="aws-load-balancer-controller",
            **chart.release_args(),
            namespace=LBC_NAMESPACE,
            create_namespace=False,
            values={
                "clusterName": env.cluster_name,
                "region": env.region,
                "vpcId": self._network.vpc.id,
                "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT},
                "replicaCount": 2 if env.prod else 1,
                "nodeSelector": {SYSTEM_NODE_LABEL: "system"},
                # Only TargetGroupBindings: no Ingress class, no takeover of LoadBalancer Services.
                "createIngressClassResource": False,
                "enableServiceMutatorWebhook": False,
            },
            opts=self._k8s(depends_on=[role]),
        )

    def _create_binding(self) -> None:
        selector = {
            "gateway.envoyproxy.io/owning-gateway-name": self._gateway.ref.name,
            "gateway.envoyproxy.io/owning-gateway-namespace": self._gateway.ref.namespace,
        }
        service = k8s.core.v1.Service(
            f"{self._name}-gateway-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ALB_SERVICE,
                namespace=ENVOY_GATEWAY_NAMESPACE,
                labels={"app.kubernetes.io/part-of": "llm-fleet", "app.kubernetes.io/component": "edge"},
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", port=GATEWAY_SERVICE_PORT, target_port=GATEWAY_CONTAINER_PORT, protocol="TCP"
                    )
                ],
            ),
            opts=self._k8s(depends_on=[self._gateway]),
        )
        self.binding = k8s.apiextensions.CustomResource(
            f"{self._name}-gateway-binding",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ALB_SERVICE, namespace=ENVOY_GATEWAY_NAMESPACE),
            spec={
                "serviceRef": {"name": ALB_SERVICE, "port": GATEWAY_SERVICE_PORT},
                "targetGroupARN": self.target_group.arn,
                "targetType": "ip",
                "vpcID": self._network.vpc.id,
            },
            opts=self._k8s(depends_on=[self.controller, service]),
        )
