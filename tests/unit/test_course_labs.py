"""lab.yaml: the real labs load; every kind of broken file names the file, field and problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workshop import course
from workshop.course import hints, schema
from workshop.errors import LabError

GOOD = """
title: A lab
duration: 5
objectives: [Learn something]
steps:
  - id: first
    title: First step
    instructions: Do it.
    checks:
      - kind: exists
        object: Deployment/web
        fields: {spec.replicas: 2}
    hints: [A nudge, The command]
    solution:
      - apply: manifests/web.yaml
  - id: second
    title: Second step
    instructions: Then this.
    checks:
      - {kind: pods_ready, selector: app=web, count: 2}
    hints: [Another nudge]
    solution:
      - kubectl: scale deployment/web --replicas=2 -n lab-07
      - python: solution:fix
    cleanup:
      - delete: ClusterRole/web-reader
      - kubectl: label nodes --all explored-
"""

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {}
"""

SOLUTION = '''
def fix(lab):
    """kubectl do-the-thing"""
'''


def write_lab(
    root: Path, text: str, *, folder: str = "07-sample", files: dict[str, str] | None = None
) -> Path:
    lab_dir = root / "labs" / folder
    lab_dir.mkdir(parents=True)
    (lab_dir / "lab.yaml").write_text(textwrap.dedent(text))
    default = {"manifests/web.yaml": MANIFEST, "solution.py": SOLUTION}
    for name, content in (default if files is None else files).items():
        (lab_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (lab_dir / name).write_text(content)
    return lab_dir


def load_error(tmp_path: Path, text: str, **kw: object) -> str:
    folder = write_lab(tmp_path, text, **kw)  # type: ignore[arg-type]
    with pytest.raises(LabError) as info:
        course.load_lab(folder)
    return info.value.message


# -- the real labs ----------------------------------------------------------------------------


def test_every_lab_in_the_repo_loads_and_is_complete() -> None:
    labs = course.list_labs()
    numbers = [lab.number for lab in labs]
    assert numbers[0] == "00" and numbers == sorted(set(numbers))
    for lab in labs:
        assert lab.namespace == (lab.spec.namespace or f"lab-{lab.number}")
        ids = [s.id for s in lab.steps]
        assert len(ids) == len(set(ids))
        for step in lab.steps:
            assert step.checks and step.hints and step.solution, f"{lab.id}/{step.id}"
            # the solution is the last hint tier, shown as commands to type
            last = hints.tiers(lab, step)[-1]
            assert last.startswith(f"Solution (`workshop solve {lab.number} {step.id}`")


def test_the_load_balancer_step_of_lab_03_stands_apart() -> None:
    lab = course.find_lab("04")
    needing = [s.id for s in lab.steps if "loadbalancer" in s.requires]
    assert needing == ["open-page"]
    assert any(c.kind == "http" for c in lab.step("open-page").checks)
    assert not any(c.kind == "http" for s in lab.steps if s.id != "open-page" for c in s.checks)


@pytest.mark.parametrize(
    "ref", ["04", "4", "04-hello-world", "hello-world", "labs/04-hello-world/"]
)
def test_a_lab_is_found_by_number_folder_or_slug(ref: str) -> None:
    assert course.find_lab(ref).id == "04-hello-world"


def test_an_unknown_lab_lists_the_known_ones() -> None:
    with pytest.raises(LabError) as info:
        course.find_lab("99")
    assert info.value.message == "no lab '99'"
    assert "04-hello-world" in (info.value.hint or "")


def test_steps_are_found_by_id_or_number(tmp_path: Path) -> None:
    lab = course.load_lab(write_lab(tmp_path, GOOD))
    assert lab.step("second") is lab.step(2) is lab.step("2")
    assert [s.id for s in lab.steps_upto("first")] == ["first"]
    assert [s.id for s in lab.steps_upto(None)] == ["first", "second"]
    with pytest.raises(LabError) as info:
        lab.step("third")
    assert info.value.message == "lab 07-sample has no step 'third'"
    assert info.value.hint == "steps: 1:first, 2:second"


# -- a good file ------------------------------------------------------------------------------


def test_a_good_lab_loads_with_defaults(tmp_path: Path) -> None:
    lab = course.load_lab(write_lab(tmp_path, GOOD))
    assert (lab.id, lab.number, lab.slug, lab.namespace) == ("07-sample", "07", "sample", "lab-07")
    assert lab.spec.create_namespace is True
    first = lab.step("first").checks[0]
    assert isinstance(first, schema.ExistsCheck)
    assert first.target.api_version == "apps/v1"
    assert [(f.path, f.operator, f.equals) for f in first.fields] == [
        ("spec.replicas", "equals", 2)
    ]
    second = lab.step("second")
    assert second.solution[0].kubectl == ["scale", "deployment/web", "--replicas=2", "-n", "lab-07"]
    assert second.cleanup[0].target.api_version == "rbac.authorization.k8s.io/v1"
    assert hints.solution_text(lab, second).splitlines()[1:] == [
        "  kubectl scale deployment/web --replicas=2 -n lab-07",
        "  kubectl do-the-thing   # fix() in labs/07-sample/solution.py",
    ]


# -- bad files --------------------------------------------------------------------------------

FILE = "labs/07-sample/lab.yaml"


def mutate(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


BAD = {
    "unknown check kind": (
        mutate("kind: exists", "kind: exist"),
        f"{FILE}: steps[0].checks[0].kind: unknown check kind 'exist'; known: "
        + ", ".join(schema.CHECK_KINDS),
    ),
    "check without kind": (
        mutate("{kind: pods_ready, selector: app=web, count: 2}", "{selector: app=web}"),
        f"{FILE}: steps[1].checks[0].kind: missing; known check kinds: absent, can_i, ",
    ),
    "missing title": (
        mutate("    title: Second step\n", ""),
        f"{FILE}: steps[1].title: missing (required)",
    ),
    "typo in a field name": (
        mutate("    instructions: Then this.", "    instructoins: Then this."),
        f"{FILE}: steps[1].instructoins: unknown field (did you mean 'instructions'?)",
    ),
    "wrong type": (
        mutate("duration: 5", "duration: soon"),
        f"{FILE}: duration: input should be a valid integer",
    ),
    "no checks": (
        mutate(
            "    checks:\n      - {kind: pods_ready, selector: app=web, count: 2}\n",
            "    checks: []\n",
        ),
        f"{FILE}: steps[1].checks: list should have at least 1 item",
    ),
    "count and at_least": (
        mutate("count: 2}", "count: 2, at_least: 1}"),
        f"{FILE}: steps[1].checks[0]: give exactly one of count, at_least (got count, at_least)",
    ),
    "bad field path": (
        mutate("fields: {spec.replicas: 2}", "fields: {spec..replicas: 2}"),
        f"{FILE}: steps[0].checks[0].fields[0].path: bad field path 'spec..replicas': "
        "empty name between two dots",
    ),
    "bad selector": (
        mutate("selector: app=web", "selector: app=web=x"),
        f"{FILE}: steps[1].checks[0].selector: bad label selector 'app=web=x'",
    ),
    "custom kind without api_version": (
        mutate("object: Deployment/web", "object: Widget/web"),
        f"{FILE}: steps[0].checks[0].object: kind 'Widget' is not built in: give its "
        "api_version (e.g. example.com/v1)",
    ),
    "rollout of a service": (
        mutate(
            "{kind: pods_ready, selector: app=web, count: 2}", "{kind: rollout, object: Service/x}"
        ),
        f"{FILE}: steps[1].checks[0].object: rollout applies to Deployment, StatefulSet or "
        "DaemonSet, not Service",
    ),
    "two actions in one": (
        mutate("      - python: solution:fix", "      - {python: 'solution:fix', apply: x.yaml}"),
        f"{FILE}: steps[1].solution[1]: give exactly one of apply, kubectl, python",
    ),
    "bad python reference": (
        mutate("python: solution:fix", "python: solution.fix"),
        f"{FILE}: steps[1].solution[1].python: string should match pattern",
    ),
    "unknown capability": (
        mutate("    title: First step\n", "    title: First step\n    requires: [gpu]\n"),
        f"{FILE}: steps[0].requires[0]: input should be 'loadbalancer', 'storage' or 'helm'",
    ),
    "the cluster's namespace": (
        mutate("duration: 5", "duration: 5\nnamespace: kube-system"),
        f"{FILE}: namespace: 'kube-system' is the cluster's; a lab needs its own namespace",
    ),
    "duplicate step id": (
        mutate("  - id: second", "  - id: first"),
        f"{FILE}: steps[1].id: duplicate step id 'first' (also steps[0])",
    ),
    "missing manifest": (
        mutate("apply: manifests/web.yaml", "apply: manifests/nope.yaml"),
        f"{FILE}: steps[0].solution[0].apply: no such file or folder 'manifests/nope.yaml' "
        "in 07-sample/",
    ),
    "manifest outside the lab": (
        mutate("apply: manifests/web.yaml", "apply: ../../etc/passwd"),
        f"{FILE}: steps[0].solution[0].apply: '../../etc/passwd' is outside the lab folder",
    ),
    "missing python function": (
        mutate("python: solution:fix", "python: solution:repair"),
        f"{FILE}: steps[1].solution[1].python: solution.py defines no function 'repair'",
    ),
    "missing python cleanup function": (
        mutate("      - kubectl: label nodes --all explored-", "      - python: solution:teardown"),
        f"{FILE}: steps[1].cleanup[1].python: solution.py defines no function 'teardown'",
    ),
    "a step undoing a later one": (
        mutate("    title: First step\n", "    title: First step\n    undoes: [second]\n"),
        f"{FILE}: step first undoes second: not a step before it",
    ),
    "ovh_kube absent with a pool": (
        mutate(
            "{kind: pods_ready, selector: app=web, count: 2}",
            "{kind: ovh_kube, cluster: c, pool: p, absent: true}",
        ),
        f"{FILE}: steps[1].checks[0]: absent: true checks that the cluster is gone",
    ),
    "unknown prerequisite": (
        mutate("duration: 5", "duration: 5\nprerequisites: ['42']"),
        f"{FILE}: prerequisites[0]: no lab '42'; labs: 07-sample",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_lab_file_names_file_field_and_problem(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    message = load_error(tmp_path, text)
    assert message.startswith(expected), message


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    text = mutate("kind: exists", "kind: exist").replace("duration: 5", "duration: -1")
    lines = load_error(tmp_path, text).splitlines()
    assert lines == [
        f"{FILE}: duration: input should be greater than 0",
        f"{FILE}: steps[0].checks[0].kind: unknown check kind 'exist'; known: "
        + ", ".join(schema.CHECK_KINDS),
    ]


def test_yaml_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    message = load_error(tmp_path, "title: x\nsteps: [\n  - a\n")
    assert message.startswith(f"{FILE}: line 3, column 3: ")


def test_a_manifest_without_a_name_is_refused(tmp_path: Path) -> None:
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\n"
    message = load_error(tmp_path, GOOD, files={"manifests/web.yaml": bad, "solution.py": SOLUTION})
    assert message == (
        f"{FILE}: steps[0].solution[0].apply: manifests/web.yaml: document 1 (ConfigMap) "
        "needs metadata.name"
    )


def test_a_badly_named_folder_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, GOOD, folder="sample")
    assert (
        message
        == "labs/sample/lab.yaml: the lab folder must be named NN-slug (e.g. 04-hello-world)"
    )


def test_the_error_carries_file_and_field_for_tools(tmp_path: Path) -> None:
    folder = write_lab(tmp_path, mutate("kind: exists", "kind: exist"))
    with pytest.raises(LabError) as info:
        course.load_lab(folder)
    assert info.value.path == FILE
    assert info.value.field == "steps[0].checks[0].kind"
    assert info.value.hint and "schema.py" in info.value.hint
