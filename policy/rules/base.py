"""Rule metadata, the two kinds of rule (per resource, per stack) and the value-check base.

A rule module holds exactly one rule. Its path mirrors the resource type
(``policy/rules/aws/eks/cluster/disallow_public_endpoint.py`` checks
``aws:eks/cluster:Cluster``); stack rules live under ``policy/rules/stack/``. The module name
is ``<verb>_<object>`` with the verb from :data:`VERBS`, and the policy name Pulumi shows is
the path plus verb and object (``aws-eks-cluster-disallow-public-endpoint``). Tests in
tests/policy/test_pack.py hold every rule to this.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from policy.context import PlanContext, Resource
from policy.props import MISSING, as_list, fmt, get

VERBS = ("missing", "disallow", "enable", "disable", "configure", "enforce")
SEVERITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("security", "cost", "reliability")
ID_PREFIXES = (
    "EKS", "GKE", "S3", "GCS", "KMS", "ALB", "WAF", "ARMOR", "ECR", "AR",
    "K8S", "EDGE", "SUPPLY", "COST", "REL", "POL", "IAM", "NET", "IMG", "OPS", "CAP", "CLIENT", "ROUTE",
)  # fmt: skip

Severity = Literal["low", "medium", "high", "critical"]
Category = Literal["security", "cost", "reliability"]
RULES_PACKAGE = "policy.rules"
DOCS = "https://github.com/llm-fleet/llm-fleet/blob/main/policy/README.md"


def snake(name: str) -> str:
    """``EC2NodeClass`` -> ``ec2_node_class``; ``SSLPolicy`` -> ``ssl_policy``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-zA-Z0-9]+", "_", name).strip("_").lower()


def type_path(type_: str) -> str:
    """Folder of the rules for a resource type: ``aws:eks/cluster:Cluster`` -> ``aws/eks/cluster``.

    Kubernetes types drop the API version: ``kubernetes:apps/v1:Deployment`` -> ``kubernetes/apps/deployment``,
    ``kubernetes:karpenter.sh/v1:NodePool`` -> ``kubernetes/karpenter_sh/node_pool``.
    """
    provider, module, resource = type_.split(":", 2)
    if provider == "kubernetes":
        group = module.rsplit("/", 1)[0]
        return f"kubernetes/{snake(group)}/{snake(resource)}"
    module = module.split("/", 1)[0]
    return f"{provider}/{snake(module)}/{snake(resource)}"


def registry_doc(type_: str) -> str:
    """The Pulumi Registry page of a resource type (the vendor docs link each rule carries)."""
    if type_.count(":") < 2 or "*" in type_:
        return DOCS
    provider, module, resource = type_.split(":", 2)
    if provider == "kubernetes" and not re.match(r"^(core|apps|batch|policy|networking\.k8s\.io)/", module):
        return "https://www.pulumi.com/registry/packages/kubernetes/api-docs/apiextensions/customresource/"
    if provider == "kubernetes":
        group, version = module.rsplit("/", 1)
        group = group.split(".")[0]
        return f"https://www.pulumi.com/registry/packages/kubernetes/api-docs/{group}/{version}/{resource.lower()}/"
    module = module.split("/", 1)[0]
    return f"https://www.pulumi.com/registry/packages/{provider}/api-docs/{module.lower()}/{resource.lower()}/"


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    severity: Severity
    category: Category
    resource_types: tuple[str, ...]
    """Types the rule reads; for a resource rule, the types it runs on."""
    remediation: str
    references: tuple[str, ...] = ()
    """Framework items: 'CIS EKS 1.7 5.4.1', 'CKV_AWS_39', ... ('custom' when none exists)."""
    doc: str = ""
    module: str = ""
    """Dotted module the rule lives in (set from the defining module)."""

    @property
    def rel_path(self) -> str:
        return self.module.removeprefix(RULES_PACKAGE + ".").replace(".", "/")

    @property
    def folder(self) -> str:
        return self.rel_path.rsplit("/", 1)[0]

    @property
    def verb(self) -> str:
        return self.rel_path.rsplit("/", 1)[-1].split("_", 1)[0]

    @property
    def object(self) -> str:
        return self.rel_path.rsplit("/", 1)[-1].split("_", 1)[-1]

    @property
    def name(self) -> str:
        """Policy name shown by Pulumi: path + verb + object, dash-separated."""
        return self.rel_path.replace("/", "-").replace("_", "-")

    @property
    def doc_url(self) -> str:
        if self.doc:
            return self.doc
        if self.resource_types:
            return registry_doc(self.resource_types[0])
        return f"{DOCS}#{self.id.lower()}"

    @property
    def cis(self) -> list[str]:
        return [r for r in self.references if r.startswith("CIS")]

    @property
    def checkov(self) -> list[str]:
        return [r for r in self.references if r.startswith("CKV")]


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str | None = None
    """Resource the violation is about (None: the stack as a whole)."""


class Rule:
    """Base of every rule."""

    meta: RuleMeta
    scope: Literal["resource", "stack"]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.meta.id} {self.meta.name}>"


class ResourceRule(Rule):
    """Runs on each resource of ``meta.resource_types`` alone; yields messages."""

    scope = "resource"

    def __init__(self, meta: RuleMeta, check: Callable[[Resource, PlanContext], Iterable[str]]):
        self.meta = meta
        self._check = check

    def evaluate(self, resource: Resource, ctx: PlanContext) -> list[str]:
        return [m for m in self._check(resource, ctx) or () if m]


