"""The class's rules around RBAC, held by kube-apiserver's ValidatingAdmissionPolicies: as
learner A, each attack is refused with the policy's sentence; the same request by the
instructor, or a legitimate one by A, goes through.

One class (``t11``: alice and bob, labs 04 and 07) is created through the CLI for the
module and deleted by the last test, next to a second class whose rules must stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import Kubectl
from workshop.classroom import plan as plans
from workshop.classroom import provision, roster
from workshop.cli import cli
from workshop.cluster import Cluster
from workshop.course import reporting

pytestmark = pytest.mark.integration

CLASS = "t11"
HOURS = 1.0
HOME = f"{CLASS}-alice"
LAB = f"{CLASS}-alice-lab-07"
ADMISSION = "admissionregistration.k8s.io/v1"


@pytest.fixture(scope="module")
def room(
    sandbox: Any, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("class-rules")
    roster_file = out / "roster.csv"
    roster_file.write_text("name\nAlice\nBob\n")
    result = CliRunner().invoke(
        cli,
        [
            "class", "create", CLASS, "--roster", str(roster_file), "--labs", "04,07",
            "--hours", str(HOURS), "--out", str(out / "files"), "--overcommit",
            "--kubeconfig", str(sandbox.kubeconfig),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    in_force(Kubectl(out / "files" / "alice.kubeconfig"))
    yield out / "files"
    provision.delete(cluster, CLASS)  # a no-op when the last test deleted it


def in_force(alice: Kubectl) -> None:
    """The class's policies are enforced as soon as `class create` returns (it waits for
    kube-apiserver to load them): a learner's first requests are refused already. Dry runs
    create nothing."""
    alice("create", "role", "reader", "--verb=get", "--resource=pods", "-n", LAB)
    attacks = [
        secret("forever", "kubernetes.io/service-account-token"),
        progress("bob"),
        binding("open", {"kind": "Group", "name": "system:unauthenticated"}),
    ]
    for attack in attacks:
        result = create(alice, attack, "--dry-run=server")
        assert result.returncode != 0 and "ValidatingAdmissionPolicy" in result.stderr, attack


@pytest.fixture(scope="module")
def alice(room: Path) -> Kubectl:
    return Kubectl(room / "alice.kubeconfig")


def refused(result: Any, policy: str, says: str) -> str:
    """The request's kubectl error: refused by the class's policy, saying why."""
    error: str = result.stderr
    assert result.returncode != 0, result.stdout
    assert f"ValidatingAdmissionPolicy 'workshop-class.{CLASS}.{policy}'" in error, error
    assert says in error, error
    return error


def create(who: Kubectl, obj: dict[str, Any], *flags: str) -> Any:
    return who.run("create", *flags, "-o", "name", "-f", "-", input=json.dumps(obj), check=False)


def secret(name: str, kind: str, namespace: str = HOME) -> dict[str, Any]:
    found: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": kind,
    }
    if kind == "kubernetes.io/service-account-token":
        found["metadata"]["annotations"] = {"kubernetes.io/service-account.name": "learner"}
    return found


def test_a_learner_gets_no_long_lived_token(alice: Kubectl, kubectl: Kubectl) -> None:
    attack = secret("forever", "kubernetes.io/service-account-token")
    error = refused(create(alice, attack), "no-long-lived-tokens", "their tokens never expire")
    assert "kubectl create token" in error
    assert alice.run("get", "secret", "forever", "-n", HOME, check=False).returncode != 0
    # an ordinary Secret is A's to make; the instructor may still make a token Secret
    assert create(alice, secret("plain", "Opaque")).returncode == 0
    assert create(kubectl, attack).returncode == 0
    kubectl("delete", "secret", "forever", "plain", "-n", HOME)


def test_a_learners_tokens_last_no_longer_than_the_class(alice: Kubectl) -> None:
    long = alice.run("create", "token", "learner", "-n", HOME, "--duration=2h", check=False)
    refused(long, "short-tokens", "longer than the class's 1h")
    token = alice("create", "token", "learner", "-n", HOME, "--duration=30m").strip()
    assert token.count(".") == 2  # a JWT, bound to the ServiceAccount and 30 minutes


def progress(learner: str, *, label: str | None = None, klass: str = CLASS) -> dict[str, Any]:
    return {
        "apiVersion": reporting.API_VERSION,
        "kind": reporting.KIND,
        "metadata": {
            "name": f"04-hello-world.fake-{label or learner}-{klass}",
            "namespace": HOME,
            "labels": {
                reporting.CLASS_LABEL: klass,
                reporting.LEARNER_LABEL: label or learner,
                reporting.LAB_LABEL: "04-hello-world",
            },
        },
        "spec": {"learner": learner, "lab": "04-hello-world", "step": "scale", "state": "passed"},
    }


def answers(learner: str) -> dict[str, Any]:
    """A lab's answers (quiz score, predictions), as ``reporting.report_answers`` writes them."""
    fake = progress(learner)
    fake["metadata"]["name"] = reporting.answers_name(f"04-hello-world-{learner}")
    fake["spec"] = {
        "learner": learner,
        "lab": "04-hello-world",
        "quiz": {"right": 3, "answered": 3, "total": 3},
        "predictions": {"made": 2, "right": 2, "total": 2},
    }
    return fake


