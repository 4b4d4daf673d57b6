"""Config mutations: edits of Pulumi.prod.yaml an engineer might make. Each is evaluated through
the real program offline into a Plan (about 4-10 s each), so the list stays short and every
entry is a distinct risk."""

from __future__ import annotations

from tests.policy.redteam.edits import (
    AWS,
    COST,
    DC1,
    EDGE,
    ENCRYPTION,
    GCP,
    GUARDRAILS,
    IDENTITY,
    NETWORK,
    SECRETS,
    SUPPLY,
    Doc,
    Mutation,
    cfg,
    cfg_drop,
    cfg_pool,
)

_SUPPRESSION = {
    "rule": "K8S-01",
    "resource": "aws-use1-llama-8b-server",
    "justification": "vendor debugging session",
    "owner": "ml-platform",
    "expires": "2026-12-31",
}


def _suppress(**changes: str):
    return cfg("policy.suppressions", [{**_SUPPRESSION, **changes}])


def _model(index: int, path: str, value: object):
    return cfg(f"models.{index}.{path}", value)


def _add_source(prefix: str):
    def edit(values: Doc) -> None:
        policy = values.setdefault("policy", {})
        policy["allowedModelSources"] = ["hf://meta-llama/", "hf://Qwen/", "hf://mistralai/", "hf://google/", prefix]

    return edit


