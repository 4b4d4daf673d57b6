"""Cases for S3 (stack/aws/s3), KMS (aws/kms), load balancers (aws/lb), WAF (aws/wafv2,
stack/aws/lb, stack/aws/wafv2) and ECR (aws/ecr)."""

import json

import pytest

from tests.policy.harness import Case, attr, cases_params, chain, check, drop, remove, set_

W, L = "aws1-weights", "aws1-logs"
ALB, ACL = "aws1-alb", "aws1-waf"
ALB_ALIAS = "aws:alb/loadBalancer:LoadBalancer"  # aws.alb.LoadBalancer: the same resource
NO_WAF = "internet-facing ALB has no aws:wafv2/webAclAssociation:WebAclAssociation"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CASES = {
    "S3-01": [
        Case("baseline"),
        Case(
            "no-block",
            remove(f"{W}-pab"),
            {W: ["no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock for this bucket"]},
        ),
        Case(
            "one-flag-off",
            set_(f"{W}-pab", "restrictPublicBuckets", False),
            {W: ["public access block leaves restrictPublicBuckets off; expected all four true"]},
        ),
        Case(
            "other-bucket-block-does-not-count",
            set_(f"{W}-pab", "bucket", "someone-else"),
            {W: ["no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock for this bucket"]},
        ),
        Case("mock-id-reference", set_(f"{W}-pab", "bucket", f"{W}-1a2b3c4d")),
    ],
    "S3-02": [
        Case("baseline"),
        Case("no-config", remove(f"{W}-sse"), {W: [f"no {SSE} for this bucket"]}),
        Case(
            "sse-s3",
            set_(f"{W}-sse", "rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}),
            {
                W: [
                    "default encryption is ['AES256'] without a customer-managed key; expected sseAlgorithm 'aws:kms' with kmsMasterKeyId"
                ]
            },
        ),
        Case(
            "log-bucket-unencrypted",
            set_(f"{L}-sse", "rules", []),
            {L: ["access-log bucket has no default encryption; expected sseAlgorithm 'AES256'"]},
        ),
    ],
    "S3-03": [
        Case("baseline"),
        Case(
            "suspended",
            set_(f"{W}-versioning", "versioningConfiguration.status", "Suspended"),
            {W: ["versioningConfiguration.status is 'Suspended'; expected 'Enabled'"]},
        ),
        Case(
            "missing", remove(f"{L}-versioning"), {L: ["no aws:s3/bucketVersioning:BucketVersioning for this bucket"]}
        ),
    ],
    "S3-04": [
        Case("baseline"),
        Case("no-policy", remove(f"{W}-policy"), {W: ["no aws:s3/bucketPolicy:BucketPolicy for this bucket"]}),
        Case(
            "allow-only",
            set_(
                f"{W}-policy",
                "policy",
                _doc({"Effect": "Allow", "Principal": {"AWS": "arn:r"}, "Action": "s3:GetObject"}),
            ),
            {W: ["the bucket policy has no Deny on aws:SecureTransport = false"]},
        ),
    ],
    "S3-05": [
        Case("baseline"),
        Case(
            "no-logging",
            remove(f"{W}-logging"),
            {W: ["no aws:s3/bucketLogging:BucketLogging with a targetBucket for this bucket"]},
        ),
    ],
    "S3-06": [
        Case("baseline"),
        Case(
            "acls-on",
            set_(f"{W}-ownership", "rule.objectOwnership", "ObjectWriter"),
            {W: ["rule.objectOwnership is 'ObjectWriter'; expected 'BucketOwnerEnforced'"]},
        ),
        Case(
            "missing",
            remove(f"{W}-ownership"),
            {W: ["no aws:s3/bucketOwnershipControls:BucketOwnershipControls for this bucket"]},
        ),
    ],
    "S3-07": [
        Case("baseline"),
        Case(
            "rule-disabled",
            set_(f"{W}-lifecycle", "rules.0.status", "Disabled"),
            {W: ["no enabled lifecycle rule with abortIncompleteMultipartUpload.daysAfterInitiation"]},
        ),
        Case(
            "missing",
            remove(f"{L}-lifecycle"),
            {L: ["no enabled lifecycle rule with abortIncompleteMultipartUpload.daysAfterInitiation"]},
        ),
    ],
    "KMS-01": [
        Case("baseline"),
        Case(
            "off",
            set_("aws1-key", "enableKeyRotation", False),
            {"aws1-key": ["enableKeyRotation is false; expected true"]},
        ),
    ],
    "KMS-02": [
        Case("baseline"),
        Case("default-30", drop("aws1-key", "deletionWindowInDays")),
        Case(
            "seven-days",
            set_("aws1-key", "deletionWindowInDays", 7),
            {"aws1-key": ["deletionWindowInDays is 7; expected 30"]},
        ),
    ],
    "KMS-03": [
        Case("baseline"),
        Case(
            "conditioned-star",
            set_(
                "aws1-key-policy",
                "policy",
                _doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "kms:Decrypt",
                        "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
                    }
                ),
            ),
        ),
        Case(
            "star",
            set_("aws1-key", "policy", _doc({"Effect": "Allow", "Principal": "*", "Action": "kms:*"})),
            {"aws1-key": ["Statement[0] allows Principal '*' without a condition; expected named principals"]},
        ),
        Case(
            "aws-star",
            set_("aws1-key-policy", "policy", _doc({"Effect": "Allow", "Principal": {"AWS": ["*"]}})),
            {"aws1-key-policy": ["Statement[0] allows Principal '*' without a condition; expected named principals"]},
        ),
        Case(
            "default-policy",
            drop("aws1-key", "policy"),
            {"aws1-key": ["policy is not set (the default key policy); expected an explicit key policy"]},
        ),
    ],
    "ALB-01": [
        Case("baseline"),
        Case(
            "http-forward",
            set_("aws1-http", "defaultActions", [{"type": "forward", "targetGroupArn": "arn:tg"}]),
            {
                "aws1-http": [
                    "protocol is 'HTTP' and the default action is not a redirect to HTTPS; expected HTTPS or a redirect"
                ]
            },
        ),
    ],
    "ALB-02": [
        Case("baseline"),
        Case("tls13-only", set_("aws1-https", "sslPolicy", "ELBSecurityPolicy-TLS13-1-3-2021-06")),
        Case(
            "old-policy",
            set_("aws1-https", "sslPolicy", "ELBSecurityPolicy-2016-08"),
            {
                "aws1-https": [
                    "sslPolicy is 'ELBSecurityPolicy-2016-08'; expected a TLS 1.2+ policy such as 'ELBSecurityPolicy-TLS13-1-2-2021-06'"
                ]
            },
        ),
        Case(
            "unset",
            drop("aws1-https", "sslPolicy"),
            {
                "aws1-https": [
                    "sslPolicy is not set (the default allows TLS 1.0); expected 'ELBSecurityPolicy-TLS13-1-2-2021-06'"
                ]
            },
        ),
    ],
    "ALB-03": [
        Case("baseline"),
        Case(
            "off",
            set_(ALB, "dropInvalidHeaderFields", False),
            {ALB: ["dropInvalidHeaderFields is false; expected true"]},
        ),
        Case("nlb-exempt", chain(set_(ALB, "loadBalancerType", "network"), drop(ALB, "dropInvalidHeaderFields"))),
        Case(
            "empty-type-is-application",
            chain(set_(ALB, "loadBalancerType", ""), set_(ALB, "dropInvalidHeaderFields", False)),
            {ALB: ["dropInvalidHeaderFields is false; expected true"]},
        ),
        Case(
            "alias-token",
            chain(attr(ALB, "type", ALB_ALIAS), set_(ALB, "dropInvalidHeaderFields", False)),
            {ALB: ["dropInvalidHeaderFields is false; expected true"]},
        ),
    ],
    "ALB-04": [
        Case("baseline"),
        Case("default-defensive", drop(ALB, "desyncMitigationMode")),
        Case(
            "monitor",
            set_(ALB, "desyncMitigationMode", "monitor"),
            {ALB: ["desyncMitigationMode is 'monitor'; expected one of ['defensive', 'strictest']"]},
        ),
    ],
    "ALB-05": [
        Case("baseline"),
        Case("disabled", set_(ALB, "accessLogs.enabled", False), {ALB: ["accessLogs.enabled is false; expected true"]}),
        Case(
            "missing",
            drop(ALB, "accessLogs"),
            {ALB: ["accessLogs.enabled is not set; expected true", "accessLogs.bucket is not set; expected a value"]},
        ),
        Case(
            "alias-token",
            chain(attr(ALB, "type", ALB_ALIAS), set_(ALB, "accessLogs.enabled", False)),
            {ALB: ["accessLogs.enabled is false; expected true"]},
        ),
    ],
    "ALB-06": [
        Case("baseline"),
        Case(
            "off",
            set_(ALB, "enableDeletionProtection", False),
            {ALB: ["enableDeletionProtection is false; expected true"]},
        ),
        Case(
            "alias-token",
            chain(attr(ALB, "type", ALB_ALIAS), set_(ALB, "enableDeletionProtection", False)),
            {ALB: ["enableDeletionProtection is false; expected true"]},
        ),
        Case(
            "dev-exempt",
            lambda p: (
                p["config"].update(environment="dev"),
                next(r for r in p["resources"] if r["name"] == ALB)["props"].pop("enableDeletionProtection"),
            ),
        ),
    ],
    "WAF-01": [
        Case("baseline"),
        Case("internal-exempt", chain(remove("aws1-waf-association"), set_(ALB, "internal", True))),
        Case("internal-string-exempt", chain(remove("aws1-waf-association"), set_(ALB, "internal", "true"))),
        Case("alias-token", chain(attr(ALB, "type", ALB_ALIAS), remove("aws1-waf-association")), {ALB: [NO_WAF]}),
        Case(
            "empty-type-is-application",
            chain(set_(ALB, "loadBalancerType", ""), remove("aws1-waf-association")),
            {ALB: [NO_WAF]},
        ),
        Case("alias-token-with-acl", attr(ALB, "type", ALB_ALIAS)),
        Case(
            "missing",
            remove("aws1-waf-association"),
            {ALB: ["internet-facing ALB has no aws:wafv2/webAclAssociation:WebAclAssociation"]},
        ),
        Case(
            "other-alb",
            set_(
                "aws1-waf-association",
                "resourceArn",
                "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/other/1",
            ),
            {ALB: ["internet-facing ALB has no aws:wafv2/webAclAssociation:WebAclAssociation"]},
        ),
    ],
    "WAF-02": [
        Case("baseline"),
        Case(
            "count-only",
            set_(ACL, "rules.0.overrideAction", {"count": {}}),
            {
                ACL: [
                    "managed rule group 'AWSManagedRulesCommonRuleSet' only counts (overrideAction count); expected overrideAction none"
                ]
            },
        ),
        Case(
            "missing-ip-reputation",
            drop(ACL, "rules.2"),
            {ACL: ["managed rule group 'AWSManagedRulesAmazonIpReputationList' is missing; expected it in rules"]},
        ),
    ],
    "WAF-03": [
        Case("baseline"),
        Case("unscoped", drop(ACL, "rules.3.statement.rateBasedStatement.scopeDownStatement")),
        Case(
            "count-action",
            set_(ACL, "rules.3.action", {"count": {}}),
            {
                ACL: [
                    "no blocking per-client rateBasedStatement rule; expected a rate-based rule on the inference paths"
                ]
            },
        ),
        Case(
            "other-path",
            set_(
                ACL,
                "rules.3.statement.rateBasedStatement.scopeDownStatement.regexMatchStatement.regexString",
                "^/admin",
            ),
            {
                ACL: [
                    "no blocking rate-based rule counts requests to ['/example-model/v1/chat/completions', "
                    "'/v1/chat/completions']; expected its scope-down to match every API path"
                ]
            },
        ),
    ],
    "WAF-04": [
        Case("baseline"),
        Case(
            "missing",
            remove("aws1-waf-logging"),
            {
                ACL: [
                    "no aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration with a log destination for this web ACL"
                ]
            },
        ),
        Case(
            "no-destination",
            set_("aws1-waf-logging", "logDestinationConfigs", []),
            {
                ACL: [
                    "no aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration with a log destination for this web ACL"
                ]
            },
        ),
    ],
    "ECR-01": [
        Case("baseline"),
        Case(
            "off",
            set_("aws1-serving", "imageScanningConfiguration.scanOnPush", False),
            {"aws1-serving": ["imageScanningConfiguration.scanOnPush is false; expected true"]},
        ),
    ],
    "ECR-02": [
        Case("baseline"),
        Case(
            "mutable",
            set_("aws1-serving", "imageTagMutability", "MUTABLE"),
            {"aws1-serving": ["imageTagMutability is 'MUTABLE'; expected 'IMMUTABLE'"]},
        ),
    ],
    "ECR-03": [
        Case("baseline"),
        Case(
            "aes",
            set_("aws1-serving", "encryptionConfigurations", [{"encryptionType": "AES256"}]),
            {
                "aws1-serving": [
                    "encryptionConfigurations has no {encryptionType: 'KMS', kmsKey}; expected a customer-managed key"
                ]
            },
        ),
    ],
    "ECR-04": [
        Case("baseline"),
        Case(
            "public",
            set_(
                "aws1-serving-policy",
                "policy",
                _doc({"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}),
            ),
            {"aws1-serving-policy": ["Statement[0] allows Principal '*'; expected named principals"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