@pytest.mark.parametrize(
    "fake",
    [
        progress("bob"),  # labelled and named as bob
        progress("alice", label="bob"),  # named alice, labelled bob: the board reads both
        progress("bob", label="alice"),
        progress("alice", klass="t12"),  # alice on another class's board
        answers("bob"),  # a perfect quiz score for bob, written by alice
    ],
    ids=["as-bob", "label-bob", "spec-bob", "other-class", "answers-as-bob"],
)
def test_a_learner_cannot_fake_anothers_progress(
    alice: Kubectl, kubectl: Kubectl, fake: dict[str, Any]
) -> None:
    error = refused(create(alice, fake), "own-progress", "only for themself")
    assert f"{reporting.LEARNER_LABEL}=alice and spec.learner=alice" in error
    # the instructor may correct the board
    assert create(kubectl, fake).returncode == 0
    kubectl("delete", reporting.PLURAL, fake["metadata"]["name"], "-n", HOME)


def test_a_learner_reports_their_own_progress(alice: Kubectl) -> None:
    own = progress("alice")
    assert create(alice, own).returncode == 0, create(alice, own).stderr
    changed = own | {"spec": own["spec"] | {"state": "failed"}}
    assert alice.run("apply", "-f", "-", input=json.dumps(changed), check=False).returncode == 0
    # an update that moves it to bob is refused as a create would be
    moved = own | {"spec": own["spec"] | {"learner": "bob"}}
    error = alice.run("apply", "-f", "-", input=json.dumps(moved), check=False).stderr
    assert "only for themself" in error
    alice("delete", reporting.PLURAL, own["metadata"]["name"], "-n", HOME)
    mine = answers("alice")  # and her answers, which have no step
    assert create(alice, mine).returncode == 0, create(alice, mine).stderr
    alice("delete", reporting.PLURAL, mine["metadata"]["name"], "-n", HOME)


def binding(name: str, subject: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": LAB},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [subject],
    }


@pytest.mark.parametrize(
    "subject",
    [
        {"kind": "Group", "name": "system:unauthenticated"},
        {"kind": "Group", "name": "system:authenticated"},
        {"kind": "User", "name": "system:anonymous"},
    ],
    ids=lambda s: s["name"],
)
def test_a_learner_cannot_open_a_namespace_to_anyone(
    alice: Kubectl, kubectl: Kubectl, subject: dict[str, str]
) -> None:
    group = {**subject, "apiGroup": "rbac.authorization.k8s.io"}
    attack = binding("open", group)
    refused(create(alice, attack), "no-open-bindings", "open the namespace")
    # with one harmless subject next to it, still refused
    both = attack | {
        "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": HOME}, group]
    }
    assert "open the namespace" in create(alice, both).stderr
    assert create(kubectl, attack).returncode == 0  # the instructor decides
    kubectl("delete", "rolebinding", "open", "-n", LAB)


def test_a_learner_binds_their_own_serviceaccount(alice: Kubectl) -> None:
    own = binding("mine", {"kind": "ServiceAccount", "name": "learner", "namespace": HOME})
    assert create(alice, own).returncode == 0
    alice("delete", "rolebinding", "mine", "-n", LAB)


def test_counts_cap_the_kinds_a_learner_creates(alice: Kubectl) -> None:
    quota = yaml.safe_load(alice("get", "resourcequota", "learner", "-n", LAB, "-o", "yaml"))
    for kind in ("count/roles.rbac.authorization.k8s.io", "count/cronjobs.batch", "secrets"):
        assert quota["spec"]["hard"][kind] == plans.COUNTS[kind]
    cap = int(plans.COUNTS["count/cronjobs.batch"])
    for n in range(cap):
        alice(
            "create", "cronjob", f"tick-{n}", "--image=busybox", "--schedule=0 0 1 1 *", "-n", LAB
        )
    over = alice.run(
        "create", "cronjob", "one-more", "--image=busybox", "--schedule=0 0 1 1 *", "-n", LAB,
        check=False,
    )  # fmt: skip
    assert over.returncode != 0 and "exceeded quota" in over.stderr, over.stderr
    assert "count/cronjobs.batch" in over.stderr
    alice("delete", "cronjobs", "--all", "-n", LAB)


def test_delete_removes_the_rules_of_the_class_and_no_other(
    room: Path, cluster: Cluster, tmp_path: Path
) -> None:
    other = plans.ClassPlan("t12", [roster.Learner("carol", "Carol")], ["lab-04"])
    provision.create(cluster, other, tmp_path, token_seconds=3600)
    try:
        names = {f"workshop-class.{CLASS}.", "workshop-class.t12."}

        def policies() -> dict[str, int]:
            found = {name: 0 for name in names}
            for kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"):
                for obj in cluster.api.list(ADMISSION, kind):
                    for name in names:
                        found[name] += obj["metadata"]["name"].startswith(name)
            return found

        assert policies() == {name: 8 for name in names}
        provision.delete(cluster, CLASS)
        assert policies() == {f"workshop-class.{CLASS}.": 0, "workshop-class.t12.": 8}
    finally:
        provision.delete(cluster, "t12")
    assert policies() == {name: 0 for name in names}
