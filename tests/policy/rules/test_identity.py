"""Cases for the identity and policy-document rules (IAM-01..10, and the semantic checks KMS-03
and ECR-04 share with them): policy documents read for what they grant, not how they look."""

import json

import pytest

from tests.policy.baseline_identity_network import ADMIN_ROLE
from tests.policy.harness import Case, add, cases_params, chain, check, config, resource, set_

ACCT = "123456789012"
FOREIGN = "arn:aws:iam::999988887777:root"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _append(name, prop, statement, as_object=False):
    """Add a statement to a resource's policy document (kept a JSON string, or made an object)."""

    def change(plan):
        props = resource(plan, name)["props"]
        doc = json.loads(props[prop])
        doc["Statement"] = [*doc["Statement"], statement]
        props[prop] = doc if as_object else json.dumps(doc)

    return change


STAR_GET = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
QUEUE = "aws1-karpenter-queue"
SERVER_POLICY = "aws1-server-weights"
SERVER_ROLE = "aws1-server"


def _lb_role(plan):
    """A load balancer controller role whose policy may rewire the edge."""
    from tests.policy.baseline import _res
    from tests.policy.baseline_identity_network import trust

    plan["resources"] += [
        _res("aws:iam/role:Role", "aws1-lbc", {"assumeRolePolicy": trust()}, "aws1", "aws1-aws"),
        _res(
            "aws:iam/rolePolicy:RolePolicy",
            "aws1-lbc-policy",
            {
                "role": "aws1-lbc-1a2b3c4d",
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Action": ["elasticloadbalancing:RegisterTargets"],
                        "Resource": [f"arn:aws:elasticloadbalancing:us-east-1:{ACCT}:targetgroup/x/1"],
                    }
                ),
            },
            "aws1",
            "aws1-aws",
        ),
    ]


def _aws_k8s_configmap(name, namespace, data):
    from tests.policy.baseline import _res

    props = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}
    return add(_res("kubernetes:core/v1:ConfigMap", f"aws1-{name}", props, "aws1", "aws1-k8s"))


def _aws_add(type_, name, props):
    from tests.policy.baseline import _res

    return add(_res(type_, name, props, "aws1", "aws1-aws"))


def _gcp_iam(type_, name, props):
    from tests.policy.baseline import _res

    return add(_res(type_, name, props, "gcp1", "gcp1-gcp"))


def _acl(props):
    from tests.policy.baseline import _res

    return add(_res("aws:s3/bucketAcl:BucketAcl", "aws1-weights-acl", props, "aws1", "aws1-aws"))


