"""EKS-19: Karpenter EC2NodeClasses size and encrypt the root volume with a customer-managed key."""

from policy.props import as_list, get, quantity
from policy.rules.base import resource_rule

MIN_ROOT_GIB = 100  # the vLLM image alone is ~12 GB, plus caches and compiled kernels


@resource_rule(
    id="EKS-19",
    title="Karpenter EC2NodeClasses size and encrypt the root volume with a customer-managed key",
    severity="medium",
    category="security",
    types=("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",),
    remediation="Set spec.blockDeviceMappings with the root volume: ebs {volumeSize >= 100Gi, volumeType: gp3, "
    "encrypted: true, kmsKeyID: <key ARN>}.",
    references=("CKV_AWS_8", "CKV_AWS_189"),
    doc="https://karpenter.sh/docs/concepts/nodeclasses/#specblockdevicemappings",
)
def enable_volume_encryption(resource, ctx):
    mappings = as_list(get(resource.props, "spec.blockDeviceMappings"))
    if not mappings:
        yield "spec.blockDeviceMappings is not set (Karpenter's default root volume is 20Gi); expected an encrypted root volume of at least 100Gi"
        return
    for index, mapping in enumerate(mappings):
        ebs = get(mapping, "ebs") or {}
        where = f"spec.blockDeviceMappings[{index}].ebs"
        if get(ebs, "encrypted") not in (True, "true"):
            yield f"{where}.encrypted is not true; expected true"
        elif not get(ebs, "kmsKeyID"):
            yield f"{where}.kmsKeyID is not set; expected a customer-managed KMS key"
        if get(mapping, "rootVolume") is True:
            size = quantity(get(ebs, "volumeSize"))
            if size is None or size < MIN_ROOT_GIB * 1024**3:
                yield f"{where}.volumeSize is {get(ebs, 'volumeSize')!r}; expected at least {MIN_ROOT_GIB}Gi for the vLLM image"
