"""EKS-13: managed node groups allow no SSH from anywhere."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="EKS-13",
    title="Managed node groups allow no SSH from anywhere",
    severity="high",
    category="security",
    types=("aws:eks/nodeGroup:NodeGroup",),
    remediation="Remove remoteAccess (use SSM Session Manager), or restrict it with sourceSecurityGroupIds.",
    references=("CKV_AWS_100",),
)
def disallow_open_remote_access(resource, ctx):
    remote = get(resource.props, "remoteAccess")
    # With an SSH key and no source security groups, EKS opens port 22 to 0.0.0.0/0.
    if remote and get(remote, "ec2SshKey") and not as_list(get(remote, "sourceSecurityGroupIds")):
        yield "remoteAccess.ec2SshKey is set without sourceSecurityGroupIds (SSH open to 0.0.0.0/0); expected no remote access"
