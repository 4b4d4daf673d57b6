"""ARMOR-02: Cloud Armor policies deny SQLi, XSS, LFI, RCE and Log4j with preconfigured WAF rules."""

import re

from policy.props import as_list, get
from policy.rules.base import resource_rule

FAMILIES = {
    "sqli": "SQL injection",
    "xss": "cross-site scripting",
    "lfi": "local file inclusion",
    "rce": "remote code execution",
    "cve-canary": "Log4j (CVE-2021-44228)",
}


@resource_rule(
    id="ARMOR-02",
    title="Cloud Armor policies deny SQLi, XSS, LFI, RCE and Log4j with preconfigured WAF rules",
    severity="high",
    category="security",
    types=("gcp:compute/securityPolicy:SecurityPolicy",),
    remediation="Add deny(403) rules with match.expr.expression \"evaluatePreconfiguredWaf('<family>-v33-stable')\" "
    "for sqli, xss, lfi, rce and cve-canary, not in preview mode.",
    references=("CKV_GCP_73", "custom"),
)
def enable_preconfigured_waf(resource, ctx):
    covered = set()
    for rule in as_list(get(resource.props, "rules")):
        if get(rule, "preview") is True or not str(get(rule, "action") or "").startswith("deny"):
            continue
        expression = str(get(rule, "match.expr.expression") or "")
        if "evaluatePreconfigured" not in expression:
            continue
        for family in FAMILIES:
            # 'sqli-v33-stable', 'sqli-v422-stable', 'cve-canary': the family, then an optional version
            if re.search(rf"['\"]{re.escape(family)}(-[a-z0-9-]+)?['\"]", expression):
                covered.add(family)
    for family, label in FAMILIES.items():
        if family not in covered:
            yield f"no enforced deny rule with evaluatePreconfiguredWaf('{family}-...') ({label}); expected one"
