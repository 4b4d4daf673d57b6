"""AWS policy documents read for what they grant (not a rule: modules starting with '_' are skipped).

Every IAM, KMS, S3, SQS, SNS, ECR, Secrets Manager and CloudWatch Logs policy document, given
as a JSON string or an object, with ``Statement`` as one object or a list, becomes a list of
:class:`Statement` with principals, actions, resources and conditions normalised. Rules ask
what a statement does: is it public (``*`` / ``{"AWS": "*"}`` / ``NotPrincipal``) without a
condition that really narrows the caller; which accounts its principals belong to; does it
grant every action of a service on every resource.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policy.context import PlanContext, Resource
from policy.props import as_list, get, is_list, is_map
from policy.rules._helpers import cidrs_open

IDENTITY_POLICIES: dict[str, tuple[str, ...]] = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("inlinePolicies[].policy",),
}
"""Policies attached to an identity: what it may do."""

TRUST_POLICIES: dict[str, tuple[str, ...]] = {"aws:iam/role:Role": ("assumeRolePolicy",)}
"""Who may assume a role."""

RESOURCE_POLICIES: dict[str, tuple[str, ...]] = {
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:s3/bucket:Bucket": ("policy",),
    "aws:kms/key:Key": ("policy",),
    "aws:kms/keyPolicy:KeyPolicy": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy",),
    "aws:ecr/registryPolicy:RegistryPolicy": ("policy",),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy",),
    "aws:secretsmanager/secret:Secret": ("policy",),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument",),
}
"""Policies attached to a resource: who may use it."""

RESTRICTING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalServiceName",
        "aws:userid",
        "aws:VpcSourceIp",
        "kms:CallerAccount",
    )
)
"""Condition keys that narrow *who* the caller is (or where from); others (aws:SecureTransport,
kms:ViaService, s3:prefix, ...) say nothing about the caller."""

NARROWING_OPERATORS = frozenset(
    ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress")
)
"""Operators that admit only matching values. Negations (StringNotEquals ...) and ``...IfExists``
(true when the key is absent) admit everyone else; ``ForAllValues:`` is true for an empty set."""

ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:(?:iam|sts)::)?(\d{12})(?::|$)")


@dataclass(frozen=True)
class Condition:
    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str
    effect: str
    principal: Any
    """The Principal (or NotPrincipal) as written; None when absent (identity policies)."""
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    @property
    def label(self) -> str:
        return f"Statement[{self.index}]" + (f" ({self.sid})" if self.sid else "")

    def principals(self, kind: str | None = None) -> list[str]:
        """Principal values of one kind ('AWS', 'Service', 'Federated'), or all; '*' stays '*'."""
        if self.principal == "*":
            return ["*"]
        if not is_map(self.principal):
            return []
        out = []
        for key, value in self.principal.items():
            if kind is None or key == kind:
                out.extend(str(v) for v in as_list(value))
        return out

    @property
    def public_principal(self) -> bool:
        """Does the statement name everyone ('*', {"AWS": "*"}, 'arn:aws:iam::*:root', or NotPrincipal)?"""
        if self.not_principal:
            return True
        if self.principal == "*":
            return True
        return any(v == "*" or ("*" in v and v.startswith("arn:")) for v in self.principals())

    @property
    def every_resource(self) -> bool:
        """Resource '*', or a NotResource (everything but the listed ones)."""
        return self.not_resource or "*" in self.resources

    def restriction(self) -> Condition | None:
        """The first condition that really narrows the caller, if any."""
        for cond in self.conditions:
            op = cond.operator
            if ":" in op:  # ForAnyValue:StringEquals narrows; ForAllValues: is true on an empty set
                qualifier, _, op = op.partition(":")
                if qualifier != "ForAnyValue":
                    continue
            if op not in NARROWING_OPERATORS or cond.key.lower() not in RESTRICTING_KEYS:
                continue
            if not cond.values or any(_wildcard_value(v, cond.key) for v in cond.values):
                continue
            if op == "IpAddress" and cidrs_open(list(cond.values)):
                continue
            return cond
        return None

    def grants(self, action: str) -> bool:
        """Does an Allow statement grant ``action`` (patterns, case-insensitive; NotAction inverted)?"""
        if not self.allows:
            return False
        hit = any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in self.actions)
        return not hit if self.not_action else hit


ID_KEYS = frozenset(
    k.lower()
    for k in ("aws:SourceAccount", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:SourceOrgID", "kms:CallerAccount")
)
"""Keys whose value is one id: any wildcard in it ('o-*', '1234*') admits strangers."""


def _wildcard_value(value: str, key: str = "") -> bool:
    """A condition value that matches anything ('*', '?', 'arn:aws:iam::*:*', or a partial id)."""
    stripped = value.strip()
    if stripped in ("", "*", "?") or set(stripped) <= {"*", "?"}:
        return True
    if key.lower() in ID_KEYS and ("*" in stripped or "?" in stripped):
        return True
    if stripped.startswith("arn:"):
        parts = stripped.split(":")
        # An ARN with a wildcard account matches callers of any account.
        return len(parts) >= 6 and ("*" in parts[4] or (parts[4] == "" and parts[5].strip("/*") == ""))
    return False


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in as_list(value) if v is not None)


def parse(value: Any) -> list[Statement] | None:
    """Statements of a policy document (JSON string or mapping); None if absent or unreadable."""
    doc: Any = value
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            return None
        try:
            doc = json.loads(text)
        except ValueError:
            return None
    if not is_map(doc):
        return None
    raw = doc.get("Statement")
    items = [raw] if is_map(raw) else (list(raw) if is_list(raw) else [])
    out = []
    for index, st in enumerate(items):
        if not is_map(st):
            continue
        conditions = []
        for operator, block in (st.get("Condition") or {}).items() if is_map(st.get("Condition")) else []:
            if is_map(block):
                for key, values in block.items():
                    conditions.append(Condition(str(operator), str(key), _strings(values)))
        not_principal = "NotPrincipal" in st
        out.append(
            Statement(
                index=index,
                sid=str(st.get("Sid") or ""),
                effect=str(st.get("Effect") or ""),
                principal=st.get("NotPrincipal") if not_principal else st.get("Principal"),
                not_principal=not_principal,
                actions=_strings(st.get("NotAction") if "NotAction" in st else st.get("Action")),
                not_action="NotAction" in st,
                resources=_strings(st.get("NotResource") if "NotResource" in st else st.get("Resource")),
                not_resource="NotResource" in st,
                conditions=tuple(conditions),
            )
        )
    return out


def documents(resource: Resource, table: Mapping[str, tuple[str, ...]]) -> Iterator[tuple[str, list[Statement]]]:
    """(prop path, statements) of every policy document a resource carries, per ``table``."""
    for path in table.get(resource.type, ()):
        key = f"policy-documents:{path}"
        found = resource.cache.get(key)
        if found is None:  # parsed once per resource, whichever rule asks first
            found = []
            if "[]." in path:
                head, _, tail = path.partition("[].")
                for index, item in enumerate(as_list(get(resource.props, head))):
                    statements = parse(get(item, tail))
                    if statements:
                        found.append((f"{head}[{index}].{tail}", statements))
            else:
                statements = parse(get(resource.props, path))
                if statements:
                    found.append((path, statements))
            resource.cache[key] = found
        yield from found


def account_of(principal: str) -> str | None:
    """The account of an AWS principal ('123456789012', an IAM/STS ARN, an OIDC provider ARN)."""
    match = ACCOUNT.match(principal)
    return match.group(1) if match else None


# ---------------------------------------------------------------------------
# The stack's own accounts
# ---------------------------------------------------------------------------

ELB_LOG_DELIVERY_ACCOUNTS = frozenset(
    (
        "127311923021", "033677994240", "027434742980", "797873946194", "985666609251", "054676820928",
        "156460612806", "652711504416", "009996457667", "897822967062", "635631232127", "582318560864",
        "600734575887", "383597477331", "114774131450", "783225319266", "718504428378", "507241528517",
        "098369216593", "754344448648", "589379963580", "076674570225", "048591011584", "190560391635",
    )
)  # fmt: skip
"""Elastic Load Balancing's log-delivery account of each region opened before August 2022: the
principal an ALB access-log bucket policy must name. Source: AWS, "Enable access logs for your
Application Load Balancer", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"""


