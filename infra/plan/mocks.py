"""Answers the mock runtime gives the program: synthetic but stable ids, ARNs and invoke results.

Every answer is derived from the resource's type and name, so the same stack always gives
the same Plan. Types or invokes that need particular outputs register them in
OUTPUTS / INVOKES below (one small function each).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
GCP_PROJECT_NUMBER = "123456789012"


def stable_hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _aws_arn(typ: str, name: str, region: str) -> str:
    service = typ.split(":")[1].split("/")[0]
    resource = typ.rsplit(":", 1)[1].lower()
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}/{name}"


# ---------------------------------------------------------------------------
# Extra outputs by resource type: fn(name, inputs, region) -> outputs to merge
# ---------------------------------------------------------------------------
OutputFn = Callable[[str, dict[str, Any], str], dict[str, Any]]

OUTPUTS: dict[str, OutputFn] = {
    "aws:eks/cluster:Cluster": lambda name, inputs, region: {
        "endpoint": f"https://{stable_hex(name, length=32).upper()}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTi1NT0NL"},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{stable_hex(name, length=32).upper()}"}]}
        ],
        "version": inputs.get("version", "1.33"),
        "clusterSecurityGroupId": f"sg-{stable_hex(name, 'cluster-sg')}",
    },
    "aws:s3/bucket:Bucket": lambda name, inputs, region: {
        "bucket": inputs.get("bucket") or name,
        "arn": f"arn:aws:s3:::{inputs.get('bucket') or name}",
        "bucketRegionalDomainName": f"{inputs.get('bucket') or name}.s3.{region}.amazonaws.com",
    },
    "aws:ecr/repository:Repository": lambda name, inputs, region: {
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{inputs.get('name') or name}",
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda name, inputs, region: {
        "dnsName": f"{name}-{stable_hex(name, length=10)}.{region}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
        "arnSuffix": f"app/{name}/{stable_hex(name, length=16)}",
    },
    "aws:acm/certificate:Certificate": lambda name, inputs, region: {
        "domainValidationOptions": [
            {
                "domainName": inputs.get("domainName", ""),
                "resourceRecordName": f"_{stable_hex(name, length=32)}.{inputs.get('domainName', '')}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{stable_hex(name, 'v', length=32)}.acm-validations.aws.",
            }
        ],
    },
    "gcp:container/cluster:Cluster": lambda name, inputs, region: {
        "endpoint": f"10.{int(stable_hex(name, length=2), 16) % 250}.0.2",
        "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTi1NT0NL"},
        "selfLink": f"https://container.googleapis.com/v1/projects/{inputs.get('project', 'p')}/locations/{inputs.get('location', region)}/clusters/{inputs.get('name') or name}",
    },
    "gcp:serviceaccount/account:Account": lambda name, inputs, region: {
        "email": f"{inputs.get('accountId', name)}@{inputs.get('project', 'project')}.iam.gserviceaccount.com",
        "member": f"serviceAccount:{inputs.get('accountId', name)}@{inputs.get('project', 'project')}.iam.gserviceaccount.com",
    },
    "gcp:compute/globalAddress:GlobalAddress": lambda name, inputs, region: {
        "address": f"34.{int(stable_hex(name, length=2), 16) % 250}.10.20",
    },
    "gcp:artifactregistry/repository:Repository": lambda name, inputs, region: {
        "registryUri": f"{inputs.get('location', region)}-docker.pkg.dev/{inputs.get('project', 'project')}/{inputs.get('repositoryId', name)}",
    },
    "random:index/randomPassword:RandomPassword": lambda name, inputs, region: {
        # Marked secret by the SDK (additional_secret_outputs); redacted in the Plan.
        "result": "mock-" + stable_hex(name, "password", length=24),
    },
    "docker-build:index:Image": lambda name, inputs, region: {
        "digest": "sha256:" + hashlib.sha256(name.encode()).hexdigest(),
        "ref": f"{(inputs.get('tags') or [name])[0]}@sha256:{hashlib.sha256(name.encode()).hexdigest()}",
    },
}


def _gcp_kms_key(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "id": f"{inputs.get('keyRing', 'projects/p/locations/l/keyRings/r')}/cryptoKeys/{inputs.get('name') or name}"
    }


OUTPUTS["gcp:kms/cryptoKey:CryptoKey"] = _gcp_kms_key


# ---------------------------------------------------------------------------
# Invokes: fn(args) -> result
# ---------------------------------------------------------------------------
InvokeFn = Callable[[dict[str, Any]], dict[str, Any]]


def _azs(args: dict[str, Any]) -> dict[str, Any]:
    names = [f"us-east-1{z}" for z in "abcdef"]
    return {"names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 7)], "id": "us-east-1", "state": "available"}


def _policy_document(args: dict[str, Any]) -> dict[str, Any]:
    import json

    statements = []
    for st in args.get("statements") or []:
        out: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        if st.get("actions"):
            out["Action"] = st["actions"]
        if st.get("resources"):
            out["Resource"] = st["resources"]
        for p in st.get("principals") or []:
            out.setdefault("Principal", {})[p["type"]] = p["identifiers"]
        for c in st.get("conditions") or []:
            out.setdefault("Condition", {}).setdefault(c["test"], {})[c["variable"]] = c["values"]
        statements.append(out)
    return {"json": json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True), "id": "policy"}


INVOKES: dict[str, InvokeFn] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _azs,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda args: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
        "userId": "AIDAMOCK",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda args: {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
    "aws:index/getRegion:getRegion": lambda args: {"name": "us-east-1", "region": "us-east-1", "id": "us-east-1"},
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:route53/getZone:getZone": lambda args: {
        "zoneId": "Z" + stable_hex(str(args.get("name")), length=13).upper(),
        "name": args.get("name"),
        "id": "Z" + stable_hex(str(args.get("name")), length=13).upper(),
    },
    "gcp:organizations/getProject:getProject": lambda args: {
        "number": GCP_PROJECT_NUMBER,
        "projectId": args.get("projectId", "project"),
        "id": f"projects/{args.get('projectId', 'project')}",
    },
    "gcp:compute/getZones:getZones": lambda args: {
        "names": [f"{args.get('region', 'us-central1')}-{z}" for z in "abcf"],
        "id": args.get("region", "us-central1"),
    },
}


class OfflineInvokeError(Exception):
    pass


class FleetMocks(pulumi.runtime.Mocks):
    """Stable synthetic answers for every resource and invoke the program makes."""

    def __init__(self) -> None:
        self.provider_regions: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            region = inputs.get("region")
            if region:
                self.provider_regions[args.name] = str(region)
            return f"{args.name}-provider-id", inputs
        region = self._region(args)
        outputs = dict(inputs)
        resource_id = f"{args.name}-{stable_hex(args.typ, args.name, length=8)}"
        if args.typ.startswith("aws:"):
            outputs.setdefault("arn", _aws_arn(args.typ, args.name, region))
        extra = OUTPUTS.get(args.typ)
        if extra is not None:
            outputs.update(extra(args.name, inputs, region))
        outputs.setdefault("name", inputs.get("name", args.name))
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        answer = INVOKES.get(args.token)
        if answer is None:
            raise OfflineInvokeError(
                f"the offline plan has no answer for invoke '{args.token}'; add one to infra/plan/mocks.py INVOKES"
            )
        return answer(dict(args.args)), None

    def _region(self, args: pulumi.runtime.MockResourceArgs) -> str:
        if args.provider:
            # provider reference: "urn:pulumi:...::name::id"
            provider_name = args.provider.split("::")[-2] if "::" in args.provider else args.provider
            if provider_name in self.provider_regions:
                return self.provider_regions[provider_name]
        region = args.inputs.get("region") or args.inputs.get("location")
        return str(region) if region else "us-east-1"
