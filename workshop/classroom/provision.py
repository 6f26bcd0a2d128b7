"""``create``, ``delete`` and ``status`` of a class on one cluster, with the instructor's
(admin) kubeconfig. Server-side apply throughout, so creating again re-issues tokens and
repairs what is missing."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workshop.classroom import capacity, kubeconfigs, rules, sheet
from workshop.classroom.plan import CRD_NAME, MANAGED_LABEL, MANAGER, SERVICE_ACCOUNT, ClassPlan
from workshop.classroom.roster import Learner
from workshop.cluster import Cluster
from workshop.course import reporting
from workshop.course.schema import Footprint
from workshop.errors import ClusterError, WorkshopError

WORKERS = 4  # the client's connection pool holds 4 per host
TOKEN_MIN = 600  # kube-apiserver refuses a TokenRequest shorter than 10 minutes
EXPIRES_ANNOTATION = "workshop.dev/token-expires"
RULES_TIMEOUT = 60.0
ADMISSION = "admissionregistration.k8s.io/v1"
Say = Callable[[str], None]


@dataclass(frozen=True)
class Issued:
    learner: Learner
    kubeconfig: Path
    expires: str


@dataclass
class Created:
    plan: ClassPlan
    seats: list[Issued]
    out: Path
    sheets: list[Path]
    seconds: dict[str, float] = field(default_factory=dict)


def create(
    admin: Cluster,
    plan: ClassPlan,
    out: Path,
    *,
    token_seconds: int = 8 * 3600,
    server: str | None = None,
    say: Say | None = None,
    overcommit: bool = False,
) -> Created:
    """Create (or complete) the class, then write one kubeconfig per learner and the sheet.

    The class must fit the nodes (every learner at their quotas at once): on the sandbox its
    node pool grows to hold it; elsewhere a class that does not fit is refused, unless
    ``overcommit``.
    """
    tell = say or (lambda _: None)
    if token_seconds < TOKEN_MIN:
        raise WorkshopError(
            f"tokens must last at least {TOKEN_MIN}s (kube-apiserver's minimum)",
            hint="e.g. --hours 8 for a day's class",
        )
    if not overcommit:
        tell("checking that the nodes hold the class")
        make_room(admin, plan, tell)
    url, ca = kubeconfigs.server_and_ca(admin.kubeconfig_paths, admin.context)
    seconds: dict[str, float] = {}
    started = time.monotonic()
    tell(f"installing the {reporting.KIND} CRD and the class's roles")
    cluster_objects = plan.cluster_objects()
    admin.api.apply(cluster_objects[0])
    _wait_established(admin)
    for obj in cluster_objects[1:]:
        admin.api.apply(obj)
    seconds["cluster objects"] = time.monotonic() - started

    started = time.monotonic()
    tell(f"creating namespaces, rights and quotas for {len(plan.learners)} learners")

    def one(learner: Learner) -> None:
        for obj in plan.learner_objects(learner):
            admin.api.apply(obj)

    _each(one, plan.learners)
    seconds["learners"] = time.monotonic() - started
    started = time.monotonic()
    tell("waiting for the class's rules to be in force")
    _wait_rules(admin, plan)
    seconds["rules"] = time.monotonic() - started

    started = time.monotonic()
    tell("issuing tokens and writing kubeconfigs")

    def issue(learner: Learner) -> Issued:
        token, expires = request_token(admin, learner.home(plan.name), token_seconds)
        config = kubeconfigs.build(
            class_name=plan.name,
            learner=learner.id,
            server=server or url,
            ca=ca,
            token=token,
            home=learner.home(plan.name),
            prefix=learner.prefix(plan.name),
        )
        path = out / f"{learner.id}.kubeconfig"
        kubeconfigs.write(path, config)
        return Issued(learner, path, expires)

    seats = _each(issue, plan.learners)
    seconds["tokens"] = time.monotonic() - started
    sheets = sheet.write(out, plan, seats, server=server or url)
    return Created(plan, seats, out, sheets, seconds)


POOL_API = "kube.cloud.ovh.com/v1alpha1"
ROOM_TIMEOUT = 120.0


def needs(plan: ClassPlan) -> Footprint:
    """What the class asks of the nodes: every learner at their quotas at once."""
    return capacity.times(plan.learner_total(), len(plan.learners))


def room_for(admin: Cluster, plan: ClassPlan) -> Footprint:
    """What the nodes offer this class: free room, plus what its own pods already hold (a
    class created again counts itself once)."""
    own = {ns for learner in plan.learners for ns in plan.namespaces(learner)}
    pods = admin.api.list("v1", "Pod")
    others = [p for p in pods if p["metadata"].get("namespace") not in own]
    return capacity.room(admin.api.list("v1", "Node"), others)


def make_room(admin: Cluster, plan: ClassPlan, tell: Say, *, timeout: float = ROOM_TIMEOUT) -> None:
    """Make sure the nodes hold the class; on the sandbox, grow its node pool to."""
    needed = needs(plan)
    room = room_for(admin, plan)
    missing = capacity.shortfall(needed, room)
    if not missing:
        return
    per_learner = plan.learner_total()
    what = (
        f"{len(plan.learners)} learners at {per_learner.pods} pods, {per_learner.cpu} CPU "
        f"and {per_learner.memory} of requests each"
    )
    if not admin.is_sandbox:
        raise WorkshopError(
            f"the nodes cannot hold the class ({what}): they lack {' and '.join(missing)}",
            hint="add nodes to a node pool, give fewer --labs or --learners, or pass "
            "--overcommit to let learners wait for room",
        )
    pools = admin.api.list(POOL_API, "NodePool")
    if not pools:
        raise WorkshopError(
            f"the nodes cannot hold the class ({what}) and the sandbox has no node pool",
            hint="run `workshop sandbox up --nodes 3` first",
        )
    pool = max(pools, key=lambda p: int(p["spec"].get("desiredNodes", 0)))
    nodes = [
        n
        for n in admin.api.list("v1", "Node")
        if n["metadata"].get("labels", {}).get("nodepool") == pool["metadata"]["name"]
    ]
    one = capacity.room(nodes[:1], []) if nodes else None
    more = capacity.nodes_for(capacity.missing(needed, room), one)
    spec = pool["spec"]
    desired = int(spec.get("desiredNodes", 0)) + more
    if desired > int(spec.get("maxNodes", desired)):
        raise WorkshopError(
            f"the sandbox cannot hold the class ({what}): its pool would need {desired} nodes, "
            f"more than its maxNodes {spec.get('maxNodes')}",
            hint="give fewer --labs or --learners",
        )
    tell(f"growing node pool {pool['metadata']['name']} to {desired} nodes for the class")
    admin.api.request(
        "PATCH",
        f"/apis/{POOL_API}/nodepools/{pool['metadata']['name']}",
        body={"spec": {"desiredNodes": desired}},
        content_type="application/merge-patch+json",
    )
    deadline = time.monotonic() + timeout
    while capacity.shortfall(needed, room_for(admin, plan)):
        if time.monotonic() > deadline:
            raise WorkshopError(
                f"node pool {pool['metadata']['name']} did not reach {desired} Ready nodes "
                f"within {timeout:.0f}s",
                hint="see `kubectl get nodepool,nodes`, then run `workshop class create` again",
            )
        time.sleep(0.5)


def _wait_rules(admin: Cluster, plan: ClassPlan, *, timeout: float = RULES_TIMEOUT) -> None:
    """Wait until kube-apiserver enforces the class's admission policies: it loads them
    a moment after they are created, and no learner gets a token before that.

    Acting as the first learner (impersonation), a server-side dry run of a long-lived
    token Secret must be refused by the class's policy; nothing is stored either way.
    """
    if not plan.learners:
        return
    learner = plan.learners[0]
    home = learner.home(plan.name)
    as_learner = {"Impersonate-User": f"system:serviceaccount:{home}:{SERVICE_ACCOUNT}"}
    probes: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/namespaces/{home}/secrets", {
            "apiVersion": "v1", "kind": "Secret", "type": rules.LONG_LIVED_TYPE,
            "metadata": {"name": "rules-probe", "annotations": {
                "kubernetes.io/service-account.name": SERVICE_ACCOUNT}},
        }),
    ]  # fmt: skip
    labs = plan.namespaces(learner)[1:]
    if labs:  # the policy whose binding is created last: an open RoleBinding
        probes.append((f"/apis/rbac.authorization.k8s.io/v1/namespaces/{labs[0]}/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "rules-probe"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": plan.learner_role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                          "name": rules.OPEN_GROUPS[0]}],
        }))  # fmt: skip
    deadline = time.monotonic() + timeout
    for path, probe in probes:
        while True:
            try:
                admin.api.request(
                    "POST", path, query=[("dryRun", "All")], body=probe, headers=as_learner
                )
            except ClusterError as e:
                if "ValidatingAdmissionPolicy" in str(e):
                    break
                raise
            if time.monotonic() > deadline:
                raise WorkshopError(
                    "kube-apiserver did not start enforcing the class's rules within "
                    f"{timeout:.0f}s",
                    hint="run `workshop class create` again; it completes the class",
                )
            time.sleep(0.2)


def request_token(admin: Cluster, home: str, seconds: int) -> tuple[str, str]:
    """A TokenRequest for the learner's ServiceAccount: ``(token, expiration time)``."""
    path = f"/api/v1/namespaces/{home}/serviceaccounts/{SERVICE_ACCOUNT}/token"
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": seconds},
    }
    answer = admin.api.request("POST", path, body=body)
    expires = str(answer["status"]["expirationTimestamp"])
    admin.api.request(
        "PATCH",
        f"/api/v1/namespaces/{home}/serviceaccounts/{SERVICE_ACCOUNT}",
        body={"metadata": {"annotations": {EXPIRES_ANNOTATION: expires}}},
        content_type="application/merge-patch+json",
    )
    return str(answer["status"]["token"]), expires


