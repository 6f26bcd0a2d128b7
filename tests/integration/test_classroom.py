"""A class on the real sandbox: learners isolated by the API server's own RBAC, quotas,
expiring tokens, progress reported with the learner's rights, the live board, and
`workshop class status | export | delete`.

One class (``t10``: alice and bob, lab 04 and lab 02) is created once through the CLI for
the module; each test drives it with the learners' own kubeconfigs (real kubectl or the
``kubernetes`` client), never with the admin's.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.conftest import Kubectl
from workshop import classroom, course
from workshop.classroom import board as boards
from workshop.classroom import provision, web
from workshop.cli import cli
from workshop.cli.course import Seams
from workshop.cluster import Cluster, connect
from workshop.course import reporting
from workshop.quantity import millicores

pytestmark = pytest.mark.integration

CLASS = "t10"
LABS = {lab.number: lab for lab in course.list_labs()}
HOURS = 1.0


@pytest.fixture(scope="module")
def admin(cluster: Cluster) -> Cluster:
    """The instructor: the session's sandbox, with its admin kubeconfig."""
    return cluster


@pytest.fixture(scope="module")
def room(sandbox: Any, admin: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The class, created with `workshop class create` from a roster; deleted at the end.

    ``--overcommit``: the session's sandbox is shared, and a class that grew its node pool
    would change what later tests see there (three nodes); growing it has its own test."""
    out = tmp_path_factory.mktemp("class")
    roster = out / "roster.csv"
    roster.write_text("name\nAlice\nBob\n")
    result = CliRunner().invoke(
        cli,
        [
            "class", "create", CLASS, "--roster", str(roster), "--labs", "04,02,05,07",
            "--hours", str(HOURS), "--out", str(out / "files"), "--overcommit",
            "--kubeconfig", str(sandbox.kubeconfig),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 learners, 10 namespaces" in result.output
    yield out / "files"
    provision.delete(admin, CLASS)


def learner(room: Path, name: str) -> Cluster:
    return connect(kubeconfig=room / f"{name}.kubeconfig")


def as_learner(room: Path, name: str) -> Kubectl:
    return Kubectl(room / f"{name}.kubeconfig")


def test_files_are_one_per_learner_private_and_the_sheet_holds_no_token(room: Path) -> None:
    alice = yaml.safe_load((room / "alice.kubeconfig").read_text())
    token = alice["users"][0]["user"]["token"]
    assert (room / "alice.kubeconfig").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in room.glob("*.kubeconfig")) == [
        "alice.kubeconfig",
        "bob.kubeconfig",
    ]
    sheet = (room / "sheet.html").read_text()
    assert (
        "Alice" in sheet and "t10-alice-lab-04" in sheet and "WORKSHOP_CONTEXT=t10-alice" in sheet
    )
    assert token not in sheet and token not in (room / "sheet.md").read_text()


def test_connect_reads_the_seat_and_places_labs_in_the_learners_namespaces(room: Path) -> None:
    alice = learner(room, "alice")
    assert alice.seat is not None and alice.seat.home == "t10-alice"
    lab = course.place(alice, course.find_lab("04"))
    assert lab.namespace == "t10-alice-lab-04"
    assert "-n t10-alice-lab-04" in course.tiers(lab, lab.step("deploy"))[1]
    assert "class t10, learner alice" in alice.describe()


def test_a_learners_checks_report_labprogress_with_their_own_rights(
    room: Path, admin: Cluster, tmp_path: Path
) -> None:
    alice = learner(room, "alice")
    store = course.ProgressStore(tmp_path / "progress.json")
    lab = course.find_lab("04")
    [first] = course.check(alice, lab, "deploy", progress=store)
    assert not first.passed and "t10-alice-lab-04" in first.message
    course.solve(alice, lab, "deploy", progress=store, timeout=90)
    [second] = course.check(alice, lab, "deploy", progress=store)
    assert second.passed, second.message
    # the Deployment is in alice's namespace, and the record in her home namespace
    assert admin.api.get("apps/v1", "Deployment", "hello", "t10-alice-lab-04")
    record = admin.api.get(
        reporting.API_VERSION, reporting.KIND, "04-hello-world.deploy", "t10-alice"
    )
    assert record is not None
    spec = record["spec"]
    assert spec["state"] == "passed" and spec["learner"] == "alice"
    assert spec["attempts"] >= 2 and spec["failures"] >= 1 and spec["completed"]
    # written by alice's ServiceAccount, not by the admin (server-side apply's manager)
    managers = {m["manager"] for m in record["metadata"]["managedFields"]}
    assert managers == {"workshop"}
    audit_user = as_learner(room, "alice")(
        "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"
    )
    assert audit_user == "system:serviceaccount:t10-alice:learner"


def test_cluster_scoped_steps_are_skipped_with_a_reason_never_a_raw_forbidden(
    room: Path, tmp_path: Path
) -> None:
    alice = learner(room, "alice")
    store = course.ProgressStore(tmp_path / "progress.json")
    lab = course.find_lab("02")
    [result] = course.check(alice, lab, "nodes", progress=store)
    assert result.skipped and "only the instructor" in result.skipped and "Node" in result.skipped
    assert not result.passed
    seams = Seams(progress=store)
    kubeconfig = str(room / "alice.kubeconfig")
    shown = CliRunner().invoke(cli, ["check", "02", "nodes", "--kubeconfig", kubeconfig], obj=seams)
    assert shown.exit_code == 0, shown.output  # skipped is not a failure
    assert "skipped: this step changes the cluster itself" in shown.output
    assert "Forbidden" not in shown.output
    listed = CliRunner().invoke(cli, ["labs", "--kubeconfig", kubeconfig], obj=seams)
    assert "t10-alice-lab-04" in listed.output, listed.output
    hint_args = ["hint", "04", "deploy", "--kubeconfig", kubeconfig]
    CliRunner().invoke(cli, hint_args, obj=seams)
    hinted = CliRunner().invoke(cli, hint_args, obj=seams)  # tier 2 names the namespace
    assert "t10-alice-lab-04" in hinted.output and "-n lab-04" not in hinted.output
    solved = course.solve(alice, lab, "nodes", progress=store)
    assert solved[0].result.skipped and not solved[0].applied
    # and nobody labelled a node
    assert "explored" not in as_learner(room, "alice")("get", "nodes", "--show-labels")


def test_a_learner_runs_the_production_lab_skipping_what_is_the_instructors(
    room: Path, tmp_path: Path
) -> None:
    """Lab 07 sets quotas and Pod Security on its namespace: in a class those are the
    instructor's (the API server refuses a dry run of the solution), so those steps are
    skipped with the server's reason; the rest the learner solves and passes in their namespace."""
    bob = learner(room, "bob")
    store = course.ProgressStore(tmp_path / "progress.json")
    lab = course.find_lab("07")
    said: list[str] = []
    solved = {s.step: s for s in course.solve(bob, lab, progress=store, say=said.append)}
    quota = solved["quota"].result
    assert quota.skipped and "resourcequotas" in quota.skipped and "forbidden" in quota.skipped
    assert not any("Forbidden" in line for line in said if "skipped" not in line)
    results = {r.step: r for r in course.check(bob, lab, progress=store)}
    assert all(r.passed or r.skipped for r in results.values()), {
        k: r.message for k, r in results.items() if not (r.passed or r.skipped)
    }
    assert sum(r.passed for r in results.values()) >= 3  # most of the lab is theirs


def test_a_learner_installs_the_helm_chart_in_their_namespace(room: Path, tmp_path: Path) -> None:
    """Helm runs with the learner's kubeconfig: its release Secrets, the chart's objects
    and the checks all live in their namespace, within the class's quota."""
    alice = learner(room, "alice")
    store = course.ProgressStore(tmp_path / "progress.json")
    lab = course.find_lab("05")
    solved = course.solve(alice, lab, "install", progress=store, timeout=180)
    assert solved[-1].result.passed, solved[-1].result.message
    [result] = course.check(alice, lab, "install", progress=store)
    assert result.passed and "t10-alice-lab-05" in " ".join(r.message for r in result.results)


def test_a_cluster_scoped_step_the_instructor_prepared_passes_for_learners(
    room: Path, kubectl: Kubectl, tmp_path: Path
) -> None:
    node = kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
    kubectl("label", "node", node, "explored=true")
    try:
        alice = learner(room, "alice")
        store = course.ProgressStore(tmp_path / "progress.json")
        [result] = course.check(alice, course.find_lab("02"), "nodes", progress=store)
        assert result.passed and not result.skipped, result.message
    finally:
        kubectl("label", "node", node, "explored-")


@pytest.mark.parametrize(
    "verb", ["get pods", "get deployments", "get secrets", "get labprogresses"]
)
def test_a_learner_cannot_read_or_list_anothers_namespaces(room: Path, verb: str) -> None:
    for namespace in ("t10-bob", "t10-bob-lab-04"):
        result = as_learner(room, "alice").run(*verb.split(), "-n", namespace, check=False)
        assert result.returncode != 0
        assert "Forbidden" in result.stderr and "t10-alice:learner" in result.stderr


def test_a_learner_cannot_change_or_exec_into_anothers_namespace(
    room: Path, kubectl: Kubectl, sandbox: Any
) -> None:
    bob = as_learner(room, "bob")
    bob("create", "deployment", "web", "--image=nginx", "-n", "t10-bob-lab-04")
    bob("rollout", "status", "deployment/web", "-n", "t10-bob-lab-04", "--timeout=90s")
    pod = bob(
        "get",
        "pods",
        "-n",
        "t10-bob-lab-04",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    )
    own = bob.run("exec", "-n", "t10-bob-lab-04", pod, "--", "echo", "mine", check=False)
    if sandbox.status().exec_jailed:  # root with bubblewrap, as CI runs: exec in the jail
        assert own.returncode == 0, own.stderr
    else:  # exec would run on the instructor's machine: the class gives none
        assert "forbidden" in own.stderr.lower(), own.stderr
    alice = as_learner(room, "alice")
    for args in (
        ["exec", "-n", "t10-bob-lab-04", pod, "--", "echo", "hi"],
        ["delete", "deployment", "web", "-n", "t10-bob-lab-04"],
        ["scale", "deployment", "web", "--replicas=0", "-n", "t10-bob-lab-04"],
        ["create", "configmap", "x", "-n", "t10-bob-lab-04"],
        ["logs", pod, "-n", "t10-bob-lab-04"],
        ["port-forward", "-n", "t10-bob-lab-04", f"pod/{pod}", "0:80"],
    ):
        result = alice.run(*args, check=False, timeout=30)
        assert result.returncode != 0 and "forbidden" in result.stderr.lower(), args
    assert kubectl("get", "deployment", "web", "-n", "t10-bob-lab-04", "-o", "name")


def test_a_learner_reads_no_secret_outside_their_namespaces(room: Path) -> None:
    alice = as_learner(room, "alice")
    for args in (
        ["get", "secrets", "-A"],
        ["get", "secrets", "-n", "kube-system"],
        ["get", "secrets", "-n", "default"],
        ["get", "namespaces"],
    ):
        result = alice.run(*args, check=False)
        assert result.returncode != 0 and "Forbidden" in result.stderr, args
    assert alice.run("get", "secrets", "-n", "t10-alice-lab-04").returncode == 0


def test_a_learner_cannot_escalate(room: Path) -> None:
    alice = as_learner(room, "alice")
    for role in ("cluster-admin", "admin"):
        result = alice.run(
            "create", "rolebinding", f"take-{role}", f"--clusterrole={role}",
            "--serviceaccount=t10-alice:learner", "-n", "t10-alice-lab-04", check=False,
        )  # fmt: skip
        assert result.returncode != 0
        assert ("forbidden" in result.stderr and "escalat" in result.stderr) or (
            "attempting to grant RBAC permissions not currently held" in result.stderr
        ), result.stderr
    for args in (
        [
            "create",
            "clusterrolebinding",
            "mine",
            "--clusterrole=cluster-admin",
            "--serviceaccount=t10-alice:learner",
        ],
        [
            "patch",
            "resourcequota",
            "learner",
            "-n",
            "t10-alice-lab-04",
            "-p",
            '{"spec":{"hard":{"pods":"999"}}}',
        ],
        ["delete", "limitrange", "learner", "-n", "t10-alice-lab-04"],
        ["create", "namespace", "alice-extra"],
        ["label", "node", "--all", "owned=alice"],
    ):
        result = alice.run(*args, check=False)
        assert result.returncode != 0 and "forbidden" in result.stderr.lower(), args
    privileged = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": "t10-alice-lab-04"},
        "spec": {
            "containers": [
                {"name": "x", "image": "nginx", "securityContext": {"privileged": True}}
            ],
            "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
        },
    }
    refused = alice.run("apply", "-f", "-", input=json.dumps(privileged), check=False)
    assert refused.returncode != 0 and "violates PodSecurity" in refused.stderr, refused.stderr
    # what alice may grant, she may: a Role within her own rights
    alice("create", "role", "reader", "--verb=get", "--resource=pods", "-n", "t10-alice-lab-04")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return str(answer.read().decode())


