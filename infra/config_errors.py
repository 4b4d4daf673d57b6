"""One line per configuration error: ``key.path: <value> is not allowed; <what is allowed>``.

The line names the key path as written in the stack file (camelCase, list indexes), the
value (never one that may be a secret: values of secret references and secret-shaped
strings are not echoed), and the rule: the regular expression a string must match, the
full numeric range, the allowed keys with a did-you-mean. A number where a string is
expected (``kubernetesVersion: 1.30`` reads as 1.3) gets a hint to quote it.
"""

from __future__ import annotations

import difflib
import re
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from infra.yamlfile import YamlFloat

HIDDEN = "(value not shown: it may be a secret)"

# Plain-words glosses of the patterns users meet most; the pattern itself is always printed.
PATTERN_GLOSS = {
    r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$": "a lower-case DNS label of 1-32 characters (a-z, 0-9, '-')",
    r"^[a-z][-a-z0-9]*$": "lower-case letters, digits and '-', starting with a letter",
    r"^[0-9a-f]{40}$": "40 lower-case hex digits (a commit)",
    r"^[0-9a-f]{64}$": "64 lower-case hex digits",
    r"^sha256:[0-9a-f]{64}$": "'sha256:' and 64 lower-case hex digits",
    r"^[A-Za-z][A-Za-z0-9]*$": "a config key name (letters and digits, starting with a letter)",
    r"^[A-Z_][A-Z0-9_]*$": "an environment variable name (A-Z, 0-9, '_')",
    r"^projects/[^/]+/secrets/[^/]+(/versions/[^/]+)?$": "a Secret Manager name projects/P/secrets/S[/versions/V]",
}

# Shapes of credentials people paste by mistake (hub tokens, cloud keys, private keys, JWTs).
SECRET_SHAPES = re.compile(
    r"(hf_[A-Za-z0-9]{20,}|\b(AKIA|ASIA)[0-9A-Z]{16}\b|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_|glpat-|"
    r"\bsk-[A-Za-z0-9_-]{16,}|xox[abprs]-|AIza[0-9A-Za-z_-]{30,}|ya29\.|-----BEGIN|eyJ[A-Za-z0-9_-]{8,}\.eyJ)"
)


def looks_secret(value: Any) -> bool:
    """True for strings shaped like a credential: never echo those in a message."""
    if not isinstance(value, str):
        return False
    if SECRET_SHAPES.search(value):
        return True
    # A long random-looking token: several digits, upper- and lower-case letters, none of the
    # separators names use (a camelCase key like dc1WeightsCredentials is not one).
    return (
        len(value) >= 24
        and not re.search(r"[\s:./@-]", value)
        and len(re.findall(r"[a-z]", value)) >= 3
        and len(re.findall(r"[A-Z]", value)) >= 3
        and len(re.findall(r"[0-9]", value)) >= 3
    )


