"""Small edit helpers over the prod Plan (a dict, DESIGN.md schemaVersion 1) and the prod stack
config (the ``llm-fleet:`` values of Pulumi.prod.yaml). Each helper returns an edit: a function
that changes its argument in place and raises KeyError when what it edits is not there, so a
mutation whose target vanished from prod fails instead of silently testing nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]
Edit = Callable[[Doc], None]

ACCOUNT = "123456789012"  # the mock account of the offline plan
FOREIGN_ACCOUNT = "999988887777"
PROJECT = "acme-llm-prod"
DIGEST = "sha256:" + "9c" * 32

AWS = "aws-use1"
GCP = "gcp-usc1"
DC1 = "dc1"
SERVER = {AWS: "aws-use1-llama-8b-server", GCP: "gcp-usc1-llama-8b-server", DC1: "dc1-llama-70b-server"}
STAGER = {AWS: "aws-use1-llama-8b-stage", GCP: "gcp-usc1-llama-8b-stage", DC1: "dc1-llama-70b-stage"}
MODEL_NS = {AWS: "llm-llama-8b", GCP: "llm-llama-8b", DC1: "llm-llama-70b"}
MODEL_SA = {AWS: "llama-8b-server", GCP: "llama-8b-server", DC1: "llama-70b-server"}

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
AWS_BUDGET_TYPE = "aws:budgets/budget:Budget"
JOB = "kubernetes:batch/v1:Job"


@dataclass(frozen=True)
class Mutation:
    """One realistic edit. ``gap``: the rule the pack is missing (an explicit strict xfail)."""

    id: str
    cls: str
    ref: str
    what: str
    edit: Edit
    gap: str | None = None
    planted: str | None = None
    """A secret-shaped value the edit plants: no finding or refusal may echo it."""


# -- classes ------------------------------------------------------------------------------
IDENTITY = "identity"
NETWORK = "network"
EDGE = "edge"
WORKLOADS = "workloads/RBAC"
SECRETS = "secrets"
SUPPLY = "supply chain"
COST = "cost"
GUARDRAILS = "guardrails"
ENCRYPTION = "encryption/logging"
CLASSES = (IDENTITY, NETWORK, EDGE, WORKLOADS, SECRETS, SUPPLY, COST, GUARDRAILS, ENCRYPTION)


# -- paths ----------------------------------------------------------------------------------
def _keys(path: str | tuple[Any, ...]) -> list[Any]:
    return list(path) if isinstance(path, tuple) else path.split(".")


def _step(obj: Any, key: Any) -> Any:
    if isinstance(obj, list):
        return obj[int(key)]
    return obj[key]


def get(obj: Any, path: str | tuple[Any, ...]) -> Any:
    for key in _keys(path):
        obj = _step(obj, key)
    return obj


def _set(obj: Any, path: str | tuple[Any, ...], value: Any, create: bool = True) -> None:
    keys = _keys(path)
    for key in keys[:-1]:
        if isinstance(obj, dict) and key not in obj and create:
            obj[key] = {}
        obj = _step(obj, key)
    if isinstance(obj, list):
        obj[int(keys[-1])] = copy.deepcopy(value)
    else:
        obj[keys[-1]] = copy.deepcopy(value)


def _pop(obj: Any, path: str | tuple[Any, ...]) -> None:
    keys = _keys(path)
    parent = get(obj, tuple(keys[:-1])) if len(keys) > 1 else obj
    if isinstance(parent, list):
        del parent[int(keys[-1])]
    else:
        del parent[keys[-1]]  # KeyError when absent: the edit must change something


# -- Plan resources -------------------------------------------------------------------------
def resource(plan: Doc, type_: str, name: str) -> Doc:
    for r in plan["resources"]:
        if r["type"] == type_ and r["name"] == name:
            return r
    raise KeyError(f"{type_} {name} is not in the prod Plan")


def props(plan: Doc, type_: str, name: str) -> Doc:
    return resource(plan, type_, name)["props"]


def on(type_: str, name: str, change: Callable[[Doc], Any]) -> Edit:
    """Run ``change(props)`` on one resource."""
    return lambda plan: change(props(plan, type_, name))


def put(type_: str, name: str, path: str | tuple[Any, ...], value: Any) -> Edit:
    return on(type_, name, lambda p: _set(p, path, value))


def drop(type_: str, name: str, path: str | tuple[Any, ...]) -> Edit:
    return on(type_, name, lambda p: _pop(p, path))


def append(type_: str, name: str, path: str | tuple[Any, ...], *items: Any) -> Edit:
    return on(type_, name, lambda p: get(p, path).extend(copy.deepcopy(list(items))))


def remove(type_: str, name: str) -> Edit:
    def edit(plan: Doc) -> None:
        victim = resource(plan, type_, name)
        plan["resources"].remove(victim)

    return edit


def add(like: tuple[str, str], type_: str, name: str, body: Doc) -> Edit:
    """Add a resource next to ``like`` (same parent component and provider), as code would."""

    def edit(plan: Doc) -> None:
        model = resource(plan, *like)
        head, chain, _ = model["urn"].rsplit("::", 2)
        chain = chain.rsplit("$", 1)[0] + "$" + type_ if "$" in chain else type_
        plan["resources"].append(
            {
                "urn": f"{head}::{chain}::{name}",
                "type": type_,
                "name": name,
                "custom": True,
                "parent": model["parent"],
                "provider": model["provider"],
                "protect": False,
                "props": copy.deepcopy(body),
            }
        )

    return edit


def k8s(target: str, type_: str, name: str, body: Doc) -> Edit:
    """Add a Kubernetes object to a target's cluster (apiVersion/kind from the type)."""
    group_version, kind = type_.split(":")[1], type_.split(":")[2]
    api = group_version.removeprefix("core/")
    return add((DEPLOYMENT, SERVER[target]), type_, name, {"apiVersion": api, "kind": kind, **body})


