"""Who may reach a cluster's API server: ``ovh_cloud_project_kube_iprestrictions`` and
``ovh_cloud_project_kube_oidc`` (the provider's schemas, v2.19).

From ``ovh/resource_cloud_project_kube_iprestrictions.go`` (create and update are one
``PUT .../ipRestrictions``; destroy puts an empty list back; the id is the cluster's) and
``ovh/resource_cloud_project_kube_oidc.go`` (``POST``/``PUT``/``DELETE
.../openIdConnect``, every field sent, empty when not set; the id is
``serviceName/kubeId``). Each change redeploys the cluster: the resource waits until it is
READY again.
"""

from __future__ import annotations

import ipaddress
from typing import Any, ClassVar

from tf import schema
from tf.iface import PlanContext

from workshop.ovhprovider import api
from workshop.ovhprovider.base import ApiResource, split_id
from workshop.ovhprovider.fields import (
    STRING_SET,
    STRINGS,
    empty_as_null,
    identifier,
    optional,
    required,
    timeouts,
)

# attribute -> API field; lists are sent as [] and strings as "" when not set
OIDC_STRINGS = (
    ("client_id", "clientId"),
    ("issuer_url", "issuerUrl"),
    ("oidc_username_claim", "usernameClaim"),
    ("oidc_username_prefix", "usernamePrefix"),
    ("oidc_groups_prefix", "groupsPrefix"),
    ("oidc_ca_content", "caContent"),
)
OIDC_LISTS = (
    ("oidc_groups_claim", "groupsClaim"),
    ("oidc_required_claim", "requiredClaim"),
    ("oidc_signing_algs", "signingAlgorithms"),
)


def networks(ips: Any) -> set[str] | None:
    """The CIDR blocks as the API normalises them (a bare address is a /32 or /128)."""
    if not isinstance(ips, list):
        return None
    try:
        return {str(ipaddress.ip_network(str(ip), strict=False)) for ip in ips}
    except ValueError:
        return None


def kube_path(service: str, kube_id: str) -> str:
    return f"/cloud/project/{service}/kube/{kube_id}"


def wait_ready(client: Any, service: str, kube_id: str, timeout: float) -> None:
    where = kube_path(service, kube_id)
    api.wait_for(
        f"kube {kube_id} to be READY",
        api.status_probe(client, where, ready=("READY",)),
        timeout=timeout,
    )


