"""ALB-09: GCP plain-HTTP proxies only redirect to HTTPS."""

from policy.props import get
from policy.rules._helpers import refers_to, resource_names
from policy.rules.base import Violation, stack_rule

URL_MAP = "gcp:compute/uRLMap:URLMap"


@stack_rule(
    id="ALB-09",
    title="GCP plain-HTTP proxies only redirect to HTTPS",
    severity="high",
    category="security",
    types=("gcp:compute/targetHttpProxy:TargetHttpProxy", URL_MAP),
    remediation="Point the HTTP proxy at a URL map whose defaultUrlRedirect is {httpsRedirect: true, "
    "redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT'} and no backends.",
    references=("CKV2_AWS_20", "custom"),
)
def enforce_https_redirect(ctx):
    maps = [(m, resource_names(m, "name")) for m in ctx.of_type(URL_MAP)]
    for proxy in ctx.of_type("gcp:compute/targetHttpProxy:TargetHttpProxy"):
        ref = get(proxy.props, "urlMap")
        target = next((m for m, names in maps if refers_to(ref, names)), None)
        if target is None:
            yield Violation(f"urlMap {ref!r} is not a URL map of this stack; expected an HTTPS-redirect map", proxy.urn)
        elif get(target.props, "defaultUrlRedirect.httpsRedirect") is not True or get(target.props, "pathMatchers"):
            yield Violation(
                f"URL map '{target.name}' serves plain HTTP; expected defaultUrlRedirect.httpsRedirect true", proxy.urn
            )
