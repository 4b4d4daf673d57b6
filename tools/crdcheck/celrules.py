"""``x-kubernetes-validations`` rules evaluated with cel-python, as the API server evaluates them.

What Kubernetes adds to plain CEL and cel-python lacks, for the functions the vendored CRDs use:
- values typed by the schema: ``number`` is a double, ``integer`` an int, int-or-string either,
  strings with ``format: duration`` / ``date-time`` / ``byte`` become duration / timestamp / bytes;
- property names that are CEL keywords or hold ``-``, ``.``, ``/`` or ``__`` are reachable escaped
  (``__namespace__``, ``__dash__``, ...), as in apiextensions-apiserver's CEL escaping;
- the Kubernetes libraries' string functions (``lowerAscii``, ``upperAscii``, ``split``,
  ``substring``, ``format``, ...), ``isURL`` and ``isIP``;
- cel-go's heterogeneous numeric equality (``1 == 1.0``).
Transition rules (they read ``oldSelf``) are not evaluated on create, as on the API server.
A function this module lacks makes the rule an error (never a silent pass).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from functools import cache
from typing import Any
from urllib.parse import urlparse

import celpy
import re2
from celpy import celtypes, evaluation

CEL_KEYWORDS = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
    "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
}
IDENTIFIER = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
OLD_SELF = re.compile(r"\boldSelf\b")
NUMERIC = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)


def escape_property(name: str) -> str | None:
    """The CEL name of a property, or None when it is usable as is (apiextensions' Escape)."""
    if name in CEL_KEYWORDS:
        return f"__{name}__"
    if IDENTIFIER.match(name) and "__" not in name:
        return None
    escaped = name.replace("__", "__underscores__").replace(".", "__dot__").replace("-", "__dash__")
    return escaped.replace("/", "__slash__")


# -- values -----------------------------------------------------------------------------------

def _typed_string(value: str, fmt: str | None) -> celtypes.Value:
    try:
        if fmt == "duration":
            return celtypes.DurationType(value)
        if fmt in ("date-time", "date"):
            return celtypes.TimestampType(value)
        if fmt == "byte":
            return celtypes.BytesType(base64.b64decode(value, validate=True))
    except (ValueError, TypeError, binascii.Error):
        pass  # the format check reports the value; CEL sees the plain string
    return celtypes.StringType(value)


def to_cel(value: Any, schema: dict[str, Any] | None) -> celtypes.Value:
    """``value`` as the API server hands it to CEL, typed by its schema."""
    schema = schema or {}
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else None
        out: dict[celtypes.Value, celtypes.Value] = {}
        for key, item in value.items():
            sub = props.get(key, extra)
            converted = to_cel(item, sub)
            out[celtypes.StringType(key)] = converted
            alias = escape_property(key) if key in props else None
            if alias:
                out[celtypes.StringType(alias)] = converted
        return celtypes.MapType(out)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else None
        return celtypes.ListType([to_cel(item, items) for item in value])
    if isinstance(value, int):
        return celtypes.DoubleType(value) if schema.get("type") == "number" else celtypes.IntType(value)
    if isinstance(value, float):
        if schema.get("type") == "integer" and value.is_integer():
            return celtypes.IntType(int(value))
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return _typed_string(value, schema.get("format"))
    return celpy.json_to_cel(value)


# -- the Kubernetes libraries (the parts the vendored CRDs call) -----------------------------------

def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, NUMERIC) and isinstance(b, NUMERIC) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    try:
        result = evaluation.bool_eq(a, b)
    except TypeError:
        return False  # cel-go's heterogeneous equality: values of different types are not equal
    return not isinstance(result, Exception) and bool(result)


def _split(text: str, separator: str, limit: int = -1) -> celtypes.ListType:
    if limit == 0:
        return celtypes.ListType([])
    parts = text.split(separator, int(limit) - 1) if limit > 0 else text.split(separator)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


def _substring(text: str, start: int, end: int | None = None) -> celtypes.StringType:
    stop = len(text) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(text):
        raise IndexError(f"substring({start}, {stop}) out of range for a string of {len(text)}")
    return celtypes.StringType(text[int(start):stop])


