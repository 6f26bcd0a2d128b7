"""A class without a cluster: rosters, the objects planned, kubeconfigs, the sheet, the
board's picture and CSV, the seat a kubeconfig carries and the labs placed for a learner."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from workshop import course
from workshop.classroom import board, kubeconfigs, plan, roster, sheet
from workshop.classroom.provision import Issued
from workshop.cli.sandbox import check_address, exposure_warning
from workshop.cluster import Seat, connect
from workshop.course import reporting
from workshop.course.checks import CheckResult, StepResult
from workshop.course.schema import Footprint
from workshop.errors import SandboxError, WorkshopError
from workshop.quantity import memory_bytes, millicores


def test_a_roster_gives_unique_namespace_safe_ids(tmp_path: Path) -> None:
    file = tmp_path / "roster.csv"
    file.write_text("name\nZoë Martin-Durand\nAlice\nalice\n\n  Bob O'Neil ,extra\n")
    learners = roster.from_csv(file)
    assert [x.id for x in learners] == ["zoe-martin-durand", "alice", "alice-2", "bob-o-neil"]
    assert learners[0].name == "Zoë Martin-Durand"
    assert learners[1].prefix("k8s101") == "k8s101-alice-"


def test_a_bad_roster_or_class_name_says_what_to_do(tmp_path: Path) -> None:
    file = tmp_path / "roster.csv"
    file.write_text("name\n李雷\n")
    with pytest.raises(WorkshopError, match="row 1"):
        roster.from_csv(file)
    with pytest.raises(WorkshopError, match="lists nobody"):
        file.write_text("name\n")
        roster.from_csv(file)
    with pytest.raises(WorkshopError, match="DNS label"):
        roster.check_class_name("K8s_101")
    with pytest.raises(WorkshopError, match="63"):
        roster.check_fits("a" * 20, [roster.Learner("b" * 20, "B")], ["c" * 30])
    assert [x.id for x in roster.numbered(3)] == ["learner-01", "learner-02", "learner-03"]


def test_the_plan_isolates_each_learner_in_their_namespaces() -> None:
    alice = roster.Learner("alice", "Alice")
    p = plan.ClassPlan("k8s101", [alice, roster.Learner("bob", "Bob")], ["lab-04", "lab-05"])
    objects = p.learner_objects(alice)
    namespaces = [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"]
    assert namespaces == ["k8s101-alice", "k8s101-alice-lab-04", "k8s101-alice-lab-05"]
    bindings = [o for o in objects if o["kind"] == "RoleBinding"]
    assert {b["metadata"]["namespace"] for b in bindings} == set(namespaces)
    for binding in bindings:
        assert binding["roleRef"]["name"] == p.learner_role
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "learner", "namespace": "k8s101-alice"}
        ]
    quotas = [o for o in objects if o["kind"] == "ResourceQuota"]
    assert len(quotas) == 3 and quotas[0]["spec"]["hard"]["pods"] == str(plan.HOME.pods)
    # every object carries the class's labels: delete and status find them by label
    assert all(o["metadata"]["labels"][reporting.CLASS_LABEL] == "k8s101" for o in objects)


def test_the_learner_role_grants_no_way_out() -> None:
    """No wildcard resource in the core group, quotas and limits read-only, no cluster kinds."""
    for rule in plan.LEARNER_RULES:
        resources = set(rule["resources"])
        if "" in rule["apiGroups"]:
            assert "*" not in resources
        if resources & {"resourcequotas", "limitranges", "namespaces"}:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert not resources & {"nodes", "clusterroles", "clusterrolebindings"}
    for rule in plan.READER_RULES:
        assert set(rule["verbs"]) == {"get", "list", "watch"}
    # the defaults fit the quota: as many pods as it allows, at the default limits
    hard = plan.quota(Footprint(pods=8))
    assert 8 * millicores(plan.LIMITS["default"]["cpu"]) <= millicores(hard["limits.cpu"])
    assert 8 * memory_bytes(plan.LIMITS["default"]["memory"]) <= memory_bytes(hard["limits.memory"])


def test_a_class_where_exec_is_not_jailed_gives_learners_no_exec() -> None:
    people = [roster.Learner("alice", "Alice")]

    def granted(p: plan.ClassPlan) -> set[str]:
        role = next(o for o in p.cluster_objects() if o["metadata"]["name"] == p.learner_role)
        return {r for rule in role["rules"] for r in rule["resources"]}

    jailed = granted(plan.ClassPlan("k8s101", people, ["lab-04"]))
    unjailed = granted(plan.ClassPlan("k8s101", people, ["lab-04"], exec_allowed=False))
    assert "pods/exec" in jailed
    assert jailed - unjailed == {"pods/exec"}  # logs, port-forward, attach stay


def test_a_learner_kubeconfig_carries_their_seat(tmp_path: Path) -> None:
    config = kubeconfigs.build(
        class_name="k8s101", learner="alice", server="https://127.0.0.1:6443", ca="Q0E=",
        token="secret-token", home="k8s101-alice", prefix="k8s101-alice-",
    )  # fmt: skip
    path = tmp_path / "alice.kubeconfig"
    kubeconfigs.write(path, config)
    assert path.stat().st_mode & 0o777 == 0o600
    context = yaml.safe_load(path.read_text())["contexts"][0]
    seat = Seat.from_context(context)
    assert seat == Seat("k8s101", "alice", "k8s101-alice-", "k8s101-alice")
    assert seat.namespace("lab-04") == "k8s101-alice-lab-04"
    assert Seat.from_context({"name": "x", "context": {"cluster": "c"}}) is None


def test_connect_without_a_server_still_reads_the_seat(tmp_path: Path) -> None:
    """The probe fails (nothing listens), but the error names the learner's own server."""
    config = kubeconfigs.build(
        class_name="k8s101", learner="alice", server="https://127.0.0.1:9", ca="",
        token="t", home="k8s101-alice", prefix="k8s101-alice-",
    )  # fmt: skip
    kubeconfigs.write(tmp_path / "a.kubeconfig", config)
    with pytest.raises(WorkshopError, match=r"127\.0\.0\.1:9"):
        connect(kubeconfig=tmp_path / "a.kubeconfig")


