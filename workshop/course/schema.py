"""The format of ``labs/NN-slug/lab.yaml`` (pydantic models; the reference for lab authors).

A lab has a title, a duration in minutes, objectives, prerequisites (other labs), the
namespace it works in (default ``lab-NN``) and steps. A step has instructions (markdown),
outcome-based checks, tiered hints (a nudge first, the exact command last), a solution
(actions run by ``workshop solve``) and an optional cleanup (what ``workshop reset`` must
remove besides the lab's namespace).
"""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from workshop import quantity
from workshop.course import fieldpath, objects, selectors

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)]
Text = Annotated[str, Field(min_length=1)]
# What a step may need from a cluster beyond the API (the sandbox may lack some of it).
Capability = Literal["loadbalancer", "storage", "helm"]
OPERATORS = ("equals", "at_least", "at_most", "matches", "present")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _exactly_one(model: BaseModel, names: tuple[str, ...]) -> str:
    given = [n for n in names if n in model.model_fields_set]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of {', '.join(names)} (got {', '.join(given) or 'none'})"
        )
    return given[0]


class FieldTest(Model):
    """One field of an object compared to what the step expects."""

    path: str
    equals: Any = None
    at_least: float | None = None
    at_most: float | None = None
    matches: str | None = None
    present: bool | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        fieldpath.parse(value)
        return value

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as e:
                raise ValueError(f"bad regular expression {value!r}: {e}") from e
        return value

    @model_validator(mode="after")
    def _one_operator(self) -> FieldTest:
        _exactly_one(self, OPERATORS)
        return self

    @property
    def operator(self) -> str:
        return next(n for n in OPERATORS if n in self.model_fields_set)


class _Check(Model):
    hint: str | None = None  # shown when this check fails, instead of the generic hint
    namespace: str | None = None  # default: the lab's namespace


class _OnObject(_Check):
    api_version: str | None = None  # needed for kinds that are not built in
    object: str  # Kind/name, e.g. Deployment/hello

    @field_validator("object")
    @classmethod
    def _object(cls, value: str, info: ValidationInfo) -> str:
        name = objects.parse(value, info.data.get("api_version"))
        if name.name is None and not cls._kind_only():
            raise ValueError(f"needs a name: {name.kind}/NAME")
        cls._kind_allowed(name.kind)
        return value

    @classmethod
    def _kind_only(cls) -> bool:
        return False

    @classmethod
    def _kind_allowed(cls, kind: str) -> None:
        return None

    @property
    def target(self) -> objects.ObjectName:
        return objects.parse(self.object, self.api_version)


class _Counted(Model):
    count: int | None = Field(default=None, ge=0)
    at_least: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_count(self) -> _Counted:
        _exactly_one(self, ("count", "at_least"))
        return self

    def counts(self, found: int) -> bool:
        return found == self.count if self.count is not None else found >= (self.at_least or 0)

    def expected(self) -> str:
        return str(self.count) if self.count is not None else f"at least {self.at_least}"


def _selector(value: str | None) -> str | None:
    if value is not None:
        selectors.parse(value)
    return value


class ExistsCheck(_OnObject):
    """An object exists (``Kind/name``), or some object of a kind matching ``selector``;
    with ``fields``, it (one of them) has those values."""

    kind: Literal["exists"]
    selector: str | None = None
    fields: list[FieldTest] = []

    _check_selector = field_validator("selector")(_selector)

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `fields: {spec.replicas: 3}` is short for `[{path: spec.replicas, equals: 3}]`
        if isinstance(value, dict):
            return [{"path": k, "equals": v} for k, v in value.items()]
        return value

    @classmethod
    def _kind_only(cls) -> bool:
        return True


class AbsentCheck(_OnObject):
    """No such object (or it is being deleted)."""

    kind: Literal["absent"]


class RolloutCheck(_OnObject):
    """A Deployment, StatefulSet or DaemonSet has rolled out (as `kubectl rollout status`)."""

    kind: Literal["rollout"]

    @classmethod
    def _kind_allowed(cls, kind: str) -> None:
        if kind not in ("Deployment", "StatefulSet", "DaemonSet"):
            raise ValueError(f"rollout applies to Deployment, StatefulSet or DaemonSet, not {kind}")


class PodsReadyCheck(_Check, _Counted):
    """``count`` (or ``at_least``) pods matching ``selector`` are Ready."""

    kind: Literal["pods_ready"]
    selector: str

    _check_selector = field_validator("selector")(_selector)