def _format(template: str, args: list[Any]) -> celtypes.StringType:
    """strings.format for %s and %d, the verbs the vendored messageExpressions use."""
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        return str(next(values))

    return celtypes.StringType(re.sub(r"%%|%[sd]", one, template))


def _is_url(text: str) -> bool:
    """library.URLs isURL: Go's url.ParseRequestURI (an absolute URI or an absolute path)."""
    if not text or any(c.isspace() for c in text):
        return False
    if text.startswith("/"):
        return True
    parsed = urlparse(text)
    return bool(parsed.scheme) and bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parsed.scheme))


def _is_ip(text: str) -> bool:
    """library.IP isIP: an IPv4 or IPv6 address, no zone, no IPv4-mapped IPv6 form."""
    if "%" in text:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (address.version == 6 and address.ipv4_mapped is not None)


def _find(text: str, pattern: str) -> celtypes.StringType:
    """library.Regex find: the first match of an RE2 pattern, or ''."""
    match = re2.search(pattern, text)
    return celtypes.StringType(match.group(0) if match else "")


def _find_all(text: str, pattern: str, limit: int = -1) -> celtypes.ListType:
    found = [celtypes.StringType(m.group(0)) for m in re2.finditer(pattern, text)]
    return celtypes.ListType(found if limit < 0 else found[: int(limit)])


KUBERNETES_FUNCTIONS = {
    "find": _find,
    "findAll": _find_all,
    "_==_": lambda a, b: celtypes.BoolType(_equal(a, b)),
    "_!=_": lambda a, b: celtypes.BoolType(not _equal(a, b)),
    "lowerAscii": lambda s: celtypes.StringType(re.sub("[A-Z]+", lambda m: m.group(0).lower(), s)),
    "upperAscii": lambda s: celtypes.StringType(re.sub("[a-z]+", lambda m: m.group(0).upper(), s)),
    "split": _split,
    "substring": _substring,
    "trim": lambda s: celtypes.StringType(s.strip()),
    "indexOf": lambda s, sub: celtypes.IntType(s.find(sub)),
    "lastIndexOf": lambda s, sub: celtypes.IntType(s.rfind(sub)),
    "replace": lambda s, old, new: celtypes.StringType(s.replace(old, new)),
    "join": lambda items, sep="": celtypes.StringType(str(sep).join(str(i) for i in items)),
    "format": _format,
    "isURL": lambda s: celtypes.BoolType(_is_url(s)),
    "isIP": lambda s: celtypes.BoolType(_is_ip(s)),
}

ENVIRONMENT = celpy.Environment()


@cache
def _program(rule: str) -> celpy.Runner:
    return ENVIRONMENT.program(ENVIRONMENT.compile(rule), functions=KUBERNETES_FUNCTIONS)


def _message(validation: dict[str, Any], activation: dict[str, Any]) -> str:
    if "messageExpression" in validation:
        try:
            return str(_program(validation["messageExpression"]).evaluate(activation))
        except (celpy.CELEvalError, celpy.CELParseError, TypeError, ValueError, KeyError):
            pass  # the API server falls back to message, then to the rule
    return validation.get("message") or f"failed rule: {validation['rule']}"


def _short(error: Exception) -> str:
    """The first line of an evaluation error, without cel-python's dump of the activation."""
    text = str(error.args[0] if error.args else error)
    return text.split(" (in activation")[0].splitlines()[0][:200]


def rule_errors(validation: dict[str, Any], value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """The error of one x-kubernetes-validations rule on ``value`` (empty when it holds or is skipped)."""
    rule = validation["rule"]
    if OLD_SELF.search(rule):
        return []  # a transition rule: only checked on update
    where = (path + validation.get("fieldPath", "")).lstrip(".")
    activation = {"self": to_cel(value, schema)}
    try:
        result = _program(rule).evaluate(activation)
    except (celpy.CELParseError, celpy.CELEvalError, TypeError, ValueError, KeyError, IndexError) as error:
        result = error
    if isinstance(result, Exception):
        return [f"{where or '<root>'}: rule {rule!r} could not be evaluated: {_short(result)}"]
    if not (isinstance(result, celtypes.BoolType) and bool(result)):
        return [f"{where or '<root>'}: Invalid value: {_message(validation, activation)}"]
    return []
