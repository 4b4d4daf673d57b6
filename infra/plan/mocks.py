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
        "arn": f"arn:aws:eks:{region}:{ACCOUNT_ID}:cluster/{inputs.get('name') or name}",
        "vpcConfig": {
            **(inputs.get("vpcConfig") or {}),
            "clusterSecurityGroupId": f"sg-{stable_hex(name, 'cluster-sg')}",
            "vpcId": f"vpc-{stable_hex(name, 'vpc')}",
        },
    },
    "aws:s3/bucket:Bucket": lambda name, inputs, region: {
        "bucket": inputs.get("bucket") or name,
        "arn": f"arn:aws:s3:::{inputs.get('bucket') or name}",
        "bucketRegionalDomainName": f"{inputs.get('bucket') or name}.s3.{region}.amazonaws.com",
    },
    "aws:ecr/repository:Repository": lambda name, inputs, region: {
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{inputs.get('name') or name}",
        "registryId": ACCOUNT_ID,
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda name, inputs, region: {
        "dnsName": f"{name}-{stable_hex(name, length=10)}.{region}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
        "arnSuffix": f"app/{name}/{stable_hex(name, length=16)}",
    },
    "gcp:container/cluster:Cluster": lambda name, inputs, region: {
        "endpoint": f"10.{int(stable_hex(name, length=2), 16) % 250}.0.2",
        "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTi1NT0NL"},
        "selfLink": f"https://container.googleapis.com/v1/projects/{inputs.get('project', 'p')}/locations/{inputs.get('location', region)}/clusters/{inputs.get('name') or name}",
    },
    "gcp:serviceaccount/account:Account": lambda name, inputs, region: {
        "email": f"{inputs.get('accountId', name)}@{inputs.get('project', 'project')}.iam.gserviceaccount.com",
        "member": f"serviceAccount:{inputs.get('accountId', name)}@{inputs.get('project', 'project')}.iam.gserviceaccount.com",
        "name": f"projects/{inputs.get('project', 'project')}/serviceAccounts/"
        f"{inputs.get('accountId', name)}@{inputs.get('project', 'project')}.iam.gserviceaccount.com",
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


def _gcp_key_ring(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    ring = inputs.get("name") or name
    return {
        "id": f"projects/{inputs.get('project', 'project')}/locations/{inputs.get('location', region)}/keyRings/{ring}"
    }


OUTPUTS["gcp:kms/keyRing:KeyRing"] = _gcp_key_ring


def _gcp_self_link(collection: str, scope: str = "global") -> OutputFn:
    """selfLink of a Compute Engine resource (global or regional), as the API returns it."""

    def outputs(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
        where = "global" if scope == "global" else f"regions/{inputs.get('region', region)}"
        path = f"projects/{inputs.get('project', 'project')}/{where}/{collection}/{inputs.get('name') or name}"
        return {"selfLink": f"https://www.googleapis.com/compute/v1/{path}", "id": path}

    return outputs


for _typ, _collection, _scope in (
    ("gcp:compute/network:Network", "networks", "global"),
    ("gcp:compute/subnetwork:Subnetwork", "subnetworks", "regional"),
    ("gcp:compute/router:Router", "routers", "regional"),
    ("gcp:compute/securityPolicy:SecurityPolicy", "securityPolicies", "global"),
    ("gcp:compute/sSLPolicy:SSLPolicy", "sslPolicies", "global"),
    ("gcp:compute/healthCheck:HealthCheck", "healthChecks", "global"),
    ("gcp:compute/backendService:BackendService", "backendServices", "global"),
    ("gcp:compute/uRLMap:URLMap", "urlMaps", "global"),
    ("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "targetHttpsProxies", "global"),
    ("gcp:compute/targetHttpProxy:TargetHttpProxy", "targetHttpProxies", "global"),
    ("gcp:compute/managedSslCertificate:ManagedSslCertificate", "sslCertificates", "global"),
    ("gcp:compute/firewall:Firewall", "firewalls", "global"),
):
    OUTPUTS[_typ] = _gcp_self_link(_collection, _scope)


def _gcp_address(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        **_gcp_self_link("addresses")(name, inputs, region),
        "address": f"34.{int(stable_hex(name, length=2), 16) % 250}.10.20",
    }


OUTPUTS["gcp:compute/globalAddress:GlobalAddress"] = _gcp_address
OUTPUTS["gcp:storage/bucket:Bucket"] = lambda name, inputs, region: {
    "url": f"gs://{inputs.get('name') or name}",
    "selfLink": f"https://www.googleapis.com/storage/v1/b/{inputs.get('name') or name}",
}
OUTPUTS["gcp:projects/serviceIdentity:ServiceIdentity"] = lambda name, inputs, region: {
    "email": f"service-{GCP_PROJECT_NUMBER}@gcp-sa-{str(inputs.get('service', 'x')).split('.')[0]}.iam.gserviceaccount.com",
    "member": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gcp-sa-"
    f"{str(inputs.get('service', 'x')).split('.')[0]}.iam.gserviceaccount.com",
}
OUTPUTS["gcp:monitoring/notificationChannel:NotificationChannel"] = lambda name, inputs, region: {
    "id": f"projects/{inputs.get('project', 'project')}/notificationChannels/{int(stable_hex(name, length=12), 16)}",
}


def _aws_acm_certificate(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """One DNS validation record per name on the certificate (domain and SANs)."""
    domains = [inputs.get("domainName", ""), *(inputs.get("subjectAlternativeNames") or [])]
    return {
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{stable_hex(name, domain, length=32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{stable_hex(name, domain, 'v', length=32)}.acm-validations.aws.",
            }
            for domain in domains
        ],
        "arn": f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{stable_hex(name, length=32)}",
    }


OUTPUTS["aws:acm/certificate:Certificate"] = _aws_acm_certificate
OUTPUTS["aws:kms/key:Key"] = lambda name, inputs, region: {
    "keyId": _uuid(name),
    "arn": f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{_uuid(name)}",
}
OUTPUTS["aws:iam/role:Role"] = lambda name, inputs, region: {
    "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{inputs.get('name') or name}",
    "uniqueId": "AROA" + stable_hex(name, length=17).upper(),
}
OUTPUTS["aws:cloudwatch/logGroup:LogGroup"] = lambda name, inputs, region: {
    "arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{inputs.get('name') or name}",
}
OUTPUTS["aws:route53/record:Record"] = lambda name, inputs, region: {
    "fqdn": str(inputs.get("name") or name).rstrip("."),
}
OUTPUTS["aws:ec2/launchTemplate:LaunchTemplate"] = lambda name, inputs, region: {
    "latestVersion": 1,
    "defaultVersion": 1,
}
OUTPUTS["aws:ec2/eip:Eip"] = lambda name, inputs, region: {
    "allocationId": f"eipalloc-{stable_hex(name)}",
    "publicIp": f"3.{int(stable_hex(name, length=2), 16) % 250}.0.10",
}
OUTPUTS["aws:sqs/queue:Queue"] = lambda name, inputs, region: {
    "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{inputs.get('name') or name}",
    "arn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{inputs.get('name') or name}",
}
OUTPUTS["aws:lb/targetGroup:TargetGroup"] = lambda name, inputs, region: {
    "arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:targetgroup/{name}/{stable_hex(name, length=16)}",
}
OUTPUTS["aws:wafv2/webAcl:WebAcl"] = lambda name, inputs, region: {
    "arn": f"arn:aws:wafv2:{region}:{ACCOUNT_ID}:regional/webacl/{name}/{_uuid(name)}",
}
OUTPUTS["aws:amp/workspace:Workspace"] = lambda name, inputs, region: {
    "prometheusEndpoint": f"https://aps-workspaces.{region}.amazonaws.com/workspaces/ws-{_uuid(name)}/",
    "arn": f"arn:aws:aps:{region}:{ACCOUNT_ID}:workspace/ws-{_uuid(name)}",
}


def _uuid(name: str) -> str:
    h = stable_hex(name, "uuid", length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
    "aws:eks/getAddonVersion:getAddonVersion": lambda args: {
        "addonName": args.get("addonName"),
        "kubernetesVersion": args.get("kubernetesVersion"),
        "version": "v1.0.0-eksbuild.1",
        "id": str(args.get("addonName")),
    },
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda args: {
        "userName": "AWS",
        "password": "mock-ecr-password",
        "authorizationToken": "QVdTOm1vY2stZWNyLXBhc3N3b3Jk",
        "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com",
        "expiresAt": "2030-01-01T00:00:00Z",
        "registryId": args.get("registryId") or ACCOUNT_ID,
        "id": "us-east-1",
    },
    "aws:elb/getServiceAccount:getServiceAccount": lambda args: {
        # The us-east-1 ELB log-delivery account (regions opened before August 2022).
        "arn": "arn:aws:iam::127311923021:root",
        "id": "127311923021",
    },
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
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": lambda args: {
        "emailAddress": f"service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "member": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
        "project": args.get("project", "project"),
        "id": f"service-{GCP_PROJECT_NUMBER}",
    },
    "gcp:organizations/getClientConfig:getClientConfig": lambda args: {
        "accessToken": "mock-access-token",
        "project": "project",
        "region": "us-central1",
        "zone": "us-central1-a",
        "id": "client-config",
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
            extra_outputs = extra(args.name, inputs, region)
            # An "id" there is the provider's id format (e.g. projects/.../cryptoKeys/k).
            resource_id = str(extra_outputs.pop("id", resource_id))
            outputs.update(extra_outputs)
        outputs.setdefault("name", inputs.get("name", args.name))
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        answer = INVOKES.get(args.token)
        if answer is None:
            raise OfflineInvokeError(
                f"the offline plan has no answer for invoke '{args.token}'; add one to infra/plan/mocks.py INVOKES"
            )
        return answer(dict(args.args)), []

    def _region(self, args: pulumi.runtime.MockResourceArgs) -> str:
        if args.provider:
            # provider reference: "urn:pulumi:...::name::id"
            provider_name = args.provider.split("::")[-2] if "::" in args.provider else args.provider
            if provider_name in self.provider_regions:
                return self.provider_regions[provider_name]
        region = args.inputs.get("region") or args.inputs.get("location")
        return str(region) if region else "us-east-1"
