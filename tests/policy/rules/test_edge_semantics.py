"""Cases for the edge rules judged by effect: AWS WAF (WAF-02/03/05, ALB-10), Cloud Armor
(ARMOR-02..05), SSL policies (ALB-07), Coraza (EDGE-04) and X-Forwarded-For trust (EDGE-05).

Each failing case is a change a person could make; each passing case a safe variant."""

import pytest

from tests.policy.harness import Case, cases_params, chain, check, config, drop, set_

ACL, ALB, ARMOR, SSL = "aws1-waf", "aws1-alb", "gcp1-armor", "gcp1-ssl"
RATE = "rules.3.statement.rateBasedStatement"
WAF = "dc1-waf"
DIRECTIVES = "spec.wasm.0.config.directives_map.default"
AWS_CLIENT, DC1_CLIENT = "aws1-gateway-client-policy", "dc1-gateway-client-policy"
PATHS = "['/example-model/v1/chat/completions', '/v1/chat/completions']"
ALLOW_ALL = {
    "name": "allow-everything",
    "priority": 0,
    "action": {"allow": {}},
    "statement": {
        "notStatement": {
            "statement": {
                "byteMatchStatement": {
                    "searchString": "/never",
                    "positionalConstraint": "EXACTLY",
                    "fieldToMatch": {"uriPath": {}},
                    "textTransformations": [{"priority": 0, "type": "NONE"}],
                }
            }
        }
    },
    "visibilityConfig": {"metricName": "x", "sampledRequestsEnabled": True, "cloudwatchMetricsEnabled": True},
}
ALLOW_IPS = {
    **ALLOW_ALL,
    "name": "partners",
    "statement": {"ipSetReferenceStatement": {"arn": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/p/1"}},
}
STARTS_WITH_V1 = {
    "byteMatchStatement": {
        "searchString": "/v1",
        "positionalConstraint": "STARTS_WITH",
        "fieldToMatch": {"uriPath": {}},
        "textTransformations": [{"priority": 0, "type": "NONE"}],
    }
}
CONTAINS_V1 = {
    "byteMatchStatement": {
        **STARTS_WITH_V1["byteMatchStatement"],
        "searchString": "/v1/",
        "positionalConstraint": "CONTAINS",
    }
}


def _append(name, rule):
    """Add a rule to a web ACL's or security policy's rules."""

    def change(plan):
        for r in plan["resources"]:
            if r["name"] == name:
                r["props"]["rules"].append(rule)

    return change


def _alias(name, type_, **props):
    """A copy of a resource declared through the aws.alb alias module (a distinct type token)."""

    def change(plan):
        original = next(r for r in plan["resources"] if r["name"] == name)
        clone = {**original, "type": type_, "name": f"{name}-alias", "urn": original["urn"] + "-alias"}
        clone["props"] = {**original["props"], **props}
        plan["resources"].append(clone)

    return change


def _append_armor(rule):
    return _append(ARMOR, rule)


# A token quota as the program writes it: each request costs 0, the response its token usage.
TOKEN_QUOTA_RULE = {
    "limit": {"requests": 50000, "unit": "Minute"},
    "shared": True,
    "cost": {
        "request": {"from": "Number", "number": 0},
        "response": {"from": "Metadata", "metadata": {"namespace": "io.envoy.ai_gateway", "key": "llm_total_token"}},
    },
}


CASES = {
    "WAF-02": [
        Case(
            "size-body-may-count",
            set_(
                ACL,
                "rules.0.statement.managedRuleGroupStatement.ruleActionOverrides",
                [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}],
            ),
        ),
        Case(
            "override-to-count",
            set_(
                ACL,
                "rules.0.statement.managedRuleGroupStatement.ruleActionOverrides",
                [
                    {"name": "CrossSiteScripting_BODY", "actionToUse": {"count": {}}},
                    {"name": "GenericRFI_BODY", "actionToUse": {"allow": {}}},
                ],
            ),
            {
                ACL: [
                    "managed rule group 'AWSManagedRulesCommonRuleSet' overrides ['CrossSiteScripting_BODY', "
                    "'GenericRFI_BODY'] to count or allow; expected only ['SizeRestrictions_BODY']"
                ]
            },
        ),
        Case(
            "scoped-to-admin",
            set_(
                ACL,
                "rules.2.statement.managedRuleGroupStatement.scopeDownStatement",
                {"byteMatchStatement": {**STARTS_WITH_V1["byteMatchStatement"], "searchString": "/admin"}},
            ),
            {
                ACL: [
                    "managed rule group 'AWSManagedRulesAmazonIpReputationList' has a scopeDownStatement that skips "
                    f"{PATHS}; expected every API path",
                ]
            },
        ),
        Case(
            "excluded-rules",
            set_(ACL, "rules.1.statement.managedRuleGroupStatement.excludedRules", [{"name": "Log4JRCE"}]),
            {
                ACL: [
                    "managed rule group 'AWSManagedRulesKnownBadInputsRuleSet' overrides ['Log4JRCE'] to count or "
                    "allow; expected only []"
                ]
            },
        ),
    ],
    "WAF-03": [
        Case(
            "window-300-scaled", chain(set_(ACL, f"{RATE}.evaluationWindowSec", 300), set_(ACL, f"{RATE}.limit", 3000))
        ),
        Case(
            "or-of-both-shapes",
            set_(ACL, f"{RATE}.scopeDownStatement", {"orStatement": {"statements": [STARTS_WITH_V1, CONTAINS_V1]}}),
        ),
        Case(
            "only-v1-prefix",  # the prod bug: /v1 matched, /<model>/v1 not
            set_(ACL, f"{RATE}.scopeDownStatement", STARTS_WITH_V1),
            {
                ACL: [
                    "no blocking rate-based rule counts requests to ['/example-model/v1/chat/completions']; "
                    "expected its scope-down to match every API path"
                ]
            },
        ),
        Case(
            "limit-never-fires",
            set_(ACL, f"{RATE}.limit", 2_000_000),
            {
                ACL: [
                    "rule 'rate-limit-v1' allows 2000000 requests/min per client; expected at most 600 "
                    "(edge.rateLimitPerMinute, ceiling 6000)"
                ]
            },
        ),
        Case(
            "default-window-hides-high-limit",
            chain(drop(ACL, f"{RATE}.evaluationWindowSec"), set_(ACL, f"{RATE}.limit", 20_000)),
            {
                ACL: [
                    "rule 'rate-limit-v1' allows 4000 requests/min per client; expected at most 600 "
                    "(edge.rateLimitPerMinute, ceiling 6000)"
                ]
            },
        ),
        Case(
            "config-raised-too",
            chain(config("targets.0.edge.rateLimitPerMinute", 100_000), set_(ACL, f"{RATE}.limit", 100_000)),
            {
                ACL: [
                    "rule 'rate-limit-v1' allows 100000 requests/min per client; expected at most 6000 "
                    "(edge.rateLimitPerMinute, ceiling 6000)"
                ]
            },
        ),
        Case(
            "global-key",
            set_(ACL, f"{RATE}.aggregateKeyType", "CONSTANT"),
            {
                ACL: [
                    "no blocking per-client rateBasedStatement rule; expected a rate-based rule on the inference paths",
                    "rule 'rate-limit-v1' aggregates on CONSTANT (not each client's own address); expected "
                    "aggregateKeyType 'IP'",
                ]
            },
        ),
        Case(
            "forwarded-ip-key",
            chain(
                set_(ACL, f"{RATE}.aggregateKeyType", "FORWARDED_IP"),
                set_(ACL, f"{RATE}.forwardedIpConfig", {"headerName": "X-Forwarded-For", "fallbackBehavior": "MATCH"}),
            ),
            {
                ACL: [
                    "no blocking per-client rateBasedStatement rule; expected a rate-based rule on the inference paths",
                    "rule 'rate-limit-v1' aggregates on FORWARDED_IP (a header clients write); expected "
                    "aggregateKeyType 'IP'",
                ]
            },
        ),
        Case(
            "custom-keys-with-ip",
            chain(
                set_(ACL, f"{RATE}.aggregateKeyType", "CUSTOM_KEYS"),
                set_(
                    ACL,
                    f"{RATE}.customKeys",
                    [{"ip": {}}, {"uriPath": {"textTransformations": [{"priority": 0, "type": "NONE"}]}}],
                ),
            ),
        ),
        Case(
            "header-scope",
            set_(
                ACL,
                f"{RATE}.scopeDownStatement",
                {
                    "byteMatchStatement": {
                        **STARTS_WITH_V1["byteMatchStatement"],
                        "fieldToMatch": {"singleHeader": {"name": "x-rate"}},
                    }
                },
            ),
            {
                ACL: [
                    f"no blocking rate-based rule counts requests to {PATHS}; expected its scope-down to match every API path"
                ]
            },
        ),
    ],
    "WAF-05": [
        Case("baseline"),
        Case("allow-list-after-groups", _append(ACL, {**ALLOW_IPS, "priority": 20})),
        Case(
            "allow-all-first",
            _append(ACL, ALLOW_ALL),
            {ACL: ["rule 'allow-everything' (priority 0) allows every request; expected no allow-all rule"]},
        ),
        Case(
            "allow-list-before-groups",
            chain(_append(ACL, {**ALLOW_IPS, "priority": 0}), set_(ACL, "rules.0.priority", 5)),
            {
                ACL: [
                    "rule 'partners' (priority 0) allows requests before the managed rule groups (priority 1); "
                    "expected allow rules after them"
                ]
            },
        ),
    ],
    "ALB-02": [
        Case(
            "alb-alias-type-weak-policy",
            _alias("aws1-https", "aws:alb/listener:Listener", sslPolicy="ELBSecurityPolicy-2016-08"),
            {
                "aws1-https-alias": [
                    "sslPolicy is 'ELBSecurityPolicy-2016-08'; expected a TLS 1.2+ policy such as "
                    "'ELBSecurityPolicy-TLS13-1-2-2021-06'"
                ]
            },
        ),
    ],
    "ALB-12": [
        Case("baseline"),
        Case("explicit-append", set_(ALB, "xffHeaderProcessingMode", "append")),
        Case(
            "preserve",
            set_(ALB, "xffHeaderProcessingMode", "preserve"),
            {ALB: ["xffHeaderProcessingMode is 'preserve'; expected one of ['append']"]},
        ),
    ],
    "WAF-04": [
        Case(
            "keeps-blocked-only",
            set_(
                "aws1-waf-logging",
                "loggingFilter",
                {
                    "defaultBehavior": "DROP",
                    "filters": [
                        {
                            "behavior": "KEEP",
                            "requirement": "MEETS_ANY",
                            "conditions": [{"actionCondition": {"action": "BLOCK"}}],
                        }
                    ],
                },
            ),
        ),
        Case(
            "drops-everything",
            set_(
                "aws1-waf-logging",
                "loggingFilter",
                {
                    "defaultBehavior": "DROP",
                    "filters": [
                        {
                            "behavior": "DROP",
                            "requirement": "MEETS_ANY",
                            "conditions": [{"actionCondition": {"action": "ALLOW"}}],
                        }
                    ],
                },
            ),
            {
                "aws1-waf-logging": ["loggingFilter drops every record (defaultBehavior DROP, no KEEP filter)"],
                ACL: [
                    "no aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration with a log destination for this web ACL"
                ],
            },
        ),
    ],
    "WAF-06": [
        Case("baseline"),
        Case(
            "upper-case-names",
            set_(
                "aws1-waf-logging",
                "redactedFields",
                [{"singleHeader": {"name": "Authorization"}}, {"singleHeader": {"name": "X-Api-Key"}}],
            ),
        ),
        Case(
            "keys-in-logs",
            set_("aws1-waf-logging", "redactedFields", [{"singleHeader": {"name": "authorization"}}]),
            {
                "aws1-waf-logging": [
                    "redactedFields does not redact ['x-api-key']; expected every API-key header redacted"
                ]
            },
        ),
    ],
    "ALB-10": [
        Case("baseline"),
        Case(
            "alb-alias-type-fail-open",
            _alias(ALB, "aws:alb/loadBalancer:LoadBalancer", enableWafFailOpen=True),
            {f"{ALB}-alias": ["enableWafFailOpen is true; expected false"]},
        ),
        Case("explicit-off", set_(ALB, "enableWafFailOpen", False)),
        Case("fail-open", set_(ALB, "enableWafFailOpen", True), {ALB: ["enableWafFailOpen is true; expected false"]}),
    ],
    "ALB-07": [
        Case(
            "custom-strong",
            chain(
                set_(SSL, "profile", "CUSTOM"),
                set_(
                    SSL,
                    "customFeatures",
                    ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
                ),
            ),
        ),
        Case(
            "custom-weak",
            chain(
                set_(SSL, "profile", "CUSTOM"),
                set_(
                    SSL,
                    "customFeatures",
                    [
                        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                        "TLS_RSA_WITH_AES_128_CBC_SHA",
                        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
                    ],
                ),
            ),
            {
                SSL: [
                    "customFeatures include ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'] (no "
                    "forward secrecy or not AEAD); expected only ECDHE AES-GCM/ChaCha20"
                ]
            },
        ),
    ],
    "ARMOR-02": [
        Case(
            "tuned-signatures",
            set_(
                ARMOR,
                "rules.0.preconfiguredWafConfig",
                {
                    "exclusions": [
                        {
                            "targetRuleSet": "sqli-v33-stable",
                            "targetRuleIds": ["owasp-crs-v030301-id942421-sqli"],
                            "requestHeaders": [{"operator": "EQUALS", "value": "cookie"}],
                        }
                    ]
                },
            ),
        ),
        Case(
            "two-opt-outs",
            set_(
                ARMOR,
                "rules.0.match.expr.expression",
                "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 2, 'opt_out_rule_ids': "
                "['owasp-crs-v030301-id942421-sqli', 'owasp-crs-v030301-id942432-sqli']})",
            ),
        ),
        Case(
            "opt-out-of-most",
            set_(
                ARMOR,
                "rules.2.match.expr.expression",
                "evaluatePreconfiguredExpr('lfi-v33-stable', ["
                + ", ".join(f"'owasp-crs-v030301-id93{n}-lfi'" for n in range(3100, 3106))
                + "])",
            ),
            {
                ARMOR: [
                    "the lfi rule (local file inclusion) has 6 signatures opted out (at most 4); expected sensitivity "
                    "1-4 and no blanket exclusion"
                ]
            },
        ),
        Case(
            "json-parsing-off",
            set_(ARMOR, "advancedOptionsConfig.jsonParsing", "DISABLED"),
            {
                ARMOR: [
                    "advancedOptionsConfig.jsonParsing is 'DISABLED': the WAF rules do not see inside JSON request "
                    "bodies (every inference request); expected 'STANDARD'"
                ]
            },
        ),
        Case(
            "sensitivity-0",
            set_(
                ARMOR, "rules.1.match.expr.expression", "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 0})"
            ),
            {
                ARMOR: [
                    "the xss rule (cross-site scripting) has sensitivity 0 (every signature off); expected "
                    "sensitivity 1-4 and no blanket exclusion"
                ]
            },
        ),
        Case(
            "negated",
            set_(ARMOR, "rules.0.match.expr.expression", "!evaluatePreconfiguredWaf('sqli-v33-stable')"),
            {ARMOR: ["no enforced deny rule with evaluatePreconfiguredWaf('sqli-...') (SQL injection); expected one"]},
        ),
        Case(
            "narrowed",
            set_(
                ARMOR,
                "rules.2.match.expr.expression",
                "evaluatePreconfiguredWaf('lfi-v33-stable') && request.path.startsWith('/nothing')",
            ),
            {
                ARMOR: [
                    "no enforced deny rule with evaluatePreconfiguredWaf('lfi-...') (local file inclusion); expected one"
                ]
            },
        ),
        Case(
            "blanket-exclusion",
            set_(
                ARMOR,
                "rules.3.preconfiguredWafConfig",
                {
                    "exclusions": [
                        {
                            "targetRuleSet": "rce-v33-stable",
                            "requestUris": [{"operator": "EQUALS_ANY"}],
                            "requestQueryParams": [{"operator": "EQUALS_ANY"}],
                        }
                    ]
                },
            ),
            {
                ARMOR: [
                    "the rce rule (remote code execution) has exclusions of all requestUris, requestQueryParams from "
                    "every signature; expected sensitivity 1-4 and no blanket exclusion"
                ]
            },
        ),
    ],
    "ARMOR-03": [
        Case(
            "per-5-minutes",
            chain(set_(ARMOR, "rules.5.rateLimitOptions.rateLimitThreshold", {"count": 3000, "intervalSec": 300})),
        ),
        Case(
            "v1-only",
            set_(ARMOR, "rules.5.match.expr.expression", "request.path.startsWith('/v1/')"),
            {
                ARMOR: [
                    "no enforced rate limit selects requests to ['/example-model/v1/chat/completions']; expected its "
                    "match to cover every API path"
                ]
            },
        ),
        Case(
            "too-high",
            set_(ARMOR, "rules.5.rateLimitOptions.rateLimitThreshold.count", 1_000_000),
            {
                ARMOR: [
                    "rule 2000 allows 1000000 requests/min per client; expected at most 600 (edge.rateLimitPerMinute, "
                    "ceiling 6000)"
                ]
            },
        ),
        Case(
            "all-clients-together",
            drop(ARMOR, "rules.5.rateLimitOptions.enforceOnKey"),
            {ARMOR: ["rule 2000 limits on ['ALL'], not per client; expected enforceOnKey 'IP'"]},
        ),
        Case(
            "client-written-key",
            set_(ARMOR, "rules.5.rateLimitOptions.enforceOnKey", "XFF_IP"),
            {ARMOR: ["rule 2000 limits on ['XFF_IP'], which clients write; expected enforceOnKey 'IP'"]},
        ),
        Case(
            "preview",
            set_(ARMOR, "rules.5.preview", True),
            {ARMOR: ["no throttle or rate_based_ban rule with rateLimitOptions; expected a rate limit"]},
        ),
    ],
    "ARMOR-04": [
        Case("baseline"),
        Case(
            "allow-list-after-waf",
            _append_armor(
                {
                    "priority": 3000,
                    "action": "allow",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["198.51.100.0/24"]}},
                }
            ),
        ),
        Case(
            "allow-all-first",
            _append_armor(
                {
                    "priority": 10,
                    "action": "allow",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["0.0.0.0/1", "128.0.0.0/1"]}},
                }
            ),
            {ARMOR: ["rule 10 allows every request ahead of the default rule; expected no allow-all rule"]},
        ),
        Case(
            "throttle-before-waf",
            set_(ARMOR, "rules.5.priority", 900),
            {
                ARMOR: [
                    "rule 900 (throttle) lets requests through before the WAF rules (priority 1000); expected it after them"
                ]
            },
        ),
    ],
    "ARMOR-05": [
        Case("baseline"),
        Case("dev-exempt", chain(config("environment", "dev"), drop(ARMOR, "adaptiveProtectionConfig"))),
        Case(
            "off",
            set_(ARMOR, "adaptiveProtectionConfig.layer7DdosDefenseConfig.enable", False),
            {ARMOR: ["adaptiveProtectionConfig.layer7DdosDefenseConfig.enable is not true; expected true"]},
        ),
    ],
    "EDGE-04": [
        Case("engine-on-lowercase", set_(WAF, f"{DIRECTIVES}.1", "SecRuleEngine on")),
        Case(
            "detection-only",
            set_(WAF, f"{DIRECTIVES}.1", "SecRuleEngine DetectionOnly"),
            {
                "dc1-waf": [
                    "Coraza filter 'coraza-owasp-crs' runs SecRuleEngine DetectionOnly; expected 'SecRuleEngine On' "
                    "after the includes"
                ],
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no blocking Coraza/OWASP CRS EnvoyExtensionPolicy"
                ],
            },
        ),
        Case(
            "recommended-conf-last",  # the recommended conf sets DetectionOnly; On must come after it
            set_(
                WAF,
                DIRECTIVES,
                ["SecRuleEngine On", "Include @recommended-conf", "SecRuleEngine Off", "Include @owasp_crs/*.conf"],
            ),
            {
                "dc1-waf": [
                    "Coraza filter 'coraza-owasp-crs' runs SecRuleEngine Off; expected 'SecRuleEngine On' after the includes"
                ],
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no blocking Coraza/OWASP CRS EnvoyExtensionPolicy"
                ],
            },
        ),
        Case(
            "fail-open",
            set_(WAF, "spec.wasm.0.failOpen", True),
            {
                "dc1-waf": [
                    "Coraza filter 'coraza-owasp-crs' has failOpen true (requests pass unchecked when the filter fails)"
                ],
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no blocking Coraza/OWASP CRS EnvoyExtensionPolicy"
                ],
            },
        ),
    ],
    "ALB-11": [
        Case("baseline"),
        Case(
            "internal-backend",
            chain(set_("gcp1-backend", "loadBalancingScheme", "INTERNAL_MANAGED"), drop("gcp1-backend", "logConfig")),
        ),
        Case(
            "logging-off",
            set_("gcp1-backend", "logConfig.enable", False),
            {"gcp1-backend": ["logConfig.enable is not true on an external backend; expected true"]},
        ),
    ],
    "EDGE-01": [
        Case("tls13-minimum", set_(DC1_CLIENT, "spec.tls.minVersion", "1.3")),
        Case(
            "tls10-minimum",
            set_(DC1_CLIENT, "spec.tls.minVersion", "1.0"),
            {DC1_CLIENT: ["spec.tls.minVersion is '1.0'; expected '1.2' or '1.3'"]},
        ),
    ],
    "EDGE-03": [
        Case(
            "token-quota-beside-request-limit",
            set_("dc1-rate-limit", "spec.rateLimit.global", {"rules": [TOKEN_QUOTA_RULE]}),
        ),
        Case(
            "only-a-token-quota",
            set_("dc1-rate-limit", "spec.rateLimit.local.rules", [TOKEN_QUOTA_RULE]),
            {
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no BackendTrafficPolicy with rateLimit rules "
                    "within the edge's limit"
                ],
            },
        ),
        Case(
            "request-cost-from-metadata",
            set_(
                "dc1-rate-limit",
                "spec.rateLimit.local.rules.0.cost",
                {"request": {"from": "Metadata", "metadata": {"namespace": "x", "key": "y"}}},
            ),
            {
                "dc1-rate-limit": [
                    "a rateLimit rule allows None requests/min; expected at most 600 (edge.rateLimitPerMinute, "
                    "ceiling 6000)"
                ],
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no BackendTrafficPolicy with rateLimit rules "
                    "within the edge's limit"
                ],
            },
        ),
        Case(
            "per-second-within",
            set_("dc1-rate-limit", "spec.rateLimit.local.rules.0.limit", {"requests": 5, "unit": "Second"}),
        ),
        Case(
            "never-fires",
            set_("dc1-rate-limit", "spec.rateLimit.local.rules.0.limit.requests", 1_000_000),
            {
                "dc1-rate-limit": [
                    "a rateLimit rule allows 1000000 requests/min; expected at most 600 (edge.rateLimitPerMinute, "
                    "ceiling 6000)"
                ],
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no BackendTrafficPolicy with rateLimit rules "
                    "within the edge's limit"
                ],
            },
        ),
    ],
    "EDGE-05": [
        Case("baseline"),
        Case("onprem-unset", drop(DC1_CLIENT, "spec.clientIPDetection")),
        Case(
            "two-hops-behind-alb",
            set_(AWS_CLIENT, "spec.clientIPDetection.xForwardedFor.numTrustedHops", 2),
            {
                AWS_CLIENT: [
                    "spec.clientIPDetection.xForwardedFor.numTrustedHops is 2; expected at most 1 (aws target: 1 "
                    "proxies in front)"
                ]
            },
        ),
        Case(
            "onprem-trusts-xff",
            set_(DC1_CLIENT, "spec.clientIPDetection", {"xForwardedFor": {"numTrustedHops": 1}}),
            {
                DC1_CLIENT: [
                    "spec.clientIPDetection.xForwardedFor.numTrustedHops is 1; expected at most 0 (onprem target: 0 "
                    "proxies in front)"
                ]
            },
        ),
        Case(
            "trust-every-address",
            set_(AWS_CLIENT, "spec.clientIPDetection.xForwardedFor", {"trustedCIDRs": ["0.0.0.0/0"]}),
            {
                AWS_CLIENT: [
                    "spec.clientIPDetection.xForwardedFor.trustedCIDRs ['0.0.0.0/0'] trust every address; expected the "
                    "LB's ranges"
                ]
            },
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
