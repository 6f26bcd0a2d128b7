"""``ovh_cloud_project_kube``: a Managed Kubernetes cluster (the provider's schema, v2.19).

Schema, calls and messages from ``ovh/resource_cloud_project_kube.go`` and
``ovh/types_cloud_project_kube.go``; the nested blocks are in ``customization``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml
from tf import schema, types
from tf.iface import PlanContext
from tf.utils import Diagnostics

from workshop.ovhprovider import api, checks, customization
from workshop.ovhprovider.base import ApiResource, split_id
from workshop.ovhprovider.blocks import Object, blocks_of
from workshop.ovhprovider.fields import (
    BOOL,
    STRING,
    STRING_SET,
    computed,
    empty_as_null,
    given,
    identifier,
    optional,
    required,
    timeouts,
    unknown,
)

CREATE_TIMEOUT = 15 * 60.0
UPDATE_TIMEOUT = 60 * 60.0
DELETE_TIMEOUT = 10 * 60.0
PENDING = ("INSTALLING", "UNKNOWN", "UPDATING", "REDEPLOYING", "RESETTING", "REOPENING")
CUSTOMIZATIONS = {
    "customization_apiserver",
    "customization",
    "customization_kube_proxy",
    "customization_cilium",
}
KUBECONFIG_ATTRIBUTES = types.List(
    Object(
        host=STRING,
        cluster_ca_certificate=STRING,
        client_certificate=STRING,
        client_key=STRING,
    )
)
SEMVER = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?")

SCHEMA = schema.Schema(
    version=0,
    attributes=[
        identifier(),
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
        computed("next_upgrade_versions", STRING_SET),
        computed("nodes_url"),
        computed("status"),
        computed("url"),
        computed("kubeconfig", sensitive=True),
        computed("kubeconfig_attributes", KUBECONFIG_ATTRIBUTES, sensitive=True),
    ],
    block_types=[*customization.BLOCKS, timeouts()],
)
COMPUTED_BLOCKS = tuple(b.name for b in blocks_of(SCHEMA) if b.computed)


def path(service: str, kube_id: str = "") -> str:
    base = f"/cloud/project/{service}/kube"
    return f"{base}/{kube_id}" if kube_id else base


def minor(version: str) -> str:
    """``1.37.2-1`` -> ``1.37``: the provider keeps the version a cluster is created with."""
    return ".".join(version.split("-")[0].split(".")[:2])


def kubeconfig_attributes(content: str) -> list[dict[str, Any]]:
    """``kubeconfig_attributes``: the first cluster's server and CA, the first user's
    certificate and key (base64, as in the file); the real provider's error if none."""
    try:
        data = yaml.safe_load(content) or {}
    except yaml.YAMLError as e:
        raise api.Failure("kubeconfig is invalid", str(e)) from e
    clusters, users = data.get("clusters") or [], data.get("users") or []
    if not clusters or not users:
        raise api.Failure("kubeconfig is invalid")
    cluster, user = clusters[0].get("cluster") or {}, users[0].get("user") or {}
    return [
        {
            "host": cluster.get("server", ""),
            "cluster_ca_certificate": cluster.get("certificate-authority-data", ""),
            "client_certificate": user.get("client-certificate-data", ""),
            "client_key": user.get("client-key-data", ""),
        }
    ]


def to_state(
    service: str, found: dict[str, Any], kubeconfig: str, previous: dict[str, Any]
) -> dict[str, Any]:
    """The API's view of a cluster as the resource's attributes and blocks; ``previous``
    (planned or prior state) keeps what the API does not show (``ToMap`` in the real one)."""
    name = found.get("name")
    if name == found["id"] and not given(previous.get("name")):
        name = None  # the API names an unnamed cluster after its id: still unset here
    return {
        "id": found["id"],
        "service_name": service,
        "name": name,
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
        "kubeconfig_attributes": kubeconfig_attributes(kubeconfig),
        **customization.to_state(found, previous),
        "timeouts": previous.get("timeouts"),
    }


def fetch_kubeconfig(client: Any, service: str, kube_id: str) -> str:
    answer = api.call(client, "POST", path(service, kube_id) + "/kubeconfig")
    return str(answer.get("content", ""))