def test_a_placed_lab_speaks_of_the_learners_namespace() -> None:
    lab = course.find_lab("04").within("k8s101-alice-")
    assert lab.namespace == "k8s101-alice-lab-04" and lab.base_namespace == "lab-04"
    assert lab.localize("kubectl get pods -n lab-04") == "kubectl get pods -n k8s101-alice-lab-04"
    assert lab.localize("namespace `lab-04`.") == "namespace `k8s101-alice-lab-04`."
    assert lab.localize("lab-040 and x-lab-04") == "lab-040 and x-lab-04"
    assert "-n k8s101-alice-lab-04" in course.solution_text(lab, lab.step("scale"))
    assert course.find_lab("04").localize("-n lab-04") == "-n lab-04"


def test_progress_records_count_attempts_and_failures() -> None:
    failed = StepResult("04-hello-world", "scale", "Scale", (CheckResult(False, "3 of 5"),))
    passed = StepResult("04-hello-world", "scale", "Scale", (CheckResult(True, "5 ready"),))
    first = reporting.record(None, failed, now="2026-01-01T10:00:00+00:00")
    second = reporting.record(first, passed, now="2026-01-01T10:05:00+00:00")
    assert first["attempts"] == 1 and first["failures"] == 1 and first["completed"] is None
    assert second["attempts"] == 2 and second["failures"] == 1 and second["state"] == "passed"
    assert second["started"] == "2026-01-01T10:00:00+00:00"
    assert second["completed"] == "2026-01-01T10:05:00+00:00"
    skipped = StepResult("02", "nodes", "Nodes", (), skipped="skipped: not yours")
    assert not skipped.passed and skipped.message == "skipped: not yours"
    assert reporting.record(None, skipped, now="x")["state"] == "skipped"