def chain(*edits: Edit) -> Edit:
    def edit(doc: Doc) -> None:
        for e in edits:
            e(doc)

    return edit


# -- pods -----------------------------------------------------------------------------------
def pod_spec(p: Doc) -> Doc:
    return p["spec"]["template"]["spec"]


def server_container(p: Doc) -> Doc:
    return next(c for c in pod_spec(p)["containers"] if c["name"] == "server")


def on_pod(target: str, change: Callable[[Doc], Any], kind: str = DEPLOYMENT) -> Edit:
    name = SERVER[target] if kind == DEPLOYMENT else STAGER[target]
    return on(kind, name, lambda p: change(pod_spec(p)))


def on_container(target: str, change: Callable[[Doc], Any], kind: str = DEPLOYMENT) -> Edit:
    def pick(spec: Doc) -> None:
        change(next(c for c in spec["containers"] if c["name"] in ("server", "stage")))

    return on_pod(target, pick, kind)


def on_init(target: str, change: Callable[[Doc], Any]) -> Edit:
    return on_pod(target, lambda s: change(s["initContainers"][0]))


def image_of(plan: Doc, target: str) -> str:
    return server_container(props(plan, DEPLOYMENT, SERVER[target]))["image"]


# -- policy documents (JSON strings, as the provider sends them) --------------------------------
def doc(*statements: Doc) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def add_statement(type_: str, name: str, statement: Doc, key: str = "policy") -> Edit:
    def change(p: Doc) -> None:
        policy = json.loads(p[key])
        stmts = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        policy["Statement"] = [*stmts, statement]
        p[key] = json.dumps(policy)

    return on(type_, name, change)


def replace_statements(type_: str, name: str, *statements: Doc, key: str = "policy") -> Edit:
    return put(type_, name, key, doc(*statements))


# -- stack config ---------------------------------------------------------------------------
def target_index(values: Doc, name: str) -> int:
    return next(i for i, t in enumerate(values["targets"]) if t["name"] == name)


def cfg(path: str | tuple[Any, ...], value: Any) -> Edit:
    """Set a config key by path; a leading target name ('aws-use1.edge.waf') picks that target."""

    def edit(values: Doc) -> None:
        keys = _keys(path)
        if keys[0] in (AWS, GCP, DC1):
            keys = ["targets", target_index(values, keys[0]), *keys[1:]]
        _set(values, tuple(keys), value)

    return edit


def cfg_drop(path: str) -> Edit:
    def edit(values: Doc) -> None:
        keys: list[Any] = _keys(path)
        if keys[0] in (AWS, GCP, DC1):
            keys = ["targets", target_index(values, keys[0]), *keys[1:]]
        _pop(values, tuple(keys))

    return edit


def cfg_pool(target: str, pool: str, path: str, value: Any) -> Edit:
    def edit(values: Doc) -> None:
        pools = values["targets"][target_index(values, target)]["gpuPools"]
        _set(next(p for p in pools if p["name"] == pool), path, value)

    return edit