class StackRule(Rule):
    """Runs once over the whole stack (joins resources, reads config); yields Violations."""

    scope = "stack"

    def __init__(self, meta: RuleMeta, check: Callable[[PlanContext], Iterable[Violation]]):
        self.meta = meta
        self._check = check

    def evaluate_stack(self, ctx: PlanContext) -> list[Violation]:
        return list(self._check(ctx) or ())


def _caller_module(depth: int = 2) -> str:
    return str(sys._getframe(depth).f_globals.get("__name__", ""))


def _same(value: Any, expected: Any) -> bool:
    """Equality that keeps booleans and numbers apart (False is not 0); 1 equals 1.0."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    return bool(value == expected)


def _meta(module: str, **kwargs: Any) -> RuleMeta:
    types = kwargs.pop("types", ())
    return RuleMeta(
        resource_types=tuple(types), module=module, references=tuple(kwargs.pop("references", ())), **kwargs
    )


def resource_rule(**kwargs: Any) -> Callable[[Callable[[Resource, PlanContext], Iterable[str]]], ResourceRule]:
    """Decorator: a function ``(resource, ctx) -> messages`` becomes the module's ResourceRule."""

    def wrap(fn: Callable[[Resource, PlanContext], Iterable[str]]) -> ResourceRule:
        return ResourceRule(_meta(fn.__module__, **kwargs), fn)

    return wrap


def stack_rule(**kwargs: Any) -> Callable[[Callable[[PlanContext], Iterable[Violation]]], StackRule]:
    """Decorator: a function ``(ctx) -> Violations`` becomes the module's StackRule."""

    def wrap(fn: Callable[[PlanContext], Iterable[Violation]]) -> StackRule:
        return StackRule(_meta(fn.__module__, **kwargs), fn)

    return wrap


# ---------------------------------------------------------------------------
# Declarative value checks
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """One "attribute must be X" check on a prop path.

    Exactly one of ``equals``, ``one_of``, ``contains``, ``contains_all``, ``present``,
    ``at_most``, ``at_least``, ``not_in`` is set. ``default`` is what the provider uses when the
    prop is absent (MISSING: absent is a violation). ``insecure`` is a value that must fail
    (the mutation tests flip the real Plan to it).
    """

    path: str
    equals: Any = MISSING
    one_of: tuple[Any, ...] | None = None
    contains: Any = MISSING
    contains_all: tuple[Any, ...] | None = None
    present: bool = False
    at_most: float | None = None
    at_least: float | None = None
    not_in: tuple[Any, ...] | None = None
    default: Any = MISSING
    insecure: Any = MISSING

    def describe(self) -> str:
        if self.equals is not MISSING:
            return fmt(self.equals)
        if self.one_of is not None:
            return "one of " + fmt(list(self.one_of))
        if self.contains is not MISSING:
            return f"a list containing {fmt(self.contains)}"
        if self.contains_all is not None:
            return f"a list containing all of {fmt(list(self.contains_all))}"
        if self.at_most is not None and self.at_least is not None:
            return f"between {fmt(self.at_least)} and {fmt(self.at_most)}"
        if self.at_most is not None:
            return f"at most {fmt(self.at_most)}"
        if self.at_least is not None:
            return f"at least {fmt(self.at_least)}"
        if self.not_in is not None:
            return "none of " + fmt(list(self.not_in))
        return "a value"

    def check(self, props: Mapping[str, Any]) -> str | None:
        value = get(props, self.path, MISSING)
        if value is MISSING:
            if self.default is MISSING:
                return f"{self.path} is not set; expected {self.describe()}"
            value = self.default
        ok = True
        if self.equals is not MISSING:
            ok = _same(value, self.equals)
        elif self.one_of is not None:
            ok = any(_same(value, v) for v in self.one_of)
        elif self.contains is not MISSING:
            ok = self.contains in as_list(value)
        elif self.contains_all is not None:
            have = as_list(value)
            missing = [v for v in self.contains_all if v not in have]
            if missing:
                return f"{self.path} is {fmt(value)}; missing {fmt(missing)}"
        elif self.present:
            ok = value not in ("", [], {}) and not (hasattr(value, "__len__") and len(value) == 0)
        elif self.at_most is not None or self.at_least is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                ok = False
            else:
                ok = (self.at_most is None or value <= self.at_most) and (
                    self.at_least is None or value >= self.at_least
                )
        elif self.not_in is not None:
            ok = value not in self.not_in
        if ok:
            return None
        return f"{self.path} is {fmt(value)}; expected {self.describe()}"


class ValueRule(ResourceRule):
    """A rule made only of :class:`Expect` checks (optionally only where ``applies`` holds)."""

    def __init__(
        self,
        meta: RuleMeta,
        expects: tuple[Expect, ...],
        applies: Callable[[Resource, PlanContext], bool] | None = None,
    ):
        self.expects = expects
        self.applies = applies
        super().__init__(meta, self._run)

    def _run(self, resource: Resource, ctx: PlanContext) -> Iterable[str]:
        if self.applies is not None and not self.applies(resource, ctx):
            return []
        return [m for e in self.expects if (m := e.check(resource.props))]


def value_rule(
    *expects: Expect, applies: Callable[[Resource, PlanContext], bool] | None = None, **kwargs: Any
) -> ValueRule:
    """A declarative rule; call it at module level (the module names it)."""
    return ValueRule(_meta(_caller_module(), **kwargs), tuple(expects), applies)