def _progress(
    learner: str, step: str, state: str, started: str, message: str = "", failures: int = 0
) -> dict[str, Any]:
    spec = {"learner": learner, "lab": "04", "step": step, "state": state, "started": started}
    spec |= {"passed": state == "passed", "message": message, "failures": failures}
    labels = {reporting.LEARNER_LABEL: learner}
    return {"metadata": {"name": f"04.{step}", "labels": labels}, "spec": spec}


def test_the_board_shows_done_in_progress_stuck_and_the_most_failed_checks() -> None:
    now = 1_767_261_600.0  # 2026-01-01T10:00:00Z
    objects = [
        _progress("alice", "deploy", "passed", "2026-01-01T09:50:00+00:00"),
        _progress("alice", "scale", "failed", "2026-01-01T09:58:00+00:00", "3 of 5 ready", 2),
        _progress("bob", "scale", "failed", "2026-01-01T09:30:00+00:00", "3 of 5 ready", 4),
        _progress("carol", "deploy", "failed", "2026-01-01T09:59:00+00:00", "no deployment", 1),
        _progress("dan", "nodes", "skipped", "2026-01-01T09:59:00+00:00", "skipped: x"),
    ]
    picture = board.summarize(
        "c", objects, learners=["alice", "bob", "carol", "dan", "eve"], now=now
    )
    assert picture.learners == ["alice", "bob", "carol", "dan", "eve"]
    assert picture.cells[("alice", "04", "deploy")] == "done"
    assert picture.cells[("alice", "04", "scale")] == "working"
    assert picture.cells[("bob", "04", "scale")] == "stuck"  # 30 minutes on it
    assert picture.cells[("dan", "04", "nodes")] == "skipped"
    assert ("eve", "04", "deploy") not in picture.cells
    top = picture.failures[0]
    assert (top.step, top.failures, top.failing_now) == ("scale", 6, 2)
    assert top.messages == [("3 of 5 ready", 2)]
    html = board.render_html(picture)
    assert "stuck &gt; 10 min" in html and "3 of 5 ready" in html and html.count("<tr>") == 7
    assert "<script" not in board.render_html(
        board.summarize("c", [_progress("x", "s", "failed", "", "<script>alert(1)</script>", 1)])
    )
    rows = list(csv.DictReader(io.StringIO(board.to_csv(objects))))
    assert [r["learner"] for r in rows] == ["alice", "alice", "bob", "carol", "dan"]
    assert rows[2]["failures"] == "4" and rows[2]["message"] == "3 of 5 ready"


def _answers(learner: str, lab: str, right: int, answered: int, made: int) -> dict[str, Any]:
    spec = {
        "learner": learner,
        "lab": lab,
        "quiz": {"right": right, "answered": answered, "total": 3},
        "predictions": {"made": made, "right": 0, "total": 2},
        "updated": "2026-01-01T09:59:00+00:00",
    }
    labels = {reporting.LEARNER_LABEL: learner}
    return {"metadata": {"name": reporting.answers_name(lab), "labels": labels}, "spec": spec}


def test_the_board_shows_quiz_scores_and_predictions_apart_from_the_steps() -> None:
    steps = [_progress("alice", "deploy", "passed", "2026-01-01T09:50:00+00:00")]
    objects = [*steps, _answers("alice", "04", 2, 3, 1), _answers("bob", "04", 0, 1, 0)]
    picture = board.summarize("c", objects, now=1_767_261_600.0)
    assert picture.columns == [("04", "deploy")]  # answers are not a step
    assert picture.learners == ["alice", "bob"]  # bob has answered, not checked: he is there
    assert picture.answers[("alice", "04")] == board.Scores(2, 3, 3, 1, 2)
    assert picture.answers[("alice", "04")].text() == "quiz 2/3 · predicted 1/2"
    assert picture.answers[("bob", "04")].text() == "quiz 0/3 (2 open) · predicted 0/2"
    html = board.render_html(picture)
    assert "Quiz (right the first time) and predictions made" in html
    assert "quiz 2/3 · predicted 1/2" in html
    assert "Quiz" not in board.render_html(board.summarize("c", steps))  # none: no table
    rows = list(csv.DictReader(io.StringIO(board.to_csv(objects))))
    quiz = [r for r in rows if r["quiz_total"]]
    assert [(r["learner"], r["step"], r["quiz_right"]) for r in quiz] == [
        ("alice", "", "2"),
        ("bob", "", "0"),
    ]


