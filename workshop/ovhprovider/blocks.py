"""Nested blocks and object values, shaped as the real provider's SDK shows them to OpenTofu.

The real provider is built on terraform-plugin-sdk v2, which presents a ``TypeSet`` of a
resource as a block nested as a set (``customization_apiserver { ... }``), its
``timeouts`` as a single block, and a computed list of resources as an attribute of type
list(object) (``kubeconfig_attributes``). The ``tf`` framework has neither single blocks,
block limits nor object types, so they are here.

Planning follows what the SDK shows (OVHcloud's kube-proxy guide prints such a plan): a
computed block the configuration leaves out keeps its prior value, and on creation one the
API always returns is planned with its attributes "(known after apply)". Unlike the SDK
(whose "legacy type system" lets a provider return anything), every plan made here is one
OpenTofu can check: what is planned is what the apply returns.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from tf import schema
from tf.schema import NestedBlock, NestMode
from tf.types import TfType, Unknown


def _encode(kind: TfType, value: Any) -> Any:
    return value if value is None or value is Unknown else kind.encode(value)


def _decode(kind: TfType, value: Any) -> Any:
    return value if value is None or value is Unknown else kind.decode(value)


class Object(TfType):
    """An object type (``object({host = string, ...})``): a dict with every attribute."""

    def __init__(self, **attributes: TfType) -> None:
        self.attributes = attributes

    def tf_type(self) -> bytes:
        shape = {name: json.loads(kind.tf_type()) for name, kind in self.attributes.items()}
        return json.dumps(["object", shape], separators=(",", ":")).encode()

    def encode(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return {name: _encode(kind, value.get(name)) for name, kind in self.attributes.items()}

    def decode(self, value: Any) -> Any:
        if value is None or value is Unknown:
            return value
        return {name: _decode(kind, value.get(name)) for name, kind in self.attributes.items()}


def canonical(value: Any) -> str:
    """A text equal for equal values; sets (lists of blocks) compare without their order."""
    return json.dumps(value, sort_keys=True, default=repr)


class Block(NestedBlock):
    """A nested block: a set of elements (the SDK's ``TypeSet``) or a single one.

    ``computed``: the SDK's Optional+Computed; left out of the configuration, it keeps what
    the API says. ``returned``: the API always answers with it, so a new resource plans it
    as "(known after apply)". ``replace``: a change forces a new resource (ForceNew).
    """

    def __init__(
        self,
        name: str,
        *items: schema.Attribute | Block,
        single: bool = False,
        computed: bool = False,
        returned: bool = False,
        replace: bool = False,
        required: bool = False,
        max_items: int | None = None,
        deprecated: str | None = None,
    ) -> None:
        self.attributes = [i for i in items if isinstance(i, schema.Attribute)]
        self.nested = [i for i in items if isinstance(i, Block)]
        self.single = single
        self.computed = computed
        self.returned = returned
        self.replace = replace
        self.deprecated = deprecated
        super().__init__(
            name,
            NestMode.Single if single else NestMode.Set,
            schema.Block(
                attributes=self.attributes,
                block_types=self.nested,
                deprecated=bool(deprecated) or None,
            ),
            min_items=1 if required else None,
            max_items=max_items,
        )

    @property
    def name(self) -> str:
        return str(self.type_name)

    # -- values --------------------------------------------------------------------------

    def elements(self, value: Any) -> list[dict[str, Any]]:
        """The block's elements (none when null or unknown)."""
        if self.single:
            return [value] if isinstance(value, dict) else []
        return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []

    def pack(self, elements: list[dict[str, Any]]) -> Any:
        if self.single:
            return elements[0] if elements else None
        return elements

    def complete(self, element: dict[str, Any]) -> dict[str, Any]:
        """``element`` with every attribute and nested block (null or empty when missing)."""
        out = {a.name: element.get(a.name) for a in self.attributes}
        for block in self.nested:
            out[block.name] = block.pack(
                [block.complete(e) for e in block.elements(element.get(block.name))]
            )
        return out

    def encode(self, value: Any) -> Any:
        if value is Unknown:
            return value
        return self.pack([self._encode_element(e) for e in self.elements(value)])

    def _encode_element(self, element: dict[str, Any]) -> dict[str, Any]:
        out = {a.name: _encode(a.type, element.get(a.name)) for a in self.attributes}
        for block in self.nested:
            out[block.name] = block.encode(element.get(block.name))
        return out

    def decode(self, value: Any) -> Any:
        if value is Unknown:
            return value
        return self.pack([self._decode_element(e) for e in self.elements(value)])

    def _decode_element(self, element: dict[str, Any]) -> dict[str, Any]:
        out = {a.name: _decode(a.type, element.get(a.name)) for a in self.attributes}
        for block in self.nested:
            out[block.name] = block.decode(element.get(block.name))
        return out

    def semantically_equal(self, a: Any, b: Any) -> bool:
        return self.key(a) == self.key(b)

    def key(self, value: Any) -> str:
        """A text equal for equal values of this block (a set's order does not count)."""
        if value is Unknown:
            return "unknown"
        if self.single:
            return canonical(value)
        return canonical(sorted(canonical(e) for e in self.elements(value)))

    # -- planning ------------------------------------------------------------------------

    def planned(self, value: Any, prior: Any, *, creating: bool) -> Any:
        """What to plan for this block, given the configuration's ``value`` and the prior
        state's (None when the resource or its parent element is new)."""
        wanted = self.elements(value)
        before = self.elements(prior)
        if not wanted:
            if self.computed and before:
                return copy.deepcopy(prior)
            if self.computed and creating and self.returned:
                return self.pack([self.skeleton()])
            return self.pack([])
        base = before[0] if len(before) == 1 and len(wanted) == 1 else None
        return self.pack([self._planned_element(e, base) for e in wanted])

    def _planned_element(self, element: dict[str, Any], prior: dict[str, Any] | None) -> Any:
        out = dict(element)
        same = prior is not None and all(
            prior.get(a.name) == element.get(a.name)
            for a in self.attributes
            if element.get(a.name) is not None
        )
        for a in self.attributes:
            if a.computed and out.get(a.name) is None:
                out[a.name] = prior.get(a.name) if same and prior else Unknown
        for block in self.nested:
            out[block.name] = block.planned(
                out.get(block.name),
                prior.get(block.name) if prior else None,
                creating=prior is None,
            )
        return out

    def skeleton(self) -> dict[str, Any]:
        """One element whose computed attributes are all "(known after apply)"."""
        out: dict[str, Any] = {a.name: Unknown if a.computed else None for a in self.attributes}
        for block in self.nested:
            out[block.name] = block.planned(None, None, creating=True)
        return out


def settled(value: Any) -> Any:
    """``value`` with what is still "(known after apply)" made null: a state after an
    apply holds only known values (the API said nothing of those)."""
    if value is Unknown:
        return None
    if isinstance(value, dict):
        return {k: settled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [settled(v) for v in value]
    return value


def complete(attributes: Iterable[schema.Attribute], blocks: Iterable[Block], state: Any) -> Any:
    """``state`` with exactly the schema's keys (OpenTofu refuses an object with fewer)."""
    if state is None:
        return None
    out = {a.name: state.get(a.name) for a in attributes}
    for block in blocks:
        out[block.name] = block.pack(
            [block.complete(e) for e in block.elements(state.get(block.name))]
        )
    return out


def blocks_of(found: schema.Schema) -> list[Block]:
    return [b for b in found.block_types if isinstance(b, Block)]
