"""The edge: ALB with ACM, HTTPS only, TLS 1.2+, hardened attributes, access logs, WAFv2 with
managed rules, a /v1 rate limit and logging, and the binding to the in-cluster gateway."""

from __future__ import annotations

import re

import pytest

from infra.aws.edge import GATEWAY_CONTAINER_PORT, GATEWAY_READY_PORT, SSL_POLICY, rate_limit
from infra.workloads.gateway import ENVOY_GATEWAY_NAMESPACE, GATEWAY_NAME, GATEWAY_NAMESPACE
from serving.errors import LlmFleetError
from tests.aws.conftest import AwsView, policy


def public_subnet_ids(view: AwsView) -> set[str]:
    return {view.id_of(s) for s in view.of_type("aws:ec2/subnet:Subnet") if "public" in s.name}


def test_alb_is_internet_facing_in_public_subnets_with_hardened_attributes(any_aws: AwsView) -> None:
    lb = any_aws.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.props["loadBalancerType"] == "application"
    assert lb.props["internal"] is False
    assert set(lb.props["subnets"]) == public_subnet_ids(any_aws)
    assert lb.props["dropInvalidHeaderFields"] is True
    assert lb.props["desyncMitigationMode"] in {"defensive", "strictest"}
    assert lb.props["enableDeletionProtection"] is (any_aws.environment == "prod")
    assert lb.props["securityGroups"] == [any_aws.id_of(any_aws.named("edge-alb", "aws:ec2/securityGroup:SecurityGroup"))]


def test_alb_access_logs_go_to_the_log_bucket(any_aws: AwsView) -> None:
    logs = any_aws.one("aws:lb/loadBalancer:LoadBalancer").props["accessLogs"]
    assert logs["enabled"] is True
    assert logs["bucket"] == any_aws.named("storage-logs", "aws:s3/bucket:Bucket").props["bucket"]
    granted = next(s for s in policy(any_aws.named("storage-logs-policy"))["Statement"] if s["Sid"] == "AllowAlbAccessLogsService")
    assert granted["Resource"][0].split(":::", 1)[1].startswith(f"{logs['bucket']}/{logs['prefix']}/AWSLogs/")


def test_https_listener_uses_the_validated_certificate_and_a_tls12_plus_policy(any_aws: AwsView) -> None:
    https = any_aws.named("edge-https", "aws:lb/listener:Listener")
    assert https.props["protocol"] == "HTTPS" and https.props["port"] == 443
    assert https.props["sslPolicy"] == SSL_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    cert = any_aws.named("edge-cert", "aws:acm/certificate:Certificate")
    assert https.props["certificateArn"] == any_aws.output(cert, "arn")
    [action] = https.props["defaultActions"]
    tg = any_aws.one("aws:lb/targetGroup:TargetGroup")
    assert action == {"type": "forward", "targetGroupArn": any_aws.output(tg, "arn")}
    assert https.props["routingHttpResponseStrictTransportSecurityHeaderValue"].startswith("max-age=")