CASES = {
    "IAM-01": [
        Case("baseline"),
        Case(
            "star-with-source-account",
            _append(
                "aws1-weights-policy",
                "policy",
                {**STAR_GET, "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}},
            ),
        ),
        Case(
            "star-with-org-id",
            _append(QUEUE, "policy", {**STAR_GET, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}),
        ),
        Case("deny-star-is-fine", _append(QUEUE, "policy", {**STAR_GET, "Effect": "Deny"})),
        Case(
            "public-bucket-read",
            _append("aws1-weights-policy", "policy", STAR_GET),
            {
                "aws1-weights-policy": [
                    "policy: Statement[1] allows Principal '*'; expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "object-document-single-statement",
            set_("aws1-logs-policy", "policy", {"Statement": {**STAR_GET, "Principal": {"AWS": ["*"]}}}),
            {
                "aws1-logs-policy": [
                    "policy: Statement[0] allows Principal '*'; expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "unrelated-condition",
            _append(QUEUE, "policy", {**STAR_GET, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
            {
                QUEUE: [
                    "policy: Statement[2] allows Principal '*' under conditions that do not narrow the caller; "
                    "expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "wildcard-source-arn",
            _append(QUEUE, "policy", {**STAR_GET, "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:*"}}}),
            {
                QUEUE: [
                    "policy: Statement[2] allows Principal '*' under conditions that do not narrow the caller; "
                    "expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "negated-condition",
            _append(QUEUE, "policy", {**STAR_GET, "Condition": {"StringNotEquals": {"aws:SourceAccount": ACCT}}}),
            {
                QUEUE: [
                    "policy: Statement[2] allows Principal '*' under conditions that do not narrow the caller; "
                    "expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "if-exists-condition",
            _append(QUEUE, "policy", {**STAR_GET, "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCT}}}),
            {
                QUEUE: [
                    "policy: Statement[2] allows Principal '*' under conditions that do not narrow the caller; "
                    "expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "open-source-ip",
            _append(
                QUEUE,
                "policy",
                {**STAR_GET, "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}},
            ),
            {
                QUEUE: [
                    "policy: Statement[2] allows Principal '*' under conditions that do not narrow the caller; "
                    "expected named principals or a caller condition"
                ]
            },
        ),
        Case(
            "not-principal",
            _append(
                QUEUE,
                "policy",
                {**{k: v for k, v in STAR_GET.items() if k != "Principal"}, "NotPrincipal": {"AWS": FOREIGN}},
            ),
            {
                QUEUE: [
                    "policy: Statement[2] allows NotPrincipal (everyone else); expected named principals or a caller condition"
                ]
            },
        ),
    ],
    "KMS-03": [
        Case(
            "key-policy-star-with-caller-account",
            _append(
                "aws1-key",
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:CallerAccount": ACCT, "kms:ViaService": "s3.us-east-1.amazonaws.com"}
                    },
                },
            ),
        ),
        Case(
            "via-service-alone-does-not-narrow",
            _append(
                "aws1-key",
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                },
            ),
            {
                "aws1-key": [
                    "Statement[1] allows Principal '*' under conditions that do not narrow the caller; expected named principals"
                ]
            },
        ),
    ],
    "ECR-04": [
        Case(
            "star-with-unrelated-condition",
            set_(
                "aws1-serving-policy",
                "policy",
                _doc(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "ecr:BatchGetImage",
                        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                    }
                ),
            ),
            {
                "aws1-serving-policy": [
                    "Statement[0] allows Principal '*' (its conditions do not narrow the caller); expected named principals"
                ]
            },
        ),
    ],
    "IAM-02": [
        Case("baseline"),
        Case(
            "admin-account-is-the-stacks",
            _append(
                "aws1-serving-policy",
                "policy",
                {"Effect": "Allow", "Principal": {"AWS": ADMIN_ROLE}, "Action": "ecr:*"},
            ),
        ),
        Case(
            "elb-log-delivery-account",
            _append(
                "aws1-logs-policy",
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::aws1-logs/alb/*",
                },
            ),
        ),
        Case(
            "foreign-account-pulls-images",
            _append(
                "aws1-serving-policy",
                "policy",
                {"Effect": "Allow", "Principal": {"AWS": FOREIGN}, "Action": "ecr:BatchGetImage"},
            ),
            {
                "aws1-serving-policy": [
                    f"policy: Statement[1] grants '{FOREIGN}' of account 999988887777; expected the stack's accounts ['111122223333', '123456789012']"
                ]
            },
        ),
        Case(
            "foreign-account-assumes-role",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {"Effect": "Allow", "Principal": {"AWS": ["999988887777"]}, "Action": "sts:AssumeRole"},
            ),
            {
                SERVER_ROLE: [
                    "assumeRolePolicy: Statement[1] grants '999988887777' of account 999988887777; expected the stack's accounts ['111122223333', '123456789012']"
                ]
            },
        ),
        Case(
            "foreign-account-in-key-policy",
            _append(
                "aws1-key",
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::999988887777:role/x"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                },
            ),
            {
                "aws1-key": [
                    "policy: Statement[1] grants 'arn:aws:iam::999988887777:role/x' of account 999988887777; expected the stack's accounts ['111122223333', '123456789012']"
                ]
            },
        ),
        Case(
            "kms-grant-to-a-foreign-account",
            _aws_add(
                "aws:kms/grant:Grant",
                "aws1-key-partner",
                {"keyId": "1111-2222", "granteePrincipal": FOREIGN, "operations": ["Decrypt"]},
            ),
            {
                "aws1-key-partner": [
                    f"granteePrincipal '{FOREIGN}' of account 999988887777 may use the key; expected the stack's accounts ['111122223333', '123456789012']"
                ]
            },
        ),
        Case(
            "kms-grant-to-an-own-role",
            _aws_add(
                "aws:kms/grant:Grant",
                "aws1-key-own",
                {
                    "keyId": "1111-2222",
                    "granteePrincipal": f"arn:aws:iam::{ACCT}:role/aws1-server",
                    "operations": ["Decrypt"],
                },
            ),
        ),
    ],
    "IAM-03": [
        Case("baseline"),
        Case(
            "describe-star-is-scoped",
            _append(SERVER_POLICY, "policy", {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}),
        ),
        Case(
            "service-star-on-one-bucket",
            _append(SERVER_POLICY, "policy", {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}),
        ),
        Case(
            "admin",
            _append(SERVER_POLICY, "policy", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
            {
                SERVER_POLICY: [
                    "policy: Statement[2] allows ['*'] on Resource '*'; expected named actions on named resources"
                ]
            },
        ),
        Case(
            "service-star",
            _append(
                SERVER_POLICY, "policy", {"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": ["*"]}
            ),
            {
                SERVER_POLICY: [
                    "policy: Statement[2] allows ['s3:*'] on Resource '*'; expected named actions on named resources"
                ]
            },
        ),
        Case(
            "not-action",
            _append(SERVER_POLICY, "policy", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
            {
                SERVER_POLICY: [
                    "policy: Statement[2] allows NotAction ['iam:*'] on '*' (every other action); expected named actions"
                ]
            },
        ),
        Case(
            "inline-policy-on-the-role",
            set_(
                SERVER_ROLE,
                "inlinePolicies",
                [{"name": "x", "policy": _doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})}],
            ),
            {
                SERVER_ROLE: [
                    "inlinePolicies[0].policy: Statement[0] allows ['kms:*'] on Resource '*'; expected named actions on named resources"
                ]
            },
        ),
    ],
    "IAM-04": [
        Case("baseline"),
        Case(
            "pass-any-role",
            _append(SERVER_POLICY, "policy", {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
            {SERVER_POLICY: ["policy: Statement[2] allows iam:PassRole on ['*']; expected the ARNs of specific roles"]},
        ),
        Case(
            "iam-star-on-every-role",
            _append(
                SERVER_POLICY,
                "policy",
                {"Effect": "Allow", "Action": "iam:Pass*", "Resource": f"arn:aws:iam::{ACCT}:role/*"},
            ),
            {
                SERVER_POLICY: [
                    f"policy: Statement[2] allows iam:PassRole on ['arn:aws:iam::{ACCT}:role/*']; expected the ARNs of specific roles"
                ]
            },
        ),
    ],
    "IAM-05": [
        Case("baseline"),
        Case(
            "github-oidc-pinned",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "token.actions.githubusercontent.com:sub": "repo:acme/llm-fleet:ref:refs/heads/main",
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        }
                    },
                },
            ),
        ),
        Case(
            "own-account-root-narrowed-by-principal-arn",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:role/ci-deployer"}},
                },
            ),
        ),
        Case(
            "own-account-root",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"},
            ),
            {
                SERVER_ROLE: [
                    f"assumeRolePolicy: Statement[1] trusts account 'arn:aws:iam::{ACCT}:root' as a whole (any of its "
                    "principals with sts:AssumeRole); expected a named role, or aws:PrincipalArn in a condition"
                ]
            },
        ),
        Case(
            "any-aws-principal",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            ),
            {
                SERVER_ROLE: [
                    "assumeRolePolicy: Statement[1] lets any AWS principal assume the role; expected named principals"
                ]
            },
        ),
        Case(
            "star-with-unrelated-condition",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                },
            ),
            {
                SERVER_ROLE: [
                    "assumeRolePolicy: Statement[1] lets any AWS principal assume the role; expected named principals"
                ]
            },
        ),
        Case(
            "oidc-any-subject",
            _append(
                SERVER_ROLE,
                "assumeRolePolicy",
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
                },
            ),
            {
                SERVER_ROLE: [
                    f"assumeRolePolicy: Statement[1] trusts 'arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com' with no StringEquals condition on its ':sub' claim; any identity of that IdP can assume the role"
                ]
            },
        ),
    ],
    "IAM-06": [
        Case("baseline"),
        Case(
            "view-policy-for-a-workload",
            chain(
                set_("aws1-admins-policy", "principalArn", f"arn:aws:iam::{ACCT}:role/aws1-server"),
                set_("aws1-admins-policy", "policyArn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
            ),
        ),
        Case(
            "cluster-admin-for-an-unlisted-role",
            set_("aws1-admins-policy", "principalArn", f"arn:aws:iam::{ACCT}:role/break-glass"),
            {
                "aws1-admins-policy": [
                    f"AmazonEKSClusterAdminPolicy is granted to 'arn:aws:iam::{ACCT}:role/break-glass', which is not in "
                    "adminRoleArns; expected a configured admin role"
                ]
            },
        ),
        Case(
            "cluster-admin-for-a-workload",
            set_("aws1-admins-policy", "principalArn", f"arn:aws:iam::{ACCT}:role/aws1-server"),
            {
                "aws1-admins-policy": [
                    f"cluster-admin is granted to 'arn:aws:iam::{ACCT}:role/aws1-server', a role the stack's pods or "
                    "nodes run as; expected an operator role"
                ]
            },
        ),
        Case(
            "workload-role-listed-as-admin",
            chain(
                config("targets.0.adminRoleArns", [ADMIN_ROLE, f"arn:aws:iam::{ACCT}:role/aws1-server"]),
                set_("aws1-admins-policy", "principalArn", f"arn:aws:iam::{ACCT}:role/aws1-server"),
            ),
            {
                "aws1-admins-policy": [
                    f"cluster-admin is granted to 'arn:aws:iam::{ACCT}:role/aws1-server', a role the stack's pods or "
                    "nodes run as; expected an operator role"
                ]
            },
        ),
        Case(
            "every-role-of-an-account",
            chain(
                config("targets.0.adminRoleArns", ["arn:aws:iam::111122223333:role/*"]),
                set_("aws1-admins-policy", "principalArn", "arn:aws:iam::111122223333:role/*"),
            ),
            {
                "aws1-admins-policy": [
                    "cluster-admin is granted to 'arn:aws:iam::111122223333:role/*', every principal of an account; "
                    "expected named roles"
                ]
            },
        ),
        Case(
            "admin-list-emptied",
            config("targets.0.adminRoleArns", []),
            {
                "aws1-admins-policy": [
                    f"AmazonEKSClusterAdminPolicy is granted to '{ADMIN_ROLE}', which is not in adminRoleArns; "
                    "expected a configured admin role"
                ]
            },
        ),
        Case(
            "config-map-authentication",
            set_("aws1-cluster", "accessConfig.authenticationMode", "API_AND_CONFIG_MAP"),
            {
                "aws1-cluster": [
                    "accessConfig.authenticationMode is 'API_AND_CONFIG_MAP' (aws-auth ConfigMap mappings grant access "
                    "no access entry shows); expected 'API'"
                ]
            },
        ),
        Case(
            "aws-auth-maps-a-role-to-masters",
            _aws_k8s_configmap(
                "aws-auth",
                "kube-system",
                {"mapRoles": "- rolearn: arn:aws:iam::123456789012:role/ci\n  groups: [system:masters]\n"},
            ),
            {
                "aws1-aws-auth": [
                    "aws-auth data.mapRoles maps a principal to system:masters; expected access entries for adminRoleArns only"
                ]
            },
        ),
        Case("another-configmap", _aws_k8s_configmap("settings", "kube-system", {"mapRoles": "system:masters"})),
        Case(
            "system-masters-group",
            chain(
                set_("aws1-admins", "principalArn", f"arn:aws:iam::{ACCT}:role/ops"),
                set_("aws1-admins", "kubernetesGroups", ["system:masters"]),
            ),
            {
                "aws1-admins": [
                    f"kubernetesGroups ['system:masters'] make 'arn:aws:iam::{ACCT}:role/ops' cluster-admin; "
                    "expected only adminRoleArns"
                ]
            },
        ),
    ],
    "IAM-07": [
        Case("baseline"),
        Case(
            "lb-controller-in-kube-system",
            chain(_lb_role, set_("aws1-karpenter-identity", "roleArn", f"arn:aws:iam::{ACCT}:role/aws1-lbc")),
        ),
        Case(
            "server-gets-karpenters-role",
            set_("aws1-server-identity", "roleArn", f"arn:aws:iam::{ACCT}:role/aws1-karpenter"),
            {
                "aws1-server-identity": [
                    "llm-llama-8b/llama-8b-server (a model namespace) gets role 'aws1-karpenter', which may "
                    "['iam:PassRole', 'ec2:RunInstances', 'ec2:CreateFleet']; expected a role that only reads its weights",
                    "role 'aws1-karpenter' is also bound to kube-system/karpenter; expected one role per service account",
                ],
                "aws1-karpenter-identity": [
                    "role 'aws1-karpenter' is also bound to llm-llama-8b/llama-8b-server; expected one role per service account"
                ],
            },
        ),
        Case(
            "server-gets-lb-controller-role",
            chain(_lb_role, set_("aws1-server-identity", "roleArn", f"arn:aws:iam::{ACCT}:role/aws1-lbc")),
            {
                "aws1-server-identity": [
                    "llm-llama-8b/llama-8b-server (a model namespace) gets role 'aws1-lbc', which may ['elasticloadbalancing:RegisterTargets']; expected a role that only reads its weights"
                ]
            },
        ),
    ],
    "IAM-08": [
        Case("baseline"),
        Case(
            "admin-role-for-a-person",
            chain(
                set_("gcp1-nodes-log-writer", "role", "roles/container.admin"),
                set_("gcp1-nodes-log-writer", "member", "group:sre@example.com"),
            ),
        ),
        Case(
            "admin-role-for-a-service-account",
            set_("gcp1-nodes-log-writer", "role", "roles/container.admin"),
            {
                "gcp1-nodes-log-writer": [
                    "admin role roles/container.admin is granted to 'serviceAccount:gcp1-nodes@acme-prod-1.iam.gserviceaccount.com'; expected a predefined role scoped to the job"
                ]
            },
        ),
        Case(
            "viewer-on-one-bucket-is-not-project-level",
            set_("gcp1-nodes-log-writer", "role", "roles/monitoring.viewer"),
        ),
        Case(
            "editor",
            set_("gcp1-nodes-log-writer", "role", "roles/editor"),
            {
                "gcp1-nodes-log-writer": [
                    "roles/editor is granted to 'serviceAccount:gcp1-nodes@acme-prod-1.iam.gserviceaccount.com'; expected a predefined role scoped to the job"
                ]
            },
        ),
        Case(
            "owner-in-a-policy",
            _gcp_iam(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "gcp1-project-policy",
                {
                    "project": "acme-prod-1",
                    "policyData": json.dumps(
                        {"bindings": [{"role": "roles/owner", "members": ["user:ops@example.com"]}]}
                    ),
                },
            ),
            {
                "gcp1-project-policy": [
                    "roles/owner is granted to 'user:ops@example.com'; expected a predefined role scoped to the job"
                ]
            },
        ),
    ],
    "IAM-09": [
        Case("baseline"),
        Case(
            "public-topic",
            _gcp_iam(
                "gcp:pubsub/topicIAMMember:TopicIAMMember",
                "gcp1-topic-public",
                {"topic": "t", "role": "roles/pubsub.publisher", "member": "allUsers"},
            ),
            {"gcp1-topic-public": ["roles/pubsub.publisher is granted to 'allUsers'; expected specific principals"]},
        ),
        Case(
            "project-binding-all-authenticated",
            _gcp_iam(
                "gcp:projects/iAMBinding:IAMBinding",
                "gcp1-binding",
                {"project": "acme-prod-1", "role": "roles/logging.viewer", "members": ["allAuthenticatedUsers"]},
            ),
            {
                "gcp1-binding": [
                    "roles/logging.viewer is granted to 'allAuthenticatedUsers'; expected specific principals"
                ]
            },
        ),
        Case(
            "legacy-bucket-acl",
            _gcp_iam(
                "gcp:storage/bucketAccessControl:BucketAccessControl",
                "gcp1-acl",
                {"bucket": "gcp1-weights", "role": "READER", "entity": "allUsers"},
            ),
            {
                "gcp1-acl": [
                    "ACL entity 'allUsers' makes the objects public; expected uniform bucket-level access and IAM"
                ]
            },
        ),
        Case(
            "legacy-default-object-acl",
            _gcp_iam(
                "gcp:storage/defaultObjectACL:DefaultObjectACL",
                "gcp1-dacl",
                {"bucket": "gcp1-weights", "roleEntities": ["READER:allAuthenticatedUsers"]},
            ),
            {
                "gcp1-dacl": [
                    "ACL entity 'allAuthenticatedUsers' makes the objects public; expected uniform bucket-level access and IAM"
                ]
            },
        ),
        Case(
            "project-owner-acl",
            _gcp_iam(
                "gcp:storage/bucketAccessControl:BucketAccessControl",
                "gcp1-acl",
                {"bucket": "gcp1-weights", "role": "OWNER", "entity": "project-owners-123"},
            ),
        ),
        Case(
            "service-account-member",
            set_("gcp1-wi-server", "member", "allAuthenticatedUsers"),
            {
                "gcp1-wi-server": [
                    "roles/iam.workloadIdentityUser is granted to 'allAuthenticatedUsers'; expected specific principals"
                ]
            },
        ),
    ],
    "IAM-10": [
        Case("baseline"),
        Case(
            "token-creator-on-the-project",
            set_("gcp1-nodes-log-writer", "role", "roles/iam.serviceAccountTokenCreator"),
            {
                "gcp1-nodes-log-writer": [
                    "roles/iam.serviceAccountTokenCreator is granted to 'serviceAccount:gcp1-nodes@acme-prod-1.iam.gserviceaccount.com' on the whole projects; expected a grant on one service account"
                ]
            },
        ),
        Case(
            "act-as-for-a-whole-pool",
            set_(
                "gcp1-wi-server",
                "member",
                "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/acme-prod-1.svc.id.goog/namespace/llm-llama-8b",
            ),
            {
                "gcp1-wi-server": [
                    "roles/iam.workloadIdentityUser is granted to 'principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/acme-prod-1.svc.id.goog/namespace/llm-llama-8b' (many identities); expected one principal"
                ]
            },
        ),
        Case(
            "every-ksa",
            set_("gcp1-wi-server", "member", "serviceAccount:acme-prod-1.svc.id.goog[*/llama-8b-server]"),
            {
                "gcp1-wi-server": [
                    "roles/iam.workloadIdentityUser is granted to 'serviceAccount:acme-prod-1.svc.id.goog[*/llama-8b-server]' (many identities); expected one principal"
                ]
            },
        ),
        Case(
            "default-ksa",
            set_("gcp1-wi-server", "member", "serviceAccount:acme-prod-1.svc.id.goog[llm-llama-8b/default]"),
            {
                "gcp1-wi-server": [
                    "roles/iam.workloadIdentityUser is granted to 'serviceAccount:acme-prod-1.svc.id.goog[llm-llama-8b/default]', a default Kubernetes service account every pod of its namespace runs as; expected the workload's own"
                ]
            },
        ),
        Case(
            "service-account-key",
            _gcp_iam(
                "gcp:serviceaccount/key:Key",
                "gcp1-server-key",
                {"serviceAccountId": "gcp1-server@acme-prod-1.iam.gserviceaccount.com"},
            ),
            {
                "gcp1-server-key": [
                    "a user-managed key for 'gcp1-server@acme-prod-1.iam.gserviceaccount.com' impersonates it until revoked; expected Workload Identity"
                ]
            },
        ),
    ],
    "EKS-17": [
        Case(
            "scoped-managed-policy-on-the-role",
            set_(SERVER_ROLE, "managedPolicyArns", ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]),
        ),
        Case(
            "admin-in-managed-policy-arns",
            set_(SERVER_ROLE, "managedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
            {
                SERVER_ROLE: [
                    "managedPolicyArns has 'arn:aws:iam::aws:policy/AdministratorAccess'; expected a least-privilege policy"
                ]
            },
        ),
        Case(
            "admin-for-a-user",
            _aws_add(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                "aws1-ci-admin",
                {"user": "ci", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"},
            ),
            {
                "aws1-ci-admin": [
                    "policyArn is 'arn:aws:iam::aws:policy/IAMFullAccess'; expected a least-privilege policy"
                ]
            },
        ),
    ],
    "IAM-13": [
        Case("baseline"),
        Case(
            "karpenter-writes-but-is-not-a-server",
            _append(
                "aws1-karpenter-policy",
                "policy",
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
            ),
        ),
        Case(
            "server-may-overwrite-weights",
            _append(
                SERVER_POLICY,
                "policy",
                {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::aws1-weights/*"},
            ),
            {
                "aws1-server-identity": [
                    "model server llm-llama-8b/llama-8b-server gets role 'aws1-server', which may ['s3:PutObject']; expected read-only"
                ]
            },
        ),
        Case(
            "server-acts-as-a-writer-gsa",
            _gcp_iam(
                "gcp:storage/bucketIAMMember:BucketIAMMember",
                "gcp1-weights-server-admin",
                {
                    "bucket": "gcp1-weights",
                    "role": "roles/storage.objectAdmin",
                    "member": "serviceAccount:gcp1-server@acme-prod-1.iam.gserviceaccount.com",
                },
            ),
            {
                "gcp1-wi-server": [
                    "model server llm-llama-8b/llama-8b-server acts as 'gcp1-server@acme-prod-1.iam.gserviceaccount.com', which holds roles/storage.objectAdmin (gcp1-weights-server-admin); expected read-only"
                ]
            },
        ),
        Case(
            "reader-gsa",
            _gcp_iam(
                "gcp:storage/bucketIAMMember:BucketIAMMember",
                "gcp1-weights-server-reader",
                {
                    "bucket": "gcp1-weights",
                    "role": "roles/storage.objectViewer",
                    "member": "serviceAccount:gcp1-server@acme-prod-1.iam.gserviceaccount.com",
                },
            ),
        ),
    ],
    "IAM-14": [
        Case("baseline"),
        Case(
            "service-agent",
            set_(
                "gcp1-nodes-log-writer",
                "member",
                "serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com",
            ),
        ),
        Case(
            "service-account-of-another-project",
            set_("gcp1-nodes-log-writer", "member", "serviceAccount:deployer@other-team-proj.iam.gserviceaccount.com"),
            {
                "gcp1-nodes-log-writer": [
                    "roles/logging.logWriter is granted to 'serviceAccount:deployer@other-team-proj.iam.gserviceaccount.com' of project 'other-team-proj'; expected the stack's projects ['acme-prod-1']"
                ]
            },
        ),
        Case(
            "workload-identity-of-another-project",
            set_("gcp1-wi-server", "member", "serviceAccount:attacker-proj.svc.id.goog[default/x]"),
            {
                "gcp1-wi-server": [
                    "roles/iam.workloadIdentityUser is granted to 'serviceAccount:attacker-proj.svc.id.goog[default/x]' of project 'attacker-proj'; expected the stack's projects ['acme-prod-1']"
                ]
            },
        ),
    ],
    "IAM-15": [
        Case("baseline"),
        Case(
            "alb-logs-under-the-accounts-prefix",
            _append(
                "aws1-logs-policy",
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::aws1-logs/alb/AWSLogs/{ACCT}/*",
                },
            ),
        ),
        Case(
            "any-eventbridge-rule",
            _append(
                QUEUE,
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "*",
                },
            ),
            {
                QUEUE: [
                    "policy: Statement[2] trusts 'events.amazonaws.com' with no aws:SourceArn or aws:SourceAccount condition; any account's resources may make the service act here"
                ]
            },
        ),
        Case(
            "negated-source",
            _append(
                QUEUE,
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:SourceAccount": "999988887777"}},
                },
            ),
            {
                QUEUE: [
                    "policy: Statement[2] trusts 'sns.amazonaws.com' with no aws:SourceArn or aws:SourceAccount condition; any account's resources may make the service act here"
                ]
            },
        ),
    ],
    "IAM-11": [
        Case("baseline"),
        Case(
            "own-secret-only",
            _append(
                SERVER_POLICY,
                "policy",
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:llm-fleet/prod/hf-token-AbCdEf",
                },
            ),
        ),
        Case(
            "decrypt-through-one-service",
            _append(
                SERVER_POLICY,
                "policy",
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                },
            ),
        ),
        Case(
            "create-access-keys-for-anyone",
            _append(
                SERVER_POLICY,
                "policy",
                {"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:CreateLoginProfile"], "Resource": "*"},
            ),
            {
                SERVER_POLICY: [
                    "policy: Statement[2] allows ['iam:CreateAccessKey', 'iam:CreateLoginProfile'] on ['*']; expected named resources"
                ]
            },
        ),
        Case(
            "attach-policies-to-every-role",
            _append(
                SERVER_POLICY,
                "policy",
                {"Effect": "Allow", "Action": "iam:Attach*", "Resource": f"arn:aws:iam::{ACCT}:role/*"},
            ),
            {
                SERVER_POLICY: [
                    f"policy: Statement[2] allows ['iam:AttachUserPolicy', 'iam:AttachRolePolicy', 'iam:AttachGroupPolicy'] on ['arn:aws:iam::{ACCT}:role/*']; expected named resources"
                ]
            },
        ),
        Case(
            "every-secret",
            _append(
                SERVER_POLICY,
                "policy",
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:*",
                },
            ),
            {
                SERVER_POLICY: [
                    f"policy: Statement[2] allows ['secretsmanager:GetSecretValue'] on ['arn:aws:secretsmanager:us-east-1:{ACCT}:secret:*']; expected named resources"
                ]
            },
        ),
    ],
    "IAM-12": [
        Case("baseline"),
        Case(
            "dedicated-account",
            set_("gcp1-nodes-log-writer", "member", "serviceAccount:gcp1-writer@acme-prod-1.iam.gserviceaccount.com"),
        ),
        Case(
            "compute-default",
            set_(
                "gcp1-nodes-log-writer", "member", "serviceAccount:123456789012-compute@developer.gserviceaccount.com"
            ),
            {
                "gcp1-nodes-log-writer": [
                    "roles/logging.logWriter is granted to the default service account '123456789012-compute@developer.gserviceaccount.com'; expected a dedicated one"
                ]
            },
        ),
        Case(
            "app-engine-default",
            set_("gcp1-nodes-log-writer", "member", "serviceAccount:acme-prod-1@appspot.gserviceaccount.com"),
            {
                "gcp1-nodes-log-writer": [
                    "roles/logging.logWriter is granted to the default service account 'acme-prod-1@appspot.gserviceaccount.com'; expected a dedicated one"
                ]
            },
        ),
    ],
    "KMS-06": [
        Case("baseline"),
        Case("explicit-false", set_("aws1-key", "bypassPolicyLockoutSafetyCheck", False)),
        Case(
            "bypassed",
            set_("aws1-key", "bypassPolicyLockoutSafetyCheck", True),
            {"aws1-key": ["bypassPolicyLockoutSafetyCheck is true; expected false"]},
        ),
        Case(
            "bypassed-on-policy",
            set_("aws1-key-policy", "bypassPolicyLockoutSafetyCheck", "true"),
            {"aws1-key-policy": ["bypassPolicyLockoutSafetyCheck is true; expected false"]},
        ),
    ],
    "S3-08": [
        Case("baseline"),
        Case("private", _acl({"bucket": "aws1-weights", "acl": "private"})),
        Case(
            "public-read",
            _acl({"bucket": "aws1-weights", "acl": "public-read"}),
            {"aws1-weights-acl": ["acl is 'public-read'; expected 'private' (or no ACL)"]},
        ),
        Case(
            "grant-to-authenticated-users",
            _acl(
                {
                    "bucket": "aws1-weights",
                    "accessControlPolicy": {
                        "grants": [
                            {
                                "permission": "READ",
                                "grantee": {
                                    "type": "Group",
                                    "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                                },
                            }
                        ],
                        "owner": {"id": "o"},
                    },
                }
            ),
            {"aws1-weights-acl": ["accessControlPolicy grants READ to AuthenticatedUsers; expected none"]},
        ),
        Case(
            "inline-on-the-bucket",
            set_("aws1-weights", "acl", "public-read-write"),
            {"aws1-weights": ["acl is 'public-read-write'; expected 'private' (or no ACL)"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule(rule_id, case):
    check(rule_id, case)
