"""Red-team suite: realistic insecure or costly edits of prod, written from Checkov, Pulumi's
compliance-policies and the CIS benchmarks (not from the pack's rules), and safe edits that
must pass. See README in this folder's GAPS.md for what the pack does not block yet."""