def create_body(planned: dict[str, Any]) -> dict[str, Any]:
    """``POST .../kube`` as ``CloudProjectKubeCreateOpts.FromResource`` fills it: optional
    strings only when set, customization and private network configuration always."""
    body: dict[str, Any] = {
        key: planned[attribute]
        for key, attribute in (
            ("name", "name"),
            ("privateNetworkId", "private_network_id"),
            ("version", "version"),
            ("plan", "plan"),
            ("updatePolicy", "update_policy"),
            ("kubeProxyMode", "kube_proxy_mode"),
            ("loadBalancersSubnetId", "load_balancers_subnet_id"),
            ("nodesSubnetId", "nodes_subnet_id"),
        )
        if given(planned.get(attribute)) and planned[attribute]
    }
    body["region"] = planned["region"]
    body["privateNetworkConfiguration"] = customization.private_network_body(
        planned.get("private_network_configuration")
    )
    body["customization"] = customization.create_body(planned)
    policy = customization.ip_allocation_body(planned.get("ip_allocation_policy"))
    if policy is not None:
        body["ipAllocationPolicy"] = policy
    return body


def check_upgrade(old: str, new: str) -> None:
    """The real provider's rules for a new ``version``: the next minor of major 1."""
    found = []
    for value in (old, new):
        parts = SEMVER.fullmatch(value)
        if not parts:
            raise api.Failure(f"version {value} does not match a semver")
        found.append(parts)
    (old_major, old_minor), (new_major, new_minor) = (
        (int(p.group(1)), int(p.group(2) or 0)) for p in found
    )
    if old_major != 1 or new_major != 1:
        raise api.Failure("the only supported major version is 1")
    if (new_major, new_minor) < (old_major, old_minor):
        raise api.Failure(f"cannot downgrade cluster from {old} to {new}")
    if old_minor + 1 != new_minor:
        raise api.Failure(
            f"cannot upgrade cluster from {old} to {new}, only next minor version is authorized"
        )


