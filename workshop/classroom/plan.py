"""Every object a class needs, as manifests (pure: the class, its learners and labs in).

Per learner: a home namespace (``k8s101-alice``: their ServiceAccount, their LabProgress
objects, room to experiment) and one namespace per lab (``k8s101-alice-lab-04``), each with
a RoleBinding of the class's learner role, a ResourceQuota and a LimitRange. Cluster-wide:
the LabProgress CRD, the learner role (a ClusterRole granted only through RoleBindings, so
it applies in those namespaces and nowhere else) and a read-only role on nodes, node pools,
storage classes and CRDs (what lab checks read), bound to the class's ServiceAccounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workshop.classroom import capacity, rules
from workshop.classroom.roster import Learner
from workshop.course import reporting
from workshop.course.schema import Footprint

Object = dict[str, Any]
SERVICE_ACCOUNT = "learner"
MANAGED_LABEL = "app.kubernetes.io/managed-by"
MANAGER = "workshop-class"
CRD_NAME = f"{reporting.PLURAL}.{reporting.GROUP}"

# Counts of the kinds a learner may create, per namespace: far above what any lab's solution
# makes (lab 07's one Role and RoleBinding, next to the class's own RoleBinding), far below
# what would weigh on the API server.
COUNTS: dict[str, str] = {
    "services": "10",
    "services.loadbalancers": "2",
    "services.nodeports": "2",
    "persistentvolumeclaims": "5",
    "requests.storage": "20Gi",
    "configmaps": "50",
    "secrets": "50",  # Helm keeps a Secret per release revision
    "count/roles.rbac.authorization.k8s.io": "10",
    "count/rolebindings.rbac.authorization.k8s.io": "10",
    "count/serviceaccounts": "10",
    "count/deployments.apps": "20",
    "count/replicasets.apps": "100",  # a Deployment keeps 10 old ReplicaSets
    "count/statefulsets.apps": "10",
    "count/daemonsets.apps": "5",
    "count/jobs.batch": "20",
    "count/cronjobs.batch": "5",
    "count/replicationcontrollers": "5",
    "count/horizontalpodautoscalers.autoscaling": "10",
    "count/poddisruptionbudgets.policy": "10",
    "count/ingresses.networking.k8s.io": "10",
    "count/networkpolicies.networking.k8s.io": "20",
    # No count of LabProgress: kube-controller-manager counts a CRD's objects only once its
    # discovery finds the CRD (up to 30s), and refuses every create ("status unknown")
    # until then: a learner's first checks would not reach the board.
}
# What runs in a learner's home namespace: room to try things out beside the labs.
HOME = Footprint(pods=5, cpu="500m", memory="512Mi")
# A container's limits, counted against the namespace's limits quota: at most this per pod
# on average (the LimitRange's default limit is half of it).
LIMIT_PER_POD = {"cpu": 1000, "memory": 512 * 2**20}  # millicores, bytes


def quota(footprint: Footprint) -> dict[str, str]:
    """One namespace's ResourceQuota: pods and requests as the footprint says (so a learner's
    total over their namespaces is the sum of the footprints: one learner cannot starve the
    class), limits in proportion, and the counts."""
    pods = footprint.pods
    return {
        "pods": str(pods),
        "requests.cpu": footprint.cpu,
        "requests.memory": footprint.memory,
        "limits.cpu": f"{pods * LIMIT_PER_POD['cpu']}m",
        "limits.memory": f"{pods * LIMIT_PER_POD['memory'] // 2**20}Mi",
        **COUNTS,
    }


# A container without requests or limits gets these (and counts so against the quota).
LIMITS = {
    "default": {"cpu": "500m", "memory": "256Mi"},
    "defaultRequest": {"cpu": "50m", "memory": "64Mi"},
    "max": {"cpu": "2", "memory": "2Gi"},
}
# No privileged pods, host paths or host network in a learner's namespace: on a real
# cluster they would reach the node, and through it everyone else's pods.
POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/warn": "restricted",
}
ALL = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
READ = ["get", "list", "watch"]

# What a learner may do in their own namespaces. No wildcard: quotas, limit ranges and
# the namespace itself stay read-only, so nobody lifts their own limits. Roles and
# RoleBindings may be written: the API server's escalation check still refuses any grant
# beyond these rights (a RoleBinding to cluster-admin, say).
LEARNER_RULES: list[Object] = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "services",
            "endpoints",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
            "serviceaccounts",
            "replicationcontrollers",
        ],
        "verbs": ALL,
    },
    {
        "apiGroups": [""],
        "resources": ["pods/log", "pods/exec", "pods/portforward", "pods/attach", "pods/status"],
        "verbs": ["get", "list", "create"],
    },
    {"apiGroups": [""], "resources": ["services/proxy", "pods/proxy"], "verbs": ["get", "create"]},
    # `kubectl create token`: an admission policy keeps each token within the class's hours.
    {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["events", "resourcequotas", "limitranges"], "verbs": READ},
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    {"apiGroups": ["apps"], "resources": ["*"], "verbs": ALL},
    {"apiGroups": ["batch"], "resources": ["*"], "verbs": ALL},
    {"apiGroups": ["autoscaling"], "resources": ["*"], "verbs": ALL},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ALL},
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["ingresses", "networkpolicies"],
        "verbs": ALL,
    },
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ},
    {
        "apiGroups": ["rbac.authorization.k8s.io"],
        "resources": ["roles", "rolebindings"],
        "verbs": ALL,
    },
    {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": READ},
    {"apiGroups": [reporting.GROUP], "resources": [reporting.PLURAL], "verbs": ALL},
]
# Cluster-wide kinds lab checks read (`kubectl get nodes` is lesson one); never written.
READER_RULES: list[Object] = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": READ},
    {"apiGroups": ["kube.cloud.ovh.com"], "resources": ["nodepools"], "verbs": READ},
    {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": READ},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingressclasses"], "verbs": READ},
    {
        "apiGroups": ["apiextensions.k8s.io"],
        "resources": ["customresourcedefinitions"],
        "verbs": READ,
    },
]


@dataclass(frozen=True)
class ClassPlan:
    name: str
    learners: list[Learner]
    lab_namespaces: list[str]  # the labs' own namespaces: lab-00, lab-02, ...
    # each lab namespace's footprint (the lab's ``footprint:``), the default where absent
    footprints: dict[str, Footprint] = field(default_factory=dict)
    token_seconds: int = 8 * 3600  # the class's --hours: no learner's token outlives them
    # `kubectl exec` for learners: False where it would run on the instructor's machine out
    # of a jail (a sandbox run by an ordinary user, or without bubblewrap)
    exec_allowed: bool = True

    @property
    def learner_rules(self) -> list[Object]:
        if self.exec_allowed:
            return LEARNER_RULES
        return [
            rule | {"resources": [r for r in rule["resources"] if r != "pods/exec"]}
            if "pods/exec" in rule.get("resources", ())
            else rule
            for rule in LEARNER_RULES
        ]

    @property
    def learner_role(self) -> str:
        return f"workshop-class:{self.name}:learner"

    @property
    def reader_role(self) -> str:
        return f"workshop-class:{self.name}:reader"

    def labels(self, learner: Learner | None = None) -> dict[str, str]:
        found = {MANAGED_LABEL: MANAGER, reporting.CLASS_LABEL: self.name}
        if learner:
            found[reporting.LEARNER_LABEL] = learner.id
        return found

    def footprint(self, lab_namespace: str | None) -> Footprint:
        """What one of a learner's namespaces holds: a lab's (by its base namespace), or
        the home namespace's (None)."""
        if lab_namespace is None:
            return HOME
        return self.footprints.get(lab_namespace, Footprint())

    def learner_total(self) -> Footprint:
        """One learner's most over all their namespaces: the sum of the footprints."""
        parts = [self.footprint(None), *(self.footprint(ns) for ns in self.lab_namespaces)]
        return capacity.add(parts)

    def namespaces(self, learner: Learner) -> list[str]:
        """The learner's home namespace first, then one per lab."""
        home = learner.home(self.name)
        return [home, *(learner.prefix(self.name) + ns for ns in self.lab_namespaces)]

    def cluster_objects(self) -> list[Object]:
        """The CRD first (shared by every class), then the class's two ClusterRoles, then
        its admission policies (the rules RBAC cannot say: see ``rules``)."""
        subjects = [
            {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": one.home(self.name)}
            for one in self.learners
        ]
        return [
            crd(),
            _meta(
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                self.learner_role,
                None,
                self.labels(),
            )
            | {"rules": self.learner_rules},
            _meta(
                "rbac.authorization.k8s.io/v1", "ClusterRole", self.reader_role, None, self.labels()
            )
            | {"rules": READER_RULES},
            _meta(
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                self.reader_role,
                None,
                self.labels(),
            )
            | {
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": self.reader_role,
                },
                "subjects": subjects,
            },
            *rules.policies(
                self.name,
                [one.id for one in self.learners],
                self.lab_namespaces,
                self.labels(),
                self.token_seconds,
            ),
        ]

    def learner_objects(self, learner: Learner) -> list[Object]:
        """Namespaces first, then the ServiceAccount, then each namespace's rules and limits."""
        labels = self.labels(learner)
        home = learner.home(self.name)
        found: list[Object] = [
            _meta("v1", "Namespace", ns, None, labels | POD_SECURITY)
            for ns in self.namespaces(learner)
        ]
        found.append(_meta("v1", "ServiceAccount", SERVICE_ACCOUNT, home, labels))
        bases: list[str | None] = [None, *self.lab_namespaces]
        for ns, base in zip(self.namespaces(learner), bases, strict=True):
            found += [
                _meta("rbac.authorization.k8s.io/v1", "RoleBinding", "learner", ns, labels)
                | {
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": self.learner_role,
                    },
                    "subjects": [
                        {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": home}
                    ],
                },
                _meta("v1", "ResourceQuota", "learner", ns, labels)
                | {"spec": {"hard": quota(self.footprint(base))}},
                _meta("v1", "LimitRange", "learner", ns, labels)
                | {"spec": {"limits": [{"type": "Container", **LIMITS}]}},
            ]
        return found


