"""``ovh_cloud_project_kube_nodepool``: a node pool of a cluster (the provider's schema, v2.19)."""

from __future__ import annotations

from typing import Any

from tf import schema, types
from tf.iface import (
    CreateContext,
    DeleteContext,
    ImportContext,
    PlanContext,
    ReadContext,
    Resource,
    UpdateContext,
)

from workshop.ovhprovider import api
from workshop.ovhprovider.fields import (
    BOOL,
    NUMBER,
    computed,
    empty_as_null,
    given,
    optional,
    required,
    unknown,
)

TIMEOUT = 60 * 60.0
# What the API recomputes while a pool changes: "(known after apply)" in a plan.
VOLATILE = (
    "available_nodes",
    "current_nodes",
    "up_to_date_nodes",
    "size_status",
    "status",
    "updated_at",
)
# attribute -> API field, for the create body and for reading back
SETTABLE = (
    ("name", "name"),
    ("flavor_name", "flavorName"),
    ("desired_nodes", "desiredNodes"),
    ("min_nodes", "minNodes"),
    ("max_nodes", "maxNodes"),
    ("autoscale", "autoscale"),
    ("anti_affinity", "antiAffinity"),
    ("monthly_billed", "monthlyBilled"),
    ("availability_zones", "availabilityZones"),
)
AUTOSCALING = (
    ("autoscaling_scale_down_unneeded_time_seconds", "scaleDownUnneededTimeSeconds"),
    ("autoscaling_scale_down_unready_time_seconds", "scaleDownUnreadyTimeSeconds"),
    ("autoscaling_scale_down_utilization_threshold", "scaleDownUtilizationThreshold"),
)
IN_PLACE = ("desired_nodes", "min_nodes", "max_nodes", "autoscale", *(a for a, _ in AUTOSCALING))

SCHEMA = schema.Schema(
    version=0,
    attributes=[
        computed("id"),
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
        optional("availability_zones", types.List(types.String()), replace=True),
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
)


def path(service: str, kube_id: str, pool_id: str = "") -> str:
    base = f"/cloud/project/{service}/kube/{kube_id}/nodepool"
    return f"{base}/{pool_id}" if pool_id else base


def to_state(service: str, kube_id: str, found: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a pool as the resource's attributes."""
    autoscaling = found.get("autoscaling") or {}
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
    }


def _autoscaling(state: dict[str, Any]) -> dict[str, Any]:
    return {key: state[attr] for attr, key in AUTOSCALING if given(state.get(attr))}


class CloudProjectKubeNodepool(Resource):
    """A pool: created with ``POST .../nodepool``, resized in place with ``PUT``."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return "cloud_project_kube_nodepool"

    @classmethod
    def get_schema(cls) -> schema.Schema:
        return SCHEMA

    def _read(self, service: str, kube_id: str, pool_id: str) -> dict[str, Any] | None:
        client = self.provider.client()
        where = path(service, kube_id, pool_id)
        if api.gone(client, where):
            return None
        return to_state(service, kube_id, api.call(client, "GET", where))

    def _wait_ready(self, client: Any, where: str) -> None:
        api.wait_for(
            f"nodepool {where.rsplit('/', 1)[-1]} to be READY",
            api.status_probe(client, where, ready=("READY",)),
            timeout=TIMEOUT,
        )

    def create(self, ctx: CreateContext, planned: dict[str, Any]) -> dict[str, Any] | None:
        service, kube_id = planned["service_name"], planned["kube_id"]
        try:
            client = self.provider.client()
            body = {key: planned[attr] for attr, key in SETTABLE if given(planned.get(attr))}
            if _autoscaling(planned):
                body["autoscaling"] = _autoscaling(planned)
            created = api.call(client, "POST", path(service, kube_id), **body)
            pool_id = str(created["id"])
            self._wait_ready(client, path(service, kube_id, pool_id))
            return self._read(service, kube_id, pool_id)
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return None

    def read(self, ctx: ReadContext, current: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self._read(current["service_name"], current["kube_id"], current["id"])
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return current

    def plan(
        self, ctx: PlanContext, current: dict[str, Any] | None, planned: dict[str, Any]
    ) -> dict[str, Any]:
        if current is not None and ctx.changed_fields & set(IN_PLACE):
            return unknown(planned, *VOLATILE)
        return planned

    def update(
        self, ctx: UpdateContext, current: dict[str, Any], planned: dict[str, Any]
    ) -> dict[str, Any] | None:
        service, kube_id, pool_id = current["service_name"], current["kube_id"], current["id"]
        where = path(service, kube_id, pool_id)
        try:
            client = self.provider.client()
            body = {
                key: planned[attr]
                for attr, key in SETTABLE
                if attr in IN_PLACE and given(planned.get(attr))
            }
            if _autoscaling(planned):
                body["autoscaling"] = _autoscaling(planned)
            api.call(client, "PUT", where, **body)
            self._wait_ready(client, where)
            return self._read(service, kube_id, pool_id)
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return current

    def delete(self, ctx: DeleteContext, current: dict[str, Any]) -> None:
        where = path(current["service_name"], current["kube_id"], current["id"])
        try:
            api.delete(self.provider.client(), where, f"nodepool {current['id']}", timeout=TIMEOUT)
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)

    def import_(self, ctx: ImportContext, id: str) -> dict[str, Any] | None:
        parts = id.split("/", 2)
        if len(parts) != 3 or not all(parts):
            ctx.diagnostics.add_error(
                "import Id is not service_name/kubeid/poolid formatted", f"got {id!r}"
            )
            return None
        try:
            state = self._read(*parts)
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return None
        if state is None:
            ctx.diagnostics.add_error(f"no node pool {parts[2]} in cluster {parts[1]}")
        return state
