"""The plugin protocol's side: the ``tf`` framework's servicer, with planning completed.

The framework plans a new resource without asking the resource, compares only top-level
attributes, and writes states as the resource returns them. The real provider's SDK does
more, and OpenTofu checks it: here a new resource is planned like a changed one (so nested
blocks get their "(known after apply)" values), a changed block that forces a new resource
says so, and every state sent has exactly the schema's attributes (an older state, written
before an attribute existed, is completed with nulls).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tf import provider as framework
from tf.gen import tfplugin_pb2 as pb
from tf.iface import PlanContext, ReadDataContext
from tf.types import Unknown
from tf.utils import Diagnostics, _to_attribute_path, to_dynamic_value

from workshop.ovhprovider import blocks


class Servicer(framework.ProviderServicer):
    """``tf.provider.ProviderServicer`` with the planning and encoding the SDK does."""

    def _schema_parts(self, type_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return self._get_res_attrs(type_name), self._get_res_blocks(type_name)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        diags = Diagnostics()
        type_name = request.type_name
        attrs, nested = self._schema_parts(type_name)
        _, prior = framework._decode_state(diags, attrs, nested, request.prior_state)
        proposed_enc, proposed = framework._decode_state(
            diags, attrs, nested, request.proposed_new_state
        )
        if diags.has_errors() or proposed is None:
            # nothing to plan for a destroy: the proposed state (null) is the plan
            return pb.PlanResourceChange.Response(
                planned_state=request.proposed_new_state, diagnostics=diags.to_pb()
            )
        resource = self.app.new_resource(self._get_res_cls(type_name))
        planned = plan_values(attrs, nested, prior, proposed)
        changed = changed_fields(attrs, nested, prior, planned)
        planned = resource.plan(
            PlanContext(diags, type_name, changed_fields=changed),
            copy.deepcopy(prior),
            planned,
        )
        replace = [] if prior is None else replacing(attrs, nested, prior, planned)
        return pb.PlanResourceChange.Response(
            planned_state=framework._encode_state(attrs, nested, planned, proposed_enc),
            requires_replace=[_to_attribute_path([name]) for name in replace],
            diagnostics=diags.to_pb(),
        )

    def ReadResource(self, request: Any, context: Any) -> Any:
        return self._completing(super().ReadResource(request, context), request.type_name)

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        return self._completing(super().ApplyResourceChange(request, context), request.type_name)

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        """A state written by an older release of this provider, with the attributes and
        blocks it lacks (null, or no block), as the SDK upgrades a state of version 0."""
        diags = Diagnostics()
        attrs, nested = self._schema_parts(request.type_name)
        state = json.loads(request.raw_state.json) if request.raw_state.json else None
        decoded = framework._decode_state(diags, attrs, nested, state)[1] if state else None
        fixed = blocks.complete(attrs.values(), nested.values(), decoded)
        return pb.UpgradeResourceState.Response(
            upgraded_state=framework._encode_state(attrs, nested, fixed, None),
            diagnostics=diags.to_pb(),
        )

    def _completing(self, response: Any, type_name: str) -> Any:
        """``response`` with its new state holding exactly the schema's attributes."""
        attrs, nested = self._schema_parts(type_name)
        diags = Diagnostics()
        state = framework._decode_state(diags, attrs, nested, response.new_state)[1]
        if state is not None and not diags.has_errors():
            fixed = blocks.complete(attrs.values(), nested.values(), state)
            response.new_state.CopyFrom(framework._encode_state(attrs, nested, fixed, None))
        return response

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        """The data source's state encoded with its schema (the framework sends it as is)."""
        config = framework.read_dynamic_value(request.config)
        klass = self._get_ds_cls(request.type_name)
        found = klass.get_schema()
        attrs = {a.name: a for a in found.attributes}
        nested = {b.type_name: b for b in found.block_types}
        diags = Diagnostics()
        source = self.app.new_data_source(klass)
        state = source.read(ReadDataContext(diags, request.type_name), config)
        fixed = blocks.complete(attrs.values(), nested.values(), state)
        encoded = framework._encode_state(attrs, nested, fixed, None) if fixed else None
        return pb.ReadDataSource.Response(
            diagnostics=diags.to_pb(), state=encoded or to_dynamic_value(None)
        )


def same(kind: Any, a: Any, b: Any) -> bool:
    """Whether two values of one attribute are equal ("(known after apply)" equals nothing)."""
    if a is Unknown or b is Unknown or a is None or b is None:
        return a is b
    return bool(kind.semantically_equal(a, b))


def plan_values(
    attrs: dict[str, Any],
    nested: dict[str, Any],
    prior: dict[str, Any] | None,
    proposed: dict[str, Any],
) -> dict[str, Any]:
    """The proposed state with what the provider computes marked "(known after apply)" on
    creation, and nested blocks completed (``Block.planned``)."""
    planned = dict(proposed)
    if prior is None:
        for name, attribute in attrs.items():
            if planned.get(name) is None and attribute.computed:
                planned[name] = attribute.default
    for name, block in nested.items():
        if isinstance(block, blocks.Block):
            planned[name] = block.planned(
                proposed.get(name), prior.get(name) if prior else None, creating=prior is None
            )
    return planned


def changed_fields(
    attrs: dict[str, Any],
    nested: dict[str, Any],
    prior: dict[str, Any] | None,
    planned: dict[str, Any],
) -> set[str]:
    """The attributes and blocks whose planned value differs from the prior state's."""
    if prior is None:
        return set(attrs) | set(nested)
    changed = {
        name
        for name, attribute in attrs.items()
        if not same(attribute.type, prior.get(name), planned.get(name))
    }
    changed |= {
        name
        for name, block in nested.items()
        if not block.semantically_equal(prior.get(name), planned.get(name))
    }
    return changed


def replacing(
    attrs: dict[str, Any], nested: dict[str, Any], prior: dict[str, Any], planned: dict[str, Any]
) -> list[str]:
    """The changed attributes and blocks that force a new resource (ForceNew)."""
    found = [
        name
        for name, attribute in attrs.items()
        if attribute.requires_replace
        and not same(attribute.type, prior.get(name), planned.get(name))
    ]
    found += [
        name
        for name, block in nested.items()
        if getattr(block, "replace", False)
        and block.elements(planned.get(name))
        and not block.semantically_equal(prior.get(name), planned.get(name))
    ]
    return sorted(found)