class HttpCheck(_Check):
    """A LoadBalancer Service answers over HTTP at its external address."""

    kind: Literal["http"]
    service: Slug
    path: str = "/"
    status: int = Field(default=200, ge=100, le=599)
    contains: str | None = None
    timeout: float = Field(default=5.0, gt=0)


def _fields_shorthand(value: Any) -> Any:
    # `fields: {spec.replicas: 3}` is short for `[{path: spec.replicas, equals: 3}]`
    if isinstance(value, dict):
        return [{"path": k, "equals": v} for k, v in value.items()]
    return value


class HelmReleaseCheck(_Check):
    """The latest revision of a Helm release has ``status`` (read from Helm's own Secrets);
    with ``values``, it was given those values (``helm get values``); with ``history``, each
    regular expression matches the description of some revision (``helm history``)."""

    kind: Literal["helm_release"]
    release: Slug
    status: str = "deployed"
    chart: str | None = None
    values: list[FieldTest] = []
    history: list[str] = []

    _values_shorthand = field_validator("values", mode="before")(_fields_shorthand)

    @field_validator("history")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"bad regular expression {pattern!r}: {e}") from e
        return value


class ConditionCheck(_OnObject):
    """An object (often a custom resource) has ``status.conditions[type]`` at ``status``."""

    kind: Literal["condition"]
    type: Text
    status: Literal["True", "False", "Unknown"] = "True"
    reason: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _yaml_bool(cls, value: Any) -> Any:
        return str(value) if isinstance(value, bool) else value


class NodeCountCheck(_Check, _Counted):
    """``count`` (or ``at_least``) nodes match ``selector`` (a node pool), Ready unless told."""

    kind: Literal["node_count"]
    selector: str | None = None
    ready: bool = True

    _check_selector = field_validator("selector")(_selector)


class OvhKubeCheck(_Check):
    """An OVHcloud Managed Kubernetes cluster named ``cluster`` is READY (read through the
    OVHcloud API with the official client: the emulator, or the real API), with a node pool
    ``pool`` READY with ``nodes`` nodes when those are given. With ``absent: true``, no
    cluster of that name exists (after ``tofu destroy``; one still being deleted fails)."""

    kind: Literal["ovh_kube"]
    cluster: Text
    pool: Slug | None = None
    nodes: int | None = Field(default=None, ge=0)
    absent: bool = False

    @model_validator(mode="after")
    def _absent_alone(self) -> OvhKubeCheck:
        if self.absent and (self.pool is not None or self.nodes is not None):
            raise ValueError("absent: true checks that the cluster is gone: no pool or nodes")
        return self


class TerraformPlanCheck(_Check):
    """``tofu plan`` has nothing to do in the Terraform working folder ``workspace``
    (``$WORKSHOP_HOME/terraform/NAME``, as ``terraform.workspace(..., name=NAME)`` made
    it): the configuration matches what exists. The plan refreshes the state from the API
    first, so a change made behind Terraform's back (drift) fails the check until the
    configuration adopts it or ``tofu apply`` reverts it. Runs ``tofu plan
    -detailed-exitcode -lock=false`` with a plan file of its own, deleted after: the
    learner's ``tfplan`` and state are left as they are."""

    kind: Literal["terraform_plan"]
    workspace: Slug


class TerraformStateCheck(_Check):
    """The state of the Terraform working folder ``workspace`` manages exactly
    ``resources`` (addresses, as ``tofu state list`` prints them): ``[]`` once ``tofu
    destroy`` has removed everything it created. A folder with no state at all (nothing
    applied there, or the folder removed) fails: the state is the proof it was done
    through Terraform."""

    kind: Literal["terraform_state"]
    workspace: Slug
    resources: list[Text] = []


class LogCheck(_OnObject):
    """A pod's container log (as `kubectl logs`) ``contains`` a line or phrase."""

    kind: Literal["log"]
    container: str | None = None  # default: the pod's only (first) container
    contains: Text

    @classmethod
    def _kind_allowed(cls, kind: str) -> None:
        if kind != "Pod":
            raise ValueError(f"log reads a Pod's log, not a {kind}'s: Pod/NAME")