def format_validation_error(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """One line per error of ``exc`` (raised validating ``model``)."""
    return [
        _line(err, model)
        for err in exc.errors(include_url=False)
        # The other member of a `'generated' | SecretRef` union explains it (and never echoes).
        if not any(isinstance(part, str) and part.startswith("literal[") for part in err["loc"])
    ]


def _line(err: Any, model: type[BaseModel]) -> str:
    loc = tuple(err["loc"])
    path = _path(loc)
    kind = err["type"]
    value = err.get("input")
    hidden = _in_secret_ref(model, loc) or looks_secret(value)
    shown = HIDDEN if hidden else _show(value)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _known_keys(model, loc)
        hint = difflib.get_close_matches(key, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        allowed = f" (allowed: {', '.join(sorted(known))})" if known else ""
        return f"{path}: unknown key{suggestion}{allowed}"
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "value_error":
        message = str(err["msg"]).removeprefix("Value error, ")
        return f"{path}: {message}" if path != "(root)" else message
    if kind == "union_tag_invalid":
        kind_value = value.get("kind") if isinstance(value, dict) else value
        return f"{path}.kind: {_show(kind_value)} is not allowed; expected 'aws', 'gcp' or 'onprem'"
    if kind == "union_tag_not_found":
        return f"{path}.kind: required key is missing; expected 'aws', 'gcp' or 'onprem'"
    if "SecretRef" in str(err["msg"]):
        # Never echo the value: it is probably the secret itself.
        return (
            f"{path}: a plain value is not allowed here; give a secret reference "
            "(one of config, env, awsSecretsManager, gcpSecretManager)"
        )
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        source = value.source if isinstance(value, YamlFloat) else str(value)
        key = str(loc[-1]) if loc and isinstance(loc[-1], str) else "the value"
        return (
            f"{path}: {source} is a number here, and a string is expected; YAML reads unquoted {source} as "
            f'the number {value!r}: quote it ({key}: "{source}")'
        )
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        gloss = PATTERN_GLOSS.get(pattern)
        expected = f"{gloss} (pattern {pattern})" if gloss else f"a string matching {pattern}"
        return f"{path}: {shown} is not allowed; expected {expected}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"):
        return f"{path}: {shown} is not allowed; expected {_range(model, loc)}"
    if kind.startswith("date"):
        return f"{path}: {shown} is not allowed; expected a date YYYY-MM-DD ({_lower(err['msg'])})"
    return f"{path}: {shown} is not allowed; {_lower(err['msg'])}"


# ---------------------------------------------------------------------------
# Paths, schema lookups, values
# ---------------------------------------------------------------------------

TARGET_KINDS = ("aws", "gcp", "onprem")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in TARGET_KINDS and out.endswith("]"):
            continue  # the discriminated-union tag pydantic inserts
        elif isinstance(part, str) and part.startswith(("function-after", "function-before")):
            continue
        else:
            text = str(part)
            if looks_secret(text):
                text = "(key not shown)"
            elif not re.fullmatch(r"[A-Za-z_][\w-]*", text):
                text = repr(text)  # odd keys (spaces, newlines) stay on one readable line
            out += f".{text}" if out else text
    return out or "(root)"


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """(model class, field info) reached by following ``loc`` through the schema by alias."""
    from infra.config import AwsTarget, GcpTarget, OnPremTarget, _inner_model

    current: Any = model
    field: Any = None
    for part in loc:
        if isinstance(part, int):
            continue
        if part in TARGET_KINDS:
            current = {"aws": AwsTarget, "gcp": GcpTarget, "onprem": OnPremTarget}[part]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None, None
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None, None
        current = _inner_model(field.annotation)
    return current, field


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The allowed keys at ``loc`` (for did-you-mean)."""
    current, _ = _walk(model, loc[:-1]) if len(loc) > 1 else (model, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _in_secret_ref(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    from infra.config import SecretRef

    parent, _ = _walk(model, tuple(p for p in loc[:-1] if not isinstance(p, int)))
    return parent is SecretRef


def _range(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """``1 <= value <= 100,000,000`` from the field's constraints (list items included)."""
    _, field = _walk(model, loc)
    metadata = list(getattr(field, "metadata", []) or [])
    if loc and isinstance(loc[-1], int) and field is not None:
        for arg in typing.get_args(field.annotation):
            for inner in typing.get_args(arg)[1:]:
                metadata += list(getattr(inner, "metadata", []) or [])
    low = high = ""
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = f"{_number(item.ge)} <= "
        elif isinstance(item, annotated_types.Gt):
            low = f"{_number(item.gt)} < "
        elif isinstance(item, annotated_types.Le):
            high = f" <= {_number(item.le)}"
        elif isinstance(item, annotated_types.Lt):
            high = f" < {_number(item.lt)}"
    return f"{low}value{high}" if low or high else "a finite number"


def _number(value: Any) -> str:
    if isinstance(value, int | float) and float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(value)


def _show(value: Any) -> str:
    if isinstance(value, YamlFloat):
        return value.source
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]
