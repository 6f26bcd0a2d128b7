"""``ovh_cloud_project_kube_nodepool``: a node pool of a cluster (the provider's schema, v2.19).

Schema, bodies and messages from ``ovh/resource_cloud_project_kube_nodepool.go`` and
``ovh/types_cloud_project_kube_nodepool.go``: the ``template`` (labels, annotations,
finalizers, taints, unschedulable of every node) is always sent, empty when the
configuration has none, as the real provider sends it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tf import schema, types
from tf.iface import PlanContext
from tf.utils import Diagnostics

from workshop.ovhprovider import api
from workshop.ovhprovider.base import ApiResource, split_id
from workshop.ovhprovider.blocks import Block
from workshop.ovhprovider.fields import (
    BOOL,
    NUMBER,
    STRINGS,
    computed,
    empty_as_null,
    first,
    given,
    identifier,
    optional,
    required,
    timeouts,
    unknown,
)

TIMEOUT = 60 * 60.0
TAINT_EFFECTS = ("NoExecute", "NoSchedule", "PreferNoSchedule")
# What the API recomputes while a pool changes: "(known after apply)" in a plan.
VOLATILE = (
    "available_nodes",
    "current_nodes",
    "up_to_date_nodes",
    "size_status",
    "status",
    "updated_at",
)
SIZES = (("desired_nodes", "desiredNodes"), ("min_nodes", "minNodes"), ("max_nodes", "maxNodes"))
AUTOSCALING = (
    ("autoscaling_scale_down_unneeded_time_seconds", "scaleDownUnneededTimeSeconds"),
    ("autoscaling_scale_down_unready_time_seconds", "scaleDownUnreadyTimeSeconds"),
    ("autoscaling_scale_down_utilization_threshold", "scaleDownUtilizationThreshold"),
)
TAINTS = types.List(types.Map(types.String()))

TEMPLATE = Block(
    "template",
    Block(
        "metadata",
        required("finalizers", STRINGS),
        required("labels", types.Map(types.String())),
        required("annotations", types.Map(types.String())),
        required=True,
        max_items=1,
    ),
    Block(
        "spec",
        required("unschedulable", BOOL),
        required("taints", TAINTS),
        required=True,
        max_items=1,
    ),
    max_items=1,
)
FLOATING_IPS = Block(
    "attach_floating_ips",
    optional("enabled", BOOL, computed=True),
    computed=True,
    returned=True,
    max_items=1,
)

SCHEMA = schema.Schema(
    version=0,
    attributes=[
        identifier(),
        required("service_name", replace=True),
        required("kube_id", replace=True),
        optional("name", computed=True, replace=True),
        required("flavor_name", replace=True),
        optional("desired_nodes", NUMBER, computed=True),
        optional("max_nodes", NUMBER, computed=True),
        optional("min_nodes", NUMBER, computed=True),
        optional("autoscale", BOOL, computed=True),
        optional("autoscaling_scale_down_unneeded_time_seconds", NUMBER, computed=True),
        optional("autoscaling_scale_down_unready_time_seconds", NUMBER, computed=True),
        optional("autoscaling_scale_down_utilization_threshold", NUMBER, computed=True),
        optional("anti_affinity", BOOL, computed=True, replace=True),
        optional("monthly_billed", BOOL, computed=True, replace=True),
        optional("availability_zones", STRINGS, replace=True),
        computed("available_nodes", NUMBER),
        computed("created_at"),
        computed("current_nodes", NUMBER),
        computed("flavor"),
        computed("project_id"),
        computed("size_status"),
        computed("status"),
        computed("up_to_date_nodes", NUMBER),
        computed("updated_at"),
    ],
    block_types=[FLOATING_IPS, TEMPLATE, timeouts()],
)


def path(service: str, kube_id: str, pool_id: str = "") -> str:
    base = f"/cloud/project/{service}/kube/{kube_id}/nodepool"
    return f"{base}/{pool_id}" if pool_id else base


# -- template ----------------------------------------------------------------------------


def _taint_body(taint: dict[str, Any]) -> dict[str, str]:
    return {
        "effect": str(taint.get("effect") or ""),
        "key": str(taint.get("key") or ""),
        "value": str(taint.get("value") or ""),
    }


def template_body(value: Any) -> dict[str, Any]:
    """``template``: the configured one, else an empty one (``loadNodelPoolTemplateFromResource``
    always returns a template, with empty maps and lists)."""
    element = first(value) or {}
    metadata = first(element.get("metadata")) or {}
    spec = first(element.get("spec")) or {}
    return {
        "metadata": {
            "annotations": dict(metadata.get("annotations") or {}),
            "finalizers": list(metadata.get("finalizers") or []),
            "labels": dict(metadata.get("labels") or {}),
        },
        "spec": {
            "taints": [_taint_body(t) for t in spec.get("taints") or []],
            "unschedulable": bool(spec.get("unschedulable")),
        },
    }


def template_state(found: Any, previous: Any) -> list[dict[str, Any]]:
    """The API's template as the block; an empty one (or none) keeps the state's, as the
    real ``ToMap`` does. Taints equal to the configured ones keep their written form."""
    if not isinstance(found, dict) or found == template_body(None) or _empty(found):
        return list(previous or [])
    metadata = found.get("metadata") or {}
    spec = found.get("spec") or {}
    wanted = first((first(previous) or {}).get("spec")) or {}
    taints = [
        {"effect": t.get("effect", ""), "key": t.get("key", ""), "value": t.get("value", "")}
        for t in spec.get("taints") or []
    ]
    configured = wanted.get("taints")
    if isinstance(configured, list) and [_taint_body(t) for t in configured] == [
        _taint_body(t) for t in taints
    ]:
        taints = configured
    return [
        {
            "metadata": [
                {
                    "finalizers": list(metadata.get("finalizers") or []),
                    "labels": dict(metadata.get("labels") or {}),
                    "annotations": dict(metadata.get("annotations") or {}),
                }
            ],
            "spec": [{"unschedulable": bool(spec.get("unschedulable")), "taints": taints}],
        }
    ]


def _empty(template: dict[str, Any]) -> bool:
    metadata = template.get("metadata") or {}
    spec = template.get("spec") or {}
    return not any(
        (
            metadata.get("annotations"),
            metadata.get("finalizers"),
            metadata.get("labels"),
            spec.get("taints"),
            spec.get("unschedulable"),
        )
    )


# -- state and bodies --------------------------------------------------------------------


def to_state(
    service: str, kube_id: str, found: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The API's view of a pool as the resource's attributes and blocks."""
    previous = previous or {}
    autoscaling = found.get("autoscaling") or {}
    floating = found.get("attachFloatingIps")
    return {
        "id": found["id"],
        "service_name": service,
        "kube_id": kube_id,
        "name": found.get("name"),
        "flavor_name": found.get("flavor"),
        "desired_nodes": found.get("desiredNodes"),
        "max_nodes": found.get("maxNodes"),
        "min_nodes": found.get("minNodes"),
        "autoscale": bool(found.get("autoscale")),
        **{attribute: autoscaling.get(key) for attribute, key in AUTOSCALING},
        "anti_affinity": bool(found.get("antiAffinity")),
        "monthly_billed": bool(found.get("monthlyBilled")),
        "availability_zones": empty_as_null(found.get("availabilityZones")),
        "available_nodes": found.get("availableNodes"),
        "created_at": found.get("createdAt"),
        "current_nodes": found.get("currentNodes"),
        "flavor": found.get("flavor"),
        "project_id": found.get("projectId"),
        "size_status": found.get("sizeStatus"),
        "status": found.get("status"),
        "up_to_date_nodes": found.get("upToDateNodes"),
        "updated_at": found.get("updatedAt"),
        "attach_floating_ips": [{"enabled": bool(floating.get("enabled"))}]
        if isinstance(floating, dict)
        else list(previous.get("attach_floating_ips") or []),
        "template": template_state(found.get("template"), previous.get("template")),
        "timeouts": previous.get("timeouts"),
    }


