"""Credentials where they do not belong: what a secret looks like in a value, under a key, or
after a command-line flag. Shared by the secrets rules (SUPPLY-02/03/04/06).

Three signals, from strongest to weakest:

* the value has a credential's shape (a provider token prefix, a private key, ``user:pw@`` in a
  URL, an AWS access key id);
* the value follows a credential flag in argv (``--api-key X``, ``--password=X``);
* a literal sits under a credential-like key (``adminPassword``, ``API_KEY``) and is neither a
  reference nor a placeholder.
"""

from __future__ import annotations

import functools
import json
import math
import re
import shlex
from collections.abc import Iterator
from typing import Any

from policy.props import is_list, is_map
from policy.rules._helpers import SECRET_VALUE
from policy.rules._walk import find_keyed

PLACEHOLDERS = {"", "[secret]", "[unknown]", "true", "false", "none", "null", "changeme-in-secret", "redacted"}
"""Values that stand for a secret rather than hold one (Pulumi redacts secrets as '[secret]')."""

WEBHOOK = re.compile(
    r"https://hooks\.slack\.com/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]{8,}"
    r"|https://(?:discord|discordapp)\.com/api/webhooks/\d+/[\w-]{20,}"
    r"|https://[\w.-]+\.webhook\.office\.com/webhookb2/\S+"
    r"|[?&](?:access_token|api_?key|apikey|token|secret|password|sig)=(?!\$|\{|\[secret\])[^&\s\"']{8,}",
    re.IGNORECASE,
)
"""URLs that are credentials: incoming-webhook URLs (Slack, Discord, Teams), and a key or token in a
query string."""
URL_USERINFO = re.compile(r"\b[a-z][a-z0-9+.-]*://([^/\s:@'\"]+):([^/\s@'\"]+)@[^\s/'\"]", re.IGNORECASE)
"""``scheme://user:password@host``: a password in a URL (the user alone, ``git@``, is not one)."""

CREDENTIAL_FLAG = re.compile(
    r"^--?(api[-_]?key|token|hf[-_]token|auth[-_]token|access[-_]token|password|passwd|secret|secret[-_]key|"
    r"access[-_]key|client[-_]secret|private[-_]key)(=(.*))?$",
    re.IGNORECASE,
)
CREDENTIAL_KEY = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH)$", re.IGNORECASE
)
"""A key whose last word names a credential (``adminPassword``, ``HF_TOKEN``, ``apiKey``)."""
REFERENCE_KEY = re.compile(
    r"((^|_)EXISTING_|_(PATH|FILE|DIR|NAME|REF|ENV|ENABLED|HEADER|URL|ID|SELECTOR|TYPE|MODE|FIELD|LENGTH)$|"
    r"(PASSWORD|TOKEN|CREDENTIALS?|USERNAME)_KEY$)",
    re.IGNORECASE,
)
"""Keys that name where a credential is (a file, an env var, a Secret and the key in it), not the
credential: ``apiKeyFile``, ``existingSecret``, ``passwordKey``. (``secretKey`` is AWS's credential.)"""


def key_words(key: str) -> str:
    """``adminPassword`` -> ``ADMIN_PASSWORD``; ``api-key`` -> ``API_KEY``."""
    key = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_").upper()


def is_reference(value: str) -> bool:
    """A value that points at a secret: a path, an env expansion, a template, a placeholder."""
    text = value.strip()
    return (
        text.lower() in PLACEHOLDERS
        or text.startswith(("/", "$(", "${", "{{", "file:", "env:", "secret:", "arn:aws:secretsmanager:", "projects/"))
        or text.endswith("}}")
    )


def entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


HIGH_ENTROPY = re.compile(r"^[A-Za-z0-9_\-+=]{32,}$")


