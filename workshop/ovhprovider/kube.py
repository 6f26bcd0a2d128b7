"""``ovh_cloud_project_kube``: a Managed Kubernetes cluster (the provider's schema, v2.19)."""

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
    computed,
    empty_as_null,
    given,
    optional,
    required,
    unknown,
)

CREATE_TIMEOUT = 15 * 60.0
UPDATE_TIMEOUT = 60 * 60.0
DELETE_TIMEOUT = 10 * 60.0
PENDING = ("INSTALLING", "UNKNOWN", "UPDATING", "REDEPLOYING", "RESETTING", "REOPENING")

SCHEMA = schema.Schema(
    version=0,
    attributes=[
        computed("id"),
        required("service_name", replace=True),
        optional("name"),
        optional("version", computed=True),
        optional("plan", computed=True),
        optional("update_policy", computed=True),
        optional("kube_proxy_mode", computed=True, replace=True),
        optional("private_network_id", replace=True),
        optional("load_balancers_subnet_id"),
        optional("nodes_subnet_id", computed=True),
        required("region", replace=True),
        computed("control_plane_is_up_to_date", BOOL),
        computed("is_up_to_date", BOOL),
        computed("next_upgrade_versions", types.Set(types.String())),
        computed("nodes_url"),
        computed("status"),
        computed("url"),
        computed("kubeconfig", sensitive=True),
    ],
)


def path(service: str, kube_id: str = "") -> str:
    base = f"/cloud/project/{service}/kube"
    return f"{base}/{kube_id}" if kube_id else base


def minor(version: str) -> str:
    """``1.37.2-1`` -> ``1.37``: the provider keeps the version a cluster is created with."""
    return ".".join(version.split("-")[0].split(".")[:2])


def to_state(service: str, found: dict[str, Any], kubeconfig: Any) -> dict[str, Any]:
    """The API's view of a cluster as the resource's attributes."""
    return {
        "id": found["id"],
        "service_name": service,
        "name": found.get("name"),
        "version": minor(str(found.get("version", ""))),
        "plan": found.get("plan"),
        "update_policy": found.get("updatePolicy"),
        "kube_proxy_mode": found.get("kubeProxyMode"),
        "private_network_id": empty_as_null(found.get("privateNetworkId")),
        "load_balancers_subnet_id": empty_as_null(found.get("loadBalancersSubnetId")),
        "nodes_subnet_id": found.get("nodesSubnetId") or "",
        "region": found.get("region"),
        "control_plane_is_up_to_date": bool(found.get("controlPlaneIsUpToDate")),
        "is_up_to_date": bool(found.get("isUpToDate")),
        "next_upgrade_versions": list(found.get("nextUpgradeVersions") or []),
        "nodes_url": found.get("nodesUrl"),
        "status": found.get("status"),
        "url": found.get("url"),
        "kubeconfig": kubeconfig,
    }


def fetch_kubeconfig(client: Any, service: str, kube_id: str) -> str:
    answer = api.call(client, "POST", path(service, kube_id) + "/kubeconfig")
    return str(answer.get("content", ""))


class CloudProjectKube(Resource):
    """The cluster: created with ``POST .../kube``, ready when its status is READY."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return "cloud_project_kube"

    @classmethod
    def get_schema(cls) -> schema.Schema:
        return SCHEMA

    def _read(self, service: str, kube_id: str, kubeconfig: Any) -> dict[str, Any] | None:
        client = self.provider.client()
        where = path(service, kube_id)
        if api.gone(client, where):
            return None
        found = api.call(client, "GET", where)
        if not given(kubeconfig) or not kubeconfig:
            kubeconfig = fetch_kubeconfig(client, service, kube_id)
        return to_state(service, found, kubeconfig)

    def create(self, ctx: CreateContext, planned: dict[str, Any]) -> dict[str, Any] | None:
        try:
            client = self.provider.client()
            service = planned["service_name"]
            body = {
                key: planned[attribute]
                for key, attribute in (
                    ("name", "name"),
                    ("region", "region"),
                    ("version", "version"),
                    ("plan", "plan"),
                    ("updatePolicy", "update_policy"),
                    ("kubeProxyMode", "kube_proxy_mode"),
                    ("privateNetworkId", "private_network_id"),
                    ("loadBalancersSubnetId", "load_balancers_subnet_id"),
                    ("nodesSubnetId", "nodes_subnet_id"),
                )
                if given(planned.get(attribute))
            }
            created = api.call(client, "POST", path(service), **body)
            kube_id = str(created["id"])
            api.wait_for(
                f"kube {kube_id} to be READY",
                api.status_probe(client, path(service, kube_id), ready=("READY",)),
                timeout=CREATE_TIMEOUT,
            )
            return self._read(service, kube_id, None)
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return None

    def read(self, ctx: ReadContext, current: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self._read(current["service_name"], current["id"], current.get("kubeconfig"))
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return current

    def plan(
        self, ctx: PlanContext, current: dict[str, Any] | None, planned: dict[str, Any]
    ) -> dict[str, Any]:
        if current is not None and "version" in ctx.changed_fields:
            return unknown(
                planned, "is_up_to_date", "control_plane_is_up_to_date", "next_upgrade_versions"
            )
        return planned

    def update(
        self, ctx: UpdateContext, current: dict[str, Any], planned: dict[str, Any]
    ) -> dict[str, Any] | None:
        service, kube_id = current["service_name"], current["id"]
        where = path(service, kube_id)
        try:
            client = self.provider.client()
            changed = {k for k in planned if given(planned[k]) and planned[k] != current.get(k)}
            unsupported = changed & {"plan", "load_balancers_subnet_id", "nodes_subnet_id"}
            if unsupported:
                raise api.Failure(
                    f"changing {', '.join(sorted(unsupported))} is not supported by the "
                    "workshop's ovh provider",
                    "set it back to its current value, or recreate the cluster",
                )
            if "version" in changed:
                api.call(client, "POST", where + "/update", strategy="NEXT_MINOR")
                self._wait_ready(client, where)
            if "update_policy" in changed:
                api.call(
                    client, "PUT", where + "/updatePolicy", updatePolicy=planned["update_policy"]
                )
            if "name" in changed:
                api.call(client, "PUT", where, name=planned["name"])
            self._wait_ready(client, where)
            return self._read(service, kube_id, current.get("kubeconfig"))
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return current

    def _wait_ready(self, client: Any, where: str) -> None:
        api.wait_for(
            f"{where} to be READY",
            api.status_probe(client, where, ready=("READY",)),
            timeout=UPDATE_TIMEOUT,
        )

    def delete(self, ctx: DeleteContext, current: dict[str, Any]) -> None:
        where = path(current["service_name"], current["id"])
        try:
            api.delete(
                self.provider.client(), where, f"kube {current['id']}", timeout=DELETE_TIMEOUT
            )
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)

    def import_(self, ctx: ImportContext, id: str) -> dict[str, Any] | None:
        parts = id.split("/", 1)
        if len(parts) != 2 or not all(parts):
            ctx.diagnostics.add_error(
                "import Id is not service_name/kubeid formatted",
                f"got {id!r}; e.g. tofu import ovh_cloud_project_kube.my_kube_cluster "
                "SERVICE_NAME/KUBE_ID",
            )
            return None
        try:
            state = self._read(parts[0], parts[1], None)
        except api.Failure as e:
            ctx.diagnostics.add_error(e.summary, e.detail)
            return None
        if state is None:
            ctx.diagnostics.add_error(f"no cluster {parts[1]} in project {parts[0]}")
        return state