M = Mutation
CONFIG_MUTATIONS: list[Mutation] = [
    # -- switching the guardrails off -----------------------------------------------------
    M(
        "CFG-G01",
        GUARDRAILS,
        "CIS Controls 4.1 (secure configuration enforced)",
        "prod pack set to advisory",
        cfg("policy.enforcement", "advisory"),
    ),
    M(
        "CFG-G02",
        GUARDRAILS,
        "CIS Controls 4.1",
        "a rule disabled by override in prod",
        cfg("policy.overrides", {"WAF-01": "disabled"}),
    ),
    M("CFG-G03", GUARDRAILS, "CIS Controls 4.1", "suppression matching every resource", _suppress(resource="*")),
    M("CFG-G04", GUARDRAILS, "CIS Controls 4.1", "suppression that expires in 2099", _suppress(expires="2099-12-31")),
    M("CFG-G05", GUARDRAILS, "CIS Controls 4.1", "prod stack declares itself dev", cfg("environment", "dev")),
    M(
        "CFG-G06",
        GUARDRAILS,
        "CIS Controls 4.1",
        "suppression that runs for thirteen months",
        _suppress(expires="2028-01-15"),
    ),
    # -- identity -------------------------------------------------------------------------
    M(
        "CFG-ID01",
        IDENTITY,
        "CIS EKS 4.1.1",
        "a workload role made EKS cluster admin",
        cfg(
            f"{AWS}.adminRoleArns",
            [
                "arn:aws:iam::111122223333:role/platform-admins",
                "arn:aws:iam::123456789012:role/aws-use1-identities-llama-8b-server",
            ],
        ),
    ),
    M(
        "CFG-ID02",
        IDENTITY,
        "CIS EKS 4.1.1",
        "cluster admin granted to every role of an account",
        cfg(f"{AWS}.adminRoleArns", ["arn:aws:iam::111122223333:role/*"]),
    ),
    # -- network --------------------------------------------------------------------------
    M(
        "CFG-N01",
        NETWORK,
        "CKV_AWS_38",
        "EKS API open to 0.0.0.0/0",
        cfg(f"{AWS}.endpointPublicAccessCidrs", ["0.0.0.0/0"]),
    ),
    M(
        "CFG-N02",
        NETWORK,
        "CKV_AWS_38",
        "EKS API open to 0.0.0.0/1 + 128.0.0.0/1",
        cfg(f"{AWS}.endpointPublicAccessCidrs", ["0.0.0.0/1", "128.0.0.0/1"]),
    ),
    M(
        "CFG-N03",
        NETWORK,
        "CKV_AWS_38",
        "EKS API: office CIDR plus 0.0.0.0/0 'for now'",
        cfg(f"{AWS}.endpointPublicAccessCidrs", ["203.0.113.0/24", "0.0.0.0/0"]),
    ),
    M(
        "CFG-N04",
        NETWORK,
        "CKV_GCP_20 / CIS GKE 5.6.3",
        "GKE authorized networks 0.0.0.0/0",
        cfg(f"{GCP}.masterAuthorizedCidrs", ["0.0.0.0/0"]),
    ),
    M(
        "CFG-N05",
        NETWORK,
        "CKV_GCP_20",
        "GKE authorized networks split halves of the internet",
        cfg(f"{GCP}.masterAuthorizedCidrs", ["203.0.113.0/24", "0.0.0.0/1", "128.0.0.0/1"]),
    ),
    M(
        "CFG-N06",
        NETWORK,
        "CKV_GCP_20",
        "GKE authorized networks as 16 /4 blocks",
        cfg(f"{GCP}.masterAuthorizedCidrs", [f"{i * 16}.0.0.0/4" for i in range(16)]),
    ),
    # -- edge -----------------------------------------------------------------------------
    M("CFG-E01", EDGE, "CKV2_AWS_28 (public ALB behind WAF)", "AWS edge WAF off", cfg(f"{AWS}.edge.waf", False)),
    M(
        "CFG-E02",
        EDGE,
        "CIS GCP (Cloud Armor on external LBs)",
        "GCP edge Cloud Armor off",
        cfg(f"{GCP}.edge.waf", False),
    ),
    M(
        "CFG-E03",
        EDGE,
        "AWS WAF rate-based rules",
        "AWS rate limit 10,000,000/minute",
        cfg(f"{AWS}.edge.rateLimitPerMinute", 10_000_000),
    ),
    M(
        "CFG-E04",
        EDGE,
        "Cloud Armor rate limiting",
        "GCP rate limit 1,000,000/minute",
        cfg(f"{GCP}.edge.rateLimitPerMinute", 1_000_000),
    ),
    M(
        "CFG-E05",
        EDGE,
        "OWASP API4",
        "on-prem rate limit 5,000,000/minute",
        cfg(f"{DC1}.edge.rateLimitPerMinute", 5_000_000),
    ),
    # -- secrets --------------------------------------------------------------------------
    M(
        "CFG-S01",
        SECRETS,
        "CKV_SECRET (secret-shaped reference)",
        "HF token pasted where the secret name belongs",
        _model(0, "source.token", {"awsSecretsManager": "hf_" + "QmLpZx7Rt2Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4"}),
        planted="QmLpZx7Rt2Wc9Hn5Kd3Fv6Jp0Ys1Ga8Te4",
    ),
    M(
        "CFG-S02",
        SECRETS,
        "CKV_SECRET (secret-shaped reference)",
        "AWS secret key pasted as an env-var reference",
        cfg(f"{DC1}.weights.credentials", {"env": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm2Nt4Vw6"}),
        planted="wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm2Nt4Vw6",
    ),
    M(
        "CFG-S03",
        SECRETS,
        "CKV_SECRET (URL credentials)",
        "weights endpoint with user:password",
        cfg(f"{DC1}.weights.endpoint", "https://weights:9fKq2LmP7xZ4@s3.dc1.internal"),
        planted="9fKq2LmP7xZ4",
    ),
    M(
        "CFG-S04",
        SECRETS,
        "CKV_SECRET (secret-shaped reference)",
        "GitHub token as the kubeconfig secret name",
        cfg(f"{DC1}.kubeconfig", {"config": "ghp_" + "8fKq2LmP7xZ4Rt2Wc9Hn5Kd3Fv6Jp0Ys1G"}),
        planted="8fKq2LmP7xZ4Rt2Wc9Hn5Kd3Fv6Jp0Ys1G",
    ),
    M(
        "CFG-S05",
        SECRETS,
        "CKV_SECRET (URL credentials)",
        "weights over plain HTTP",
        cfg(f"{DC1}.weights.endpoint", "http://s3.dc1.internal"),
    ),
    # -- supply chain ---------------------------------------------------------------------
    M(
        "CFG-SC01",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "on-prem registry pointed at Docker Hub",
        cfg(f"{DC1}.registry", "docker.io/vllm/vllm-openai"),
    ),
    M(
        "CFG-SC02",
        SUPPLY,
        "CKV_K8S_43 (trusted registry)",
        "on-prem registry pointed at ghcr.io",
        cfg(f"{DC1}.registry", "ghcr.io/someone/llm-fleet-serving"),
    ),
    M("CFG-SC03", SUPPLY, "CKV_K8S_43", "prod image without a digest", cfg_drop("image.digest")),
    M("CFG-SC04", SUPPLY, "CKV_K8S_43", "prod builds its image at deploy time", cfg("image.build", True)),
    M(
        "CFG-SC05",
        SUPPLY,
        "model provenance",
        "model-source allow-list widened to all of Hugging Face",
        _add_source("hf://"),
    ),
    M(
        "CFG-SC06",
        SUPPLY,
        "model provenance",
        "model weights from an unvetted Hugging Face user",
        _model(0, "source.uri", "hf://random-user/Llama-3.1-8B-Instruct-uncensored"),
    ),
    M("CFG-SC07", SUPPLY, "model provenance", "model revision follows a branch", _model(1, "source.revision", "main")),
    M("CFG-SC08", SUPPLY, "model provenance", "allow-list entry without an org boundary", _add_source("hf://meta")),
    # -- cost -----------------------------------------------------------------------------
    M("CFG-C01", COST, "capacity bounds", "L40S pool max 1000 nodes", cfg_pool(AWS, "l40s", "nodes.max", 1000)),
    M("CFG-C02", COST, "capacity bounds", "GCP H100 pool max 64 nodes", cfg_pool(GCP, "h100", "nodes.max", 64)),
    M("CFG-C03", COST, "instance allow-list", "prod allow-list emptied", cfg("policy.allowedInstanceTypes", [])),
    M(
        "CFG-C04",
        COST,
        "instance allow-list",
        "pool uses an instance type outside the allow-list",
        cfg_pool(AWS, "l40s", "instanceTypes", ["g6e.48xlarge"]),
    ),
    M(
        "CFG-C05",
        COST,
        "budget alerts",
        "budget alerts only above 100%",
        cfg("budget.alertThresholdsPercent", [120, 150]),
    ),
    M("CFG-C06", COST, "budget sizing", "budget cut below the priced ceiling", cfg("budget.monthlyUsd", 50_000)),
    M(
        "CFG-C07",
        COST,
        "capacity bounds",
        "twelve always-on p5.48xlarge nodes",
        cfg_pool(AWS, "h100", "nodes", {"min": 12, "max": 12}),
    ),
    # -- encryption / platform ------------------------------------------------------------
    M(
        "CFG-P01",
        ENCRYPTION,
        "CKV_AWS_339",
        "EKS pinned to an unsupported version",
        cfg(f"{AWS}.kubernetesVersion", "1.27"),
    ),
    M(
        "CFG-P02",
        ENCRYPTION,
        "CKV_GCP_70",
        "GKE without a release channel",
        cfg(f"{GCP}.releaseChannel", "UNSPECIFIED"),
    ),
]