def _meta(
    api_version: str, kind: str, name: str, namespace: str | None, labels: dict[str, str]
) -> Object:
    metadata: Object = {"name": name, "labels": dict(labels)}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def _counts(*names: str) -> Object:
    number = {"type": "integer", "minimum": 0}
    return {"type": "object", "properties": {n: number for n in names}}


def crd() -> Object:
    """``LabProgress``: one lab step of one learner, written by the learner's checks, or
    the answers of one learner to one lab's quiz and predictions."""
    string = {"type": "string"}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD_NAME, "labels": {MANAGED_LABEL: MANAGER}},
        "spec": {
            "group": reporting.GROUP,
            "scope": "Namespaced",
            "names": {
                "plural": reporting.PLURAL,
                "singular": "labprogress",
                "kind": reporting.KIND,
                "shortNames": ["lp"],
                "categories": ["workshop"],
            },
            "versions": [
                {
                    "name": reporting.VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    # a step's record has step and state; a lab's answers
                                    # (answers.<lab>) has quiz and predictions
                                    "required": ["lab"],
                                    "properties": {
                                        "learner": string,
                                        "lab": string,
                                        "step": string,
                                        "state": {
                                            "type": "string",
                                            "enum": ["passed", "failed", "skipped"],
                                        },
                                        "passed": {"type": "boolean"},
                                        "attempts": {"type": "integer", "minimum": 0},
                                        "failures": {"type": "integer", "minimum": 0},
                                        "message": {"type": "string", "maxLength": 1000},
                                        "started": {"type": "string", "format": "date-time"},
                                        "updated": {"type": "string", "format": "date-time"},
                                        "completed": {"type": "string", "format": "date-time"},
                                        "quiz": _counts("right", "answered", "total"),
                                        "predictions": _counts("made", "right", "total"),
                                    },
                                }
                            },
                        }
                    },
                    "additionalPrinterColumns": [
                        {"name": "Lab", "type": "string", "jsonPath": ".spec.lab"},
                        {"name": "Step", "type": "string", "jsonPath": ".spec.step"},
                        {"name": "State", "type": "string", "jsonPath": ".spec.state"},
                        {"name": "Attempts", "type": "integer", "jsonPath": ".spec.attempts"},
                        {"name": "Updated", "type": "date", "jsonPath": ".spec.updated"},
                    ],
                }
            ],
        },
    }
