"""A mock resource monitor that records what the engine would see: parent, provider,
protect, dependencies and the serialized inputs of every registration, plus the stack
outputs."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import get_project, get_stack

from infra import progress
from infra.plan.model import SECRET, PlanResource

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - Pulumi wire signature
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def redact(value: Any) -> Any:
    """Wire value -> Plan value: secrets become "[secret]", references their URN."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET
        if sig == RESOURCE_SIG:
            return value.get("urn")
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return value.get("path") or value.get("uri") or "[asset]"
        if sig == OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return redact(value.get("value")) if "value" in value else "[unknown]"
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def provider_urn(reference: str) -> str | None:
    """A provider reference is ``<urn>::<id>``; the Plan keeps the URN."""
    if not reference:
        return None
    return reference.rsplit("::", 1)[0]


def request_dependencies(request: Any) -> list[str]:
    """The URNs a RegisterResource request says the resource depends on, sorted.

    The SDK sends the explicit ``depends_on`` and the resources behind every input Output in
    ``dependencies``, and the latter again per property in ``propertyDependencies``; it has
    already replaced a dependency on a (local) ComponentResource by that component's
    children at the time. The union is what the engine orders the resource after.
    """
    urns = set(request.dependencies)
    for deps in request.propertyDependencies.values():
        urns.update(deps.urns)
    return sorted(urns)


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
        self.registrations: list[PlanResource] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self.last_registered: str | None = None

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the real engine builds them: the parent's full type chain, no Stack prefix.

        (The SDK's mock keeps only the parent's last type and prefixes the root Stack.)
        """
        if parent and parent != self.stack_urn:
            type_ = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{get_stack()}::{get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        """Record the registration and answer it as the SDK's MockMonitor would, minus its round trip.

        The SDK's mock deserializes the inputs into Python values and serializes the mock's state
        back on an event loop of its own, per resource: a third of an evaluation. The wire form
        already is what the mocks need (secrets, references and unknowns keep their signature
        dicts either way), so the state goes back as a Struct directly; tests hold the Plans equal
        to the SDK path's.
        """
        urn = self.make_urn(request.parent, request.type, request.name)
        self.last_registered = f"{request.type} '{request.name}'"
        progress.current().registered(request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        self.registrations.append(
            PlanResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=provider_urn(request.provider),
                protect=bool(request.protect),
                props=redact(inputs),
                dependencies=request_dependencies(request),
            )
        )
        resource_id, state = self.mocks.new_resource(
            MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=request.provider,
                resource_id=request.importId,
                custom=bool(request.custom),
            )
        )
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        answer = struct_pb2.Struct()
        answer.update(state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=answer)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        if request.urn and request.urn == self.stack_urn:
            outputs = json_format.MessageToDict(request.outputs, preserving_proto_field_name=True)
            self.stack_outputs = redact(outputs)
        return super().RegisterResourceOutputs(request)