def delete(
    admin: Cluster, name: str, *, wait: bool = True, say: Say | None = None, timeout: float = 600.0
) -> int:
    """Remove every namespace and role of the class; the CRD goes with the last class.

    The number of namespaces deleted.
    """
    tell = say or (lambda _: None)
    selector = f"{reporting.CLASS_LABEL}={name}"
    namespaces = [
        n["metadata"]["name"] for n in admin.api.list("v1", "Namespace", label_selector=selector)
    ]
    tell(f"deleting {len(namespaces)} namespaces of class {name}")
    _each(lambda ns: admin.api.delete("v1", "Namespace", ns, None), namespaces)
    for kind in ("ClusterRoleBinding", "ClusterRole"):
        for obj in admin.api.list("rbac.authorization.k8s.io/v1", kind, label_selector=selector):
            admin.api.delete("rbac.authorization.k8s.io/v1", kind, obj["metadata"]["name"], None)
    for kind in ("ValidatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy"):
        for obj in admin.api.list(ADMISSION, kind, label_selector=selector):
            admin.api.delete(ADMISSION, kind, obj["metadata"]["name"], None)
    if wait:
        deadline = time.monotonic() + timeout
        while admin.api.list("v1", "Namespace", label_selector=selector):
            if time.monotonic() > deadline:
                raise WorkshopError(
                    f"namespaces of class {name} still being deleted after {timeout:.0f}s",
                    hint=f"`kubectl get namespaces -l {selector}` shows them",
                )
            time.sleep(0.5)
    others = admin.api.list(
        "v1",
        "Namespace",
        label_selector=f"{MANAGED_LABEL}={MANAGER},{reporting.CLASS_LABEL}!={name}",
    )
    if not others:
        admin.api.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME, None)
    return len(namespaces)


