"""GKE-08: GKE encrypts Kubernetes secrets with a Cloud KMS key (CMEK)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("databaseEncryption.state", equals="ENCRYPTED", insecure="DECRYPTED"),
    Expect("databaseEncryption.keyName", present=True, insecure=""),
    id="GKE-08",
    title="GKE encrypts Kubernetes secrets with a Cloud KMS key (CMEK)",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set databaseEncryption = {state: 'ENCRYPTED', keyName: <crypto key id>} and grant the GKE service "
    "agent roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.",
    references=("CIS GKE 1.6 5.3.1", "custom"),
)