def stack_accounts(ctx: PlanContext) -> frozenset[str]:
    """The AWS accounts this stack lives in or names on purpose.

    Anchors an edit cannot point elsewhere without breaking the stack: the account of each EKS
    cluster's role (EKS requires it in the cluster's own account), plus the accounts of the
    operators in the reviewed config's ``adminRoleArns``.
    """

    def build() -> frozenset[str]:
        found: set[str] = set()
        for cluster in ctx.of_type("aws:eks/cluster:Cluster"):
            if account := account_of(str(get(cluster.props, "roleArn") or "")):
                found.add(account)
        if not found:
            return frozenset()  # no anchor (a lone resource under CrossGuard): the account cannot be told
        for target in ctx.settings.targets:
            for arn in as_list(target.get("adminRoleArns")):
                if account := account_of(str(arn)):
                    found.add(account)
        return frozenset(found)

    return ctx.memo("iam:stack-accounts", build)


def admin_role_arns(ctx: PlanContext, resource: Resource) -> set[str]:
    """``adminRoleArns`` of the resource's target (all AWS targets' when it cannot be told)."""
    target = ctx.settings.target(ctx.target_of(resource))
    targets = [target] if target else [t for t in ctx.settings.targets if t.get("kind") == "aws"]
    return {str(a) for t in targets for a in as_list(t.get("adminRoleArns"))}