class CanICheck(_Check):
    """``user`` may (or, with ``allowed: false``, may not) ``verb`` a ``resource``, as
    `kubectl auth can-i VERB RESOURCE --as USER` answers (a SubjectAccessReview)."""

    kind: Literal["can_i"]
    user: Annotated[str, Field(min_length=1)]  # e.g. system:serviceaccount:lab-07:developer
    verb: Annotated[str, Field(pattern=r"^([a-z]+|\*)$")]
    resource: Annotated[str, Field(pattern=r"^[a-z0-9*][-a-z0-9.*]*(/[a-z]+)?$")]
    allowed: bool = True

    @property
    def group(self) -> str:
        """``deployments.apps`` is in group ``apps``; ``pods`` in the core group."""
        return self.resource.split("/")[0].partition(".")[2]

    @property
    def plural(self) -> str:
        return self.resource.split("/")[0].partition(".")[0]

    @property
    def subresource(self) -> str:
        return self.resource.partition("/")[2]


class RefusedCheck(_Check):
    """The cluster refuses to create ``manifest`` (tried as a server-side dry run, so
    nothing is created), with a message that ``matches`` (a regular expression)."""

    kind: Literal["refused"]
    manifest: dict[str, Any]
    matches: Text

    @field_validator("manifest")
    @classmethod
    def _manifest(cls, value: dict[str, Any]) -> dict[str, Any]:
        meta = value.get("metadata")
        if not (value.get("apiVersion") and value.get("kind") and isinstance(meta, dict)):
            raise ValueError("a manifest needs apiVersion, kind and metadata.name")
        if not meta.get("name"):
            raise ValueError("a manifest needs metadata.name")
        return value

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"bad regular expression {value!r}: {e}") from e
        return value


class ServerVersionCheck(_OnObject):
    """A field of an object (e.g. a ConfigMap where a learner wrote down their upgrade plan)
    names the API server's ``MAJOR.MINOR`` version, as `kubectl version` shows it."""

    kind: Literal["server_version"]
    path: str

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        fieldpath.parse(value)
        return value


KubeCheck = Annotated[
    ExistsCheck
    | AbsentCheck
    | RolloutCheck
    | PodsReadyCheck
    | HttpCheck
    | HelmReleaseCheck
    | ConditionCheck
    | NodeCountCheck
    | LogCheck
    | CanICheck
    | RefusedCheck
    | ServerVersionCheck,
    Field(discriminator="kind"),
]


def _field_shorthand(value: Any) -> Any:
    # `fields: {status: READY}` is short for `[{path: status, equals: READY}]`
    if isinstance(value, dict):
        return [{"path": k, "equals": v} for k, v in value.items()]
    return value


class FileInImage(Model):
    """A file one of the image's layers holds; ``made_by``: a regular expression the
    history line of the instruction that added it must match (e.g. a RUN command)."""

    path: Text  # as in the layer's tar: app/build.txt (no leading /)
    made_by: str | None = None

    @field_validator("made_by")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return FieldTest._regex(value)


class ImageCheck(_Check):
    """An image built on this machine (``workshop image build -t NAME:TAG`` keeps it in the
    workshop's image store) has ``fields`` in its OCI config (``config.User``,
    ``config.ExposedPorts``, ``config.Labels[...]``) and ``files`` in its layers. It reads
    the build, not the cluster: pair it with a check that the cluster runs the image."""

    kind: Literal["image"]
    image: Text
    fields: list[FieldTest] = []
    files: list[FileInImage] = []

    _shorthand = field_validator("fields", mode="before")(_field_shorthand)


class OvhClusterCheck(_Check):
    """A Managed Kubernetes cluster of the OVHcloud API, found by ``cluster`` name, has
    ``fields`` (as ``GET /cloud/project/{serviceName}/kube/{kubeId}`` shows them)."""

    kind: Literal["ovh_cluster"]
    cluster: Text
    fields: list[FieldTest] = []

    _shorthand = field_validator("fields", mode="before")(_field_shorthand)


class OvhNodePoolCheck(_Check):
    """A node pool (by name) of a Managed Kubernetes cluster (by name) has ``fields``."""

    kind: Literal["ovh_nodepool"]
    cluster: Text
    pool: Text
    fields: list[FieldTest] = []

    _shorthand = field_validator("fields", mode="before")(_field_shorthand)


class OvhIpRestrictionsCheck(_Check):
    """A Managed Kubernetes cluster's API server accepts only some addresses, ``includes``
    among them (``GET .../kube/{kubeId}/ipRestrictions``)."""

    kind: Literal["ovh_ip_restrictions"]
    cluster: Text
    includes: Annotated[list[Text], Field(min_length=1)]


class ManagedClusterCheck(_Check):
    """A check run inside a Managed Kubernetes cluster, through the kubeconfig the OVHcloud
    API hands out for it (``POST .../kube/{kubeId}/kubeconfig``)."""

    kind: Literal["in_managed_cluster"]
    cluster: Text
    check: KubeCheck


