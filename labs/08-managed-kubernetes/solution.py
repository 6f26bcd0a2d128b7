"""Solutions of lab 08: calls to the OVHcloud API with the official ``ovh`` client.

Each function does what the notebook's cells do, on the API ``workshop.tools.ovh.client()``
reaches: the workshop's emulator, or the real OVHcloud API when your keys are configured.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ovh
import yaml

from workshop.cluster import Cluster, connect
from workshop.course import SolutionContext
from workshop.errors import CloudError
from workshop.tools import kubectl, mks
from workshop.tools import ovh as ovh_tools

NAME = "lab-08"
REGION = "GRA11"
POOL = "workers"
FLAVOR = "b3-8"
BLOCKED = "203.0.113.0/24"  # TEST-NET-3, standing for the office: a range nobody here has
HERE = Path(__file__).parent


def _api() -> tuple[ovh.Client, str]:
    api = ovh_tools.client()
    return api, mks.project(api)


def _cluster_path(project: str, kube_id: str) -> str:
    return f"{mks.kube_path(project)}/{kube_id}"


def _managed() -> Cluster:
    api, project = _api()
    return connect(kubeconfig=mks.kubeconfig(api, project, NAME))


def create_cluster(lab: SolutionContext) -> None:
    """api.post(f"/cloud/project/{project}/kube", region="GRA11", name="lab-08"),
    then wait for READY"""
    api, project = _api()
    found = mks.find_cluster(api, project, NAME)
    kube_id = (
        found["id"] if found else api.post(mks.kube_path(project), region=REGION, name=NAME)["id"]
    )
    mks.wait_status(api, _cluster_path(project, kube_id), "READY")


def add_pool(lab: SolutionContext) -> None:
    """api.post(".../kube/{kubeId}/nodepool", name="workers", flavorName="b3-8",
    desiredNodes=1, minNodes=0, maxNodes=3)"""
    api, project = _api()
    kube_id = mks.need_cluster(api, project, NAME)["id"]
    pools = f"{_cluster_path(project, kube_id)}/nodepool"
    pool = mks.find_pool(api, project, kube_id, POOL)
    if pool is None:
        pool = api.post(pools, name=POOL, flavorName=FLAVOR, desiredNodes=1, minNodes=0, maxNodes=3)
    mks.wait_status(api, f"{pools}/{pool['id']}", "READY")


def resize_pool(lab: SolutionContext) -> None:
    """api.put(".../kube/{kubeId}/nodepool/{nodePoolId}", desiredNodes=2), then wait for READY"""
    api, project = _api()
    kube_id = mks.need_cluster(api, project, NAME)["id"]
    pool = mks.find_pool(api, project, kube_id, POOL)
    if pool is None:
        raise CloudError(f"cluster {NAME} has no pool {POOL}", hint="do the step before first")
    path = f"{_cluster_path(project, kube_id)}/nodepool/{pool['id']}"
    api.put(path, desiredNodes=2)
    mks.wait_status(api, path, "READY")


def deploy_hello(lab: SolutionContext) -> None:
    """kubectl --kubeconfig ~/.workshop/managed/lab-08.kubeconfig apply -n default
    -f labs/08-managed-kubernetes/manifests/hello.yaml"""
    managed = _managed()
    try:
        kubectl.run(managed, "apply", "-n", "default", "-f", str(HERE / "manifests" / "hello.yaml"))
        kubectl.run(
            managed, "rollout", "status", "deployment/hello", "-n", "default", "--timeout=120s"
        )
    finally:
        managed.close()


def my_address() -> str:
    """The address this machine reaches the API server from, as a /32."""
    if ovh_tools.real_endpoint() is None:
        return "127.0.0.1/32"  # the emulator's clusters listen on this machine
    mine = os.environ.get("WORKSHOP_MY_IP")
    if not mine:
        raise CloudError(
            "on the real API, the lab needs your public address to let you back in",
            hint="set WORKSHOP_MY_IP (e.g. the address https://ifconfig.me shows) and run again",
        )
    return mine if "/" in mine else f"{mine}/32"


def lock_out(lab: SolutionContext) -> None:
    """api.put(".../kube/{kubeId}/ipRestrictions", ips=["203.0.113.0/24"]): only the
    office's range may reach the API server (on the emulator, cluster lab-08 is created
    first if there is none)"""
    api, project = _api()
    found = mks.find_cluster(api, project, NAME)
    if found is None:
        if ovh_tools.real_endpoint() is not None:  # a real cluster costs money: not here
            raise CloudError(
                f"there is no cluster {NAME} to lock you out of",
                hint="create it first (step 1 of lab 08)",
            )
        create_cluster(lab)
        found = mks.need_cluster(api, project, NAME)
    path = _cluster_path(project, found["id"])
    api.put(f"{path}/ipRestrictions", ips=[BLOCKED])
    mks.wait_status(api, path, "READY")


def let_me_in(lab: SolutionContext) -> None:
    """api.post(".../kube/{kubeId}/ipRestrictions", ips=[your address]): POST adds to
    the list (PUT would replace it), then wait for READY"""
    api, project = _api()
    kube_id = mks.need_cluster(api, project, NAME)["id"]
    path = _cluster_path(project, kube_id)
    if BLOCKED not in api.get(f"{path}/ipRestrictions"):
        lock_out(lab)  # the state the step starts from (a lab solved without breaking)
    api.post(f"{path}/ipRestrictions", ips=[my_address()])
    mks.wait_status(api, path, "READY")


def robot_kubeconfig(managed: Cluster, token: str) -> Path:
    """A kubeconfig for the ServiceAccount's token: the admin's cluster entry, the robot's user."""
    config = yaml.safe_load(managed.kubeconfig.read_text())
    config["users"] = [{"name": "deployer", "user": {"token": token}}]
    config["contexts"] = [
        {
            "name": "deployer",
            "context": {"cluster": config["clusters"][0]["name"], "user": "deployer"},
        }
    ]
    config["current-context"] = "deployer"
    fd, name = tempfile.mkstemp(prefix="deployer-", suffix=".kubeconfig")
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f)
    return Path(name)


