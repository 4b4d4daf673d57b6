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
# One evaluatePreconfiguredWaf/Expr call and nothing else: no '!' in front, no '&&' narrowing it.
_CALL = re.compile(r"^\s*evaluatePreconfigured(?:Waf|Expr)\(\s*['\"]([a-z0-9-]+)['\"]\s*(?:,(.*))?\)\s*$", re.S)
_SENSITIVITY = re.compile(r"['\"]sensitivity['\"]\s*:\s*(\d+)")
_FIELDS = ("requestHeaders", "requestCookies", "requestUris", "requestQueryParams")
_SIGNATURE = re.compile(r"owasp-crs-v\d+-id\d+-[a-z]+|cve-canary-[a-z0-9-]+")
MAX_OPT_OUTS = 4
"""Signatures a rule may opt out of (tuning false positives); more switches most of a family off
(the lfi family has only a handful of signatures)."""


def _family(name: str) -> str | None:
    """'sqli-v33-stable', 'sqli-v422-stable', 'cve-canary' -> the family."""
    for family in FAMILIES:
        if re.fullmatch(rf"{re.escape(family)}(-[a-z0-9-]+)?", name):
            return family
    return None


def _opted_out_fields(rule) -> list[str]:
    """Request fields a rule's preconfiguredWafConfig exclusion removes from every signature."""
    out = []
    for exclusion in as_list(get(rule, "preconfiguredWafConfig.exclusions")):
        if as_list(get(exclusion, "targetRuleIds")):
            continue  # tuning named signatures is fine
        for field in _FIELDS:
            if any(get(f, "operator") == "EQUALS_ANY" for f in as_list(get(exclusion, field))):
                out.append(field)
    return out


@resource_rule(
    id="ARMOR-02",
    title="Cloud Armor policies deny SQLi, XSS, LFI, RCE and Log4j with preconfigured WAF rules",
    severity="high",
    category="security",
    types=("gcp:compute/securityPolicy:SecurityPolicy",),
    remediation="Add deny(403) rules whose whole match.expr.expression is \"evaluatePreconfiguredWaf('<family>-v33-"
    "stable', {'sensitivity': 1..4})\" for sqli, xss, lfi, rce and cve-canary, not in preview mode, opting out of "
    f"at most {MAX_OPT_OUTS} signatures, with no exclusion of every header/cookie/URI/parameter from all signatures; "
    "advancedOptionsConfig.jsonParsing 'STANDARD' so the rules read JSON bodies.",
    references=("CKV_GCP_73", "custom"),
)
def enable_preconfigured_waf(resource, ctx):
    parsing = get(resource.props, "advancedOptionsConfig.jsonParsing") or "DISABLED"
    if parsing not in ("STANDARD", "STANDARD_WITH_GRAPHQL"):
        yield (
            f"advancedOptionsConfig.jsonParsing is {parsing!r}: the WAF rules do not see inside JSON request bodies "
            "(every inference request); expected 'STANDARD'"
        )
    covered, weakened = set(), {}
    for rule in as_list(get(resource.props, "rules")):
        if get(rule, "preview") is True or not str(get(rule, "action") or "").startswith("deny"):
            continue
        call = _CALL.match(str(get(rule, "match.expr.expression") or ""))
        family = _family(call.group(1)) if call else None
        if family is None:
            continue
        sensitivity = _SENSITIVITY.search(call.group(2) or "")
        fields = _opted_out_fields(rule)
        opt_outs = len(set(_SIGNATURE.findall(call.group(2) or "")))
        if sensitivity and int(sensitivity.group(1)) == 0:
            weakened[family] = "sensitivity 0 (every signature off)"
        elif opt_outs > MAX_OPT_OUTS:
            weakened[family] = f"{opt_outs} signatures opted out (at most {MAX_OPT_OUTS})"
        elif fields:
            weakened[family] = f"exclusions of all {', '.join(fields)} from every signature"
        else:
            covered.add(family)
    for family, label in FAMILIES.items():
        if family in covered:
            continue
        if family in weakened:
            yield f"the {family} rule ({label}) has {weakened[family]}; expected sensitivity 1-4 and no blanket exclusion"
        else:
            yield f"no enforced deny rule with evaluatePreconfiguredWaf('{family}-...') ({label}); expected one"
