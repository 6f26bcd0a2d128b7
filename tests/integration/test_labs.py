"""Every lab against the real sandbox: each step's checks fail before its solution and pass
after it; a solved lab passes every step; reset brings the lab back to its start.

A challenge step is solved alone (``solve(..., only=True)``), as CI's notebook run does in
place of the learner's cell. A break-and-fix step (``mode: fix``) is proven on its broken
state: its checks fail before, still fail right after ``course.break_step`` (what ``workshop
break`` and the notebook's BreakIt do), and pass once its solution alone has repaired it;
the whole lab, solved without breaking anything, still passes every step. A small lab
written here to the contract proves the proofs on the sandbox, whatever state the real labs
are in.

Generic over ``labs/``: a new lab is covered by adding its folder. On the sandbox this test
session started, every step runs: a step that needs a capability (``requires:
[loadbalancer]``) fails when it is missing, since that is a failure of the sandbox. On
another cluster, the steps that need what it lacks are reported as skipped, with the reason.

The labs are dealt round-robin into a few classes (``TestLabsShard0``...): under
``pytest -n`` (``make test``) each class runs whole, in order, on one worker with its own
sandbox, so the shards run side by side.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from click.testing import CliRunner

from workshop import course
from workshop.classroom import capacity, plan
from workshop.cli import cli
from workshop.cli.course import Seams
from workshop.cluster import Cluster
from workshop.course import actions
from workshop.course.schema import Capability, Footprint
from workshop.quantity import memory_bytes, millicores

pytestmark = pytest.mark.integration

LABS = {lab.id: lab for lab in course.list_labs()}
SHARDS = 3
PROBE_NAMESPACE = "workshop-capability-probe"
PROBE_TIMEOUT = 10.0


@pytest.fixture(scope="module", autouse=True)
def cloud_home(tmp_path_factory: pytest.TempPathFactory, sandbox_home: Path) -> Iterator[None]:
    """A workshop home of the tests' own for what labs start on demand (the emulated
    OVHcloud API that `ovh_*` checks and the solutions of labs 08, 10 and 12 reach); stopped
    at the end, with every managed cluster. Its managed clusters trust the session sandbox's
    registry, as a learner's home has both (lab 12 pulls from it)."""
    home = tmp_path_factory.mktemp("labs-home")
    (home / "registry.json").symlink_to(sandbox_home / "registry.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKSHOP_HOME", str(home))
        for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY"):
            mp.delenv(f"OVH_{name}", raising=False)
        mp.delenv("OVH_CLOUD_PROJECT_SERVICE", raising=False)
        yield
    if (home / "ovh.conf").exists():
        subprocess.run(
            [sys.executable, "-m", "workshop.cli", "cloud", "down"],
            env={**os.environ, "WORKSHOP_HOME": str(home)},
            capture_output=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="session")
def progress(tmp_path_factory: pytest.TempPathFactory) -> course.ProgressStore:
    return course.ProgressStore(tmp_path_factory.mktemp("progress") / "progress.json")


@pytest.fixture(scope="session")
def capabilities(cluster: Cluster, sandbox: Any) -> set[str]:
    """What the cluster offers beyond the API.

    The sandbox this session started offers all of it, by design: a step that needs it
    must pass there, never be skipped (a load balancer that does not answer under load is
    exactly what the suite must see). Any other cluster is probed.
    """
    if cluster.kubeconfig == sandbox.kubeconfig:
        return set(get_args(Capability))
    return probe(cluster)


def probe(cluster: Cluster) -> set[str]:
    """What another cluster offers, found by trying (no guessing from its name)."""
    found = set()
    api = cluster.api
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PROBE_NAMESPACE}})
    api.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "probe"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}], "selector": {"x": "y"}},
        },
        namespace=PROBE_NAMESPACE,
    )
    deadline = time.monotonic() + PROBE_TIMEOUT
    while time.monotonic() < deadline:
        service = api.get("v1", "Service", "probe", PROBE_NAMESPACE) or {}
        if ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
            found.add("loadbalancer")
            break
        time.sleep(0.5)
    api.delete("v1", "Namespace", PROBE_NAMESPACE, None)
    return found