def _known(state: dict[str, Any], name: str) -> bool:
    return given(state.get(name))


def _flag(state: dict[str, Any], name: str) -> bool:
    """A boolean as the real provider sends it: false when not set."""
    return bool(state.get(name)) if _known(state, name) else False


def _autoscaling(state: dict[str, Any]) -> dict[str, Any]:
    """``autoscaling``: the settings given (non-zero, as ``GetOk`` reads them)."""
    return {key: state[attr] for attr, key in AUTOSCALING if _known(state, attr) and state[attr]}


def _floating_ips(state: dict[str, Any]) -> dict[str, Any] | None:
    element = first(state.get("attach_floating_ips"))
    if element is None or not given(element.get("enabled")):
        return None
    return {"enabled": bool(element["enabled"])}


def create_body(planned: dict[str, Any]) -> dict[str, Any]:
    """``POST .../nodepool`` as ``CloudProjectKubeNodePoolCreateOpts.FromResource`` fills it."""
    body: dict[str, Any] = {
        "antiAffinity": _flag(planned, "anti_affinity"),
        "autoscale": _flag(planned, "autoscale"),
        "availabilityZones": list(planned.get("availability_zones") or []),
        "flavorName": planned["flavor_name"],
        "monthlyBilled": _flag(planned, "monthly_billed"),
        "autoscaling": _autoscaling(planned),
        "template": template_body(planned.get("template")),
    }
    body.update({key: planned[attr] for attr, key in SIZES if _known(planned, attr)})
    if _known(planned, "name") and planned["name"]:
        body["name"] = planned["name"]
    floating = _floating_ips(planned)
    if floating is not None:
        body["attachFloatingIps"] = floating
    return body


