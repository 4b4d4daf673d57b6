"""The one exception type of llm-fleet (serving, policy and infra all raise it)."""


class LlmFleetError(Exception):
    """An error a user can act on. Its message names the key, the value and what is allowed.

    Only the CLI (and the container entrypoints) catch it, print one line and exit.
    """

    exit_code: int = 2