def unmet(lab: course.Lab, capabilities: set[str]) -> dict[str, set[str]]:
    """Steps this cluster cannot pass, and what each lacks."""
    lacking = {s.id: {str(r) for r in s.requires} - capabilities for s in lab.steps}
    return {step: lacks for step, lacks in lacking.items() if lacks}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each shard class gets the steps, or the labs, of its own labs."""
    labs = getattr(metafunc.cls, "labs", None)
    if labs is None:
        return
    if "step_id" in metafunc.fixturenames:
        steps = [(lab_id, step.id) for lab_id in labs for step in LABS[lab_id].steps]
        metafunc.parametrize(("lab_id", "step_id"), steps, ids=[f"{a}/{b}" for a, b in steps])
    elif "lab_id" in metafunc.fixturenames:
        metafunc.parametrize("lab_id", labs)


def step_fails_before_its_solution_and_passes_after(
    cluster: Cluster,
    progress: course.ProgressStore,
    capabilities: set[str],
    lab: course.Lab,
    step_id: str,
) -> None:
    step = lab.step(step_id)
    lacking = unmet(lab, capabilities)
    if step.id in lacking:
        pytest.skip(f"needs {', '.join(sorted(lacking[step.id]))}, which this cluster lacks")
    index = lab.steps.index(step)
    if index:  # fast-forward through the steps before this one
        course.solve(cluster, lab, lab.steps[index - 1].id, skip=lacking, progress=progress)

    before = course.check_step(cluster.api, lab, step)
    assert not before.passed, f"{lab.id}/{step.id} passes before its solution: {before.message}"
    for result in before.results:
        assert result.message, "every check says what it saw"

    if step.mode == "fix":  # the learner repairs what `workshop break` broke
        course.break_step(cluster, lab, step.id)
        broken = course.check_step(cluster.api, lab, step)
        assert not broken.passed, (
            f"{lab.id}/{step.id} passes right after `workshop break`: {broken.message}"
        )
        for result in broken.results:
            assert result.message, "every check says what it saw"
    # a challenge or a repair: its solution alone, as CI's notebook run puts in its cell
    alone = step.mode in ("challenge", "fix")
    solved = course.solve(cluster, lab, step.id, skip=lacking, progress=progress, only=alone)
    assert [(s.step, s.applied) for s in solved if s.applied] == [(step.id, True)]

    after = course.check_step(cluster.api, lab, step)
    assert after.passed, f"{lab.id}/{step.id} fails after its solution: {after.message}"
    assert progress.step(cluster.context, lab.id, step.id).solved


def fits_its_footprint(cluster: Cluster, lab: course.Lab) -> None:
    """The solved lab's pods, counted as a class's quota counts them (the class's default
    requests for containers without), with a rolling update's default surge of 25% on
    top, fit the lab's ``footprint:``: what a class gives each learner for the lab."""
    pods = cluster.api.list("v1", "Pod", namespace=lab.namespace)
    held = capacity.used(pods, plan.LIMITS["defaultRequest"])
    surged = Footprint(
        pods=math.ceil(held.pods * 1.25),
        cpu=f"{math.ceil(millicores(held.cpu) * 1.25)}m",
        memory=f"{math.ceil(memory_bytes(held.memory) * 1.25 / 2**20)}Mi",
    )
    short = capacity.shortfall(surged, lab.spec.footprint)
    assert not short, (
        f"{lab.id}'s solution holds {held} ({surged} with a rollout's surge), more than its "
        f"footprint {lab.spec.footprint}: {', '.join(short)} short"
    )