Check = Annotated[
    ExistsCheck
    | AbsentCheck
    | RolloutCheck
    | PodsReadyCheck
    | HttpCheck
    | HelmReleaseCheck
    | ConditionCheck
    | NodeCountCheck
    | LogCheck
    | CanICheck
    | RefusedCheck
    | ServerVersionCheck
    | ImageCheck
    | OvhKubeCheck
    | TerraformPlanCheck
    | TerraformStateCheck
    | OvhClusterCheck
    | OvhNodePoolCheck
    | OvhIpRestrictionsCheck
    | ManagedClusterCheck,
    Field(discriminator="kind"),
]
CHECK_MODELS: tuple[type[_Check], ...] = (
    ExistsCheck,
    AbsentCheck,
    RolloutCheck,
    PodsReadyCheck,
    HttpCheck,
    HelmReleaseCheck,
    ConditionCheck,
    NodeCountCheck,
    LogCheck,
    CanICheck,
    RefusedCheck,
    ServerVersionCheck,
    ImageCheck,
    OvhKubeCheck,
    TerraformPlanCheck,
    TerraformStateCheck,
    OvhClusterCheck,
    OvhNodePoolCheck,
    OvhIpRestrictionsCheck,
    ManagedClusterCheck,
)
CHECK_KINDS = tuple(sorted(get_args(m.model_fields["kind"].annotation)[0] for m in CHECK_MODELS))


def _command(value: Any) -> Any:
    # kubectl arguments as a list, or as one string split like a shell would
    if isinstance(value, str):
        value = shlex.split(value)
        if value and value[0] == "kubectl":
            value = value[1:]
    return value


class Action(Model):
    """One solution action: ``apply`` a file or folder of manifests (from the lab folder),
    run ``kubectl`` (arguments as the learner would type them, ``-n`` included), or call
    ``python: module:function`` (``module.py`` in the lab folder; the function receives a
    ``workshop.course.SolutionContext``)."""

    apply: str | None = None
    kubectl: list[str] | None = None
    python: Annotated[str, Field(pattern=r"^[A-Za-z_]\w*:[A-Za-z_]\w*$")] | None = None

    _split = field_validator("kubectl", mode="before")(_command)

    @model_validator(mode="after")
    def _one(self) -> Action:
        _exactly_one(self, ("apply", "kubectl", "python"))
        return self


class CleanupAction(Model):
    """What reset removes besides the lab namespace: ``delete: Kind/name`` (cluster-scoped
    or in another namespace), ``kubectl`` arguments (e.g. remove a node label), or
    ``python: module:function`` of the lab folder for what needs names only the cluster
    knows or a tool of its own (``tofu destroy``; releasing the finalizers of custom resources
    whose operator is no longer running; deleting what a lab created through a cloud API)."""

    delete: str | None = None
    api_version: str | None = None
    namespace: str | None = None
    kubectl: list[str] | None = None
    python: Annotated[str, Field(pattern=r"^[A-Za-z_]\w*:[A-Za-z_]\w*$")] | None = None

    _split = field_validator("kubectl", mode="before")(_command)

    @model_validator(mode="after")
    def _one(self) -> CleanupAction:
        if _exactly_one(self, ("delete", "kubectl", "python")) == "delete":
            name = objects.parse(self.delete or "", self.api_version)
            if name.name is None:
                raise ValueError(f"delete needs a name: {name.kind}/NAME")
        elif self.api_version or self.namespace:
            raise ValueError("api_version and namespace go with delete, not kubectl or python")
        return self

    @property
    def target(self) -> objects.ObjectName:
        return objects.parse(self.delete or "", self.api_version)


class Question(Model):
    """A question with one right answer among its choices: a graded quiz question at the
    end of a lab, or a step's prediction ("what will happen when...?"), asked before the
    learner runs it. ``explain`` is shown once answered: why the right choice is right."""

    id: Slug
    question: Text  # markdown
    choices: Annotated[list[Text], Field(min_length=2, max_length=6)]
    answer: int = Field(ge=0, description="the right choice, counted from 0")
    explain: Text

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Question:
        if self.answer >= len(self.choices):
            raise ValueError(
                f"answer {self.answer} is not one of the {len(self.choices)} choices "
                "(counted from 0)"
            )
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("two choices are the same")
        return self