def update_body(planned: dict[str, Any]) -> dict[str, Any]:
    """``PUT .../nodepool/{id}`` as ``CloudProjectKubeNodePoolUpdateOpts.FromResource``."""
    body: dict[str, Any] = {key: planned[attr] for attr, key in SIZES if _known(planned, attr)}
    if _known(planned, "autoscale"):
        body["autoscale"] = bool(planned["autoscale"])
    body["autoscaling"] = _autoscaling(planned)
    body["template"] = template_body(planned.get("template"))
    floating = _floating_ips(planned)
    if floating is not None:
        body["attachFloatingIps"] = floating
    return body


class CloudProjectKubeNodepool(ApiResource):
    """A pool: created with ``POST .../nodepool``, changed in place with ``PUT``."""

    NAME = "cloud_project_kube_nodepool"
    SCHEMA = SCHEMA
    TIMEOUTS: ClassVar[dict[str, float]] = {"create": TIMEOUT, "update": TIMEOUT, "delete": TIMEOUT}

    def check(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        spec = first((first(config.get("template")) or {}).get("spec")) or {}
        taints = spec.get("taints")
        for index, taint in enumerate(taints if isinstance(taints, list) else []):
            if not isinstance(taint, dict):
                continue
            where = f"template.0.spec.0.taints.{index}"
            if taint.get("key") is None:
                diags.add_error(f"key attribute is mandatory for taint: {where}")
            effect = taint.get("effect")
            if effect is None:
                diags.add_error(f"effect attribute is mandatory for taint: {where}")
            elif isinstance(effect, str) and effect not in TAINT_EFFECTS:
                diags.add_error(
                    f"effect: {effect} is not a allowable taint "
                    'map[string]ovh.TaintEffectType{"":0, "NoExecute":1, '
                    '"NoSchedule":2, "PreferNoSchedule":3}'
                )

    def _read(
        self, service: str, kube_id: str, pool_id: str, previous: dict[str, Any]
    ) -> dict[str, Any] | None:
        client = self.client()
        where = path(service, kube_id, pool_id)
        if api.gone(client, where):
            return None
        return to_state(service, kube_id, api.call(client, "GET", where), previous)

    def _wait_ready(self, where: str, timeout: float) -> None:
        api.wait_for(
            f"nodepool {where.rsplit('/', 1)[-1]} to be READY",
            api.status_probe(self.client(), where, ready=("READY",)),
            timeout=timeout,
        )

    def _applied(
        self, service: str, kube_id: str, pool_id: str, planned: dict[str, Any]
    ) -> dict[str, Any]:
        state = self._read(service, kube_id, pool_id, planned)
        if state is None:
            raise api.Failure(f"nodepool {pool_id} disappeared while it was being applied")
        if planned.get("attach_floating_ips") == []:
            state["attach_floating_ips"] = []
        return state

    def created(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        service, kube_id = planned["service_name"], planned["kube_id"]
        created = api.call(self.client(), "POST", path(service, kube_id), **create_body(planned))
        pool_id = str(created["id"])
        self._wait_ready(path(service, kube_id, pool_id), self.timeout(planned, "create"))
        return self._applied(service, kube_id, pool_id, planned)

    def fetched(self, current: dict[str, Any]) -> dict[str, Any] | None:
        return self._read(current["service_name"], current["kube_id"], current["id"], current)

    def plan(
        self, ctx: PlanContext, current: dict[str, Any] | None, planned: dict[str, Any]
    ) -> dict[str, Any]:
        # any change is a PUT of the pool (a new timeout too, as in the real one), after
        # which the API shows new counts, status and update time
        if current is not None and ctx.changed_fields:
            return unknown(planned, *VOLATILE)
        return planned

    def updated(self, current: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        service, kube_id, pool_id = current["service_name"], current["kube_id"], current["id"]
        where = path(service, kube_id, pool_id)
        api.call(self.client(), "PUT", where, **update_body(planned))
        self._wait_ready(where, self.timeout(planned, "update"))
        return self._applied(service, kube_id, pool_id, planned)

    def deleted(self, current: dict[str, Any]) -> None:
        where = path(current["service_name"], current["kube_id"], current["id"])
        api.delete(
            self.client(),
            where,
            f"nodepool {current['id']}",
            timeout=self.timeout(current, "delete"),
        )

    def imported(self, id: str) -> dict[str, Any] | None:
        service, kube_id, pool_id = split_id(
            id, pieces=3, parts=3, message="import Id is not service_name/kubeid/poolid formatted"
        )
        state = self._read(service, kube_id, pool_id, {})
        if state is None:
            raise api.Failure(f"no node pool {pool_id} in cluster {kube_id}")
        return state
