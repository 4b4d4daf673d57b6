"""ALB-01: load balancer listeners serve HTTPS; HTTP only redirects to HTTPS."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="ALB-01",
    title="Load balancer listeners serve HTTPS; HTTP only redirects to HTTPS",
    severity="high",
    category="security",
    types=("aws:lb/listener:Listener", "aws:alb/listener:Listener"),  # aws.alb.Listener is the same resource
    remediation="Use protocol 'HTTPS' with certificateArn; a port-80 listener's only default action is "
    "{type: 'redirect', redirect: {protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301'}}.",
    references=("CKV_AWS_2", "CKV2_AWS_20"),
)
def enforce_https(resource, ctx):
    protocol = get(resource.props, "protocol")
    if protocol in ("HTTPS", "TLS"):
        return
    if protocol == "HTTP":
        actions = as_list(get(resource.props, "defaultActions"))
        if actions and all(get(a, "type") == "redirect" and get(a, "redirect.protocol") == "HTTPS" for a in actions):
            return
        yield "protocol is 'HTTP' and the default action is not a redirect to HTTPS; expected HTTPS or a redirect"
        return
    if protocol is None:
        yield "protocol is not set; expected 'HTTPS'"