@dataclass(frozen=True)
class LearnerStatus:
    learner: str
    namespaces: int
    pods: int
    pods_allowed: int
    steps_done: int
    steps_failing: int
    token_expires: str


def status(admin: Cluster, name: str) -> list[LearnerStatus]:
    """What exists of the class, per learner (an empty list: no such class)."""
    selector = f"{reporting.CLASS_LABEL}={name}"
    by_learner: dict[str, list[str]] = {}
    for ns in admin.api.list("v1", "Namespace", label_selector=selector):
        learner = ns["metadata"]["labels"].get(reporting.LEARNER_LABEL, "?")
        by_learner.setdefault(learner, []).append(ns["metadata"]["name"])
    quotas: dict[str, tuple[int, int]] = {}
    for quota in admin.api.list("v1", "ResourceQuota", label_selector=selector):
        learner = quota["metadata"]["labels"].get(reporting.LEARNER_LABEL, "?")
        used = _count((quota.get("status") or {}).get("used", {}).get("pods"))
        hard = _count((quota.get("status") or {}).get("hard", {}).get("pods"))
        before = quotas.get(learner, (0, 0))
        quotas[learner] = (before[0] + used, before[1] + hard)
    progress = _progress(admin, selector)
    tokens = {
        sa["metadata"]["labels"].get(reporting.LEARNER_LABEL, "?"): (
            sa["metadata"].get("annotations") or {}
        ).get(EXPIRES_ANNOTATION, "")
        for sa in admin.api.list("v1", "ServiceAccount", label_selector=selector)
    }
    found = []
    for learner, namespaces in sorted(by_learner.items()):
        specs = [p.get("spec") or {} for p in progress if _learner_of(p) == learner]
        found.append(
            LearnerStatus(
                learner,
                len(namespaces),
                quotas.get(learner, (0, 0))[0],
                quotas.get(learner, (0, 0))[1],
                sum(1 for s in specs if s.get("state") == "passed"),
                sum(1 for s in specs if s.get("state") == "failed"),
                tokens.get(learner, ""),
            )
        )
    return found


def progress(admin: Cluster, name: str) -> list[dict[str, Any]]:
    """Every LabProgress object of the class."""
    return _progress(admin, f"{reporting.CLASS_LABEL}={name}")


def _progress(admin: Cluster, selector: str) -> list[dict[str, Any]]:
    try:
        return admin.api.list(reporting.API_VERSION, reporting.KIND, label_selector=selector)
    except ClusterError as e:
        if e.status == 404:
            return []
        raise


def _learner_of(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("labels", {}).get(reporting.LEARNER_LABEL, "?"))


def _count(value: Any) -> int:
    try:
        return int(str(value or "0"))
    except ValueError:
        return 0


def _each(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(function, items))


def _wait_established(admin: Cluster, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        crd = admin.api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD_NAME, None)
        conditions = ((crd or {}).get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
            return
        if time.monotonic() > deadline:
            raise WorkshopError(f"the CRD {CRD_NAME} was not established in {timeout:.0f}s")
        time.sleep(0.2)


def expires_in(expires: str) -> float:
    """Seconds until an RFC 3339 time."""
    return datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp() - time.time()