def test_the_crd_takes_a_labs_answers_as_well_as_a_steps_record() -> None:
    schema = plan.crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = schema["properties"]["spec"]
    assert spec["required"] == ["lab"]
    assert set(spec["properties"]["quiz"]["properties"]) == {"right", "answered", "total"}
    assert set(spec["properties"]["predictions"]["properties"]) == {"made", "right", "total"}


def test_the_sheet_names_files_and_commands_never_tokens(tmp_path: Path) -> None:
    alice = roster.Learner("alice", "Alice <A>")
    p = plan.ClassPlan("k8s101", [alice], ["lab-04"])
    seats = [Issued(alice, tmp_path / "alice.kubeconfig", "2026-01-01T18:00:00Z")]
    html_file, md_file = sheet.write(tmp_path, p, seats, server="https://127.0.0.2:6443")
    page = html_file.read_text()
    assert "Alice &lt;A&gt;" in page and "export WORKSHOP_CONTEXT=k8s101-alice" in page
    assert "k8s101-alice-lab-04" in md_file.read_text() and "2026-01-01T18:00:00Z" in page


def test_sandbox_address_must_be_one_address_of_this_machine() -> None:
    assert check_address("127.0.0.2") == "127.0.0.2"
    for bad, says in (("0.0.0.0", "every interface"), ("my-laptop", "not an IP"),  # noqa: S104
                      ("192.0.2.1", "no address")):  # fmt: skip
        with pytest.raises(SandboxError, match=says):
            check_address(bad)
    warning = exposure_warning("https://127.0.0.2:6443")
    for part in ("https://127.0.0.2:6443", "anonymous requests are refused", "exec",
                 "ON THIS MACHINE", "127.0.0.1", "never hand it out"):  # fmt: skip
        assert part in warning


def test_an_address_beyond_127_0_0_1_turns_anonymous_requests_off(tmp_path: Path) -> None:
    from workshop.sandbox import components
    from workshop.sandbox.layout import Layout

    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
    found = {n: Path(f"/opt/bin/{n}") for n in names}
    ports = components.Ports(apiserver=16443, etcd=12379, etcd_peer=12380, kwok=10250)

    def apiserver(bind: str) -> tuple[str, ...]:
        plan_ = components.control_plane(Layout(tmp_path), binaries=found, ports=ports, bind=bind)
        return next(c.argv for c in plan_ if c.name == "kube-apiserver")

    assert "--anonymous-auth=false" not in apiserver("127.0.0.1")
    served = apiserver("127.0.0.2")
    assert "--anonymous-auth=false" in served and "--bind-address=127.0.0.2" in served
    assert "--client-ca-file" in " ".join(served)  # certificates, and tokens, still work


