"""CLIENT-04: no active client API key is past its expiry date."""

import datetime as dt

from policy.props import as_list, get
from policy.rules._clients import clients
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="CLIENT-04",
    title="No active client API key is past its expiry date",
    severity="high",
    category="security",
    types=(),
    remediation="Rotate: add a new key to the client, hand it over (stack output clientKey_<client>_<key>), then "
    "set the expired key's state to 'revoked'.",
    references=("custom",),
)
def disallow_expired_client_keys(ctx):
    for ci, client in enumerate(clients(ctx)):
        for ki, key in enumerate(as_list(get(client, "keys"))):
            if get(key, "state", "active") != "active" or not get(key, "expires"):
                continue
            try:
                expires = dt.date.fromisoformat(str(get(key, "expires")))
            except ValueError:
                yield Violation(f"config clients[{ci}].keys[{ki}]: expires '{get(key, 'expires')}' is not a date")
                continue
            if expires < ctx.today:
                yield Violation(
                    f"config clients[{ci}].keys[{ki}] ({get(client, 'name')}.{get(key, 'id')}): active key expired on "
                    f"{expires.isoformat()}"
                )
