"""Load the provider SDKs' subpackages on demand during the offline evaluation.

A generated provider subpackage (``pulumi_aws.ec2``, ``pulumi_gcp.compute`` ...) star-imports
every one of its resource modules in its ``__init__``: touching ``aws.ec2.Vpc`` executes some
180 modules and defines thousands of classes the program never uses. The program needs ~60 of
~1,500; loading the rest was a quarter of a cold ``llmfleet policy prod`` (bench/cold.py).

``LazySdkFinder`` gives such a package the same names, resolved on first use: the index of
which module exports which name comes from each resource module's ``__all__`` line (read from
the file's head, nothing executed), ``_inputs``/``_enums`` are consulted as the star imports
would, and the last exporter wins as it does in the ``__init__``. The classes are the SDK's
own, loaded from the same files; the program is unchanged. A package whose ``__init__`` is not
exactly the generated shape (the grammar below), or a module without an ``__all__`` line,
is loaded as usual. ``LLMFLEET_EAGER_SDK=1`` turns the finder off; tests hold the Plans equal
both ways.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

EAGER_ENV = "LLMFLEET_EAGER_SDK"
PROVIDER_PACKAGES = frozenset(
    {"pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random", "pulumi_tls", "pulumi_command"}
)
"""Top-level SDK packages whose subpackages may load lazily (the top level itself stays eager:
it registers the resource modules for reference deserialization)."""

_HEAD_BYTES = 8192
_STAR = re.compile(r"from \.(\w+) import \*")
_SUBMODULE = re.compile(r"from \. import (\w+)")
_LAZY_SUBPACKAGE = re.compile(r"    (\w+) = _utilities\.lazy_import\('([\w.]+)'\)")
_IGNORED = (
    re.compile(r"import builtins as _builtins"),
    re.compile(r"import typing"),
    re.compile(r"from \.+ import _utilities"),
    re.compile(r"if typing\.TYPE_CHECKING:"),
    re.compile(r"    import [\w.]+ as __\w+"),
    re.compile(r"    \w+ = __\w+"),
    re.compile(r"else:"),
)
_ALL = re.compile(r"^__all__ = (\[[^\]]*\])", re.MULTILINE)


class PackageShape(typing.NamedTuple):
    """What a generated ``__init__`` does, in order."""

    star_modules: list[str]
    submodules: dict[str, str]  # attribute -> full module name (``from . import x``, lazy subpackages)


def parse_init(source: str, package: str) -> PackageShape | None:
    """The generated ``__init__``'s star imports and submodule attributes; None if anything else is in it."""
    stars: list[str] = []
    submodules: dict[str, str] = {}
    for line in source.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if match := _STAR.fullmatch(line):
            stars.append(match.group(1))
        elif match := _SUBMODULE.fullmatch(line):
            submodules[match.group(1)] = f"{package}.{match.group(1)}"
        elif match := _LAZY_SUBPACKAGE.fullmatch(line):
            submodules[match.group(1)] = match.group(2)
        elif not any(pattern.fullmatch(line) for pattern in _IGNORED):
            return None
    return PackageShape(stars, submodules)


def module_exports(path: Path) -> frozenset[str] | None:
    """A generated module's ``__all__`` from its first lines, or None when it has none there."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    match = _ALL.search(head)
    if match is None:
        return None
    names = re.findall(r"'(\w+)'", match.group(1))
    return frozenset(names)


class LazyPackage:
    """Resolves one package's names the way its star imports would bind them."""

    def __init__(self, module: types.ModuleType, shape: PackageShape, exports: dict[str, frozenset[str]]) -> None:
        self.module = module
        self.shape = shape
        self.exports = exports  # indexed star modules (no leading underscore) -> their __all__

    def _star_module(self, name: str) -> types.ModuleType:
        return importlib.import_module(f"{self.module.__name__}.{name}")

    def _exporter(self, attr: str) -> str | None:
        """The last star-imported module that exports ``attr`` (the binding the ``__init__`` leaves)."""
        for star in reversed(self.shape.star_modules):
            names = self.exports.get(star)
            if names is None:  # _inputs, _enums: their __all__ is long; they load with any resource anyway
                names = frozenset(getattr(self._star_module(star), "__all__", ()))
            if attr in names:
                return star
        return None

    def resolve(self, attr: str) -> Any:
        if attr.startswith("__"):  # module protocol probes (__all__, __wrapped__ ...): never a star export
            raise AttributeError(f"module {self.module.__name__!r} has no attribute {attr!r}")
        star = self._exporter(attr)
        if star is not None:
            value = getattr(self._star_module(star), attr)
            self.module.__dict__[attr] = value
            self._rebind_shadowed(star)
            return value
        target = self.shape.submodules.get(attr)
        if target is not None:
            value = importlib.import_module(target)
            self.module.__dict__[attr] = value
            return value
        raise AttributeError(f"module {self.module.__name__!r} has no attribute {attr!r}")

    def _rebind_shadowed(self, star: str) -> None:
        # Importing ``pkg.get_x`` sets ``pkg.get_x`` to the module; the __init__'s star import
        # rebinds it to the function of that name. Do the same.
        if not isinstance(self.module.__dict__.get(star), types.ModuleType):
            return
        exporter = self._exporter(star)
        if exporter is not None:
            self.module.__dict__[star] = getattr(self._star_module(exporter), star)

    def names(self) -> list[str]:
        found = set(self.shape.submodules)
        for star in self.shape.star_modules:
            names = self.exports.get(star)
            found |= names if names is not None else set(getattr(self._star_module(star), "__all__", ()))
        return sorted(found | set(self.module.__dict__))


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, shape: PackageShape, exports: dict[str, frozenset[str]]) -> None:
        self.shape = shape
        self.exports = exports

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        package = LazyPackage(module, self.shape, self.exports)
        top = module.__name__.partition(".")[0]
        module.__dict__.update(
            _builtins=builtins,
            typing=typing,
            _utilities=importlib.import_module(f"{top}._utilities"),
            __getattr__=package.resolve,
            __dir__=package.names,
        )


class LazySdkFinder(importlib.abc.MetaPathFinder):
    """Finds subpackages of the generated shape under ``packages`` and gives them a lazy loader."""

    def __init__(self, packages: frozenset[str]) -> None:
        self.packages = packages

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        top, dot, _ = fullname.partition(".")
        if not dot or top not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.submodule_search_locations is None or not spec.origin:
            return None  # a plain module: the usual loader
        init = Path(spec.origin)
        try:
            shape = parse_init(init.read_text(encoding="utf-8"), fullname)
        except (OSError, UnicodeDecodeError):
            return None
        if shape is None:
            return None
        exports: dict[str, frozenset[str]] = {}
        for star in shape.star_modules:
            if star.startswith("_"):
                continue
            names = module_exports(init.parent / f"{star}.py")
            if names is None:
                return None  # not the generated shape: load the package as usual
            exports[star] = names
        spec.loader = _LazyPackageLoader(shape, exports)
        return spec


_FINDER = LazySdkFinder(PROVIDER_PACKAGES)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once), unless ``LLMFLEET_EAGER_SDK=1``."""
    if os.environ.get(EAGER_ENV) == "1" or _FINDER in sys.meta_path:
        return
    sys.meta_path.insert(0, _FINDER)
