"""The transition request as the OpenAPI document describes it: one variant per action, with
exactly that action's required and optional fields, discriminated by `action` — generated from
the workflow table (`workflows/case_table.py`), so the contract cannot drift from the rules.

The body is still parsed by `TransitionSchema` (one schema holding every field); the machine
refuses what an action does not take (422 naming the field)."""

from __future__ import annotations

from typing import Any

from server.cases.schemas import TransitionSchema
from workflows.case_table import ACTIONS

REQUEST = "TransitionRequest"


def _variant_name(action: str) -> str:
    return f"Transition_{action}"


def transition_components(field2property) -> dict[str, dict[str, Any]]:
    """Component schemas: a variant per action and `TransitionRequest`, their `oneOf`.
    `field2property` turns a marshmallow field into its OpenAPI property (apispec's)."""
    fields = TransitionSchema().fields
    components: dict[str, dict[str, Any]] = {}
    for spec in ACTIONS.values():
        names = ("note", "note_visibility", *spec.required, *spec.one_of, *spec.optional)
        properties = {"action": {"type": "string", "enum": [spec.name],
                                 "description": spec.label}}
        properties.update({name: field2property(fields[name]) for name in names})
        variant: dict[str, Any] = {
            "type": "object", "title": f"{spec.name}（{spec.label}）", "properties": properties,
            "required": ["action", *spec.required], "additionalProperties": False}
        if spec.one_of:  # at least one of them
            variant["anyOf"] = [{"required": [name]} for name in spec.one_of]
        components[_variant_name(spec.name)] = variant
    components[REQUEST] = {
        "oneOf": [{"$ref": f"#/components/schemas/{_variant_name(a)}"} for a in ACTIONS],
        "discriminator": {"propertyName": "action", "mapping": {
            a: f"#/components/schemas/{_variant_name(a)}" for a in ACTIONS}},
    }
    return components


def register(spec) -> None:
    """Add the components to an apispec `APISpec` that has the marshmallow plugin."""
    plugin = next(p for p in spec.plugins if hasattr(p, "converter"))
    for name, schema in transition_components(plugin.converter.field2property).items():
        spec.components.schema(name, schema)


REQUEST_BODY = {"required": True, "content": {
    "application/json": {"schema": {"$ref": f"#/components/schemas/{REQUEST}"}}}}
