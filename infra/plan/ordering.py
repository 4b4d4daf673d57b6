"""Creation order read from a Plan's ``dependencies``, the way the engine reads them.

The engine creates a resource only after every resource in its ``dependencies`` exists. A
dependency on a ComponentResource stands for the whole component: the Python SDK expands
it into the component's custom descendants before it sends the registration, and a
component URN that does reach the engine (a remote component, another producer's Plan) is
done only when its descendants are. So a component in ``dependencies`` is read here as a
dependency on all its descendants. Parent links are not ordering edges here: only what
the registration says it depends on counts, which is what the engine keeps in its state
and uses again to order deletes and replacements.
"""

from __future__ import annotations

from collections import defaultdict

from infra.plan.model import Plan


class CreationOrder:
    """What must exist before each resource of one Plan can be created."""

    def __init__(self, plan: Plan) -> None:
        self._index = plan.by_urn()
        self._children: dict[str, list[str]] = defaultdict(list)
        for resource in plan.resources:
            if resource.parent:
                self._children[resource.parent].append(resource.urn)
        self._before: dict[str, frozenset[str]] = {}

    def descendants(self, urn: str) -> set[str]:
        found: set[str] = set()
        pending = list(self._children.get(urn, ()))
        while pending:
            child = pending.pop()
            if child not in found:
                found.add(child)
                pending.extend(self._children.get(child, ()))
        return found

    def direct(self, urn: str) -> set[str]:
        """The recorded dependencies of ``urn``, a component standing for its descendants."""
        out: set[str] = set()
        for dependency in self._index[urn].dependencies:
            target = self._index.get(dependency)
            out.add(dependency)
            if target is not None and not target.custom:
                out |= self.descendants(dependency)
        return out

    def before(self, urn: str) -> frozenset[str]:
        """Every resource created before ``urn`` (transitively through dependencies)."""
        if urn in self._before:
            return self._before[urn]
        seen: set[str] = set()
        pending = list(self.direct(urn))
        while pending:
            dependency = pending.pop()
            if dependency in seen:
                continue
            seen.add(dependency)
            if dependency in self._before:
                seen |= self._before[dependency]
            elif dependency in self._index:
                pending.extend(self.direct(dependency))
        self._before[urn] = frozenset(seen)
        return self._before[urn]