def test_a_new_address_reissues_the_serving_certificate_and_keeps_the_ca(tmp_path: Path) -> None:
    from cryptography import x509

    from workshop.sandbox import pki

    keys = pki.Pki(tmp_path / "pki")
    pki.ensure(keys, hosts=["127.0.0.1"])
    ca = keys.ca_cert.read_bytes()
    admin = keys.cert("admin").read_bytes()
    pki.ensure(keys, hosts=["127.0.0.2"])
    cert = x509.load_pem_x509_certificate(keys.cert("serving").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.2" in {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    assert keys.ca_cert.read_bytes() == ca and keys.cert("admin").read_bytes() == admin


def test_the_class_rules_are_admission_policies_of_the_class_for_its_learners_only() -> None:
    people = [roster.Learner("alice", "Alice"), roster.Learner("bob", "Bob")]
    p = plan.ClassPlan("k8s101", people, ["lab-04", "lab-05"], token_seconds=2 * 3600)
    objects = p.cluster_objects()
    policies = {
        o["metadata"]["name"]: o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"
    }
    bindings = [o for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    assert set(policies) == {
        f"workshop-class.k8s101.{rule}"
        for rule in ("no-long-lived-tokens", "short-tokens", "own-progress", "no-open-bindings")
    }
    # each policy is bound, denies, and goes with the class (labelled like its other objects)
    assert {b["spec"]["policyName"] for b in bindings} == set(policies)
    assert all(b["spec"]["validationActions"] == ["Deny"] for b in bindings)
    assert all(
        o["metadata"]["labels"][reporting.CLASS_LABEL] == "k8s101"
        for o in [*policies.values(), *bindings]
    )
    for policy in policies.values():
        assert policy["spec"]["failurePolicy"] == "Fail"
        [condition] = policy["spec"]["matchConditions"]
        # the learners' ServiceAccounts, by their exact namespaces: never the instructor
        match = condition["expression"]
        assert "'system:serviceaccount:k8s101-'" in match
        assert "['alice', 'bob']" in match and "['lab-04', 'lab-05']" in match
    refusal = policies["workshop-class.k8s101.no-long-lived-tokens"]["spec"]["validations"][0]
    assert "kubernetes.io/service-account-token" in refusal["expression"]
    assert "kubectl create token" in refusal["message"] and "the class's 2h" in refusal["message"]
    short = policies["workshop-class.k8s101.short-tokens"]["spec"]
    assert short["matchConstraints"]["resourceRules"][0]["resources"] == ["serviceaccounts/token"]
    assert "<= 7200" in short["validations"][0]["expression"]
    progress = policies["workshop-class.k8s101.own-progress"]["spec"]
    assert progress["matchConstraints"]["resourceRules"][0]["resources"] == [reporting.PLURAL]
    check = progress["validations"][0]["expression"]
    assert reporting.LEARNER_LABEL in check and "'k8s101'" in check and "spec.learner" in check
    opened = policies["workshop-class.k8s101.no-open-bindings"]["spec"]["validations"][0]
    for subject in ("system:unauthenticated", "system:authenticated", "system:anonymous"):
        assert subject in opened["expression"] and subject in opened["message"]


def test_the_cel_strings_of_the_rules_are_quoted() -> None:
    from workshop.classroom import rules

    assert rules._q("it's") == "'it\\'s'"
    assert rules.owner_test("c", ["lab-04"]).count("'system:serviceaccount:c-' + i") == 2


def test_the_quota_counts_every_kind_a_learner_may_create() -> None:
    """Each namespaced kind of the learner role has a count in the quota."""
    QUOTA = plan.quota(Footprint())
    counted = {key.removeprefix("count/") for key in QUOTA if "." in key or "/" in key}
    counted |= {key for key in QUOTA if "." not in key and "/" not in key}  # pods, secrets...
    created = set()
    for rule in plan.LEARNER_RULES:
        if "create" not in rule["verbs"]:
            continue
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                if "/" in resource or group == "metrics.k8s.io":
                    continue  # subresources are requests, not objects
                created.add(resource if group == "" else f"{resource}.{group}")
    wildcard = {c for c in created if c.startswith("*.")}
    assert {c for c in created - wildcard if c not in counted} == {
        "endpoints",  # the Service's, kept in step by the control plane
        f"{reporting.PLURAL}.{reporting.GROUP}",  # a CRD: see plan.COUNTS
    }
    for group in ("apps", "batch", "autoscaling"):
        assert any(c.endswith(f".{group}") for c in counted)
    # the class's own RoleBinding and lab 07's Role and RoleBinding fit with room to spare
    assert int(QUOTA["count/rolebindings.rbac.authorization.k8s.io"]) >= 5