def robot_deletes_canary() -> None:
    """The robot deletes deployment canary with its token (what the audit log will show)."""
    managed = _managed()
    try:
        kubectl.run(
            managed, "apply", "-n", "default", "-f", str(HERE / "manifests" / "deployer.yaml")
        )
        token = kubectl.run(managed, "create", "token", "deployer", "-n", "default").strip()
    finally:
        managed.close()
    path = robot_kubeconfig(managed, token)
    try:
        robot = connect(kubeconfig=path)
        try:
            kubectl.run(robot, "delete", "deployment", "canary", "-n", "default")
        finally:
            robot.close()
    finally:
        path.unlink()


def revoke_robot(lab: SolutionContext) -> None:
    """kubectl --kubeconfig ~/.workshop/managed/lab-08.kubeconfig
    delete rolebinding deployer-edit -n default"""
    robot_deletes_canary()
    managed = _managed()
    try:
        kubectl.run(managed, "delete", "rolebinding", "deployer-edit", "-n", "default")
    finally:
        managed.close()


def update_policy(lab: SolutionContext) -> None:
    """api.put(".../updatePolicy", updatePolicy="MINIMAL_DOWNTIME");
    api.post(".../update", strategy="LATEST_PATCH")"""
    api, project = _api()
    kube_id = mks.need_cluster(api, project, NAME)["id"]
    path = _cluster_path(project, kube_id)
    api.put(f"{path}/updatePolicy", updatePolicy="MINIMAL_DOWNTIME")
    api.post(f"{path}/update", strategy="LATEST_PATCH")
    mks.wait_status(api, path, "READY")


def teardown(lab: SolutionContext) -> None:
    """Delete every cluster named lab-08* (its pools and nodes go with it) and wait until gone

    On the real API it deletes nothing: real clusters go only through the cost meter's
    Tear down, which asks for a confirmation first.
    """
    api, project = _api()
    if ovh_tools.real_endpoint() is not None:
        left = mks.leftovers(api, project, NAME)
        if left:
            raise CloudError(
                "the lab's clusters still exist on your OVHcloud account (and cost money):\n"
                + "\n".join(left),
                hint="press Tear down in the notebook's cost meter (it asks you to confirm), "
                "or delete them in the OVHcloud Control Panel",
            )
        return
    mks.teardown(api, project, NAME)
    mks.kubeconfig_path(NAME).unlink(missing_ok=True)