def test_http_listener_only_redirects_to_https(any_aws: AwsView) -> None:
    listeners = any_aws.of_type("aws:lb/listener:Listener")
    assert sorted(lst.props["port"] for lst in listeners) == [80, 443]
    http = any_aws.named("edge-http", "aws:lb/listener:Listener")
    [action] = http.props["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert "targetGroupArn" not in action


def test_certificate_is_dns_validated_for_every_gateway_hostname(any_aws: AwsView) -> None:
    cert = any_aws.named("edge-cert", "aws:acm/certificate:Certificate")
    domain = any_aws.config["edge"]["domain"]
    assert cert.props["domainName"] == domain
    assert cert.props["validationMethod"] == "DNS"
    names = [domain, *cert.props.get("subjectAlternativeNames", [])]
    assert sorted(names) == sorted(any_aws.component.edge.hostnames)
    records = [r for r in any_aws.of_type("aws:route53/record:Record") if r.name.startswith(f"{any_aws.target}-edge-cert-")]
    assert len(records) == len(names)
    assert all(r.props["type"] == "CNAME" for r in records)
    validation = any_aws.one("aws:acm/certificateValidation:CertificateValidation")
    assert sorted(validation.props["validationRecordFqdns"]) == sorted(r.props["name"].rstrip(".") for r in records)


def test_prod_certificate_covers_the_routed_api_hostnames(prod_aws: AwsView) -> None:
    cert = prod_aws.named("edge-cert", "aws:acm/certificate:Certificate")
    assert {"api.llm.example.com", "large.llm.example.com"} <= set(cert.props["subjectAlternativeNames"])


def test_own_hostnames_alias_the_alb_and_routed_ones_are_left_to_routing(any_aws: AwsView) -> None:
    aliases = [r for r in any_aws.of_type("aws:route53/record:Record") if r.props.get("aliases")]
    routed = {r["hostname"] for r in any_aws.plan.config.get("routing", [])}
    assert {r.props["name"] for r in aliases} == set(any_aws.component.edge.hostnames) - routed
    lb = any_aws.one("aws:lb/loadBalancer:LoadBalancer")
    for record in aliases:
        [alias] = record.props["aliases"]
        assert alias["name"] == any_aws.output(lb, "dnsName")
        assert alias["evaluateTargetHealth"] is True


def test_alb_security_group_admits_only_the_edge_cidrs_on_443_and_80(any_aws: AwsView) -> None:
    sg = any_aws.id_of(any_aws.named("edge-alb", "aws:ec2/securityGroup:SecurityGroup"))
    ingress = [r.props for r in any_aws.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.props["securityGroupId"] == sg]
    cidrs = any_aws.config["edge"].get("allowedCidrs", ["0.0.0.0/0"])
    assert sorted((r["cidrIpv4"], r["fromPort"]) for r in ingress) == sorted((c, p) for c in cidrs for p in (443, 80))
    egress = [r.props for r in any_aws.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")]
    assert {r["fromPort"] for r in egress} == {GATEWAY_CONTAINER_PORT, GATEWAY_READY_PORT}
    assert all("cidrIpv4" not in r and r["referencedSecurityGroupId"].startswith("sg-") for r in egress)


def test_only_the_alb_reaches_the_gateway_proxies(any_aws: AwsView) -> None:
    sg = any_aws.id_of(any_aws.named("edge-alb", "aws:ec2/securityGroup:SecurityGroup"))
    into_cluster = [r.props for r in any_aws.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                    if r.props.get("referencedSecurityGroupId") == sg]
    assert {r["fromPort"] for r in into_cluster} == {GATEWAY_CONTAINER_PORT, GATEWAY_READY_PORT}


def test_waf_has_the_managed_groups_and_a_rate_limit_on_inference_paths(any_aws: AwsView) -> None:
    acl = any_aws.one("aws:wafv2/webAcl:WebAcl")
    assert acl.props["scope"] == "REGIONAL"
    assert acl.props["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl.props["rules"]}
    groups = {r["statement"]["managedRuleGroupStatement"]["name"] for r in rules.values()
              if "managedRuleGroupStatement" in r["statement"]}
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"}
    assert all(r["overrideAction"] == {"none": {}} for r in rules.values() if "overrideAction" in r)
    rate = rules["inference-rate-limit"]
    assert rate["action"] == {"block": {}}
    statement = rate["statement"]["rateBasedStatement"]
    assert statement["limit"] == any_aws.config["edge"]["rateLimitPerMinute"]
    assert statement["evaluationWindowSec"] == 60
    assert statement["aggregateKeyType"] == "IP"
    match = statement["scopeDownStatement"]["regexMatchStatement"]
    assert match["fieldToMatch"] == {"uriPath": {}}
    pattern = re.compile(match["regexString"])  # every routed API path, shared-hostname prefixes too
    for path in ("/v1/chat/completions", "/v1", "/llama-8b/v1/completions"):
        assert pattern.search(path), path
    for path in ("/llama-8b/health", "/health", "/a/b/v1/x", "/v10/x"):
        assert not pattern.search(path), path
    assert len({r["priority"] for r in rules.values()}) == len(rules)


def test_waf_is_attached_to_the_alb(any_aws: AwsView) -> None:
    association = any_aws.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.props["resourceArn"] == any_aws.output(any_aws.one("aws:lb/loadBalancer:LoadBalancer"), "arn")
    assert association.props["webAclArn"] == any_aws.output(any_aws.one("aws:wafv2/webAcl:WebAcl"), "arn")


def test_waf_logs_to_an_encrypted_aws_waf_logs_group_with_the_api_key_redacted(any_aws: AwsView) -> None:
    logging = any_aws.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    group = any_aws.named("edge-waf-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.props["name"].startswith("aws-waf-logs-")
    assert group.props["kmsKeyId"] == any_aws.key_arn("logs")
    assert logging.props["logDestinationConfigs"] == [any_aws.output(group, "arn")]
    assert logging.props["resourceArn"] == any_aws.output(any_aws.one("aws:wafv2/webAcl:WebAcl"), "arn")
    redacted = {f["singleHeader"]["name"] for f in logging.props["redactedFields"]}
    assert {"authorization", "x-api-key"} <= redacted


def test_traffic_goes_to_the_gateway_proxies_through_a_target_group_binding(any_aws: AwsView) -> None:
    tg = any_aws.one("aws:lb/targetGroup:TargetGroup")
    assert tg.props["targetType"] == "ip"
    assert tg.props["healthCheck"]["port"] == str(GATEWAY_READY_PORT)
    binding = any_aws.one("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
    spec = binding.props["spec"]
    assert spec["targetGroupARN"] == any_aws.output(tg, "arn")
    assert spec["targetType"] == "ip"
    service = next(s for s in any_aws.of_type("kubernetes:core/v1:Service") if s.name == f"{any_aws.target}-edge-gateway-service")
    assert service.props["metadata"]["namespace"] == binding.props["metadata"]["namespace"] == ENVOY_GATEWAY_NAMESPACE
    assert spec["serviceRef"]["name"] == service.props["metadata"]["name"]
    assert service.props["spec"]["type"] == "ClusterIP"
    assert service.props["spec"]["selector"] == {
        "gateway.envoyproxy.io/owning-gateway-name": GATEWAY_NAME,
        "gateway.envoyproxy.io/owning-gateway-namespace": GATEWAY_NAMESPACE,
    }
    assert service.props["spec"]["ports"][0]["targetPort"] == GATEWAY_CONTAINER_PORT


def test_in_cluster_gateway_sits_behind_the_alb(any_aws: AwsView) -> None:
    proxy = next(r for r in any_aws.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"))
    service = proxy.props["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["type"] == "ClusterIP"
    [gateway] = any_aws.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    assert [(lst["protocol"], lst["port"]) for lst in gateway.props["spec"]["listeners"]] == [("HTTP", 80)]
    client = next(r for r in any_aws.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy")
                  if r.props["metadata"]["namespace"] == GATEWAY_NAMESPACE)
    assert client.props["spec"]["clientIPDetection"] == {"xForwardedFor": {"numTrustedHops": 1}}


def test_load_balancer_controller_may_only_register_targets_in_this_target_group(any_aws: AwsView) -> None:
    statements = policy(any_aws.named("edge-lb-controller", "aws:iam/rolePolicy:RolePolicy"))["Statement"]
    writes = [s for s in statements if any(not a.split(":")[1].startswith("Describe") for a in s["Action"])]
    assert len(writes) == 1
    assert writes[0]["Resource"] == [any_aws.output(any_aws.one("aws:lb/targetGroup:TargetGroup"), "arn")]
    release = any_aws.named("edge-lb-controller", "kubernetes:helm.sh/v3:Release")
    assert release.props["values"]["enableServiceMutatorWebhook"] is False
    assert release.props["values"]["createIngressClassResource"] is False


def test_rate_limits_below_the_waf_minimum_are_rejected(dev_aws: AwsView) -> None:
    env = dev_aws.component.env
    low = env.target.model_copy(update={"edge": env.target.edge.model_copy(update={"rate_limit_per_minute": 5})})
    with pytest.raises(LlmFleetError, match=r"targets\.aws-dev\.edge\.rateLimitPerMinute: 5 is not allowed"):
        rate_limit(type(env)(**{**env.__dict__, "target": low}))