def _jwt_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _whoami(server: str, ca: Path, token: str) -> tuple[int, str]:
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    request = urllib.request.Request(
        f"{server}/apis/authentication.k8s.io/v1/selfsubjectreviews",
        data=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return answer.status, json.loads(answer.read())["status"]["userInfo"]["username"]
    except urllib.error.HTTPError as e:
        return e.code, ""


def test_tokens_expire(room: Path, sandbox: Any) -> None:
    """kube-apiserver accepts a TokenRequest of 10 minutes at least, so the test cannot wait
    for one to lapse. It proves the two halves: each class token carries ``exp`` = issue time
    + the hours asked for (the sandbox sets no --service-account-max-token-expiration that
    would cut it), and the API server refuses a token of that same shape, signed with the
    sandbox's own service-account key, once its ``exp`` has passed (while the same token
    with a future ``exp`` is accepted: the forgery is otherwise valid)."""
    config = yaml.safe_load((room / "alice.kubeconfig").read_text())
    token = config["users"][0]["user"]["token"]
    server = config["clusters"][0]["cluster"]["server"]
    header, claims = _jwt_part(token, 0), _jwt_part(token, 1)
    assert claims["exp"] - claims["iat"] == int(HOURS * 3600)
    assert claims["sub"] == "system:serviceaccount:t10-alice:learner"
    ca = Path(sandbox.layout.pki) / "ca.crt"
    assert _whoami(server, ca, token) == (201, "system:serviceaccount:t10-alice:learner")

    key = serialization.load_pem_private_key(
        (Path(sandbox.layout.pki) / "sa.key").read_bytes(), None
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)

    def signed(exp: int, iat: int) -> str:
        body = {**claims, "exp": exp, "iat": iat, "nbf": iat}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
        r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    now = int(time.time())
    assert _whoami(server, ca, signed(now + 600, now - 60))[0] == 201  # the control
    assert _whoami(server, ca, signed(now - 600, now - 4000))[0] == 401  # expired


def test_the_quota_stops_one_learner_starving_the_class(room: Path, kubectl: Kubectl) -> None:
    alice, bob = as_learner(room, "alice"), as_learner(room, "bob")
    alice(
        "create", "deployment", "greedy", "--image=nginx", "--replicas=60", "-n", "t10-alice-lab-02"
    )

    def pods() -> int:
        out = kubectl("get", "pods", "-n", "t10-alice-lab-02", "-l", "app=greedy", "-o", "name")
        return len(out.split())

    deadline = time.monotonic() + 60
    while "exceeded quota" not in kubectl("get", "events", "-n", "t10-alice-lab-02"):
        assert time.monotonic() < deadline, "the ReplicaSet never hit the quota"
        time.sleep(1)
    allowed = LABS["02"].spec.footprint.pods
    assert pods() == allowed  # the lab's footprint, not 60
    bob("create", "deployment", "fair", "--image=nginx", "--replicas=3", "-n", "t10-bob-lab-02")
    bob("rollout", "status", "deployment/fair", "-n", "t10-bob-lab-02", "--timeout=90s")
    quota = json.loads(
        kubectl("get", "resourcequota", "learner", "-n", "t10-alice-lab-02", "-o", "json")
    )
    assert quota["status"]["used"]["pods"] == str(allowed)
    alice("delete", "deployment", "greedy", "-n", "t10-alice-lab-02")
    # over all of alice's namespaces, her quotas add up to what one learner may hold
    hard = json.loads(kubectl("get", "resourcequota", "-A", "-l", "workshop.dev/learner=alice,"
                              f"workshop.dev/class={CLASS}", "-o", "json"))["items"]  # fmt: skip
    labs = [LABS[n] for n in ("04", "02", "05", "07")]
    expected = classroom.ClassPlan(
        CLASS, [], sorted(lab.base_namespace for lab in labs),
        footprints={lab.base_namespace: lab.spec.footprint for lab in labs},
    ).learner_total()  # fmt: skip
    assert sum(int(q["spec"]["hard"]["pods"]) for q in hard) == expected.pods
    assert sum(millicores(q["spec"]["hard"]["requests.cpu"]) for q in hard) == millicores(
        expected.cpu
    )


def test_the_board_follows_the_class_from_a_watch(
    room: Path, admin: Cluster, tmp_path: Path
) -> None:
    live = boards.LiveBoard(admin.api, CLASS).start()
    server = web.serve(live)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert live.watcher.synced.wait(15)
        version = live.version
        bob = learner(room, "bob")
        [result] = course.check(
            bob, course.find_lab("04"), "scale", progress=course.ProgressStore(tmp_path / "p.json")
        )
        assert not result.passed
        answer = json.loads(_get(f"{base}/board.json?after={version}"))
        assert answer["version"] > version
        picture = live.board()
        assert picture.learners == ["alice", "bob"]
        assert picture.cells[("bob", "04-hello-world", "scale")] == "working"
        failing = next(f for f in picture.failures if f.step == "scale")
        assert failing.failing_now >= 1 and failing.messages[0][0] == result.message
        page = _get(f"{base}/")
        assert "Class t10" in page and "bob" in page and "Checks failed most often" in page
        rows = list(csv.DictReader(io.StringIO(_get(f"{base}/progress.csv"))))
        assert {"learner": "bob", "lab": "04-hello-world", "step": "scale"}.items() <= next(
            r for r in rows if r["learner"] == "bob" and r["step"] == "scale"
        ).items()
    finally:
        server.shutdown()
        server.server_close()
        live.stop()


def test_a_learners_answers_reach_the_board_with_their_own_rights(
    room: Path, admin: Cluster, tmp_path: Path
) -> None:
    from tests.unit.test_course_teaching import write_course

    write_course(tmp_path)
    lab = course.load_lab(tmp_path / "labs" / "05-teaching")  # a quiz of 2, a prediction
    alice = learner(room, "alice")
    store = course.ProgressStore(tmp_path / "progress.json")
    course.answer(lab, "what-selects", 1, cluster=alice, progress=store)  # right
    course.answer(lab, "endpoints", 1, cluster=alice, progress=store)  # wrong
    course.answer(lab, "endpoints", 0, cluster=alice, progress=store)  # right, not graded
    course.answer(lab, "scale", 0, cluster=alice, progress=store)  # the step's prediction
    name = reporting.answers_name(lab.id)
    record = admin.api.get(reporting.API_VERSION, reporting.KIND, name, "t10-alice")
    assert record is not None
    assert record["spec"]["quiz"] == {"right": 1, "answered": 2, "total": 2}
    assert record["spec"]["predictions"] == {"made": 1, "right": 1, "total": 1}
    assert {m["manager"] for m in record["metadata"]["managedFields"]} == {"workshop"}
    picture = boards.summarize(CLASS, provision.progress(admin, CLASS))
    assert picture.answers[("alice", lab.id)].text() == "quiz 1/2 · predicted 1/1"
    assert (lab.id, "answers") not in picture.columns
    assert "quiz 1/2 · predicted 1/1" in boards.render_html(picture)


def test_the_notebook_board_widget_follows_the_class(
    room: Path, admin: Cluster, tmp_path: Path
) -> None:
    from workshop import widgets

    view = widgets.ClassBoard(admin, CLASS, stuck_minutes=5)
    try:
        assert view.live.watcher.synced.wait(15)
        bob = learner(room, "bob")
        store = course.ProgressStore(tmp_path / "p.json")
        [result] = course.check(bob, course.find_lab("04"), "rollback", progress=store)
        deadline = time.monotonic() + 15
        while ("bob", "04-hello-world", "rollback") not in view.picture.cells:
            assert time.monotonic() < deadline, "the widget never saw bob's check"
            time.sleep(0.1)
        while "rollback" not in view.view.value:  # the debounced re-render
            assert time.monotonic() < deadline, "the widget never redrew"
            time.sleep(0.1)
        assert "stuck &gt; 5 min" in view.view.value
        assert view.command.command == f"workshop class board {CLASS}"
        assert not result.passed
    finally:
        view.close()


def test_a_waiting_check_button_reports_once_not_every_poll(
    room: Path, admin: Cluster, tmp_path: Path
) -> None:
    from workshop import widgets

    bob = learner(room, "bob")
    store = course.ProgressStore(tmp_path / "p.json")
    button = widgets.CheckButton(
        bob, "04", "self-healing", wait=2.0, strict=False, progress_store=store
    )
    assert button.result is not None and not button.result.passed
    assert "t10-bob-lab-04" in button.result.message
    record = admin.api.get(
        reporting.API_VERSION, reporting.KIND, "04-hello-world.self-healing", "t10-bob"
    )
    assert record is not None
    assert (record["spec"]["attempts"], record["spec"]["failures"]) == (1, 1)  # ~4 polls, 1 report
    assert store.step(bob.context, "04-hello-world", "self-healing").attempts == 1


def test_the_board_command_serves_the_page_on_loopback(sandbox: Any, room: Path) -> None:
    command = [sys.executable, "-m", "workshop.cli", "class", "board", CLASS, "--no-open"]
    process = subprocess.Popen(
        [*command, "--kubeconfig", str(sandbox.kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:"), line
        page = _get(url)
        assert f"Class {CLASS}" in page and "alice" in page
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


def test_status_and_export(room: Path, sandbox: Any, tmp_path: Path) -> None:
    alice = learner(room, "alice")
    store = course.ProgressStore(tmp_path / "p.json")
    [checked] = course.check(alice, course.find_lab("04"), "rolling-update", progress=store)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["class", "status", CLASS, "--kubeconfig", str(sandbox.kubeconfig)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "alice" in result.output and "bob" in result.output
    file = tmp_path / "progress.csv"
    result = runner.invoke(
        cli,
        ["class", "export", CLASS, str(file), "--kubeconfig", str(sandbox.kubeconfig)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(file.read_text())))
    row = next(r for r in rows if r["learner"] == "alice" and r["step"] == "rolling-update")
    assert row["state"] == ("passed" if checked.passed else "failed")
    assert row["message"] == checked.message and int(row["attempts"]) >= 1


def test_a_learners_reset_empties_their_lab_and_keeps_the_class(
    room: Path, admin: Cluster, tmp_path: Path
) -> None:
    alice = learner(room, "alice")
    lab = course.find_lab("04")
    course.solve(alice, lab, "expose", progress=course.ProgressStore(tmp_path / "p.json"))
    assert admin.api.get("v1", "Service", "hello", "t10-alice-lab-04")
    done = course.reset(alice, lab, timeout=120)
    assert "emptied namespace t10-alice-lab-04" in done
    assert admin.api.get("apps/v1", "Deployment", "hello", "t10-alice-lab-04") is None
    assert admin.api.get("v1", "Service", "hello", "t10-alice-lab-04") is None
    for kind, name in (("ResourceQuota", "learner"), ("LimitRange", "learner")):
        assert admin.api.get("v1", kind, name, "t10-alice-lab-04"), kind
    assert admin.api.get(
        "rbac.authorization.k8s.io/v1", "RoleBinding", "learner", "t10-alice-lab-04"
    )
    assert admin.api.get("v1", "Namespace", "t10-alice-lab-04", None)
    [again] = course.check(alice, lab, "deploy", progress=course.ProgressStore(tmp_path / "q.json"))
    assert not again.passed  # the lab starts over


def test_a_learner_kubeconfig_cannot_run_the_class_commands(room: Path) -> None:
    result = CliRunner().invoke(
        cli, ["class", "status", CLASS, "--kubeconfig", str(room / "alice.kubeconfig")]
    )
    assert result.exit_code != 0 and "learner's kubeconfig" in str(result.exception)


def exec_leftovers(sandbox: Any) -> tuple[list[int], list[str]]:
    """What runs in kwok's jail as another user than root, and the files of its exec
    folder (seen through kwok's own root)."""
    from workshop.sandbox import processes
    from workshop.sandbox.sandbox import _exec_dir

    kwok = next(c.pid for c in sandbox.status().components if c.name == "kwok")
    inside = processes.jailed_by(kwok)
    others = [pid for pid in inside if processes.owner(pid) not in (None, 0)]
    root = next(pid for pid in inside if processes.owner(pid) == 0)
    folder = Path(f"/proc/{root}/root") / _exec_dir().relative_to("/")
    return others, sorted(entry.name for entry in folder.iterdir())


def test_delete_removes_everything_and_the_tokens_stop_working(
    sandbox: Any, admin: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A second class, so the module's class stays for the other tests."""
    from workshop import classroom

    out = tmp_path_factory.mktemp("gone")
    plan = classroom.ClassPlan("t10b", classroom.numbered(2), ["lab-04"])
    classroom.create(admin, plan, out, token_seconds=600, overcommit=True)
    config = yaml.safe_load((out / "learner-01.kubeconfig").read_text())
    server, token = config["clusters"][0]["cluster"]["server"], config["users"][0]["user"]["token"]
    ca = Path(sandbox.layout.pki) / "ca.crt"
    assert _whoami(server, ca, token)[0] == 201
    jailed = sandbox.status().exec_jailed
    if jailed:  # a learner leaves a process and a file behind through exec
        learner = Kubectl(out / "learner-01.kubeconfig")
        ns = "t10b-learner-01-lab-04"
        learner("create", "deployment", "web", "--image=nginx", "-n", ns)
        learner("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s")
        pod = learner("get", "pods", "-n", ns, "-o", "jsonpath={.items[0].metadata.name}")
        behind = "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo left > left-behind.txt"
        learner("exec", "-n", ns, pod, "--", "sh", "-c", behind)
        assert exec_leftovers(sandbox) != ([], [])
    result = CliRunner().invoke(
        cli,
        ["class", "delete", "t10b", "--yes", "--kubeconfig", str(sandbox.kubeconfig)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and "4 namespaces" in result.output
    if jailed:  # nothing of it runs or stays in the jail
        assert "left running in the sandbox" in result.output
        assert exec_leftovers(sandbox) == ([], [])
    assert admin.api.list("v1", "Namespace", label_selector="workshop.dev/class=t10b") == []
    assert not [
        r
        for r in admin.api.list("rbac.authorization.k8s.io/v1", "ClusterRole")
        if "t10b" in r["metadata"]["name"]
    ]
    # its ServiceAccount is gone; kube-apiserver caches a good token for 10 s at most
    deadline = time.monotonic() + 30
    while _whoami(server, ca, token)[0] != 401:
        assert time.monotonic() < deadline, "the deleted class's token still works"
        time.sleep(1)