def solved_lab_passes_every_step_and_reset_takes_it_back_to_the_start(
    cluster: Cluster,
    progress: course.ProgressStore,
    capabilities: set[str],
    sandbox: Any,
    lab: course.Lab,
    labs_root: Path | None = None,
) -> None:
    lacking = unmet(lab, capabilities)
    runnable = [s for s in lab.steps if s.id not in lacking]
    course.solve(cluster, lab, skip=lacking, progress=progress)
    fits_its_footprint(cluster, lab)

    # later steps do not undo earlier ones, unless they say so (`undoes`: a `tofu destroy`):
    # the whole lab checks green at the end
    undone = {undone for step in runnable for undone in step.undoes}
    standing = [step for step in runnable if step.id not in undone]
    for step in standing:
        result = course.check_step(cluster.api, lab, step)
        assert result.passed, f"{lab.id}/{step.id} no longer passes at the end: {result.message}"
    for step in runnable:
        if step.id in undone:  # what a step says it undoes, it undoes
            result = course.check_step(cluster.api, lab, step)
            assert not result.passed, f"{lab.id}/{step.id} is said undone but still passes"

    # the terminal's view agrees, through the real command and a real connection
    args = ["--kubeconfig", str(sandbox.kubeconfig), "--context", sandbox.context]
    for step in standing:
        answer = CliRunner().invoke(
            cli,
            ["check", lab.number, step.id, "--json", *args],
            obj=Seams(progress=progress, labs=labs_root),
        )
        assert answer.exit_code == 0, answer.output
        assert json.loads(answer.stdout)["passed"] is True
    # ... and names the later step that undid a step on purpose (not a failure to fix)
    whole = course.check(cluster, lab, progress=progress, record=False)
    for result in whole:
        if result.step in undone:
            assert result.undone_by in {s.id for s in runnable if result.step in s.undoes}
        else:
            assert result.undone_by is None

    removed = course.reset(cluster, lab)
    assert f"removed namespace {lab.namespace}" in removed
    assert cluster.api.get("v1", "Namespace", lab.namespace, None) is None
    for step in runnable:
        result = course.check_step(cluster.api, lab, step)
        assert not result.passed, f"{lab.id}/{step.id} still passes after reset: {result.message}"

    # reset twice is harmless
    assert course.reset(cluster, lab) == [
        f"ran {actions.describe(lab, a)}"
        for s in reversed(lab.steps)
        for a in reversed(s.cleanup)
        if a.kubectl is not None or a.python is not None
    ]


class Labs:
    """The tests of one shard of the labs (``labs``: their ids, in order)."""

    labs: list[str]

    def test_a_step_fails_before_its_solution_and_passes_after(
        self,
        cluster: Cluster,
        progress: course.ProgressStore,
        capabilities: set[str],
        lab_id: str,
        step_id: str,
    ) -> None:
        step_fails_before_its_solution_and_passes_after(
            cluster, progress, capabilities, LABS[lab_id], step_id
        )

    def test_a_solved_lab_passes_every_step_and_reset_takes_it_back_to_the_start(
        self,
        cluster: Cluster,
        progress: course.ProgressStore,
        capabilities: set[str],
        sandbox: Any,
        lab_id: str,
    ) -> None:
        solved_lab_passes_every_step_and_reset_takes_it_back_to_the_start(
            cluster, progress, capabilities, sandbox, LABS[lab_id]
        )


class TestLabsShard0(Labs):
    labs = list(LABS)[0::SHARDS]


class TestLabsShard1(Labs):
    labs = list(LABS)[1::SHARDS]


class TestLabsShard2(Labs):
    labs = list(LABS)[2::SHARDS]


def test_every_lab_is_in_one_shard() -> None:
    dealt = [
        lab for shard in (TestLabsShard0, TestLabsShard1, TestLabsShard2) for lab in shard.labs
    ]
    assert sorted(dealt) == sorted(LABS) and len(dealt) == len(LABS) == len(set(dealt))


