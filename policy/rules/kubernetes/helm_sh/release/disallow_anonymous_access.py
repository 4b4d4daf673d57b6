"""SUPPLY-10: Helm values turn on no anonymous access (Grafana auth.anonymous)."""

from policy.props import as_list, get, is_list, is_map
from policy.rules.base import resource_rule


def _anonymous(node, path):
    if is_map(node):
        for key in node:
            value, where = node[key], f"{path}.{key}"
            if str(key) in ("auth.anonymous", "anonymous") and (
                get(value, "enabled") in (True, "true") or value is True
            ):
                role = get(value, "org_role") if is_map(value) else None
                yield f"{where} is enabled{f' with role {role!r}' if role else ''}; expected anonymous access off"
            else:
                yield from _anonymous(value, where)
    elif is_list(node):
        for index, item in enumerate(as_list(node)):
            yield from _anonymous(item, f"{path}[{index}]")


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
    yield from _anonymous(get(resource.props, "values") or {}, "values")
