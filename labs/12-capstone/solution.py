"""The instructor's solution of lab 12, the capstone: OpenTofu makes the managed cluster and
its autoscaled pool; a namespace that enforces the ``restricted`` Pod Security Standard;
the image built and pushed; the chart installed, then upgraded without downtime.

The learner writes all of it in the notebook's empty cells; these functions are what
``workshop solve 12`` runs in their place, with the same tools (OpenTofu, the workshop's
builder and crane, helm, kubectl) on the cluster the OVHcloud API hands out.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workshop.cluster import Cluster, connect
from workshop.containers import builder
from workshop.course import SolutionContext
from workshop.errors import WorkshopError
from workshop.tools import helm, kubectl, mks, registry, terraform
from workshop.tools import ovh as ovh_tools

HERE = Path(__file__).parent
WORKSPACE = "lab-12"  # $WORKSHOP_HOME/terraform/lab-12
CLUSTER = "capstone"  # the managed cluster's name, and the namespace the app runs in
NAMESPACE = "capstone"
RELEASE = "web"
PULLS_WITH = "registry"  # the Secret the pods name in imagePullSecrets
IMAGE = "capstone-web"
WAIT = "3m"


def _work(*, fresh: bool = False) -> terraform.Workspace:
    return terraform.workspace(HERE / "solution" / "terraform", name=WORKSPACE, fresh=fresh)


@contextlib.contextmanager
def _managed() -> Iterator[Cluster]:
    """The capstone cluster, through the admin kubeconfig the OVHcloud API hands out."""
    api = ovh_tools.client()
    managed = connect(kubeconfig=mks.kubeconfig(api, mks.project(api), CLUSTER))
    try:
        yield managed
    finally:
        managed.close()


def tofu_cluster_and_pool(lab: SolutionContext) -> None:
    """cd $WORKSHOP_HOME/terraform/lab-12 && (add the autoscaled node pool to main.tf) &&
    tofu init && tofu apply"""
    del lab
    work = _work(fresh=True)
    work.init()
    work.apply()


def enforce_restricted(lab: SolutionContext) -> None:
    """kubectl --kubeconfig KUBECONFIG create namespace capstone &&
    kubectl --kubeconfig KUBECONFIG label namespace capstone
    pod-security.kubernetes.io/enforce=restricted"""
    del lab
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }
    with _managed() as managed:
        managed.api.apply(namespace)


def _push(lab: SolutionContext, tag: str, page: str) -> registry.Registry:
    """workshop image build FOLDER -t capstone-web:TAG && workshop image push capstone-web:TAG"""
    target = registry.find(cluster=lab.cluster)
    with tempfile.TemporaryDirectory(prefix="workshop-capstone-") as scratch:
        context = Path(scratch) / "app"
        context.mkdir()
        (context / "index.html").write_text(page, encoding="utf-8")
        shutil.copy(HERE / "solution" / "Dockerfile", context / "Dockerfile")
        built = builder.build(context, f"{IMAGE}:{tag}", output=Path(scratch) / "layout")
        registry.push(target, built.image.layout, IMAGE, tag)
    return target


def _page(version: str) -> str:
    page = (HERE / "app" / "index.html").read_text(encoding="utf-8")
    return page.replace("version 1", f"version {version}")


def _login(target: registry.Registry) -> bytes:
    """The registry's login as a docker config.json (``auths``), never printed."""
    config = target.registry_config
    if config is None:  # a registry of your own (WORKSHOP_REGISTRY): your docker login
        config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        return config.read_bytes()
    except OSError as e:
        raise WorkshopError(
            f"no login for the registry {target.host} ({config} cannot be read)",
            hint="log in to it first (`docker login`, or `crane auth login`)",
        ) from e


def pull_secret(target: registry.Registry) -> dict[str, object]:
    """kubectl create secret docker-registry registry -n capstone ... : what a managed
    cluster's nodes need to pull from a private registry"""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": PULLS_WITH, "namespace": NAMESPACE},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(_login(target)).decode()},
    }


def build_push_install(lab: SolutionContext) -> None:
    """build and push capstone-web:1.0; kubectl create secret docker-registry registry
    -n capstone; helm install web CHART -n capstone --set image.repository=REGISTRY/capstone-web
    --set image.tag=1.0 --wait (the chart names the Secret in imagePullSecrets)"""
    target = _push(lab, "1.0", _page("1"))
    with _managed() as managed:
        managed.api.apply(pull_secret(target), namespace=NAMESPACE)
        helm.install(
            managed,
            RELEASE,
            HERE / "solution" / "chart",
            namespace=NAMESPACE,
            set_values={"image.repository": f"{target.host}/{IMAGE}", "image.tag": "1.0"},
            wait=True,
            timeout=WAIT,
        )


def _released() -> bool:
    """Whether the capstone cluster exists and runs the Deployment of the release."""
    api = ovh_tools.client()
    found = mks.find_cluster(api, mks.project(api), CLUSTER)
    if found is None or found.get("status") != "READY":
        return False
    with _managed() as managed:
        return managed.api.get("apps/v1", "Deployment", RELEASE, NAMESPACE) is not None


def hasty_patch(lab: SolutionContext) -> None:
    """A colleague's hasty upgrade, made behind Helm's back:
    kubectl patch deployment web -n capstone (image 2.0, allowPrivilegeEscalation: true)

    The namespace's `restricted` profile refuses the new pods: the rollout stalls. On a
    cluster where the steps before are not done yet, it does them first (self-contained)."""
    if not _released():
        tofu_cluster_and_pool(lab)
        enforce_restricted(lab)
        build_push_install(lab)
    target = registry.find(cluster=lab.cluster)
    container = {
        "name": "web",
        "image": target.reference(IMAGE, "2.0"),
        "securityContext": {"allowPrivilegeEscalation": True},
    }
    patch = {"spec": {"template": {"spec": {"containers": [container]}}}}
    with _managed() as managed:
        kubectl.run(
            managed, "patch", "deployment", RELEASE, "-n", NAMESPACE, "-p", json.dumps(patch)
        )


def build_push_upgrade(lab: SolutionContext) -> None:
    """build and push capstone-web:2.0; helm upgrade web CHART -n capstone --reuse-values
    --set image.tag=2.0 --force-conflicts --wait (the chart's strategy: maxUnavailable 0,
    maxSurge 1)

    Helm 4 applies server-side: the fields the hand-made patch changed belong to another
    field manager (kubectl-patch), and Helm takes them back only when told to."""
    _push(lab, "2.0", _page("2"))
    args = helm.upgrade_args(
        RELEASE,
        HERE / "solution" / "chart",
        reuse_values=True,
        set_values={"image.tag": "2.0"},
        wait=True,
        timeout=WAIT,
    )
    with _managed() as managed:
        helm.run(managed, *args, "--force-conflicts", namespace=NAMESPACE)


def cleanup(lab: SolutionContext) -> None:
    """tofu destroy (the cluster, its pool and everything in it), then remove the working
    folder, its state and the cluster's kubeconfig"""
    del lab
    work = _work()
    if (work.dir / "terraform.tfstate").exists():
        work.init()
        work.destroy()
    terraform.forget(WORKSPACE)
    mks.kubeconfig_path(CLUSTER).unlink(missing_ok=True)