def test_workshop_solve_check_and_reset_from_the_command_line(
    sandbox: Any, progress: course.ProgressStore
) -> None:
    args = ["--kubeconfig", str(sandbox.kubeconfig), "--context", sandbox.context]
    seams = Seams(progress=progress)
    solved = CliRunner().invoke(cli, ["solve", "00", "first-object", *args], obj=seams)
    assert solved.exit_code == 0, solved.output
    lines = solved.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["✓ namespace", "✓ first-object"]
    assert all(": solved in " in line for line in lines)
    assert "kubectl create namespace lab-00" in solved.stderr  # what it did, as commands
    failing = CliRunner().invoke(cli, ["check", "00", *args], obj=seams)
    assert failing.exit_code == 1
    assert "✗ configmap welcome: data.ready is missing, expected 'yes'" in failing.stdout
    reset = CliRunner().invoke(cli, ["reset", "00", "--yes", *args], obj=seams)
    assert reset.exit_code == 0, reset.output
    assert "✓ removed namespace lab-00" in reset.stdout


# -- the proofs, proven on a lab written to the contract ------------------------------------

CONTRACT_LAB = """
title: Proofs
duration: 15
objectives: [Expose a Deployment, repair a Service]
steps:
  - id: deploy
    title: Deploy
    minutes: 5
    instructions: Apply the Deployment.
    checks: [{kind: exists, object: Deployment/web}]
    hints: [Run the cell.]
    solution: [{apply: manifests/web.yaml}]
  - id: expose
    title: Expose it
    mode: challenge
    minutes: 5
    instructions: Expose the web pods on port 80 inside the cluster.
    checks: [{kind: exists, object: Service/web, fields: {spec.selector.app: web}}]
    hints: [A Service selects pods., "`kubectl explain service.spec`", "selector app=web"]
    solution: [{apply: solution/web-service.yaml}]
  - id: fix-selector
    title: Repair the front Service
    mode: fix
    minutes: 5
    instructions: The Service front finds no pods. Repair it.
    breaks: [{apply: manifests/front-broken.yaml}]
    checks: [{kind: exists, object: Service/front, fields: {spec.selector.app: web}}]
    hints: [Endpoints come from the selector., "`kubectl describe service front`", "app: web"]
    solution: [{apply: solution/front.yaml}]
"""


def _service(name: str, app: str) -> str:
    return textwrap.dedent(
        f"""
        apiVersion: v1
        kind: Service
        metadata: {{name: {name}}}
        spec:
          selector: {{app: {app}}}
          ports: [{{port: 80, targetPort: 8080}}]
        """
    )


CONTRACT_FILES = {
    "manifests/web.yaml": textwrap.dedent(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: ovhplatform/hello}]
        """
    ),
    "solution/web-service.yaml": _service("web", "web"),
    "manifests/front-broken.yaml": _service("front", "wbe"),  # the typo to find
    "solution/front.yaml": _service("front", "web"),
}


@pytest.fixture
def contract_lab(tmp_path: Path) -> Iterator[course.Lab]:
    folder = tmp_path / "labs" / "97-proofs"
    folder.mkdir(parents=True)
    (folder / "lab.yaml").write_text(textwrap.dedent(CONTRACT_LAB))
    for name, text in CONTRACT_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    yield course.load_lab(folder)


def test_the_proofs_hold_on_a_lab_written_to_the_contract(
    cluster: Cluster,
    progress: course.ProgressStore,
    capabilities: set[str],
    sandbox: Any,
    contract_lab: course.Lab,
) -> None:
    lab = contract_lab
    try:
        for step in lab.steps:
            step_fails_before_its_solution_and_passes_after(
                cluster, progress, capabilities, lab, step.id
            )
        course.reset(cluster, lab)
        solved_lab_passes_every_step_and_reset_takes_it_back_to_the_start(
            cluster, progress, capabilities, sandbox, lab, lab.dir.parent
        )
    finally:
        course.reset(cluster, lab)


def test_a_fix_step_that_its_break_does_not_break_is_caught(
    cluster: Cluster,
    progress: course.ProgressStore,
    capabilities: set[str],
    contract_lab: course.Lab,
) -> None:
    (contract_lab.dir / "manifests" / "front-broken.yaml").write_text(_service("front", "web"))
    try:
        with pytest.raises(AssertionError, match="passes right after `workshop break`"):
            step_fails_before_its_solution_and_passes_after(
                cluster, progress, capabilities, contract_lab, "fix-selector"
            )
    finally:
        course.reset(cluster, contract_lab)
