"""Cases for the supply chain: registries by account/project, images in Helm values and WASM
filters (SUPPLY-01), model-source allow-lists (SUPPLY-05), Helm repositories (SUPPLY-07) and
the promoted prod image (SUPPLY-08)."""

import pytest

from tests.policy.baseline import DIGEST
from tests.policy.harness import Case, cases_params, chain, check, config, drop, set_

D, C = "dc1-server", "spec.template.spec.containers.0"
WHERE = "spec.template.spec: container 'server'"
HELM, WAF = "dc1-gpu-operator", "dc1-waf"
WASM_URL = "spec.wasm.0.code.image.url"
STACK = "llm-fleet-prod"
ECR = "dkr.ecr.us-east-1.amazonaws.com/aws1-serving"
DC1 = f"registry.dc1.internal/llm-fleet/serving@{DIGEST}"

CASES = {
    "SUPPLY-01": [
        Case(
            "ecr-of-another-account",
            set_(D, f"{C}.image", f"999988887777.{ECR}@{DIGEST}"),
            {D: [f"{WHERE}: image '999988887777.{ECR}@{DIGEST}' is not from the stack's registries"]},
        ),
        Case(
            "ecr-of-another-region",
            set_(D, f"{C}.image", f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/aws1-serving@{DIGEST}"),
            {
                D: [
                    f"{WHERE}: image '123456789012.dkr.ecr.eu-west-1.amazonaws.com/aws1-serving@{DIGEST}' is not from "
                    "the stack's registries"
                ]
            },
        ),
        Case(
            "artifact-registry-of-another-project",
            set_(D, f"{C}.image", f"us-central1-docker.pkg.dev/someone-else/gcp1-serving/serving@{DIGEST}"),
            {
                D: [
                    f"{WHERE}: image 'us-central1-docker.pkg.dev/someone-else/gcp1-serving/serving@{DIGEST}' is not "
                    "from the stack's registries"
                ]
            },
        ),
        Case(
            "onprem-registry-is-public",  # every dc1 image now sits outside the stack's registries
            config("targets.2.registry", "docker.io/someone/serving"),
            {
                STACK: [
                    "targets.dc1.registry 'docker.io/someone/serving' is a public registry; expected the datacenter's own"
                ],
                "dc1-server": [f"{WHERE}: image '{DC1}' is not from the stack's registries"],
                "dc1-stage": [
                    f"spec.template.spec: container 'stage': image '{DC1}' is not from the stack's registries"
                ],
                "dc1-lws": [
                    f"spec.leaderWorkerTemplate.{t}Template.spec: container 'server': image '{DC1}' is not from the "
                    "stack's registries"
                    for t in ("leader", "worker")
                ],
                WAF: [
                    f"spec.wasm[0].code.image.url: WASM filter image 'registry.dc1.internal/llm-fleet/coraza-proxy-wasm@"
                    f"{DIGEST}' is not from the stack's registries"
                ],
            },
        ),
        Case(
            "helm-image-in-own-ecr",
            set_(HELM, "values.driver.image", f"123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/driver@{DIGEST}"),
        ),
        Case(
            "helm-image-in-foreign-artifact-registry",
            set_(HELM, "values.driver.image", f"us-central1-docker.pkg.dev/someone-else/mirror/driver@{DIGEST}"),
            {
                HELM: [
                    f"values.driver.image: image 'us-central1-docker.pkg.dev/someone-else/mirror/driver@{DIGEST}' is "
                    "not from the stack's registries"
                ]
            },
        ),
        Case("helm-image-mirrored", set_(HELM, "values.driver.image", f"registry.dc1.internal/nvidia/driver@{DIGEST}")),
        Case(
            "helm-image-public",
            set_(
                HELM,
                "values.dcgmExporter",
                {"image": {"repository": "docker.io/someone/dcgm-exporter", "tag": "latest"}},
            ),
            {
                HELM: [
                    "values.dcgmExporter.image: image 'docker.io/someone/dcgm-exporter:latest' is not from the stack's "
                    "registries"
                ]
            },
        ),
        Case(
            "helm-image-by-tag-in-prod",
            set_(
                HELM,
                "values.validator",
                {"image": {"registry": "registry.dc1.internal", "repository": "nvidia/validator", "tag": "v1"}},
            ),
            {
                HELM: [
                    "values.validator.image: image 'registry.dc1.internal/nvidia/validator:v1' is not pinned by digest in prod"
                ]
            },
        ),
        Case(
            "wasm-over-http-from-github",
            set_(WAF, "spec.wasm.0.code", {"type": "HTTP", "http": {"url": "https://github.com/x/coraza.wasm"}}),
            {
                WAF: [
                    "spec.wasm[0].code.http.url: WASM filter image 'github.com/x/coraza.wasm' is not from the stack's "
                    "registries"
                ]
            },
        ),
        Case(
            "wasm-from-public-registry",
            set_(WAF, WASM_URL, "docker.io/someone/coraza-proxy-wasm:latest"),
            {
                WAF: [
                    "spec.wasm[0].code.image.url: WASM filter image 'docker.io/someone/coraza-proxy-wasm:latest' is not "
                    "from the stack's registries"
                ]
            },
        ),
    ],
    "SUPPLY-05": [
        Case(
            "narrow-list", config("policy", {"allowedModelSources": ["hf://meta-llama/", "s3://llm-weights/approved/"]})
        ),
        Case(
            "wildcard-and-bare-scheme",
            config("policy", {"allowedModelSources": ["hf://meta-llama/", "hf://*", "s3://"]}),
            {
                STACK: [
                    "policy.allowedModelSources[1] 'hf://*' widens the allow-list; expected '<scheme>://<organization or "
                    "bucket>/' without wildcards",
                    "policy.allowedModelSources[2] 's3://' widens the allow-list; expected '<scheme>://<organization or "
                    "bucket>/' without wildcards",
                ]
            },
        ),
        Case(
            "no-trailing-slash",
            config("policy", {"allowedModelSources": ["hf://meta-llama"]}),
            {
                STACK: [
                    "policy.allowedModelSources[0] 'hf://meta-llama' widens the allow-list; expected '<scheme>://"
                    "<organization or bucket>/' without wildcards"
                ]
            },
        ),
    ],
    "SUPPLY-07": [
        Case("baseline"),
        Case("oci-chart-in-own-registry", set_(HELM, "chart", "oci://registry.dc1.internal/charts/gpu-operator")),
        Case(
            "oci-chart-of-the-publisher",
            chain(set_(HELM, "chart", "oci://registry.k8s.io/lws/charts/lws"), set_(HELM, "version", "0.8.0")),
        ),
        Case(
            "http-repo",
            set_(HELM, "repositoryOpts", {"repo": "http://helm.ngc.nvidia.com/nvidia"}),
            {
                HELM: [
                    "the chart comes from 'http://helm.ngc.nvidia.com/nvidia' over plain HTTP (anyone on the path can "
                    "swap it); expected https:// or oci://"
                ]
            },
        ),
        Case(
            "personal-oci-registry",
            set_(HELM, "chart", "oci://docker.io/someuser/gpu-operator"),
            {
                HELM: [
                    "the chart comes from 'oci://docker.io/someuser/gpu-operator', not a reviewed publisher; expected "
                    "one of policy/catalog/chart_sources.yaml"
                ]
            },
        ),
        Case(
            "credentials-in-the-url-are-not-echoed",
            set_(HELM, "repositoryOpts", {"repo": "https://bot:s3cr3tpass@charts.example.com/nvidia"}),
            {
                HELM: [
                    "the chart comes from 'https://bot:[secret]@charts.example.com/nvidia', not a reviewed publisher; "
                    "expected one of policy/catalog/chart_sources.yaml"
                ]
            },
        ),
        Case(
            "no-repository",
            drop(HELM, "repositoryOpts"),
            {
                HELM: [
                    "the chart names no repository (a local path or whatever repo the runner has); expected a reviewed one"
                ]
            },
        ),
        Case(
            "unpinned",
            set_(HELM, "version", "^25.0.0"),
            {HELM: ["version is '^25.0.0'; expected an exact chart version"]},
        ),
    ],
    "SUPPLY-08": [
        Case("baseline"),
        Case("dev-may-build", chain(config("environment", "dev"), config("image", {"tag": "dev", "build": True}))),
        Case(
            "prod-builds",
            config("image", {"tag": "0.32.0", "build": True}),
            {
                STACK: [
                    "image.build is true in prod (an image built at deploy time, unreviewed); expected false",
                    "image.digest is 'not set' in prod; expected the promoted sha256:<64 hex>",
                ]
            },
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