# ---------------------------------------------------------------------------
# GCP IAM: member, binding and policy resources of every service
# ---------------------------------------------------------------------------

GCP_HIGH_LEVEL_IAM = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:projects/iAMPolicy:IAMPolicy",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:organizations/iAMBinding:IAMBinding",
    "gcp:organizations/iAMPolicy:IAMPolicy",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:folder/iAMBinding:IAMBinding",
    "gcp:folder/iAMPolicy:IAMPolicy",
)
"""Grants on a whole project, folder or organisation."""

_GCP_IAM_TYPE = re.compile(r"^gcp:[^:]+:[A-Za-z]*I[Aa][Mm](Member|Binding|Policy)$")


def is_gcp_iam(type_: str) -> bool:
    """An IAM member/binding/policy resource of any GCP service ('gcp:pubsub/topicIAMMember:TopicIAMMember')."""
    return bool(_GCP_IAM_TYPE.match(type_))


def gcp_grants(resource: Resource) -> list[tuple[str, str]]:
    """(role, member) of every grant a GCP IAM resource makes (member, members or policyData bindings)."""
    props = resource.props
    if resource.type.endswith("Policy"):
        data = get(props, "policyData")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                return []
        return [
            (str(get(b, "role")), str(m)) for b in as_list(get(data, "bindings")) for m in as_list(get(b, "members"))
        ]
    role = str(get(props, "role") or "")
    members = [str(m) for m in as_list(get(props, "members"))]
    if get(props, "member"):
        members.append(str(get(props, "member")))
    return [(role, m) for m in members]


# ---------------------------------------------------------------------------
# What an IAM role may do: its inline policies, RolePolicies and Role inlinePolicies
# ---------------------------------------------------------------------------


def without_suffix(name: str) -> str:
    """A role's name without Pulumi's auto-name or a mock id suffix ('server-1a2b3c4' -> 'server')."""
    return re.sub(r"-[0-9a-f]{7,8}$", "", name)


def role_name(arn: str) -> str:
    return re.sub(r"^.*:role/(?:.*/)?", "", arn)


def role_grants(ctx: PlanContext, role_arn: str, actions: tuple[str, ...]) -> list[str]:
    """Which of ``actions`` the role an ARN names is allowed (memoized per role and action list)."""
    cache = ctx.memo("iam:role-grants", dict)
    key = (role_arn, actions)
    if key not in cache:
        statements = role_statements(ctx, role_arn)
        cache[key] = [a for a in actions if any(st.grants(a) for st in statements)]
    return cache[key]


def role_statements(ctx: PlanContext, role_arn: str) -> list[Statement]:
    """Allow statements of every identity policy attached inline to the role an ARN names."""

    def build() -> dict[str, list[Statement]]:
        by_name: dict[str, list[Statement]] = {}
        for carrier in ctx.of_type(*IDENTITY_POLICIES):
            allows = [st for _, sts in documents(carrier, IDENTITY_POLICIES) for st in sts if st.allows]
            if not allows:
                continue
            if carrier.type == "aws:iam/role:Role":
                from policy.rules._helpers import resource_names

                names = resource_names(carrier, "name")
            else:
                names = {str(get(carrier.props, "role") or "")}
            for name in {n for raw in names for n in (raw, without_suffix(raw))}:
                by_name.setdefault(name, []).extend(allows)
        return {name: list(dict.fromkeys(sts)) for name, sts in by_name.items()}  # equal statements once

    index = ctx.memo("iam:role-statements", build)
    name = role_name(role_arn)
    return index.get(name) or index.get(without_suffix(name)) or []
