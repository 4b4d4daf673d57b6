"""SUPPLY-10: Helm values turn on no anonymous access (Grafana auth.anonymous)."""

from policy.props import get, is_map
from policy.rules._walk import find_keyed
from policy.rules.base import resource_rule


def _anonymous_on(path, key, value) -> bool:
    """Grafana's auth.anonymous section (or an ``anonymous`` key) turned on."""
    return str(key) in ("auth.anonymous", "anonymous") and (get(value, "enabled") in (True, "true") or value is True)


@resource_rule(
    id="SUPPLY-10",
    title="Helm values turn on no anonymous access (Grafana auth.anonymous)",
    severity="high",
    category="security",
    types=("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
    remediation="Remove grafana.ini auth.anonymous (or set enabled false): dashboards, datasources and with 'Admin' "
    "every setting would be open to anyone who reaches Grafana.",
    references=("custom",),
    doc="https://grafana.com/docs/grafana/latest/setup-grafana/configure-security/configure-authentication/grafana/",
)
def disallow_anonymous_access(resource, ctx):
    for where, _, value in find_keyed(get(resource.props, "values") or {}, _anonymous_on, "values"):
        role = get(value, "org_role") if is_map(value) else None
        yield f"{where} is enabled{f' with role {role!r}' if role else ''}; expected anonymous access off"
