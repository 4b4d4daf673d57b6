"""String/integer formats the API server checks in CRD schemas, and ObjectMeta's own rules.

Formats follow kube-openapi's strfmt registry (k8s.io/kube-openapi/pkg/validation/strfmt) for the
ones the vendored CRDs use; an unknown format is ignored, as the API server ignores it. ObjectMeta
follows k8s.io/apimachinery/pkg/api/validation (ValidateObjectMeta) and pkg/util/validation.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import datetime
from typing import Any

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
DURATION = re.compile(r"^\s*(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$")
"""strfmt.ParseDuration: Go durations plus d and w."""
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

OBJECT_META_FIELDS = {
    "name", "generateName", "namespace", "labels", "annotations", "finalizers", "ownerReferences", "uid",
    "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
    "managedFields", "selfLink",
}
ANNOTATIONS_MAX_BYTES = 256 * 1024


def _ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value


def _byte(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _date_time(value: str) -> bool:
    if not DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError:
        return False
    return True


STRING_FORMATS = {
    "byte": _byte,
    "date-time": _date_time,
    "duration": lambda v: bool(DURATION.match(v)),
    "ipv4": lambda v: _ip(v, 4),
    "ipv6": lambda v: _ip(v, 6),
    "cidr": _cidr,
    "uuid": lambda v: bool(UUID.match(v)),
    "hostname": lambda v: len(v) <= 253 and bool(DNS1123_SUBDOMAIN.match(v.lower())),
}


def format_error(value: Any, fmt: str) -> str | None:
    """Why ``value`` does not match ``fmt`` (None when it does or the format is not checked)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and fmt in INT_RANGES:
        low, high = INT_RANGES[fmt]
        return None if low <= value <= high else f"must fit in {fmt} ({low}..{high}), got {value}"
    if isinstance(value, str) and fmt in STRING_FORMATS:
        return None if STRING_FORMATS[fmt](value) else f"must be a valid {fmt}, got {value!r}"
    return None


def qualified_name_errors(key: str) -> list[str]:
    """pkg/util/validation.IsQualifiedName: [prefix/]name, prefix a DNS subdomain, name <= 63."""
    prefix, _, name = key.rpartition("/")
    errors = []
    if "/" in key and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        errors.append(f"key {key!r}: prefix must be a DNS subdomain")
    if not name or len(name) > 63 or not QUALIFIED_NAME.match(name):
        errors.append(f"key {key!r}: name part must be <= 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends")
    return errors


def object_meta_errors(meta: Any, namespaced: bool, path: str) -> list[str]:
    """What ValidateObjectMeta (plus strict field validation) rejects in a custom resource's metadata."""
    if not isinstance(meta, dict):
        return [f"{path}: must be an object"]
    errors = [f"{path}.{key}: unknown field (not in ObjectMeta)" for key in sorted(set(meta) - OBJECT_META_FIELDS)]
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        errors.append(f"{path}.name: required")
    elif isinstance(name, str) and (len(name) > 253 or not DNS1123_SUBDOMAIN.match(name)):
        errors.append(f"{path}.name: {name!r} must be a DNS-1123 subdomain (lower case, <= 253)")
    namespace = meta.get("namespace")
    # Stricter than the API server, which fills in the request's namespace or clears it on a
    # cluster-scoped kind: either way the object would not be where the program meant it.
    if namespaced and not namespace:
        errors.append(f"{path}.namespace: a namespaced kind needs one (else it lands in the provider's default)")
    if not namespaced and namespace:
        errors.append(f"{path}.namespace: {namespace!r} set on a cluster-scoped kind (the API server drops it)")
    if namespace and (len(namespace) > 63 or not DNS1123_LABEL.match(namespace)):
        errors.append(f"{path}.namespace: {namespace!r} must be a DNS-1123 label")
    for key, value in (meta.get("labels") or {}).items():
        errors += [f"{path}.labels: {e}" for e in qualified_name_errors(key)]
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            errors.append(f"{path}.labels[{key}]: value {value!r} must be <= 63 characters of [A-Za-z0-9-_.]")
    annotations = meta.get("annotations") or {}
    for key, value in annotations.items():
        errors += [f"{path}.annotations: {e}" for e in qualified_name_errors(key.lower())]
        if not isinstance(value, str):
            errors.append(f"{path}.annotations[{key}]: must be a string")
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        errors.append(f"{path}.annotations: {size} bytes, more than the {ANNOTATIONS_MAX_BYTES} allowed")
    return errors