def looks_random_token(value: str) -> bool:
    """A long, mixed-case, mixed-digit random string (not hex: digests and commits are hex)."""
    text = value.strip()
    if not HIGH_ENTROPY.match(text) or re.fullmatch(r"[0-9a-fA-F]+", text):
        return False
    classes = sum(bool(re.search(p, text)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return classes == 3 and entropy(text) >= 4.2


BASE64_KEY = re.compile(r"^[A-Za-z0-9/+]{32,64}={0,2}$")
"""An AWS secret access key (40 characters) and its like: base64 with '/' and '+'."""


def looks_like_pasted_secret(value: str) -> bool:
    """Where only a name belongs (a secret reference): any credential shape, a random token, or
    a base64 key (mixed case, digits and entropy no name has; ``prod/LlmFleet/HuggingFaceToken2024``
    stays a name)."""
    text = value.strip()
    if credential_shape(text) or looks_random_token(text):
        return True
    classes = sum(bool(re.search(p, text)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return bool(BASE64_KEY.match(text)) and classes == 3 and entropy(text) >= 4.5


def credential_shape(value: Any) -> str | None:
    """Why a value is a credential by its shape alone, or None."""
    if not isinstance(value, str) or len(value) < 8:
        return None
    if SECRET_VALUE.search(value):
        return "holds a credential (token or key)"
    if WEBHOOK.search(value):
        return "holds a credential URL (a webhook or a key in the query)"
    match = URL_USERINFO.search(value)
    if match and not is_reference(match.group(2)) and match.group(2) not in ("x-oauth-basic",):
        return "holds a URL with a password (user:password@host)"
    return None


def redacted(text: str) -> str:
    """A value fit for a finding message: the password of a URL and any token shape become [secret]."""
    text = URL_USERINFO.sub(lambda m: m.group(0).replace(f":{m.group(2)}@", ":[secret]@"), text)
    text = WEBHOOK.sub("[secret]", text)
    return SECRET_VALUE.sub("[secret]", text)


def literal_under_credential_key(key: str, value: Any) -> bool:
    """A literal string under a credential-like key that is not a reference or placeholder."""
    return isinstance(value, str) and credential_key(key) and not is_reference(value)


@functools.lru_cache(maxsize=4096)
def credential_key(key: str) -> bool:
    words = key_words(key)
    return bool(CREDENTIAL_KEY.search(words)) and not REFERENCE_KEY.search(words)


def argv_credentials(argv: list[str]) -> Iterator[str]:
    """Flags of an argv (or of a shell line inside it) that carry a literal credential."""
    tokens: list[str] = []
    for item in argv:
        tokens.extend(_split(str(item)))
    for index, token in enumerate(tokens):
        match = CREDENTIAL_FLAG.match(token)
        if not match:
            if credential_shape(token) or looks_random_token(token):
                yield "a credential-shaped argument"
            continue
        value = match.group(3) if match.group(2) else (tokens[index + 1] if index + 1 < len(tokens) else "")
        if value and not value.startswith("-") and not is_reference(value):
            yield f"{token.split('=', 1)[0]} with a literal value"


def _split(item: str) -> list[str]:
    if " " not in item:
        return [item]
    try:
        return shlex.split(item)
    except ValueError:
        return item.split()


_SHAPE_HINT = re.compile(
    r"hf_[A-Za-z0-9]{20}|AKIA[0-9A-Z]{12}|ASIA[0-9A-Z]{12}|-----BEGIN|gh[pousr]_[A-Za-z0-9]{20}|github_pat_|"
    r"xox[abprs]-|sk-[A-Za-z0-9_-]{24}|AIza[0-9A-Za-z_-]{20}|private_key"
)
_URL_HINTS = ("hooks.slack.com", "/api/webhooks/", "webhook.office.com", "token=", "key=", "secret=", "password=", "sig=")
"""Substrings of WEBHOOK's shapes (plain substring tests: a regex with a leading class is far slower)."""
"""SECRET_VALUE's shapes, loosely: one cheap pass over a resource before the precise checks."""
_KEY_WORDS = (
    "token", "secret", "passw", "passphrase", "apikey", "api_key", "api-key", "api.key", "accesskey", "access_key",
    "access-key", "privatekey", "private_key", "private-key", "credential", "auth",
)  # fmt: skip
_KEY_END = re.compile(r'[A-Za-z0-9_.-]*(?:\\?"\s*:\s*\\?"|:\s+[^\s{\[|>])')
"""The rest of a JSON key with a string value (nested JSON is escaped), or of a YAML key with a
scalar value, after a credential word (``"automountServiceAccountToken": false`` does not count)."""


def may_hold_credentials(tree: Any, by_key: bool = False) -> bool:
    """A fast pre-check over the whole tree serialized once: False only when no string can match
    (Plans are large; most resources hold nothing credential-like). Unserializable trees
    (CrossGuard's proxies) are always walked."""
    try:
        text = json.dumps(tree)
    except (TypeError, ValueError):
        return True
    if _SHAPE_HINT.search(text):
        return True
    if "@" in text and "://" in text and URL_USERINFO.search(text):
        return True
    if any(hint in text for hint in _URL_HINTS) and WEBHOOK.search(text):
        return True
    if not by_key:
        return False
    lower = text.lower()
    for word in _KEY_WORDS:
        index = lower.find(word)
        while index >= 0:
            if _KEY_END.match(text, index + len(word)) and credential_key(_key_around(text, index)):
                return True
            index = lower.find(word, index + 1)
    return False


_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _key_around(text: str, index: int) -> str:
    """The whole key a credential word at ``index`` sits in (``existingSecret`` around 'secret')."""
    start = index
    while start > 0 and text[start - 1] in _KEY_CHARS:
        start -= 1
    end = index
    while end < len(text) and text[end] in _KEY_CHARS:
        end += 1
    return text[start:end]


def walk_keyed_strings(node: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, last key, value) of every string in a tree; JSON strings are walked too."""
    strings = [(path, node)] if isinstance(node, str) else ((w, v) for w, _, v in find_keyed(node, _is_string, path))
    for where, text in strings:
        parsed = _json_tree(text)
        if parsed is None:
            yield where, re.split(r"[.\[]", where)[-1] if where else "", text
        else:
            yield from walk_keyed_strings(parsed, where)


def _is_string(path: str, key: Any, value: Any) -> bool:
    return isinstance(value, str)


def _json_tree(text: str) -> Any:
    """The map or list a string holds as JSON (a value inside a value), or None."""
    text = text.strip()
    if text[:1] in "{[" and len(text) > 2:
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        if is_map(parsed) or is_list(parsed):
            return parsed
    return None
