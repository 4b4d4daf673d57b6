"""Plan mutations: what a code change could put into the prod Plan. Each is drawn from a
Checkov check (CKV_*), a Pulumi compliance-policies policy, or a CIS benchmark item for the
resource type, and written against the real prod Plan's resources and wire names."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.policy.redteam.edits import (
    ACCOUNT,
    AWS,
    COST,
    DC1,
    DEPLOYMENT,
    DIGEST,
    EDGE,
    ENCRYPTION,
    FOREIGN_ACCOUNT,
    GCP,
    IDENTITY,
    JOB,
    MODEL_NS,
    MODEL_SA,
    NETWORK,
    PROJECT,
    SECRETS,
    SERVER,
    SUPPLY,
    WORKLOADS,
    Doc,
    Mutation,
    add,
    add_statement,
    append,
    chain,
    doc,
    drop,
    image_of,
    k8s,
    on,
    on_container,
    on_init,
    on_pod,
    props,
    put,
    remove,
    replace_statements,
)

# -- types ----------------------------------------------------------------------------------
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
KMS_KEY = "aws:kms/key:Key"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ECR_REPO = "aws:ecr/repository:Repository"
ECR_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
EKS = "aws:eks/cluster:Cluster"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
SG_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WAF = "aws:wafv2/webAcl:WebAcl"
ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
AWS_BUDGET = "aws:budgets/budget:Budget"
GKE = "gcp:container/cluster:Cluster"
GKE_POOL = "gcp:container/nodePool:NodePool"
FIREWALL = "gcp:compute/firewall:Firewall"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
ARMOR = "gcp:compute/securityPolicy:SecurityPolicy"
SSL_POLICY = "gcp:compute/sSLPolicy:SSLPolicy"
BACKEND = "gcp:compute/backendService:BackendService"
HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
GCS = "gcp:storage/bucket:Bucket"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
AR_REPO = "gcp:artifactregistry/repository:Repository"
AR_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
GCP_KEY = "gcp:kms/cryptoKey:CryptoKey"
GCP_BUDGET = "gcp:billing/budget:Budget"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
EG_SECURITY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
EG_CLIENT = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
EG_BACKEND = "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy"
EG_EXTENSION = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyExtensionPolicy"
HELM = "kubernetes:helm.sh/v3:Release"
NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE_K8S = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"

SERVER_ROLE = "aws-use1-identities-llama-8b-server"
STAGER_ROLE = "aws-use1-identities-llama-8b-stager"
WEIGHTS_POLICY = "aws-use1-storage-weights-policy"
WEIGHTS_ARN = "arn:aws:s3:::llm-fleet-prod-aws-use1-weights-100afc99"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/aws-use1-identities-llama-8b-server"
SA_EMAIL = f"gcp-usc1-server@{PROJECT}.iam.gserviceaccount.com"
FAKE_OPENAI_KEY = "sk-proj-" + "Zx81Qm4Lt7Rb2Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4Ui2Ow7Pq"
FAKE_AWS_KEY_ID = "AKIA" + "Q3J5LZ7NXW2P4R6T"
FAKE_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Lm2Nt4Vw6"


def _allow(action: Any, resource: Any = "*", **extra: Any) -> Doc:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _public(action: Any, resource: Any, principal: Any = "*", **extra: Any) -> Doc:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def _role_policy(name: str, role: str, *statements: Doc) -> Any:
    return add((ROLE_POLICY, SERVER_ROLE), ROLE_POLICY, name, {"role": role, "policy": doc(*statements)})


def _attach(name: str, role_of: str, arn: str) -> Any:
    """Attach a managed policy to the role that the inline policy ``role_of`` belongs to."""

    def edit(plan: Doc) -> None:
        role = props(plan, ROLE_POLICY, role_of)["role"]
        add((ATTACH, "aws-use1-cluster-role-cluster-policy"), ATTACH, name, {"role": role, "policyArn": arn})(plan)

    return edit


def _trust(*statements: Doc) -> Any:
    return put(ROLE, SERVER_ROLE, "assumeRolePolicy", doc(*statements))


def _sg_rule(name: str, group: str, **rule: Any) -> Any:
    """A new ingress rule on the node security group (the gateway proxies' group) or the ALB's."""

    def edit(plan: Doc) -> None:
        gid = props(plan, SG_IN, "aws-use1-edge-gateway-in-10080")[group]
        add((SG_IN, "aws-use1-edge-gateway-in-10080"), SG_IN, name, {"securityGroupId": gid, **rule})(plan)

    return edit


def _firewall(name: str, **body: Any) -> Any:
    base = {
        "name": name,
        "network": f"projects/{PROJECT}/global/networks/gcp-usc1-net-vpc",
        "project": PROJECT,
        "direction": "INGRESS",
        "priority": 900,
    }
    return add((FIREWALL, "gcp-usc1-edge-from-google"), FIREWALL, name, {**base, **body})


def _project_member(name: str, role: str, member: str) -> Any:
    return add(
        (PROJECT_MEMBER, "gcp-usc1-gke-nodes-logging-logwriter"),
        PROJECT_MEMBER,
        name,
        {"project": PROJECT, "role": role, "member": member},
    )


def _waf_rules(change: Any) -> Any:
    return on(WAF, "aws-use1-edge-waf", lambda p: change(p["rules"]))


def _armor_rules(change: Any) -> Any:
    return on(ARMOR, "gcp-usc1-edge-armor", lambda p: change(p["rules"]))


def _armor_rule(match: str, key: str, value: Any) -> Any:
    def change(rules: list[Doc]) -> None:
        rule = next(r for r in rules if match in json.dumps(r))
        rule[key] = value

    return _armor_rules(change)


def _sensitivity(preconfigured: str, level: int) -> Any:
    def change(rules: list[Doc]) -> None:
        rule = next(r for r in rules if preconfigured in json.dumps(r))
        expr = rule["match"]["expr"]
        expr["expression"] = f"evaluatePreconfiguredWaf('{preconfigured}', {{'sensitivity': {level}}})"

    return _armor_rules(change)


def _rate_rule(change: Any) -> Any:
    return _waf_rules(lambda rules: change(next(r for r in rules if "rateBasedStatement" in r["statement"])))


def _managed(group: str, change: Any) -> Any:
    return _waf_rules(lambda rules: change(next(r for r in rules if r["name"] == group)))


def _values(name: str, change: Any) -> Any:
    return on(HELM, name, lambda p: change(p.setdefault("values", {})))


def _wasm(change: Any) -> Any:
    return on(EG_EXTENSION, "dc1-gateway-waf", lambda p: change(p["spec"]["wasm"][0]))


def _directives(replace_from: str, replace_to: str) -> Any:
    def change(w: Doc) -> None:
        lines = w["config"]["directives_map"]["default"]
        w["config"]["directives_map"]["default"] = [replace_to if x == replace_from else x for x in lines]
        assert replace_to in w["config"]["directives_map"]["default"]

    return _wasm(change)


def _sc(target: str, key: str, value: Any, kind: str = DEPLOYMENT) -> Any:
    return on_container(target, lambda c: c.setdefault("securityContext", {}).__setitem__(key, value), kind)


def _pod_set(target: str, key: str, value: Any, kind: str = DEPLOYMENT) -> Any:
    return on_pod(target, lambda s: s.__setitem__(key, value), kind)


def _host_path(target: str, path: str) -> Any:
    def change(spec: Doc) -> None:
        spec["volumes"].append({"name": "host", "hostPath": {"path": path}})
        spec["containers"][0]["volumeMounts"].append({"name": "host", "mountPath": "/host"})

    return on_pod(target, change)


def _subject_sa(target: str) -> Doc:
    return {"kind": "ServiceAccount", "name": MODEL_SA[target], "namespace": MODEL_NS[target]}


def _crb(target: str, name: str, role: str, *subjects: Doc) -> Any:
    return k8s(
        target,
        CRB,
        name,
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": list(subjects),
        },
    )


def _cluster_role(target: str, name: str, rules: list[Doc]) -> Any:
    return k8s(target, CLUSTER_ROLE, name, {"metadata": {"name": name}, "rules": rules})


def _image(target: str, image: str, kind: str = DEPLOYMENT) -> Any:
    return on_container(target, lambda c: c.__setitem__("image", image), kind)


def _container_arg(target: str, *args: str, kind: str = DEPLOYMENT) -> Any:
    return on_container(target, lambda c: c.setdefault("args", []).extend(args), kind)


def _env(target: str, name: str, value: str, kind: str = DEPLOYMENT) -> Any:
    return on_container(target, lambda c: c.setdefault("env", []).append({"name": name, "value": value}), kind)


def _pod_template(image: str, **pod: Any) -> Doc:
    container = {
        "name": "main",
        "image": image,
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 2000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    extra = pod.pop("container", {})
    container["securityContext"].update(extra.pop("securityContext", {}))
    container.update(extra)
    return {
        "metadata": {"labels": {"app.kubernetes.io/name": "extra"}},
        "spec": {
            "serviceAccountName": "extra",
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            **pod,
        },
    }


def _own_image(plan: Doc) -> str:
    return image_of(plan, AWS)


def _nodepool_clone(name: str, change: Any) -> Any:
    def edit(plan: Doc) -> None:
        body = json.loads(json.dumps(props(plan, NODEPOOL, "aws-use1-karpenter-h100-nodepool")))
        body["metadata"]["name"] = name
        change(body)
        add((NODEPOOL, "aws-use1-karpenter-h100-nodepool"), NODEPOOL, f"aws-use1-karpenter-{name}-nodepool", body)(plan)

    return edit


def _gke_pool_clone(name: str, change: Any) -> Any:
    def edit(plan: Doc) -> None:
        body = json.loads(json.dumps(props(plan, GKE_POOL, "gcp-usc1-gpu-h100")))
        body["name"] = name
        change(body)
        add((GKE_POOL, "gcp-usc1-gpu-h100"), GKE_POOL, f"gcp-usc1-gpu-{name}", body)(plan)

    return edit


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


M = Mutation
PLAN_MUTATIONS: list[Mutation] = [
    # -- identity: AWS policy documents ---------------------------------------------------
    M(
        "ID-01",
        IDENTITY,
        "CKV_AWS_62",
        "inline role policy grants Action * on Resource * to the model server role",
        lambda plan: _role_policy(
            "aws-use1-identities-llama-8b-server-debug", props(plan, ROLE_POLICY, SERVER_ROLE)["role"], _allow("*")
        )(plan),
    ),
    M(
        "ID-02",
        IDENTITY,
        "CKV_AWS_355",
        "server role policy gains s3:* on every resource",
        add_statement(ROLE_POLICY, SERVER_ROLE, _allow("s3:*")),
    ),
    M(
        "ID-03",
        IDENTITY,
        "CKV_AWS_286",
        "stager role may iam:PassRole any role",
        add_statement(ROLE_POLICY, STAGER_ROLE, _allow(["iam:PassRole"])),
    ),
    M(
        "ID-04",
        IDENTITY,
        "CKV_AWS_274",
        "AdministratorAccess attached to the model server role",
        _attach(
            "aws-use1-identities-llama-8b-server-admin", SERVER_ROLE, "arn:aws:iam::aws:policy/AdministratorAccess"
        ),
    ),
    M(
        "ID-05",
        IDENTITY,
        "CKV_AWS_286",
        "IAMFullAccess attached to the stager role (privilege escalation)",
        _attach("aws-use1-identities-llama-8b-stager-iam", STAGER_ROLE, "arn:aws:iam::aws:policy/IAMFullAccess"),
    ),
    M(
        "ID-06",
        IDENTITY,
        "CKV_AWS_60",
        "server role trust policy: any AWS principal may assume it",
        _trust({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
    ),
    M(
        "ID-07",
        IDENTITY,
        "CKV_AWS_60",
        "trust policy Principal * restricted only by an unrelated condition key",
        _trust(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            }
        ),
    ),
    M(
        "ID-08",
        IDENTITY,
        "CKV_AWS_61",
        "trust policy lets another account's root assume the server role",
        _trust(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    ),
    M(
        "ID-09",
        IDENTITY,
        "CKV_AWS_70",
        "weights bucket policy allows anyone to GetObject",
        add_statement(BUCKET_POLICY, WEIGHTS_POLICY, _public("s3:GetObject", f"{WEIGHTS_ARN}/*")),
    ),
    M(
        "ID-10",
        IDENTITY,
        "CKV_AWS_70",
        "bucket policy {AWS: *} 'restricted' by aws:UserAgent (not a restriction)",
        add_statement(
            BUCKET_POLICY,
            WEIGHTS_POLICY,
            _public(
                ["s3:GetObject", "s3:ListBucket"],
                [WEIGHTS_ARN, f"{WEIGHTS_ARN}/*"],
                {"AWS": "*"},
                Condition={"StringLike": {"aws:UserAgent": "*vllm*"}},
            ),
        ),
    ),
    M(
        "ID-11",
        IDENTITY,
        "CKV_AWS_70",
        "weights bucket readable by a principal of a foreign account",
        add_statement(
            BUCKET_POLICY,
            WEIGHTS_POLICY,
            _public("s3:GetObject", f"{WEIGHTS_ARN}/*", {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/partner-reader"}),
        ),
    ),
    M(
        "ID-12",
        IDENTITY,
        "CKV_AWS_33",
        "S3 KMS key policy: kms:Decrypt for Principal *",
        add_statement(KMS_KEY, "aws-use1-keys-s3", _public(["kms:Decrypt", "kms:DescribeKey"], "*")),
    ),
    M(
        "ID-13",
        IDENTITY,
        "aws-kms-key-disallow-bypass-policy-lockout-safety-check",
        "KMS key bypasses the policy lockout safety check",
        put(KMS_KEY, "aws-use1-keys-eks", "bypassPolicyLockoutSafetyCheck", True),
    ),
    M(
        "ID-14",
        IDENTITY,
        "CKV_AWS_168",
        "interruption queue policy: anyone may SendMessage",
        add_statement(
            QUEUE_POLICY,
            "aws-use1-karpenter-interruptions",
            _public("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:llm-fleet-prod-aws-use1-karpenter"),
        ),
    ),
    M(
        "ID-15",
        IDENTITY,
        "CKV_AWS_72",
        "queue policy grants sqs:* to every principal",
        add_statement(
            QUEUE_POLICY,
            "aws-use1-karpenter-interruptions",
            _public("sqs:*", f"arn:aws:sqs:us-east-1:{ACCOUNT}:llm-fleet-prod-aws-use1-karpenter", {"AWS": "*"}),
        ),
    ),
    M(
        "ID-16",
        IDENTITY,
        "CKV_AWS_32",
        "ECR repository policy lets anyone pull the serving image",
        replace_statements(
            ECR_POLICY,
            "aws-use1-registry-serving-perimeter",
            _public(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "*") | {"Sid": "PublicPull"},
        ),
    ),
    M(
        "ID-17",
        IDENTITY,
        "CKV_AWS_169",
        "a new SNS topic policy open to Principal *",
        add(
            (QUEUE_POLICY, "aws-use1-karpenter-interruptions"),
            "aws:sns/topicPolicy:TopicPolicy",
            "aws-use1-alerts-policy",
            {
                "arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:llm-fleet-alerts",
                "policy": doc(
                    _public(["sns:Publish", "sns:Subscribe"], f"arn:aws:sns:us-east-1:{ACCOUNT}:llm-fleet-alerts")
                ),
            },
        ),
    ),
    M(
        "ID-18",
        IDENTITY,
        "CKV_AWS_70 (Secrets Manager resource policy)",
        "HF token secret readable by Principal *",
        add(
            (QUEUE_POLICY, "aws-use1-karpenter-interruptions"),
            "aws:secretsmanager/secretPolicy:SecretPolicy",
            "aws-use1-hf-token-policy",
            {
                "secretArn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:llm-fleet/prod/hf-token-AbCdEf",
                "policy": doc(_public("secretsmanager:GetSecretValue", "*")),
            },
        ),
    ),
    M(
        "ID-19",
        IDENTITY,
        "CKV_AWS_62",
        "customer managed policy with *:* attached by ARN",
        add(
            (ROLE_POLICY, SERVER_ROLE),
            "aws:iam/policy:Policy",
            "aws-use1-breakglass",
            {"name": "llm-fleet-breakglass", "policy": doc(_allow("*"))},
        ),
    ),
    M(
        "ID-20",
        IDENTITY,
        "CKV_AWS_62 (NotAction)",
        "Allow NotAction iam:* on * is admin minus IAM",
        add_statement(ROLE_POLICY, SERVER_ROLE, {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
    ),
    M(
        "ID-21",
        IDENTITY,
        "CKV_AWS_287",
        "server role may create access keys for any user",
        add_statement(ROLE_POLICY, SERVER_ROLE, _allow(["iam:CreateAccessKey", "iam:CreateLoginProfile"])),
    ),
    M(
        "ID-22",
        IDENTITY,
        "CKV_AWS_289",
        "stager role gets kms:* on every key",
        add_statement(ROLE_POLICY, STAGER_ROLE, _allow("kms:*")),
    ),
    M(
        "ID-23",
        IDENTITY,
        "CIS EKS 4.1.1",
        "EKS cluster-admin access policy for the model server role",
        chain(
            add(
                (ACCESS_ENTRY, "aws-use1-cluster-admin-platform-admins"),
                ACCESS_ENTRY,
                "aws-use1-cluster-admin-server",
                {"clusterName": "llm-fleet-prod-aws-use1", "principalArn": ROLE_ARN, "type": "STANDARD"},
            ),
            add(
                (ACCESS_POLICY, "aws-use1-cluster-admin-platform-admins"),
                ACCESS_POLICY,
                "aws-use1-cluster-admin-server",
                {
                    "clusterName": "llm-fleet-prod-aws-use1",
                    "principalArn": ROLE_ARN,
                    "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    "accessScope": {"type": "cluster"},
                },
            ),
        ),
    ),
    M(
        "ID-24",
        IDENTITY,
        "CIS EKS 4.1.1",
        "existing admin association re-pointed at the stager role",
        put(
            ACCESS_POLICY,
            "aws-use1-cluster-admin-platform-admins",
            "principalArn",
            f"arn:aws:iam::{ACCOUNT}:role/aws-use1-identities-llama-8b-stager",
        ),
    ),
    M(
        "ID-25",
        IDENTITY,
        "CIS EKS 4.1.x (least privilege)",
        "model server SA bound to Karpenter's controller role",
        put(
            POD_IDENTITY,
            "aws-use1-identities-llama-8b-server",
            "roleArn",
            f"arn:aws:iam::{ACCOUNT}:role/aws-use1-karpenter-controller",
        ),
    ),
    M(
        "ID-26",
        IDENTITY,
        "CIS EKS 4.1.x (least privilege)",
        "new Pod Identity association: server SA gets the LB controller role",
        add(
            (POD_IDENTITY, "aws-use1-identities-llama-8b-server"),
            POD_IDENTITY,
            "aws-use1-identities-llama-8b-lb",
            {
                "clusterName": "llm-fleet-prod-aws-use1",
                "namespace": "llm-llama-8b",
                "serviceAccount": "llama-8b-server",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-use1-edge-lb-controller",
            },
        ),
    ),
    M(
        "ID-27",
        IDENTITY,
        "CKV_AWS_20",
        "weights bucket ACL public-read",
        add(
            (PAB, "aws-use1-storage-weights-public-access"),
            "aws:s3/bucketAcl:BucketAcl",
            "aws-use1-storage-weights-acl",
            {"bucket": "aws-use1-storage-weights-f0b423c9", "acl": "public-read"},
        ),
    ),
    M(
        "ID-28",
        IDENTITY,
        "CKV_AWS_54",
        "public access block stops blocking public policies",
        put(PAB, "aws-use1-storage-weights-public-access", "blockPublicPolicy", False),
    ),
    M(
        "ID-29",
        IDENTITY,
        "CKV_AWS_56",
        "public access block stops restricting public buckets",
        put(PAB, "aws-use1-storage-logs-public-access", "restrictPublicBuckets", False),
    ),
    # -- identity: GCP IAM ------------------------------------------------------------------
    M(
        "GID-01",
        IDENTITY,
        "CKV_GCP_117",
        "roles/owner for a user at project level",
        _project_member("gcp-usc1-contractor-owner", "roles/owner", "user:contractor@gmail.com"),
    ),
    M(
        "GID-02",
        IDENTITY,
        "CKV_GCP_117 / CKV_GCP_42",
        "roles/editor for the model server SA",
        _project_member("gcp-usc1-server-editor", "roles/editor", f"serviceAccount:{SA_EMAIL}"),
    ),
    M(
        "GID-03",
        IDENTITY,
        "CKV_GCP_28",
        "weights bucket readable by allUsers",
        put(GCS_MEMBER, "gcp-usc1-weights-server", "member", "allUsers"),
    ),
    M(
        "GID-04",
        IDENTITY,
        "CKV_GCP_28",
        "weights bucket binding for allAuthenticatedUsers",
        add(
            (GCS_MEMBER, "gcp-usc1-weights-server"),
            "gcp:storage/bucketIAMBinding:BucketIAMBinding",
            "gcp-usc1-weights-everyone",
            {
                "bucket": "acme-llm-prod-gcp-usc1-weights",
                "role": "roles/storage.objectViewer",
                "members": ["group:ml@example.com", "allAuthenticatedUsers"],
            },
        ),
    ),
    M(
        "GID-05",
        IDENTITY,
        "CKV_GCP_41",
        "token creator on the server SA for a whole domain",
        add(
            (SA_MEMBER, "gcp-usc1-wi-llama-8b-server"),
            SA_MEMBER,
            "gcp-usc1-wi-token-creator",
            {
                "serviceAccountId": f"projects/{PROJECT}/serviceAccounts/{SA_EMAIL}",
                "role": "roles/iam.serviceAccountTokenCreator",
                "member": "domain:example.com",
            },
        ),
    ),
    M(
        "GID-06",
        IDENTITY,
        "CKV_GCP_49",
        "serviceAccountUser granted at project level",
        _project_member("gcp-usc1-devs-sa-user", "roles/iam.serviceAccountUser", "group:developers@example.com"),
    ),
    M(
        "GID-07",
        IDENTITY,
        "CKV_GCP_117",
        "project IAMBinding roles/viewer includes allAuthenticatedUsers",
        add(
            (PROJECT_MEMBER, "gcp-usc1-gke-nodes-logging-logwriter"),
            "gcp:projects/iAMBinding:IAMBinding",
            "gcp-usc1-viewers",
            {"project": PROJECT, "role": "roles/viewer", "members": ["allAuthenticatedUsers"]},
        ),
    ),
    M(
        "GID-08",
        IDENTITY,
        "CKV_GCP_101",
        "Artifact Registry repository readable by allUsers",
        put(AR_MEMBER, "gcp-usc1-ar-nodes-reader", "member", "allUsers"),
    ),
    M(
        "GID-09",
        IDENTITY,
        "CKV_GCP_112",
        "weights KMS key usable by allAuthenticatedUsers (binding)",
        add(
            ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp-usc1-kms-weights-gcs"),
            "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
            "gcp-usc1-kms-weights-all",
            {
                "cryptoKeyId": f"projects/{PROJECT}/locations/us-central1/keyRings/gcp-usc1-kms-ring/cryptoKeys/weights",
                "role": "roles/cloudkms.cryptoKeyDecrypter",
                "members": ["allAuthenticatedUsers"],
            },
        ),
    ),
    M(
        "GID-10",
        IDENTITY,
        "CKV_GCP_42",
        "roles/container.admin for the GKE node SA",
        _project_member(
            "gcp-usc1-gke-nodes-admin",
            "roles/container.admin",
            f"serviceAccount:gcp-usc1-gke-nodes@{PROJECT}.iam.gserviceaccount.com",
        ),
    ),
    M(
        "GID-11",
        IDENTITY,
        "CKV_GCP_30 / CIS GKE 5.2.1",
        "GPU pool runs as the Compute Engine default SA",
        put(
            GKE_POOL,
            "gcp-usc1-gpu-l4",
            "nodeConfig.serviceAccount",
            "123456789012-compute@developer.gserviceaccount.com",
        ),
    ),
    M(
        "GID-12",
        IDENTITY,
        "CKV_GCP_46",
        "default compute SA granted a project role",
        _project_member(
            "gcp-usc1-default-sa-writer",
            "roles/storage.admin",
            "serviceAccount:123456789012-compute@developer.gserviceaccount.com",
        ),
    ),
    # -- network --------------------------------------------------------------------------
    M(
        "NET-01",
        NETWORK,
        "CKV_AWS_24",
        "SSH from 0.0.0.0/0 to the node security group",
        _sg_rule(
            "aws-use1-nodes-ssh", "securityGroupId", cidrIpv4="0.0.0.0/0", fromPort=22, toPort=22, ipProtocol="tcp"
        ),
    ),
    M(
        "NET-02",
        NETWORK,
        "CKV_AWS_25",
        "RDP from 0.0.0.0/0 to the node security group",
        _sg_rule(
            "aws-use1-nodes-rdp", "securityGroupId", cidrIpv4="0.0.0.0/0", fromPort=3389, toPort=3389, ipProtocol="tcp"
        ),
    ),
    M(
        "NET-03",
        NETWORK,
        "CKV_AWS_277",
        "all protocols from ::/0 to the ALB security group",
        _sg_rule("aws-use1-alb-all-v6", "referencedSecurityGroupId", cidrIpv6="::/0", ipProtocol="-1"),
    ),
    M(
        "NET-04",
        NETWORK,
        "aws-ec2-securitygroup-disallow-public-internet-ingress",
        "kubelet 10250 from 0.0.0.0/1 + 128.0.0.0/1",
        chain(
            _sg_rule(
                "aws-use1-nodes-kubelet-a",
                "securityGroupId",
                cidrIpv4="0.0.0.0/1",
                fromPort=10250,
                toPort=10250,
                ipProtocol="tcp",
            ),
            _sg_rule(
                "aws-use1-nodes-kubelet-b",
                "securityGroupId",
                cidrIpv4="128.0.0.0/1",
                fromPort=10250,
                toPort=10250,
                ipProtocol="tcp",
            ),
        ),
    ),
    M(
        "NET-05",
        NETWORK,
        "CKV_AWS_277",
        "gateway proxy port opened to the internet instead of the ALB group",
        on(
            SG_IN,
            "aws-use1-edge-gateway-in-10080",
            lambda p: (p.pop("referencedSecurityGroupId"), p.__setitem__("cidrIpv4", "0.0.0.0/0")),
        ),
    ),
    M(
        "NET-06",
        NETWORK,
        "CKV_AWS_277",
        "new security group with inline ingress on all TCP ports from anywhere",
        add(
            (SG, "aws-use1-edge-alb"),
            SG,
            "aws-use1-debug",
            {
                "description": "debug access",
                "vpcId": "aws-use1-network-vpc-de629a33",
                "ingress": [{"fromPort": 0, "toPort": 65535, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}],
            },
        ),
    ),
    M(
        "NET-07",
        NETWORK,
        "CIS AWS 5.2",
        "legacy SecurityGroupRule: PostgreSQL from anywhere",
        add(
            (SG_IN, "aws-use1-edge-gateway-in-10080"),
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "aws-use1-db-in",
            {
                "type": "ingress",
                "fromPort": 5432,
                "toPort": 5432,
                "protocol": "tcp",
                "cidrBlocks": ["0.0.0.0/0"],
                "securityGroupId": "sg-2ff70d6f4f5a978c7",
            },
        ),
    ),
    M(
        "NET-08",
        NETWORK,
        "CIS AWS 5.4 / CKV2_AWS_12",
        "default security group allows all traffic",
        put(
            DEFAULT_SG,
            "aws-use1-network-default-sg",
            "ingress",
            [{"fromPort": 0, "toPort": 0, "protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}],
        ),
    ),
    M(
        "NET-09",
        NETWORK,
        "CKV2_AWS_11 / CIS AWS 3.7",
        "VPC flow log removed",
        remove(FLOW_LOG, "aws-use1-network-flow-log"),
    ),
    M(
        "NET-10",
        NETWORK,
        "CKV_GCP_26",
        "node subnet flow logs turned off",
        drop(SUBNETWORK, "gcp-usc1-net-nodes", "logConfig"),
    ),
    M(
        "NET-11",
        NETWORK,
        "CKV_GCP_2",
        "GCP firewall: SSH from 0.0.0.0/0",
        _firewall("gcp-usc1-allow-ssh", allows=[{"protocol": "tcp", "ports": ["22"]}], sourceRanges=["0.0.0.0/0"]),
    ),
    M(
        "NET-12",
        NETWORK,
        "CIS GCP 3.6/3.7",
        "GCP firewall: all protocols from anywhere",
        _firewall("gcp-usc1-allow-all", allows=[{"protocol": "all"}], sourceRanges=["0.0.0.0/0"]),
    ),
    M(
        "NET-13",
        NETWORK,
        "CKV_GCP_3",
        "GCP firewall: RDP from anywhere",
        _firewall("gcp-usc1-allow-rdp", allows=[{"protocol": "tcp", "ports": ["3389"]}], sourceRanges=["0.0.0.0/0"]),
    ),
    M(
        "NET-14",
        NETWORK,
        "CIS GKE 5.6.x",
        "Google front-end firewall rule widened to the internet",
        append(FIREWALL, "gcp-usc1-edge-from-google", "sourceRanges", "0.0.0.0/0"),
    ),
    M(
        "NET-15",
        NETWORK,
        "CKV_GCP_106 pattern (any port)",
        "GCP firewall: kubelet from ::/0",
        _firewall("gcp-usc1-allow-kubelet-v6", allows=[{"protocol": "tcp", "ports": ["10250"]}], sourceRanges=["::/0"]),
    ),
    M(
        "NET-16",
        NETWORK,
        "kubernetes-core-v1-service-disallow-load-balancer",
        "model server Service of type LoadBalancer",
        put(SERVICE, "aws-use1-llama-8b-service", "spec.type", "LoadBalancer"),
    ),
    M(
        "NET-17",
        NETWORK,
        "kubernetes-core-v1-service-disallow-load-balancer (NodePort)",
        "model server Service of type NodePort",
        put(SERVICE, "gcp-usc1-llama-8b-service", "spec.type", "NodePort"),
    ),
    M(
        "NET-18",
        NETWORK,
        "CVE-2020-8554 / CIS K8s 5.7",
        "model server Service with externalIPs",
        put(SERVICE, "dc1-llama-70b-service", "spec.externalIPs", ["203.0.113.10"]),
    ),
    M(
        "NET-19",
        NETWORK,
        "CKV_K8S_26",
        "hostPort 8000 on the model server",
        on_container(AWS, lambda c: c["ports"][0].__setitem__("hostPort", 8000)),
    ),
    M(
        "NET-20",
        NETWORK,
        "CIS K8s 5.3.2",
        "NetworkPolicy admits every source to the model server",
        k8s(
            AWS,
            NETPOL,
            "aws-use1-llama-8b-allow-all",
            {
                "metadata": {"name": "allow-all", "namespace": "llm-llama-8b"},
                "spec": {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]},
            },
        ),
    ),
    M(
        "NET-21",
        NETWORK,
        "CIS K8s 5.3.2",
        "NetworkPolicy admits 0.0.0.0/0 to port 8000",
        append(
            NETPOL,
            "gcp-usc1-llama-8b-netpol-server",
            "spec.ingress",
            {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8000, "protocol": "TCP"}]},
        ),
    ),
    M(
        "NET-22",
        NETWORK,
        "CIS K8s 5.3.2",
        "default-deny NetworkPolicy of a model namespace removed",
        remove(NETPOL, "aws-use1-llama-8b-netpol-default-deny"),
    ),
    M(
        "NET-23",
        NETWORK,
        "OWASP API2 (broken authentication)",
        "unauthenticated health route widened to every path",
        on(
            ROUTE,
            "aws-use1-llama-8b-route-health",
            lambda p: (
                p["spec"]["rules"][0].__setitem__("matches", [{"path": {"type": "PathPrefix", "value": "/"}}]),
                p["spec"]["rules"][0].pop("filters"),
            ),
        ),
    ),
    M(
        "NET-24",
        NETWORK,
        "OWASP API2 (broken authentication)",
        "new route to /invocations with no API-key policy",
        k8s(
            AWS,
            ROUTE,
            "aws-use1-llama-8b-route-sagemaker",
            {
                "metadata": {"name": "llama-8b-invocations", "namespace": "llm-llama-8b"},
                "spec": {
                    "parentRefs": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "name": "llm-gateway",
                            "namespace": "llm-edge",
                        }
                    ],
                    "hostnames": ["llama-8b.llm-aws.example.com"],
                    "rules": [
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": "/invocations"}}],
                            "backendRefs": [{"kind": "Service", "name": "llama-8b-server", "port": 8000}],
                        }
                    ],
                },
            },
        ),
    ),
    M(
        "NET-25",
        NETWORK,
        "Gateway API security model (allowedRoutes)",
        "gateway listener accepts routes from all namespaces",
        put(GATEWAY, "aws-use1-gateway-gateway", "spec.listeners.0.allowedRoutes.namespaces", {"from": "All"}),
    ),
    M(
        "NET-26",
        NETWORK,
        "CKV_AWS_38 / CKV_AWS_39",
        "EKS API public to 0.0.0.0/0",
        on(
            EKS,
            "aws-use1-cluster",
            lambda p: p["vpcConfig"].update(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"]),
        ),
    ),
    M(
        "NET-27",
        NETWORK,
        "CKV_GCP_20 / CIS GKE 5.6.3",
        "GKE authorized networks gain 0.0.0.0/0",
        append(
            GKE,
            "gcp-usc1-gke-cluster",
            "masterAuthorizedNetworksConfig.cidrBlocks",
            {"cidrBlock": "0.0.0.0/0", "displayName": "anywhere"},
        ),
    ),
    M(
        "NET-28",
        NETWORK,
        "CKV_GCP_64",
        "GKE nodes no longer private",
        put(GKE, "gcp-usc1-gke-cluster", "privateClusterConfig.enablePrivateNodes", False),
    ),
    M(
        "NET-29",
        NETWORK,
        "aws-ec2-launchtemplate-disallow-public-ip",
        "system launch template assigns public IPs",
        put(LT, "aws-use1-cluster-system", "networkInterfaces.0.associatePublicIpAddress", "true"),
    ),
    M(
        "NET-30",
        NETWORK,
        "CKV_AWS_130",
        "private subnet maps public IPs on launch",
        put(SUBNET, "aws-use1-network-private-0", "mapPublicIpOnLaunch", True),
    ),
    M(
        "NET-31",
        NETWORK,
        "CKV_AWS_88",
        "GPU EC2NodeClass assigns public IPs",
        put(NODECLASS, "aws-use1-karpenter-l40s-nodeclass", "spec.associatePublicIPAddress", True),
    ),
    M(
        "NET-32",
        NETWORK,
        "CKV_AWS_382",
        "ALB egress to anywhere on all protocols",
        add(
            (SG_OUT, "aws-use1-edge-alb-out-10080"),
            SG_OUT,
            "aws-use1-edge-alb-out-all",
            {"securityGroupId": "aws-use1-edge-alb-8433b83f", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"},
        ),
    ),
    M("NET-33", NETWORK, "CKV_K8S_19", "staging Job on the host network", _pod_set(AWS, "hostNetwork", True, JOB)),
    M(
        "NET-34",
        NETWORK,
        "CKV_GCP_18",
        "GKE endpoint reachable from all Google Cloud public IPs",
        put(GKE, "gcp-usc1-gke-cluster", "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled", True),
    ),
    # -- edge -----------------------------------------------------------------------------
    M(
        "EDGE-01",
        EDGE,
        "CKV_AWS_342 / AWS WAF rule order",
        "allow-all rule evaluated before the managed rules",
        _waf_rules(
            lambda rules: (
                rules.insert(
                    0,
                    {
                        "name": "allow-everything",
                        "priority": 0,
                        "action": {"allow": {}},
                        "statement": {
                            "byteMatchStatement": {
                                "searchString": "/",
                                "positionalConstraint": "STARTS_WITH",
                                "fieldToMatch": {"uriPath": {}},
                                "textTransformations": [{"priority": 0, "type": "NONE"}],
                            }
                        },
                        "visibilityConfig": {
                            "metricName": "allow",
                            "sampledRequestsEnabled": True,
                            "cloudwatchMetricsEnabled": True,
                        },
                    },
                )
                or [r.__setitem__("priority", r["priority"] + 1) for r in rules[1:]]
            )
        ),
    ),
    M(
        "EDGE-02",
        EDGE,
        "CKV_AWS_192",
        "Common rule set overridden to count",
        _managed("AWSManagedRulesCommonRuleSet", lambda r: r.__setitem__("overrideAction", {"count": {}})),
    ),
    M(
        "EDGE-03",
        EDGE,
        "CKV_AWS_192",
        "KnownBadInputs (Log4j) rule group removed",
        _waf_rules(
            lambda rules: rules.remove(next(r for r in rules if r["name"] == "AWSManagedRulesKnownBadInputsRuleSet"))
        ),
    ),
    M(
        "EDGE-04",
        EDGE,
        "AWS WAF rate-based rules",
        "rate limit raised to 2,000,000 per window",
        _rate_rule(lambda r: r["statement"]["rateBasedStatement"].__setitem__("limit", 2_000_000)),
    ),
    M(
        "EDGE-05",
        EDGE,
        "CKV_AWS_342",
        "rate rule only counts",
        _rate_rule(lambda r: r.__setitem__("action", {"count": {}})),
    ),
    M(
        "EDGE-06",
        EDGE,
        "AWS WAF rate-based rules",
        "rate rule scoped to /v1/chat only (misses /v1/completions)",
        _rate_rule(
            lambda r: r["statement"]["rateBasedStatement"].__setitem__(
                "scopeDownStatement",
                {
                    "byteMatchStatement": {
                        "searchString": "/v1/chat",
                        "positionalConstraint": "STARTS_WITH",
                        "fieldToMatch": {"uriPath": {}},
                        "textTransformations": [{"priority": 0, "type": "NONE"}],
                    }
                },
            )
        ),
    ),
    M(
        "EDGE-07",
        EDGE,
        "CKV_AWS_192",
        "every rule in the Common rule set overridden to count via ruleActionOverrides",
        _managed(
            "AWSManagedRulesCommonRuleSet",
            lambda r: r["statement"]["managedRuleGroupStatement"].__setitem__(
                "ruleActionOverrides",
                [
                    {"name": n, "actionToUse": {"count": {}}}
                    for n in (
                        "NoUserAgent_HEADER",
                        "UserAgent_BadBots_HEADER",
                        "SizeRestrictions_BODY",
                        "CrossSiteScripting_BODY",
                        "GenericLFI_BODY",
                        "GenericRFI_BODY",
                        "RestrictedExtensions_URIPATH",
                        "EC2MetaDataSSRF_BODY",
                    )
                ],
            ),
        ),
    ),
    M(
        "EDGE-08",
        EDGE,
        "ALB WAF fail-open",
        "ALB forwards requests when WAF cannot be reached",
        put(ALB, "aws-use1-edge", "enableWafFailOpen", True),
    ),
    M(
        "EDGE-09",
        EDGE,
        "CKV_AWS_131",
        "ALB stops dropping invalid header fields",
        put(ALB, "aws-use1-edge", "dropInvalidHeaderFields", False),
    ),
    M(
        "EDGE-10",
        EDGE,
        "CKV_AWS_328",
        "ALB desync mitigation in monitor mode",
        put(ALB, "aws-use1-edge", "desyncMitigationMode", "monitor"),
    ),
    M(
        "EDGE-11",
        EDGE,
        "CKV_AWS_103 / aws-lb-listener-configure-secure-tls",
        "HTTPS listener allows TLS 1.0",
        put(LISTENER, "aws-use1-edge-https", "sslPolicy", "ELBSecurityPolicy-TLS-1-0-2015-04"),
    ),
    M(
        "EDGE-12",
        EDGE,
        "CKV_AWS_2 / aws-lb-listener-disallow-unencrypted-traffic",
        "HTTP listener forwards instead of redirecting",
        on(LISTENER, "aws-use1-edge-http", lambda p: p.__setitem__("defaultActions", props_forward())),
    ),
    M(
        "EDGE-13",
        EDGE,
        "CKV_AWS_91 / aws-lb-loadbalancer-enable-access-logging",
        "ALB access logs disabled",
        put(ALB, "aws-use1-edge", "accessLogs.enabled", False),
    ),
    M(
        "EDGE-14",
        EDGE,
        "Cloud Armor preconfigured WAF",
        "SQLi rule sensitivity 0 (disabled)",
        _sensitivity("sqli-v422-stable", 0),
    ),
    M(
        "EDGE-15",
        EDGE,
        "Cloud Armor rule order",
        "allow-all rule at priority 100, before the WAF rules",
        _armor_rules(
            lambda rules: rules.insert(
                0,
                {
                    "action": "allow",
                    "priority": 100,
                    "description": "temporary: allow partners",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
                },
            )
        ),
    ),
    M(
        "EDGE-16",
        EDGE,
        "CKV_GCP_73",
        "Log4j (cve-canary) rule removed",
        _armor_rules(lambda rules: rules.remove(next(r for r in rules if "cve-canary" in json.dumps(r)))),
    ),
    M(
        "EDGE-17",
        EDGE,
        "Cloud Armor rate limiting",
        "throttle threshold 1,000,000 per minute",
        _armor_rule(
            "throttle",
            "rateLimitOptions",
            {
                "conformAction": "allow",
                "enforceOnKey": "IP",
                "exceedAction": "deny(429)",
                "rateLimitThreshold": {"count": 1_000_000, "intervalSec": 60},
            },
        ),
    ),
    M(
        "EDGE-18",
        EDGE,
        "Cloud Armor preview mode",
        "XSS rule in preview (logs only)",
        _armor_rule("xss-v422-stable", "preview", True),
    ),
    M(
        "EDGE-19",
        EDGE,
        "CKV_GCP_4",
        "custom SSL policy with weak ciphers",
        on(
            SSL_POLICY,
            "gcp-usc1-edge-tls",
            lambda p: p.update(
                profile="CUSTOM",
                customFeatures=["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
            ),
        ),
    ),
    M(
        "EDGE-20",
        EDGE,
        "CKV_GCP_4",
        "SSL policy minimum TLS 1.0",
        on(SSL_POLICY, "gcp-usc1-edge-tls", lambda p: p.update(minTlsVersion="TLS_1_0", profile="COMPATIBLE")),
    ),
    M(
        "EDGE-21",
        EDGE,
        "CKV_GCP_4 (policy detached)",
        "HTTPS proxy without an SSL policy (Google default allows TLS 1.0)",
        drop(HTTPS_PROXY, "gcp-usc1-edge-https", "sslPolicy"),
    ),
    M(
        "EDGE-22",
        EDGE,
        "CIS GCP 2.16",
        "load balancer backend logging disabled",
        put(BACKEND, "gcp-usc1-edge-backend", "logConfig.enable", False),
    ),
    M(
        "EDGE-23",
        EDGE,
        "OWASP CRS (Coraza)",
        "Coraza in detection-only mode",
        _directives("SecRuleEngine On", "SecRuleEngine DetectionOnly"),
    ),
    M(
        "EDGE-24",
        EDGE,
        "OWASP CRS (Coraza)",
        "Coraza WASM filter fails open",
        _wasm(lambda w: w.__setitem__("failOpen", True)),
    ),
    M(
        "EDGE-25",
        EDGE,
        "CKV_AWS_103 (TLS 1.2 minimum)",
        "on-prem gateway accepts TLS 1.0",
        put(EG_CLIENT, "dc1-gateway-client-policy", "spec.tls.minVersion", "1.0"),
    ),
    M(
        "EDGE-26",
        EDGE,
        "X-Forwarded-For spoofing",
        "GCP gateway trusts 5 XFF hops behind one proxy",
        put(EG_CLIENT, "gcp-usc1-gateway-client-policy", "spec.clientIPDetection.xForwardedFor.numTrustedHops", 5),
    ),
    M(
        "EDGE-27",
        EDGE,
        "OWASP API2 (broken authentication)",
        "API-key policy no longer covers the prefixed route",
        on(
            EG_SECURITY,
            "aws-use1-llama-8b-api-security",
            lambda p: p["spec"].__setitem__(
                "targetRefs", [t for t in p["spec"]["targetRefs"] if t["name"] == "llama-8b"]
            ),
        ),
    ),
    M(
        "EDGE-28",
        EDGE,
        "OWASP API4 (rate limiting)",
        "on-prem per-key rate limit 1,000,000/minute",
        on(
            EG_BACKEND,
            "dc1-llama-70b-rate-limit",
            lambda p: [r["limit"].__setitem__("requests", 1_000_000) for r in p["spec"]["rateLimit"]["local"]["rules"]],
        ),
    ),
    M(
        "EDGE-29",
        EDGE,
        "Cloud Armor adaptive protection",
        "layer-7 DDoS defense disabled",
        put(ARMOR, "gcp-usc1-edge-armor", "adaptiveProtectionConfig.layer7DdosDefenseConfig.enable", False),
    ),
    M(
        "EDGE-30",
        EDGE,
        "CIS Kubernetes (authn)",
        "API-key policy turned into an allow-all authorization",
        on(
            EG_SECURITY,
            "gcp-usc1-llama-8b-api-security",
            lambda p: (p["spec"].pop("apiKeyAuth"), p["spec"]["authorization"].__setitem__("defaultAction", "Allow")),
        ),
    ),
    # -- workloads and RBAC -----------------------------------------------------------------
    M("K-01", WORKLOADS, "CKV_K8S_16", "model server privileged", _sc(GCP, "privileged", True)),
    M("K-02", WORKLOADS, "CKV_K8S_17", "model server shares the host PID namespace", _pod_set(AWS, "hostPID", True)),
    M(
        "K-03",
        WORKLOADS,
        "CKV_K8S_18",
        "model server shares the host IPC namespace (for NCCL)",
        _pod_set(DC1, "hostIPC", True),
    ),
    M(
        "K-04",
        WORKLOADS,
        "CKV_K8S_28",
        "NET_RAW added to the model server",
        _sc(AWS, "capabilities", {"drop": ["ALL"], "add": ["NET_RAW"]}),
    ),
    M(
        "K-05",
        WORKLOADS,
        "CKV_K8S_27",
        "docker socket mounted into the model server",
        _host_path(AWS, "/var/run/docker.sock"),
    ),
    M("K-06", WORKLOADS, "CIS K8s 5.2 (hostPath)", "host root filesystem mounted", _host_path(DC1, "/")),
    M(
        "K-07",
        WORKLOADS,
        "PSS baseline (AppArmor)",
        "AppArmor unconfined for the model server",
        _sc(GCP, "appArmorProfile", {"type": "Unconfined"}),
    ),
    M(
        "K-08",
        WORKLOADS,
        "PSS baseline (AppArmor annotation)",
        "AppArmor unconfined via the legacy annotation",
        on(
            DEPLOYMENT,
            SERVER[AWS],
            lambda p: (
                p["spec"]["template"]["metadata"]
                .setdefault("annotations", {})
                .__setitem__("container.apparmor.security.beta.kubernetes.io/server", "unconfined")
            ),
        ),
    ),
    M(
        "K-09",
        WORKLOADS,
        "PSS baseline (SELinux)",
        "SELinux type spc_t (super-privileged container)",
        _sc(DC1, "seLinuxOptions", {"type": "spc_t"}),
    ),
    M("K-10", WORKLOADS, "PSS baseline (procMount)", "procMount Unmasked", _sc(AWS, "procMount", "Unmasked")),
    M(
        "K-11",
        WORKLOADS,
        "PSS baseline (sysctls)",
        "unsafe kernel sysctl on the pod",
        on_pod(
            GCP,
            lambda s: s["securityContext"].__setitem__(
                "sysctls",
                [
                    {"name": "kernel.shm_rmid_forced", "value": "0"},
                    {"name": "kernel.core_pattern", "value": "|/bin/sh"},
                ],
            ),
        ),
    ),
    M(
        "K-12",
        WORKLOADS,
        "CKV_K8S_23",
        "init container runs as root",
        on_init(AWS, lambda c: c["securityContext"].update(runAsUser=0, runAsNonRoot=False)),
    ),
    M(
        "K-13",
        WORKLOADS,
        "CKV_K8S_20",
        "init container allows privilege escalation",
        on_init(GCP, lambda c: c["securityContext"].__setitem__("allowPrivilegeEscalation", True)),
    ),
    M(
        "K-14",
        WORKLOADS,
        "CKV_K8S_31",
        "seccomp Unconfined on the staging container",
        _sc(AWS, "seccompProfile", {"type": "Unconfined"}, JOB),
    ),
    M(
        "K-15",
        WORKLOADS,
        "CKV_K8S_25",
        "SYS_PTRACE added to the staging container",
        _sc(GCP, "capabilities", {"drop": ["ALL"], "add": ["SYS_PTRACE"]}, JOB),
    ),
    M(
        "K-16",
        WORKLOADS,
        "CKV_K8S_38",
        "service account token mounted into the model server",
        chain(
            _pod_set(AWS, "automountServiceAccountToken", True),
            put(SERVICE_ACCOUNT, "aws-use1-llama-8b-server-sa", "automountServiceAccountToken", True),
        ),
    ),
    M(
        "K-17",
        WORKLOADS,
        "CIS K8s 5.1.1",
        "cluster-admin bound to the model server SA",
        _crb(AWS, "llama-8b-admin", "cluster-admin", _subject_sa(AWS)),
    ),
    M(
        "K-18",
        WORKLOADS,
        "CIS K8s 5.1.1",
        "cluster-admin bound to system:authenticated",
        _crb(
            GCP,
            "everyone-admin",
            "cluster-admin",
            {"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
        ),
    ),
    M(
        "K-19",
        WORKLOADS,
        "CKV_K8S_49",
        "wildcard ClusterRole bound to a workload SA",
        chain(
            _cluster_role(DC1, "llm-operator", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
            _crb(DC1, "llm-operator", "llm-operator", _subject_sa(DC1)),
        ),
    ),
    M(
        "K-20",
        WORKLOADS,
        "CIS K8s 5.1.2",
        "ClusterRole reading Secrets cluster-wide, bound to the server SA",
        chain(
            _cluster_role(
                AWS, "secret-reader", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]
            ),
            _crb(AWS, "secret-reader", "secret-reader", _subject_sa(AWS)),
        ),
    ),
    M(
        "K-21",
        WORKLOADS,
        "CKV_K8S_157 / CKV_K8S_158",
        "ClusterRole with bind/escalate bound to a workload SA",
        chain(
            _cluster_role(
                GCP,
                "rbac-manager",
                [
                    {
                        "apiGroups": ["rbac.authorization.k8s.io"],
                        "resources": ["clusterroles", "clusterrolebindings"],
                        "verbs": ["bind", "escalate", "create"],
                    }
                ],
            ),
            _crb(GCP, "rbac-manager", "rbac-manager", _subject_sa(GCP)),
        ),
    ),
    M(
        "K-22",
        WORKLOADS,
        "CKV_K8S_49",
        "namespaced Role with * verbs on pods/exec bound to the server SA",
        chain(
            k8s(
                AWS,
                ROLE_K8S,
                "aws-use1-llama-8b-debug-role",
                {
                    "metadata": {"name": "debug", "namespace": "llm-llama-8b"},
                    "rules": [{"apiGroups": [""], "resources": ["pods", "pods/exec", "secrets"], "verbs": ["*"]}],
                },
            ),
            k8s(
                AWS,
                ROLE_BINDING,
                "aws-use1-llama-8b-debug-binding",
                {
                    "metadata": {"name": "debug", "namespace": "llm-llama-8b"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "debug"},
                    "subjects": [_subject_sa(AWS)],
                },
            ),
        ),
    ),
    M(
        "K-23",
        WORKLOADS,
        "CKV_K8S_42",
        "RoleBinding gives the namespace's default SA 'edit'",
        k8s(
            GCP,
            ROLE_BINDING,
            "gcp-usc1-llama-8b-default-edit",
            {
                "metadata": {"name": "default-edit", "namespace": "llm-llama-8b"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
                "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "llm-llama-8b"}],
            },
        ),
    ),
    M(
        "K-24",
        WORKLOADS,
        "CIS K8s 5.2.1 (PSS)",
        "model namespace enforce level lowered to baseline",
        put(
            NAMESPACE, "aws-use1-llama-8b-ns", ("metadata", "labels", "pod-security.kubernetes.io/enforce"), "baseline"
        ),
    ),
    M(
        "K-25",
        WORKLOADS,
        "CIS K8s 5.2.1 (PSS)",
        "model namespace enforce label removed (warn/audit only)",
        drop(NAMESPACE, "gcp-usc1-llama-8b-ns", ("metadata", "labels", "pod-security.kubernetes.io/enforce")),
    ),
    M(
        "K-26",
        WORKLOADS,
        "CKV_K8S_16 (pod templates of CRs)",
        "LeaderWorkerSet with a privileged worker",
        lambda plan: k8s(
            DC1,
            "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
            "dc1-llama-405b",
            {
                "metadata": {"name": "llama-405b", "namespace": "llm-llama-70b"},
                "spec": {
                    "replicas": 1,
                    "leaderWorkerTemplate": {
                        "size": 2,
                        "workerTemplate": _pod_template(
                            image_of(plan, DC1), container={"securityContext": {"privileged": True}}
                        ),
                    },
                },
            },
        )(plan),
    ),
    M(
        "K-27",
        WORKLOADS,
        "CKV_K8S_16 / CKV_K8S_19",
        "debug DaemonSet: privileged on the host network",
        lambda plan: k8s(
            AWS,
            "kubernetes:apps/v1:DaemonSet",
            "aws-use1-node-debugger",
            {
                "metadata": {"name": "node-debugger", "namespace": "llm-llama-8b"},
                "spec": {
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "extra"}},
                    "template": _pod_template(
                        _own_image(plan),
                        hostNetwork=True,
                        hostPID=True,
                        container={"securityContext": {"privileged": True}},
                    ),
                },
            },
        )(plan),
    ),
    M(
        "K-28",
        WORKLOADS,
        "CKV_K8S_33",
        "Kubernetes dashboard deployed",
        k8s(
            GCP,
            DEPLOYMENT,
            "gcp-usc1-dashboard",
            {
                "metadata": {"name": "kubernetes-dashboard", "namespace": "llm-llama-8b"},
                "spec": {
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "extra"}},
                    "template": _pod_template("docker.io/kubernetesui/dashboard:v2.7.0"),
                },
            },
        ),
    ),
    M(
        "K-29",
        WORKLOADS,
        "kubernetes-policy-v1-poddisruptionbudget-disallow-zero-voluntary-disruption",
        "PDB forbids every voluntary disruption (nodes can never drain)",
        on(
            "kubernetes:policy/v1:PodDisruptionBudget",
            "aws-use1-llama-8b-pdb",
            lambda p: (p["spec"].pop("maxUnavailable", None), p["spec"].__setitem__("maxUnavailable", 0)),
        ),
    ),
    M(
        "K-30",
        WORKLOADS,
        "CKV_K8S_30",
        "sidecar without any security context",
        lambda plan: on_pod(
            AWS,
            lambda s: s["containers"].append(
                {
                    "name": "debug",
                    "image": _own_image(plan),
                    "command": ["sleep", "infinity"],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "64Mi"},
                        "limits": {"cpu": "100m", "memory": "64Mi"},
                    },
                }
            ),
        )(plan),
    ),
    # -- secrets in the wrong place -----------------------------------------------------------
    M(
        "S-01",
        SECRETS,
        "CKV_K8S_35 / CKV_SECRET_6",
        "API key passed on the model server's command line",
        _container_arg(AWS, "--api-key", FAKE_OPENAI_KEY),
        planted=FAKE_OPENAI_KEY,
    ),
    M(
        "S-02",
        SECRETS,
        "CKV_SECRET_2",
        "AWS secret key as a literal env var of the staging Job",
        chain(
            _env(AWS, "AWS_ACCESS_KEY_ID", FAKE_AWS_KEY_ID, JOB),
            _env(AWS, "AWS_SECRET_ACCESS_KEY", FAKE_AWS_SECRET, JOB),
        ),
        planted=FAKE_AWS_SECRET,
    ),
    M(
        "S-03",
        SECRETS,
        "CKV_SECRET_6",
        "API key written into the serving spec ConfigMap",
        on(
            CONFIG_MAP,
            "gcp-usc1-llama-8b-serving-spec",
            lambda p: p["data"].__setitem__(
                "spec.json", json.dumps({**json.loads(p["data"]["spec.json"]), "apiKey": FAKE_OPENAI_KEY})
            ),
        ),
        planted=FAKE_OPENAI_KEY,
    ),
    M(
        "S-04",
        SECRETS,
        "CKV_SECRET_2",
        "AWS access key pair in a ConfigMap",
        put(
            CONFIG_MAP,
            "aws-use1-ops-fleet-dashboard",
            "data.credentials",
            f"[default]\naws_access_key_id = {FAKE_AWS_KEY_ID}\naws_secret_access_key = {FAKE_AWS_SECRET}\n",
        ),
        planted=FAKE_AWS_SECRET,
    ),
    M(
        "S-05",
        SECRETS,
        "CKV_SECRET_13 (private key)",
        "TLS private key pasted into a ConfigMap",
        put(
            CONFIG_MAP,
            "dc1-ops-fleet-dashboard",
            ("data", "tls.key"),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
            "-----END RSA PRIVATE KEY-----\n",
        ),
        planted="MIIEowIBAAKCAQEA0Z3VS5JJ",
    ),
    M(
        "S-06",
        SECRETS,
        "Helm values secrets (Grafana admin password literal)",
        "Grafana admin password as a literal",
        _values(
            "dc1-ops-kube-prometheus-stack", lambda v: v["grafana"].__setitem__("adminPassword", "Pr0d-Grafana-2026!")
        ),
        planted="Pr0d-Grafana-2026!",
    ),
    M(
        "S-07",
        SECRETS,
        "CKV_SECRET (URL credentials)",
        "remote-write URL with user:password",
        _values(
            "aws-use1-ops-kube-prometheus-stack",
            lambda v: v["prometheus"]["prometheusSpec"].__setitem__(
                "remoteWrite", [{"url": "https://metrics:S3cr3tPassw0rd@mimir.example.com/api/v1/push"}]
            ),
        ),
        planted="S3cr3tPassw0rd",
    ),
    M(
        "S-08",
        SECRETS,
        "CKV_SECRET (URL credentials)",
        "weights endpoint with userinfo in the stager's env",
        _env(DC1, "AWS_ENDPOINT_URL", "https://weights:9fKq2LmP7xZ4@s3.dc1.internal", JOB),
        planted="9fKq2LmP7xZ4",
    ),
    M(
        "S-09",
        SECRETS,
        "CKV_AWS_46",
        "AWS keys in the system nodes' user data",
        put(
            LT,
            "aws-use1-cluster-system",
            "userData",
            _b64(
                f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={FAKE_AWS_KEY_ID}\nexport AWS_SECRET_ACCESS_KEY={FAKE_AWS_SECRET}\n"
            ),
        ),
        planted=FAKE_AWS_SECRET,
    ),
    M(
        "S-10",
        SECRETS,
        "CKV_AWS_46",
        "Hugging Face token in EC2NodeClass user data",
        put(
            NODECLASS,
            "aws-use1-karpenter-h100-nodeclass",
            "spec.userData",
            "#!/bin/bash\necho 'HF_TOKEN=hf_" + "QmLpZx7Rt2Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4" + "' >> /etc/environment\n",
        ),
        planted="QmLpZx7Rt2Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4",
    ),
    M(
        "S-11",
        SECRETS,
        "CKV_K8S_35 / CKV_SECRET_6",
        "HF token flag in the wait-for-weights init container",
        on_init(GCP, lambda c: c["command"].append("--hf-token=hf_" + "Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4QmLpZx7Rt2")),
        planted="Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4QmLpZx7Rt2",
    ),
    M(
        "S-12",
        SECRETS,
        "CKV_SECRET_4 (basic auth)",
        "Helm repository URL with credentials",
        put(
            HELM,
            "gcp-usc1-ops-keda",
            "repositoryOpts.repo",
            "https://ci-bot:ghp_" + "8fKq2LmP7xZ4Rt2Wc9Hn5Kd3Fv6Jp0Ys1G" + "@charts.example.com/keda",
        ),
        planted="8fKq2LmP7xZ4Rt2Wc9Hn5Kd3Fv6Jp0Ys1G",
    ),
    # -- supply chain ---------------------------------------------------------------------
    M(
        "SC-01",
        SUPPLY,
        "CKV_K8S_43 / CKV_K8S_14",
        "model server runs the public vLLM image by tag",
        _image(AWS, "docker.io/vllm/vllm-openai:v0.11.0"),
    ),
    M(
        "SC-02",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "image from public.ecr.aws, pinned by digest",
        _image(GCP, f"public.ecr.aws/vllm/vllm-openai@{DIGEST}"),
    ),
    M(
        "SC-03",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "image from another account's ECR, pinned by digest",
        _image(AWS, f"{FOREIGN_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/llm-fleet-serving@{DIGEST}"),
    ),
    M(
        "SC-04",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "image from another GCP project's Artifact Registry",
        _image(GCP, f"us-central1-docker.pkg.dev/some-other-project/serving/llm-fleet-serving@{DIGEST}"),
    ),
    M(
        "SC-05",
        SUPPLY,
        "CKV_K8S_43",
        "own ECR image pinned by tag only",
        lambda plan: _image(AWS, image_of(plan, AWS).split("@")[0] + ":0.32.0-llmfleet.1")(plan),
    ),
    M(
        "SC-06",
        SUPPLY,
        "CKV_K8S_14",
        "init container image busybox:latest",
        on_init(AWS, lambda c: c.__setitem__("image", "busybox:latest")),
    ),
    M(
        "SC-07",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "staging Job image from ghcr.io",
        _image(DC1, f"ghcr.io/someone/llm-stager@{DIGEST}", JOB),
    ),
    M(
        "SC-08",
        SUPPLY,
        "Helm repositories over TLS",
        "Helm repository over plain HTTP",
        put(
            HELM,
            "aws-use1-ops-dcgm-exporter",
            "repositoryOpts.repo",
            "http://nvidia.github.io/dcgm-exporter/helm-charts",
        ),
    ),
    M(
        "SC-09",
        SUPPLY,
        "CKV_K8S_43 (images in Helm values)",
        "dcgm-exporter image overridden to docker.io:latest",
        _values(
            "aws-use1-ops-dcgm-exporter",
            lambda v: v.__setitem__("image", {"repository": "docker.io/someuser/dcgm-exporter", "tag": "latest"}),
        ),
    ),
    M(
        "SC-10",
        SUPPLY,
        "CKV_K8S_43 (WASM image)",
        "Coraza WASM filter from an unpinned third-party image",
        _wasm(lambda w: w["code"]["image"].__setitem__("url", "docker.io/someone/coraza-proxy-wasm:latest")),
    ),
    M(
        "SC-11",
        SUPPLY,
        "CKV_K8S_43 (pod templates of CRs)",
        "LeaderWorkerSet leader from docker.io by tag",
        k8s(
            DC1,
            "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
            "dc1-llama-405b-public",
            {
                "metadata": {"name": "llama-405b", "namespace": "llm-llama-70b"},
                "spec": {
                    "replicas": 1,
                    "leaderWorkerTemplate": {
                        "size": 2,
                        "leaderTemplate": _pod_template("docker.io/vllm/vllm-openai:latest"),
                        "workerTemplate": _pod_template("docker.io/vllm/vllm-openai:latest"),
                    },
                },
            },
        ),
    ),
    M(
        "SC-12",
        SUPPLY,
        "CKV_AWS_51 / aws-ecr-repository-disallow-mutable-image",
        "ECR tags mutable",
        put(ECR_REPO, "aws-use1-registry-serving", "imageTagMutability", "MUTABLE"),
    ),
    M(
        "SC-13",
        SUPPLY,
        "CKV_AWS_163 / aws-ecr-repository-enable-image-scan",
        "ECR scan on push off",
        put(ECR_REPO, "aws-use1-registry-serving", "imageScanningConfiguration.scanOnPush", False),
    ),
    M(
        "SC-14",
        SUPPLY,
        "CKV_GCP_66",
        "GKE Binary Authorization disabled",
        put(GKE, "gcp-usc1-gke-cluster", "binaryAuthorization.evaluationMode", "DISABLED"),
    ),
    M(
        "SC-15",
        SUPPLY,
        "Artifact Registry immutable tags",
        "Artifact Registry tags mutable",
        put(AR_REPO, "gcp-usc1-ar-serving", "dockerConfig.immutableTags", False),
    ),
    M("SC-16", SUPPLY, "Helm chart pinning", "Helm chart version unpinned", drop(HELM, "gcp-usc1-ops-keda", "version")),
    M(
        "SC-17",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "Karpenter chart from a personal OCI registry",
        put(HELM, "aws-use1-karpenter", "chart", "oci://docker.io/someuser/karpenter"),
    ),
    M(
        "SC-18",
        SUPPLY,
        "CKV_K8S_43",
        "CronJob re-staging weights from a tag-only public image",
        k8s(
            GCP,
            "kubernetes:batch/v1:CronJob",
            "gcp-usc1-restage",
            {
                "metadata": {"name": "restage", "namespace": "llm-llama-8b"},
                "spec": {
                    "schedule": "0 3 * * *",
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                **_pod_template("python:3.12-slim"),
                                "spec": {**_pod_template("python:3.12-slim")["spec"], "restartPolicy": "OnFailure"},
                            }
                        }
                    },
                },
            },
        ),
    ),
    # -- cost -----------------------------------------------------------------------------
    M(
        "C-01",
        COST,
        "GKE node pool sizing (fixed nodeCount)",
        "H100 pool with a fixed 8 nodes and no autoscaling",
        _gke_pool_clone(
            "h100-batch",
            lambda b: (b.pop("autoscaling"), b.__setitem__("nodeCount", 8), b.__setitem__("initialNodeCount", 8)),
        ),
    ),
    M(
        "C-02",
        COST,
        "GKE node pool sizing",
        "H100 pool autoscaling max raised to 100 nodes",
        put(GKE_POOL, "gcp-usc1-gpu-h100", "autoscaling.totalMaxNodeCount", 100),
    ),
    M(
        "C-03",
        COST,
        "Karpenter NodePool limits",
        "H100 NodePool GPU limit 10,000",
        put(NODEPOOL, "aws-use1-karpenter-h100-nodepool", ("spec", "limits", "nvidia.com/gpu"), 10_000),
    ),
    M(
        "C-04",
        COST,
        "Karpenter NodePool limits",
        "NodePool limited on CPU only, no GPU bound",
        put(NODEPOOL, "aws-use1-karpenter-l40s-nodepool", "spec.limits", {"cpu": "100000"}),
    ),
    M(
        "C-05",
        COST,
        "Karpenter NodePool limits",
        "new p5 NodePool without limits",
        _nodepool_clone("p5-burst", lambda b: b["spec"].pop("limits")),
    ),
    M(
        "C-06",
        COST,
        "EKS managed node group sizing",
        "GPU managed node group of 20 p5.48xlarge",
        add(
            (NODE_GROUP, "aws-use1-cluster-system"),
            NODE_GROUP,
            "aws-use1-cluster-gpu",
            {
                "clusterName": "llm-fleet-prod-aws-use1",
                "instanceTypes": ["p5.48xlarge"],
                "capacityType": "ON_DEMAND",
                "amiType": "AL2023_x86_64_NVIDIA",
                "nodeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-use1-karpenter-node",
                "scalingConfig": {"desiredSize": 20, "minSize": 20, "maxSize": 20},
                "subnetIds": ["aws-use1-network-private-0-a074c554"],
            },
        ),
    ),
    M(
        "C-07",
        COST,
        "GKE node auto-provisioning",
        "autoprovisioning of up to 1000 H100s",
        put(
            GKE,
            "gcp-usc1-gke-cluster",
            "clusterAutoscaling",
            {
                "enabled": True,
                "resourceLimits": [
                    {"resourceType": "cpu", "minimum": 0, "maximum": 100000},
                    {"resourceType": "memory", "minimum": 0, "maximum": 1000000},
                    {"resourceType": "nvidia-h100-80gb", "minimum": 0, "maximum": 1000},
                ],
            },
        ),
    ),
    M(
        "C-08",
        COST,
        "instance allow-list",
        "H100 NodePool may launch p5e.48xlarge (not allowed in prod)",
        on(
            NODEPOOL,
            "aws-use1-karpenter-h100-nodepool",
            lambda p: p["spec"]["template"]["spec"]["requirements"][0]["values"].append("p5e.48xlarge"),
        ),
    ),
    M(
        "C-09",
        COST,
        "instance allow-list",
        "L40S NodePool accepts any instance type",
        on(
            NODEPOOL,
            "aws-use1-karpenter-l40s-nodepool",
            lambda p: p["spec"]["template"]["spec"].__setitem__(
                "requirements",
                [
                    r
                    for r in p["spec"]["template"]["spec"]["requirements"]
                    if r["key"] != "node.kubernetes.io/instance-type"
                ],
            ),
        ),
    ),
    M(
        "C-10",
        COST,
        "budget alerts (CIS AWS 1.x billing hygiene)",
        "AWS budget alerts only above 100%",
        on(
            AWS_BUDGET,
            "aws-use1-budget",
            lambda p: p.__setitem__(
                "notifications", [dict(n, threshold=150) for n in p["notifications"] if n["threshold"] == 100]
            ),
        ),
    ),
    M(
        "C-11",
        COST,
        "budget alerts",
        "GCP budget thresholds only at 150%",
        put(
            GCP_BUDGET,
            "gcp-usc1-budget-budget",
            "thresholdRules",
            [{"spendBasis": "CURRENT_SPEND", "thresholdPercent": 1.5}],
        ),
    ),
    M(
        "C-12",
        COST,
        "GKE node pool (GPU count)",
        "L4 pool with 8 GPUs per node on g2-standard-96, up to 50 nodes",
        on(
            GKE_POOL,
            "gcp-usc1-gpu-l4",
            lambda p: (
                p["nodeConfig"].__setitem__("machineType", "g2-standard-96"),
                p["nodeConfig"]["guestAccelerators"][0].__setitem__("count", 8),
                p["autoscaling"].__setitem__("totalMaxNodeCount", 50),
            ),
        ),
    ),
    # -- encryption and logging (classes the pack covered before, on other resources) ----------
    M(
        "E-01",
        ENCRYPTION,
        "CKV_AWS_58 / aws-eks-cluster-enable-cluster-encryption-config",
        "EKS secrets encryption removed",
        drop(EKS, "aws-use1-cluster", "encryptionConfig"),
    ),
    M(
        "E-02",
        ENCRYPTION,
        "CKV_AWS_37",
        "EKS control plane logs api only",
        put(EKS, "aws-use1-cluster", "enabledClusterLogTypes", ["api"]),
    ),
    M(
        "E-03",
        ENCRYPTION,
        "CKV_AWS_7 / aws-kms-key-enable-key-rotation",
        "S3 KMS key rotation off",
        put(KMS_KEY, "aws-use1-keys-s3", "enableKeyRotation", False),
    ),
    M(
        "E-04",
        ENCRYPTION,
        "CKV_AWS_158",
        "control-plane log group not KMS-encrypted",
        drop(LOG_GROUP, "aws-use1-cluster-control-plane-logs", "kmsKeyId"),
    ),
    M(
        "E-05",
        ENCRYPTION,
        "CKV_AWS_338 / CKV_AWS_66",
        "flow log group kept 1 day",
        put(LOG_GROUP, "aws-use1-network-flow-logs", "retentionInDays", 1),
    ),
    M(
        "E-06",
        ENCRYPTION,
        "CKV_AWS_27",
        "interruption queue without SSE",
        put(QUEUE, "aws-use1-karpenter-interruptions", "sqsManagedSseEnabled", False),
    ),
    M(
        "E-07",
        ENCRYPTION,
        "CKV_AWS_26",
        "new SNS topic without encryption",
        add(
            (QUEUE, "aws-use1-karpenter-interruptions"),
            "aws:sns/topic:Topic",
            "aws-use1-alerts",
            {"name": "llm-fleet-alerts"},
        ),
    ),
    M(
        "E-08",
        ENCRYPTION,
        "CKV_AWS_79",
        "system launch template allows IMDSv1",
        put(LT, "aws-use1-cluster-system", "metadataOptions.httpTokens", "optional"),
    ),
    M(
        "E-09",
        ENCRYPTION,
        "CKV_AWS_341",
        "IMDS hop limit 3 (pods reach node credentials)",
        put(LT, "aws-use1-cluster-system", "metadataOptions.httpPutResponseHopLimit", 3),
    ),
    M(
        "E-10",
        ENCRYPTION,
        "CKV_AWS_79",
        "GPU EC2NodeClass allows IMDSv1",
        put(NODECLASS, "aws-use1-karpenter-l40s-nodeclass", "spec.metadataOptions.httpTokens", "optional"),
    ),
    M(
        "E-11",
        ENCRYPTION,
        "CIS GKE 5.3.1",
        "GKE application-layer secrets encryption off",
        put(GKE, "gcp-usc1-gke-cluster", "databaseEncryption", {"state": "DECRYPTED"}),
    ),
    M(
        "E-12",
        ENCRYPTION,
        "CKV_GCP_69",
        "GPU pool exposes the node metadata server",
        put(GKE_POOL, "gcp-usc1-gpu-h100", "nodeConfig.workloadMetadataConfig.mode", "GCE_METADATA"),
    ),
    M(
        "E-13",
        ENCRYPTION,
        "CKV_GCP_68",
        "GPU pool secure boot off",
        put(GKE_POOL, "gcp-usc1-gpu-l4", "nodeConfig.shieldedInstanceConfig.enableSecureBoot", False),
    ),
    M(
        "E-14",
        ENCRYPTION,
        "CKV_GCP_9",
        "GPU pool auto-repair off",
        put(GKE_POOL, "gcp-usc1-gpu-h100", "management.autoRepair", False),
    ),
    M(
        "E-15",
        ENCRYPTION,
        "CKV_GCP_7",
        "GKE legacy ABAC on",
        put(GKE, "gcp-usc1-gke-cluster", "enableLegacyAbac", True),
    ),
    M(
        "E-16",
        ENCRYPTION,
        "CKV_GCP_13",
        "GKE issues client certificates",
        put(GKE, "gcp-usc1-gke-cluster", "masterAuth.clientCertificateConfig.issueClientCertificate", True),
    ),
    M(
        "E-17",
        ENCRYPTION,
        "CKV_GCP_70",
        "GKE release channel UNSPECIFIED",
        put(GKE, "gcp-usc1-gke-cluster", "releaseChannel.channel", "UNSPECIFIED"),
    ),
    M(
        "E-18",
        ENCRYPTION,
        "CKV_GCP_8",
        "GKE monitoring off",
        put(GKE, "gcp-usc1-gke-cluster", "monitoringService", "none"),
    ),
    M(
        "E-19",
        ENCRYPTION,
        "CKV_GCP_29",
        "weights bucket uniform access off",
        put(GCS, "gcp-usc1-weights-bucket", "uniformBucketLevelAccess", False),
    ),
    M(
        "E-20",
        ENCRYPTION,
        "CKV_GCP_114 / gcp-storage-bucket-enforce-public-access-prevention",
        "public access prevention inherited",
        put(GCS, "gcp-usc1-weights-bucket", "publicAccessPrevention", "inherited"),
    ),
    M(
        "E-21",
        ENCRYPTION,
        "CKV_GCP_78",
        "weights bucket versioning off",
        put(GCS, "gcp-usc1-weights-bucket", "versioning.enabled", False),
    ),
    M(
        "E-22",
        ENCRYPTION,
        "CIS GCP 5.x (CMEK)",
        "weights bucket without its customer-managed key",
        drop(GCS, "gcp-usc1-weights-bucket", "encryption"),
    ),
    M(
        "E-23",
        ENCRYPTION,
        "CKV_GCP_43",
        "weights key never rotates",
        drop(GCP_KEY, "gcp-usc1-kms-weights", "rotationPeriod"),
    ),
    M(
        "E-24",
        ENCRYPTION,
        "CKV_GCP_84",
        "Artifact Registry without CMEK",
        drop(AR_REPO, "gcp-usc1-ar-serving", "kmsKeyName"),
    ),
    M(
        "E-25",
        ENCRYPTION,
        "CKV_AWS_145 / aws-s3-bucket-enable-server-side-encryption",
        "logs bucket SSE configuration removed",
        remove(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws-use1-storage-logs-encryption",
        ),
    ),
    M(
        "E-26",
        ENCRYPTION,
        "CKV_AWS_3 / aws-ebs-volume-disallow-unencrypted-volume",
        "new unencrypted EBS volume",
        add(
            (LT, "aws-use1-cluster-system"),
            "aws:ebs/volume:Volume",
            "aws-use1-scratch",
            {"availabilityZone": "us-east-1a", "size": 2000, "type": "gp3", "encrypted": False},
        ),
    ),
    M(
        "E-27",
        ENCRYPTION,
        "CKV_AWS_158 / CKV_AWS_66",
        "new log group without KMS or retention",
        add((LOG_GROUP, "aws-use1-network-flow-logs"), LOG_GROUP, "aws-use1-app-logs", {"name": "/llm-fleet/prod/app"}),
    ),
    M(
        "E-28",
        ENCRYPTION,
        "CKV_AWS_79 / CKV_AWS_88 / CKV_AWS_8",
        "bastion instance: public IP, IMDSv1, unencrypted root",
        add(
            (LT, "aws-use1-cluster-system"),
            "aws:ec2/instance:Instance",
            "aws-use1-bastion",
            {
                "ami": "ami-0abcdef1234567890",
                "instanceType": "t3.micro",
                "associatePublicIpAddress": True,
                "subnetId": "aws-use1-network-public-0-00ca3ffd",
                "metadataOptions": {"httpTokens": "optional", "httpEndpoint": "enabled"},
                "rootBlockDevice": {"encrypted": False, "volumeSize": 20},
            },
        ),
    ),
    M(
        "E-29",
        ENCRYPTION,
        "CKV_GCP_22",
        "GPU pool node image Ubuntu instead of COS",
        put(GKE_POOL, "gcp-usc1-gpu-l4", "nodeConfig.imageType", "UBUNTU_CONTAINERD"),
    ),
    M(
        "E-30",
        ENCRYPTION,
        "CIS GKE 5.5.x (kubelet read-only port)",
        "kubelet read-only port enabled",
        put(
            GKE,
            "gcp-usc1-gke-cluster",
            "nodePoolDefaults.nodeConfigDefaults.insecureKubeletReadonlyPortEnabled",
            "TRUE",
        ),
    ),
    M(
        "E-31",
        ENCRYPTION,
        "CKV_AWS_8 / aws-ec2-launchtemplate-disallow-unencrypted-block-device",
        "L40S EC2NodeClass volume unencrypted",
        put(NODECLASS, "aws-use1-karpenter-l40s-nodeclass", "spec.blockDeviceMappings.0.ebs.encrypted", False),
    ),
    M(
        "E-32",
        ENCRYPTION,
        "CKV_AWS_339",
        "EKS on an unsupported version",
        put(EKS, "aws-use1-cluster", "version", "1.27"),
    ),
]


def props_forward() -> list[Doc]:
    return [
        {
            "type": "forward",
            "targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/aws-use1-edge-gw/09a40052f0998e95",
        }
    ]