class CloudProjectKubeIpRestrictions(ApiResource):
    """The list of CIDR blocks allowed to reach the API server (empty: everyone)."""

    NAME = "cloud_project_kube_iprestrictions"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name", replace=True),
            required("kube_id", replace=True),
            required("ips", STRING_SET),
        ],
        block_types=[timeouts()],
    )
    TIMEOUTS: ClassVar[dict[str, float]] = {
        "create": 10 * 60.0,
        "update": 5 * 60.0,
        "delete": 5 * 60.0,
    }

    def _put(self, state: dict[str, Any], ips: list[str]) -> None:
        service, kube_id = state["service_name"], state["kube_id"]
        api.call(self.client(), "PUT", kube_path(service, kube_id) + "/ipRestrictions", ips=ips)
        # the real resource waits with its update timeout, for a creation too
        wait_ready(self.client(), service, kube_id, self.timeout(state, "update"))

    def _read(self, service: str, kube_id: str, previous: dict[str, Any]) -> dict[str, Any] | None:
        where = kube_path(service, kube_id) + "/ipRestrictions"
        if api.gone(self.client(), where):
            return None
        ips = [str(ip) for ip in api.call(self.client(), "GET", where) or []]
        wanted = previous.get("ips")
        if isinstance(wanted, list) and networks(wanted) == networks(ips):
            ips = [
                str(ip) for ip in wanted
            ]  # the same blocks, written as the configuration writes them
        return {
            "id": kube_id,
            "service_name": service,
            "kube_id": kube_id,
            "ips": ips,
            "timeouts": previous.get("timeouts"),
        }

    def plan(
        self, ctx: PlanContext, current: dict[str, Any] | None, planned: dict[str, Any]
    ) -> dict[str, Any]:
        # "10.0.0.1" and "10.0.0.1/32" are one block: no change to plan
        wanted = networks(planned.get("ips"))
        if current is not None and wanted is not None and wanted == networks(current.get("ips")):
            return {**planned, "ips": current.get("ips")}
        return planned

    def created(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        self._put(planned, [str(ip) for ip in planned.get("ips") or []])
        return self._read(planned["service_name"], planned["kube_id"], planned)

    def updated(self, current: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        return self.created(planned)

    def fetched(self, current: dict[str, Any]) -> dict[str, Any] | None:
        return self._read(current["service_name"], current["kube_id"], current)

    def deleted(self, current: dict[str, Any]) -> None:
        self._put(current, [])

    def imported(self, id: str) -> dict[str, Any] | None:
        service, kube_id = split_id(
            id, pieces=3, parts=2, message="Import Id is not service_name/kubeid formatted"
        )
        state = self._read(service, kube_id, {})
        if state is None:
            raise api.Failure(f"no cluster {kube_id} in project {service}")
        return state


class CloudProjectKubeOidc(ApiResource):
    """An OpenID Connect provider for the API server's users."""

    NAME = "cloud_project_kube_oidc"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name", replace=True),
            required("kube_id", replace=True),
            required("client_id"),
            required("issuer_url"),
            optional("oidc_username_claim"),
            optional("oidc_username_prefix"),
            optional("oidc_groups_claim", STRINGS),
            optional("oidc_groups_prefix"),
            optional("oidc_required_claim", STRINGS),
            optional("oidc_signing_algs", STRINGS),
            optional("oidc_ca_content"),
        ],
        block_types=[timeouts()],
    )
    TIMEOUTS: ClassVar[dict[str, float]] = {
        "create": 10 * 60.0,
        "update": 10 * 60.0,
        "delete": 10 * 60.0,
    }

    @staticmethod
    def body(state: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {key: state.get(attr) or "" for attr, key in OIDC_STRINGS}
        body.update({key: list(state.get(attr) or []) for attr, key in OIDC_LISTS})
        return body

    def _read(self, service: str, kube_id: str, previous: dict[str, Any]) -> dict[str, Any] | None:
        where = kube_path(service, kube_id) + "/openIdConnect"
        if api.gone(self.client(), where):
            return None
        found = api.call(self.client(), "GET", where) or {}
        state: dict[str, Any] = {
            "id": f"{service}/{kube_id}",
            "service_name": service,
            "kube_id": kube_id,
            "timeouts": previous.get("timeouts"),
        }
        for attr, key in (*OIDC_STRINGS, *OIDC_LISTS):
            # the API's "" and [] are the state's null, as the real resource's SDK reads them
            state[attr] = empty_as_null(found.get(key))
        return state

    def _write(self, method: str, state: dict[str, Any], kind: str) -> dict[str, Any] | None:
        service, kube_id = state["service_name"], state["kube_id"]
        where = kube_path(service, kube_id) + "/openIdConnect"
        api.call(self.client(), method, where, **self.body(state))
        wait_ready(self.client(), service, kube_id, self.timeout(state, kind))
        return self._read(service, kube_id, state)

    def created(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        return self._write("POST", planned, "create")

    def updated(self, current: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        return self._write("PUT", planned, "update")

    def fetched(self, current: dict[str, Any]) -> dict[str, Any] | None:
        return self._read(current["service_name"], current["kube_id"], current)

    def deleted(self, current: dict[str, Any]) -> None:
        service, kube_id = current["service_name"], current["kube_id"]
        where = kube_path(service, kube_id) + "/openIdConnect"
        if api.gone(self.client(), where):
            return
        api.call(self.client(), "DELETE", where)
        wait_ready(self.client(), service, kube_id, self.timeout(current, "delete"))

    def imported(self, id: str) -> dict[str, Any] | None:
        service, kube_id = split_id(
            id, pieces=3, parts=2, message="import Id is not service_name/kubeid formatted"
        )
        state = self._read(service, kube_id, {})
        if state is None:
            raise api.Failure(f"no OIDC provider on cluster {kube_id} in project {service}")
        return state
