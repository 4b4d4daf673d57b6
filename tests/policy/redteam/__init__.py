"""Red-team suite: realistic insecure or costly edits of prod, written from Checkov, Pulumi's
compliance-policies and the CIS benchmarks (not from the pack's rules), and safe edits that
must pass. GAPS.md (python -m tests.policy.redteam.gaps) lists what the pack does not block yet."""