class CloudProjectKube(ApiResource):
    """The cluster: created with ``POST .../kube``, ready when its status is READY."""

    NAME = "cloud_project_kube"
    SCHEMA = SCHEMA
    TIMEOUTS: ClassVar[dict[str, float]] = {
        "create": CREATE_TIMEOUT,
        "update": UPDATE_TIMEOUT,
        "delete": DELETE_TIMEOUT,
    }

    def check(self, diags: Diagnostics, config: dict[str, Any]) -> None:
        checks.enum(diags, ["plan"], config.get("plan"), customization.PLANS)
        checks.enum(
            diags,
            ["kube_proxy_mode"],
            config.get("kube_proxy_mode"),
            customization.KUBE_PROXY_MODES,
        )
        for name in ("load_balancers_subnet_id", "nodes_subnet_id"):
            checks.required_with(diags, config, name, ["private_network_id"])
        customization.check(diags, config)

    def _read(self, service: str, kube_id: str, previous: dict[str, Any]) -> dict[str, Any] | None:
        client = self.client()
        where = path(service, kube_id)
        if api.gone(client, where):
            return None
        found = api.call(client, "GET", where)
        kubeconfig = previous.get("kubeconfig")
        if not given(kubeconfig) or not kubeconfig or not previous.get("kubeconfig_attributes"):
            kubeconfig = fetch_kubeconfig(client, service, kube_id)
        return to_state(service, found, str(kubeconfig), previous)

    def _applied(self, service: str, kube_id: str, planned: dict[str, Any]) -> dict[str, Any]:
        """The state after an apply: the API's, except computed blocks planned empty (the
        next refresh brings them), so the result is what the plan said."""
        state = self._read(service, kube_id, planned)
        if state is None:
            raise api.Failure(f"kube {kube_id} disappeared while it was being applied")
        for name in COMPUTED_BLOCKS:
            if planned.get(name) == []:
                state[name] = []
        return state

    def _wait_ready(self, where: str, timeout: float) -> None:
        api.wait_for(
            f"kube {where.rsplit('/', 1)[-1]} to be READY",
            api.status_probe(self.client(), where, ready=("READY",)),
            timeout=timeout,
        )

    def created(self, planned: dict[str, Any]) -> dict[str, Any] | None:
        service = planned["service_name"]
        created = api.call(self.client(), "POST", path(service), **create_body(planned))
        kube_id = str(created["id"])
        self._wait_ready(path(service, kube_id), self.timeout(planned, "create"))
        return self._applied(service, kube_id, planned)

    def fetched(self, current: dict[str, Any]) -> dict[str, Any] | None:
        return self._read(current["service_name"], current["id"], current)

    def plan(
        self, ctx: PlanContext, current: dict[str, Any] | None, planned: dict[str, Any]
    ) -> dict[str, Any]:
        if current is not None and "version" in ctx.changed_fields:
            return unknown(
                planned, "is_up_to_date", "control_plane_is_up_to_date", "next_upgrade_versions"
            )
        return planned

    def updated(self, current: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any] | None:
        service, kube_id = current["service_name"], current["id"]
        where = path(service, kube_id)
        client = self.client()
        wait = self.timeout(planned, "update")
        changed = self.changes(current, planned)
        if changed & CUSTOMIZATIONS:
            body = customization.update_body(changed, planned)
            api.call(client, "PUT", where + "/customization", **body)
            self._wait_ready(where, wait)
        if "version" in changed:
            check_upgrade(str(current.get("version")), str(planned.get("version")))
            api.call(client, "POST", where + "/update", strategy="NEXT_MINOR")
            self._wait_ready(where, wait)
        if "plan" in changed:
            old, new = current.get("plan"), planned.get("plan")
            if old == "standard":
                raise api.Failure(f"you cannot migrate from {old} to {new}")
            raise api.Failure(f"migrate from {old} to {new} is not available yet")
        if "update_policy" in changed:
            api.call(client, "PUT", where + "/updatePolicy", updatePolicy=planned["update_policy"])
        if "load_balancers_subnet_id" in changed:
            api.call(
                client,
                "PUT",
                where + "/updateLoadBalancersSubnetId",
                loadBalancersSubnetId=planned.get("load_balancers_subnet_id") or "",
            )
            self._wait_ready(where, wait)
        if "name" in changed:
            api.call(client, "PUT", where, name=planned.get("name") or "")
        if "private_network_configuration" in changed:
            api.call(
                client,
                "PUT",
                where + "/privateNetworkConfiguration",
                **customization.private_network_body(planned.get("private_network_configuration")),
            )
            self._wait_ready(where, wait)
        if "nodes_subnet_id" in changed:
            raise api.Failure(
                "nodes_subnet_id cannot be updated: it is used at cluster creation or reset only",
                "set it back to its current value, or recreate the cluster",
            )
        return self._applied(service, kube_id, planned)

    def changes(self, current: dict[str, Any], planned: dict[str, Any]) -> set[str]:
        """The attributes and blocks ``planned`` changes (``d.HasChange`` in the real one)."""
        changed = {
            a.name
            for a in SCHEMA.attributes
            if given(planned.get(a.name)) and planned.get(a.name) != current.get(a.name)
        }
        changed |= {
            b.name
            for b in blocks_of(SCHEMA)
            if b.name != "timeouts"
            and not b.semantically_equal(current.get(b.name), planned.get(b.name))
        }
        return changed

    def deleted(self, current: dict[str, Any]) -> None:
        where = path(current["service_name"], current["id"])
        api.delete(
            self.client(), where, f"kube {current['id']}", timeout=self.timeout(current, "delete")
        )

    def imported(self, id: str) -> dict[str, Any] | None:
        service, kube_id = split_id(
            id,
            pieces=2,
            parts=2,
            message="import Id is not service_name/kubeid formatted",
        )
        state = self._read(service, kube_id, {})
        if state is None:
            raise api.Failure(
                f"no cluster {kube_id} in project {service}",
                "e.g. tofu import ovh_cloud_project_kube.my_kube_cluster SERVICE_NAME/KUBE_ID",
            )
        return state