# How a step is taught: `guided` shows the command and what to expect; `challenge` states
# only the goal and its constraints (the learner writes the call; its notebook cell is
# empty); `fix` starts from a state that `breaks` puts the cluster in, and the learner
# repairs it (its check passes on the repaired state).
Mode = Literal["guided", "challenge", "fix"]
MIN_HINTS = {"guided": 1, "challenge": 3, "fix": 3}


class Step(Model):
    id: Slug
    title: Text
    instructions: Text
    checks: Annotated[list[Check], Field(min_length=1)]
    # tiered: the concept, where to look, a partial answer; the solution only last
    hints: Annotated[list[Text], Field(min_length=1)]
    solution: Annotated[list[Action], Field(min_length=1)]
    cleanup: list[CleanupAction] = []
    requires: list[Capability] = []
    # Earlier steps whose outcome this one changes on purpose (a pool resized again, a
    # `tofu destroy`): their checks fail once it is done; `workshop solve` does not redo
    # them while it is done, and a solved lab's tests expect them to fail.
    undoes: list[Slug] = []
    mode: Mode = "guided"
    breaks: list[Action] = []  # `fix` steps only: what `workshop break` does
    predict: Question | None = None  # asked before the step's moment, then observed
    minutes: int | None = Field(default=None, gt=0)  # a first-time learner's time

    @model_validator(mode="after")
    def _teaching(self) -> Step:
        if self.mode == "fix" and not self.breaks:
            raise ValueError("a fix step needs `breaks`: the actions that break the cluster")
        if self.breaks and self.mode != "fix":
            raise ValueError("only a fix step breaks the cluster (mode: fix)")
        if len(self.hints) < MIN_HINTS[self.mode]:
            raise ValueError(
                f"a {self.mode} step needs at least {MIN_HINTS[self.mode]} hints: the "
                "concept, where to look, a partial answer (the solution comes last, if at all)"
            )
        return self


def _quantity(value: str) -> str:
    try:
        quantity.parse(value)
    except ValueError as e:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 500m, 1, 512Mi)") from e
    return value


Quantity = Annotated[str, AfterValidator(_quantity)]


class Footprint(Model):
    """The most a lab's solution runs at once in the lab's namespace, counted as a class's
    ResourceQuota counts it (a container without requests gets the class's LimitRange
    default). A class gives each learner's copy of the namespace this much, so a learner's
    total over all their namespaces is the sum of the labs' footprints."""

    pods: int = Field(default=4, ge=0)
    cpu: Quantity = "500m"  # requests.cpu
    memory: Quantity = "512Mi"  # requests.memory


class LabSpec(Model):
    title: Text
    duration: int = Field(gt=0, description="minutes")
    objectives: Annotated[list[Text], Field(min_length=1)]
    prerequisites: list[str] = []  # other labs: "03" or "03-kubectl"
    namespace: Slug | None = None  # default: lab-NN
    create_namespace: bool = True  # False when creating it is one of the lab's steps
    read_next: list[str] = []
    steps: Annotated[list[Step], Field(min_length=1)]
    quiz: list[Question] = []  # graded, at the end of the lab
    footprint: Footprint = Footprint()  # what a class gives each learner for this lab

    @model_validator(mode="after")
    def _questions_once(self) -> LabSpec:
        seen: set[str] = set()
        for ident in [q.id for q in self.quiz] + [s.predict.id for s in self.steps if s.predict]:
            if ident in seen:
                raise ValueError(f"two questions have the id {ident!r}")
            seen.add(ident)
        return self

    @model_validator(mode="after")
    def _undoes_earlier_steps(self) -> LabSpec:
        seen: set[str] = set()
        for step in self.steps:
            later = [s for s in step.undoes if s not in seen]
            if later:
                raise ValueError(f"step {step.id} undoes {', '.join(later)}: not a step before it")
            seen.add(step.id)
        return self

    @field_validator("namespace")
    @classmethod
    def _own_namespace(cls, value: str | None) -> str | None:
        # reset deletes the lab's namespace: never one the cluster itself needs
        if value in ("default", "kube-system", "kube-public", "kube-node-lease"):
            raise ValueError(f"{value!r} is the cluster's; a lab needs its own namespace")
        return value


# Every field name a lab file may use, to suggest the right one for a typo.
FIELD_NAMES = frozenset(
    name
    for model in (
        LabSpec,
        Step,
        Question,
        Action,
        CleanupAction,
        FieldTest,
        Footprint,
        *CHECK_MODELS,
    )
    for name in model.model_fields  # type: ignore[attr-defined]
)
