"""The course rules of issue 22 that a program can check, over every real lab and its notebook.

- A challenge or fix step's instructions and its notebook cell give none of its solution:
  not the path or file name of an ``apply:``, not a ``kubectl:`` command line, not the
  function of a ``python:`` action. Its cell (tags ``challenge``, metadata
  ``workshop.solve`` = the step) is comments only, one per step, with the step's
  CheckButton after it and no later cell applying the solution file; a fix step's
  ``widgets.BreakIt`` comes before it.
- Every lab: at least 2 challenge steps, a fix step from lab 03 on, a quiz of 2-3
  questions, ``minutes`` on every step adding up to the lab's ``duration`` (within 25%).
- Every notebook: a glossary link near the top and at the end, a ``**Next:**`` link to the
  next notebook (the last one back to the first), at least one SVG diagram shown from a
  Markdown cell (a file in ``notebooks/diagrams/`` that parses as SVG, offline), the
  ``Predict`` cells of the lab's predictions and its ``Quiz``, and no cell that removes the
  lab outside a ``CleanupButton`` (Run All never ends by emptying the cluster).

Each rule is a function from a lab and its notebook to the problems it finds, so the same
rules run on the real labs (one test per lab and rule) and on a small lab written here
that passes them all, with one variant per rule that must fail.
"""

from __future__ import annotations

import copy
import re
import shlex
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

from workshop import course
from workshop.course import loading
from workshop.course.schema import Action, Step

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHECK = re.compile(r'CheckButton\(\s*cluster,\s*lab,\s*"([a-z0-9-]+)"')
BREAK = re.compile(r'BreakIt\(\s*cluster,\s*lab,\s*"([a-z0-9-]+)"')
PREDICT = re.compile(r'Predict\(\s*cluster,\s*lab,\s*"([a-z0-9-]+)"')
QUIZ = re.compile(r"\bQuiz\(\s*cluster,\s*lab\b")
CLEANUP_BUTTON = re.compile(r"\bCleanupButton\(\s*cluster,\s*lab\b")
GLOSSARY = re.compile(r"\]\(glossary\.md(#[^)]*)?\)")
NEXT = re.compile(r"\*\*Next:\*\*\s*\[[^\]]+\]\(([^)\s]+\.ipynb)\)")
DIAGRAM = re.compile(r"!\[[^\]]+\]\((diagrams/[^)\s]+\.svg)\)")
REMOVES_THE_LAB = [
    re.compile(r"\bcourse\.reset\("),
    re.compile(r"\bworkshop reset\b"),
    re.compile(r"\bdelete\s+(namespace|namespaces|ns)\b"),
    re.compile(r"delete\(\s*[\"']v1[\"'],\s*[\"']Namespace[\"']"),
    re.compile(r"\bdelete_namespace\("),
]
TAUGHT = ("challenge", "fix")
SVG = "{http://www.w3.org/2000/svg}"

Notebook = nbformat.NotebookNode
Rule = Callable[[course.Lab, Path], list[str]]


def load(path: Path) -> Notebook:
    return nbformat.read(path, as_version=4)


def taught(lab: course.Lab) -> list[Step]:
    """The steps the learner works out: challenges and repairs."""
    return [s for s in lab.steps if s.mode in TAUGHT]


def solves(cell: Notebook) -> str | None:
    """The step a challenge cell stands for (its ``workshop.solve``), if it is one."""
    if "challenge" not in cell.metadata.get("tags", []):
        return None
    return str((cell.metadata.get("workshop") or {}).get("solve") or "")


def code_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if not line.lstrip().startswith("#")]


def solution_files(lab: course.Lab, action: Action) -> list[str]:
    """What names an ``apply`` action's file(s): its path as written, and each file's name."""
    assert action.apply is not None
    path = action.apply.strip().removeprefix("./").rstrip("/")
    found = [path, *(f.name for f in loading.manifest_files(lab, action.apply))]
    return list(dict.fromkeys(found))


def giveaways(lab: course.Lab, step: Step) -> Iterator[tuple[str, re.Pattern[str]]]:
    """What of a step's solution a learner must not be shown: (what it is, how to find it)."""
    for action in step.solution:
        if action.apply is not None:
            for name in solution_files(lab, action):
                yield f"the solution file {name}", re.compile(re.escape(name))
        elif action.kubectl is not None:
            for line in {" ".join(action.kubectl), shlex.join(action.kubectl)}:
                pattern = r"\s+".join(map(re.escape, line.split()))
                yield f"the command `kubectl {line}`", re.compile(pattern)
        elif action.python is not None:
            module, function = action.python.split(":")
            ways = [rf"\b{module}[:.]{function}\b", rf"\b{function}\s*\("]
            if "_" in function:  # a name of its own (`repair_selector`), not a word (`fix`)
                ways.append(rf"\b{function}\b")
            yield f"the function {function}", re.compile("|".join(ways))


def _next_notebook(path: Path) -> Path:
    order = sorted(path.parent.glob("[0-9][0-9]-*.ipynb"))
    return order[(order.index(path) + 1) % len(order)]


# -- the rules -----------------------------------------------------------------------------


def shape_of_the_lab(lab: course.Lab, notebook: Path) -> list[str]:
    """Two challenges, a fix from lab 03 on, a quiz of 2-3, minutes adding up."""
    problems = []
    challenges = [s.id for s in lab.steps if s.mode == "challenge"]
    if len(challenges) < 2:
        problems.append(f"{len(challenges)} challenge step(s) ({challenges}); at least 2")
    if lab.number >= "03" and not any(s.mode == "fix" for s in lab.steps):
        problems.append("no fix step (break-and-fix): every lab from 03 on has one")
    if not 2 <= len(lab.spec.quiz) <= 3:
        problems.append(f"a quiz of {len(lab.spec.quiz)} questions; 2 or 3")
    missing = [s.id for s in lab.steps if s.minutes is None]
    if missing:
        problems.append(f"steps without minutes: {', '.join(missing)}")
    else:
        total = sum(s.minutes or 0 for s in lab.steps)
        if abs(total - lab.spec.duration) > 0.25 * lab.spec.duration:
            problems.append(
                f"the steps' minutes add up to {total}, the lab says {lab.spec.duration} "
                "(duration): more than 25% apart"
            )
    return problems


def solutions_not_given_away(lab: course.Lab, notebook: Path) -> list[str]:
    """A challenge or fix step's instructions and cell state the goal, not the answer."""
    cells = load(notebook).cells
    problems = []
    for step in taught(lab):
        texts = [("instructions", step.instructions)]
        texts += [("notebook cell", c.source) for c in cells if solves(c) == step.id]
        for where, text in texts:
            for what, pattern in giveaways(lab, step):
                if pattern.search(text):
                    problems.append(f"{step.id}: its {where} gives {what}")
    return problems


def one_challenge_cell_per_step(lab: course.Lab, notebook: Path) -> list[str]:
    """One comments-only challenge cell per challenge or fix step, and no other; its check
    after it, a fix step's BreakIt before it, no later cell applying the solution file."""
    cells = load(notebook).cells
    problems = []
    steps = {s.id: s for s in taught(lab)}
    for index, cell in enumerate(cells):
        ident = solves(cell)
        if ident is None:
            continue
        if ident not in steps:
            problems.append(
                f"cell {index}: a challenge cell for {ident or '(no workshop.solve)'}, "
                "not a challenge or fix step of the lab"
            )
        if cell.cell_type != "code":
            problems.append(f"cell {index}: the challenge cell of {ident} is not a code cell")
        elif any(line.strip() for line in code_lines(cell.source)):
            problems.append(f"cell {index}: the challenge cell of {ident} holds code")
        if "nbval-ignore-output" not in cell.metadata.get("tags", []):
            problems.append(
                f"cell {index}: the challenge cell of {ident} lacks nbval-ignore-output"
            )
    for step in steps.values():
        mine = [i for i, c in enumerate(cells) if solves(c) == step.id]
        if len(mine) != 1:
            problems.append(f"{step.id}: {len(mine)} challenge cells in the notebook; one")
            continue
        [at] = mine
        later = [c for c in cells[at + 1 :] if c.cell_type == "code"]
        if not any(step.id in CHECK.findall(c.source) for c in later):
            problems.append(f"{step.id}: no CheckButton for it after its challenge cell")
        if step.mode == "fix" and not any(
            step.id in BREAK.findall(c.source) for c in cells[:at] if c.cell_type == "code"
        ):
            problems.append(f"{step.id}: no widgets.BreakIt for it before its challenge cell")
        files = [
            name for a in step.solution if a.apply is not None for name in solution_files(lab, a)
        ]
        for cell in later:
            code = "\n".join(code_lines(cell.source))
            for name in files:
                if name in code:
                    problems.append(
                        f"{step.id}: a cell after its challenge cell applies the answer ({name})"
                    )
    return problems


def links(lab: course.Lab, notebook: Path) -> list[str]:
    """The glossary near the top and at the end; Next to the next notebook."""
    cells = load(notebook).cells
    markdown = [(i, c.source) for i, c in enumerate(cells) if c.cell_type == "markdown"]
    problems = []
    if not (notebook.parent / "glossary.md").exists():
        problems.append("notebooks/glossary.md does not exist")
    if not any(GLOSSARY.search(text) for i, text in markdown if i < 3):
        problems.append("no [Glossary](glossary.md) link in the first cells")
    checks = [i for i, c in enumerate(cells) if CHECK.search(c.source)]
    last_check = checks[-1] if checks else 0
    if not any(GLOSSARY.search(text) for i, text in markdown if i > last_check):
        problems.append("no [Glossary](glossary.md) link at the end (after the last check)")
    targets = [t for _, text in markdown for t in NEXT.findall(text)]
    expected = _next_notebook(notebook).name
    if not targets:
        problems.append(f"no **Next:** link (to {expected})")
    for target in targets:
        if target != expected:
            problems.append(f"the **Next:** link goes to {target}, not to {expected}")
        elif not (notebook.parent / target).exists():
            problems.append(f"the **Next:** link goes to {target}, which does not exist")
    return problems


def diagrams(lab: course.Lab, notebook: Path) -> list[str]:
    """At least one SVG diagram, from a Markdown cell, that renders offline."""
    shown = [
        name
        for c in load(notebook).cells
        if c.cell_type == "markdown"
        for name in DIAGRAM.findall(c.source)
    ]
    if not shown:
        return ["no diagram: a Markdown cell with ![what it shows](diagrams/NN-name.svg)"]
    return [p for name in shown for p in svg_problems(notebook.parent / name, name)]


def svg_problems(path: Path, name: str) -> list[str]:
    if not path.exists():
        return [f"{name} does not exist"]
    text = path.read_text()
    try:
        root = ET.fromstring(text)  # noqa: S314 (the repository's own files)
    except ET.ParseError as e:
        return [f"{name} is not well-formed XML: {e}"]
    problems = []
    if root.tag not in ("svg", f"{SVG}svg"):
        problems.append(f"{name} is not an SVG (its root is <{root.tag}>)")
    if "viewBox" not in root.attrib:
        problems.append(f"{name} has no viewBox (it would not scale)")
    if root.find(f"{SVG}title") is None and root.find("title") is None:
        problems.append(f"{name} has no <title>")
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    for tag in sorted(tags & {"script", "image", "foreignObject"}):
        problems.append(f"{name} holds a <{tag}>: hand-written shapes and text only")
    if re.search(r"(href|src)\s*=\s*[\"'](https?:)?//|@import|url\(\s*[\"']?https?:", text):
        problems.append(f"{name} loads something from elsewhere: it must render offline")
    return problems


def widgets_of_the_lab(lab: course.Lab, notebook: Path) -> list[str]:
    """A Predict cell per prediction, the Quiz, and a CleanupButton."""
    code = [c.source for c in load(notebook).cells if c.cell_type == "code"]
    problems = []
    predicted = {m for source in code for m in PREDICT.findall(source)}
    asked = {s.id for s in lab.steps if s.predict}
    for ident in sorted(asked - predicted):
        problems.append(f"{ident}: its prediction has no widgets.Predict cell")
    for ident in sorted(predicted - asked):
        problems.append(f"a widgets.Predict cell for {ident}, which has no predict:")
    if lab.spec.quiz and not any(QUIZ.search(source) for source in code):
        problems.append("no widgets.Quiz(cluster, lab) cell for the lab's quiz")
    if not any(CLEANUP_BUTTON.search(source) for source in code):
        problems.append("no widgets.CleanupButton(cluster, lab) in the cleanup section")
    return problems


def nothing_removes_the_lab_in_run_all(lab: course.Lab, notebook: Path) -> list[str]:
    """Cleanup asks first: no cell outside a CleanupButton resets or deletes the lab."""
    problems = []
    for index, cell in enumerate(load(notebook).cells):
        if cell.cell_type != "code" or CLEANUP_BUTTON.search(cell.source):
            continue
        code = "\n".join(code_lines(cell.source))
        for pattern in REMOVES_THE_LAB:
            found = pattern.search(code)
            if found:
                problems.append(
                    f"cell {index} removes the lab in Run All ({found.group(0)!r}): "
                    "use widgets.CleanupButton(cluster, lab)"
                )
    return problems


RULES: dict[str, Rule] = {
    "shape": shape_of_the_lab,
    "no-giveaway": solutions_not_given_away,
    "challenge-cells": one_challenge_cell_per_step,
    "links": links,
    "diagram": diagrams,
    "widgets": widgets_of_the_lab,
    "cleanup-asks": nothing_removes_the_lab_in_run_all,
}


# -- the real labs --------------------------------------------------------------------------

LABS = course.list_labs()


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_every_lab_follows_the_course_rules(lab: course.Lab, rule: str) -> None:
    notebook = NOTEBOOKS / f"{lab.id}.ipynb"
    assert notebook.exists(), f"{lab.id} has no notebook {notebook.name}"
    problems = RULES[rule](lab, notebook)
    assert not problems, f"{lab.id} ({rule}):\n" + "\n".join(f"- {p}" for p in problems)


# -- a lab written to the rules, and one way to break each rule ----------------------------

LAB_YAML = """
title: Teaching
duration: 30
objectives: [Expose a Deployment, repair a Service]
quiz:
  - id: what-selects
    question: What decides which pods a Service sends traffic to?
    choices: [Its name, Its selector, The namespace]
    answer: 1
    explain: The selector matches the pods' labels.
  - id: endpoints
    question: Where do you see the pods a Service found?
    choices: [EndpointSlices, Events]
    answer: 0
    explain: The EndpointSlice controller lists them.
steps:
  - id: deploy
    title: Deploy
    minutes: 5
    instructions: Apply the Deployment shown below.
    checks: [{kind: exists, object: Deployment/web}]
    hints: [Run the cell.]
    solution: [{apply: manifests/web.yaml}]
  - id: expose
    title: Expose it
    mode: challenge
    minutes: 10
    instructions: |
      Expose the web Deployment on port 80 inside the cluster; keep its pods' labels.
      Start from manifests/service-start.yaml.
    checks: [{kind: exists, object: Service/web}]
    hints: [A Service selects pods by label., "`kubectl explain service.spec`", "selector: app=web"]
    solution: [{apply: solution/web-service.yaml}]
  - id: scale
    title: Scale it
    mode: challenge
    minutes: 5
    predict:
      id: more-pods
      question: What happens to the Service when there are three pods?
      choices: [It sends to all three, It keeps one]
      answer: 0
      explain: It follows the labels.
    instructions: Run three replicas of web.
    checks: [{kind: exists, object: Deployment/web, fields: {spec.replicas: 3}}]
    hints: [Replicas., "`kubectl scale --help`", "kubectl scale ... --replicas"]
    solution: [{kubectl: scale deployment/web --replicas=3 -n lab-05}]
  - id: fix-selector
    title: Repair the Service
    mode: fix
    minutes: 10
    instructions: The Service front has no endpoints. Find out why, and repair it.
    breaks: [{apply: manifests/front-broken.yaml}]
    checks: [{kind: exists, object: Service/front, fields: {spec.selector.app: web}}]
    hints: [Endpoints come from the selector., "`kubectl describe service front`", "app: web"]
    solution: [{python: "repairs:repair_selector"}]
"""

FILES = {
    "manifests/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    "manifests/service-start.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
    "manifests/front-broken.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: front}\n",
    "solution/web-service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
    "repairs.py": 'def repair_selector(ctx):\n    """Set the selector back to app=web."""\n',
}

SVG_TEXT = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 700 200" font-family="sans-serif">'
    "<title>A Service and its pods</title>"
    '<rect x="10" y="10" width="100" height="40"/><text x="20" y="35">Service</text></svg>'
)


def md(text: str) -> Notebook:
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str, *tags: str, solve: str | None = None) -> Notebook:
    cell = nbformat.v4.new_code_cell(textwrap.dedent(text).strip())
    cell.metadata["tags"] = ["nbval-ignore-output", *tags]
    if solve is not None:
        cell.metadata["workshop"] = {"solve": solve}
    return cell


def good_notebook() -> Notebook:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# Lab 05 · Teaching\n\n*About 30 minutes.* Words: [Glossary](glossary.md)"),
        code(
            """
            from workshop import course, widgets
            from workshop.cluster import connect

            cluster = connect()
            lab = course.place(cluster, course.find_lab("05-teaching"))
            widgets.use(cluster, lab)
            cluster.describe()
            """
        ),
        md("## Step 1 · Deploy\n\n![A Service and its pods](diagrams/05-service.svg)"),
        code("!kubectl apply -n {lab.namespace} -f ../labs/05-teaching/manifests/web.yaml"),
        code('widgets.CheckButton(cluster, lab, "deploy")'),
        md("## Step 2 · Your turn: expose it\n\nPort 80, inside the cluster."),
        code(
            "# Your turn: edit the starting file, apply it, then run the check.",
            "challenge",
            solve="expose",
        ),
        code('widgets.CheckButton(cluster, lab, "expose")'),
        code('widgets.Predict(cluster, lab, "scale")'),
        code("# Your turn: three replicas.", "challenge", solve="scale"),
        code('widgets.CheckButton(cluster, lab, "scale")'),
        code('widgets.BreakIt(cluster, lab, "fix-selector")'),
        code("!kubectl describe service front -n {lab.namespace}"),
        code("# Your turn: repair the Service.", "challenge", solve="fix-selector"),
        code('widgets.CheckButton(cluster, lab, "fix-selector")'),
        code("widgets.Quiz(cluster, lab)"),
        md(
            """
            ## Recap

            Services select pods by label. [Glossary](glossary.md)

            **Next:** [Lab 06 · Next](06-next.ipynb)

            ## Cleanup
            """
        ),
        code("widgets.CleanupButton(cluster, lab)"),
    ]
    return nb


def write_course(root: Path, nb: Notebook | None = None, *, svg: str = SVG_TEXT) -> Path:
    """A lab 05 and its notebook (with the glossary, a diagram and a lab 06 notebook) under
    ``root``; the notebook's path."""
    lab_dir = root / "labs" / "05-teaching"
    lab_dir.mkdir(parents=True)
    (lab_dir / "lab.yaml").write_text(textwrap.dedent(LAB_YAML))
    for name, text in FILES.items():
        (lab_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (lab_dir / name).write_text(text)
    books = root / "notebooks"
    (books / "diagrams").mkdir(parents=True)
    (books / "diagrams" / "05-service.svg").write_text(svg)
    (books / "glossary.md").write_text("# Glossary\n")
    nbformat.write(nbformat.v4.new_notebook(), books / "06-next.ipynb")
    path = books / "05-teaching.ipynb"
    nbformat.write(good_notebook() if nb is None else nb, path)
    return path


def problems_of(root: Path, rule: str, *, lab_yaml: str | None = None) -> list[str]:
    notebook = root / "notebooks" / "05-teaching.ipynb"
    lab_dir = root / "labs" / "05-teaching"
    if lab_yaml is not None:
        (lab_dir / "lab.yaml").write_text(textwrap.dedent(lab_yaml))
    return RULES[rule](course.load_lab(lab_dir), notebook)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_lab_written_to_the_rules_passes_them(tmp_path: Path, rule: str) -> None:
    write_course(tmp_path)
    assert problems_of(tmp_path, rule) == []


def edited(change: Callable[[list[Notebook]], None]) -> Notebook:
    nb = good_notebook()
    change(nb.cells)
    return nb


def _cell(cells: list[Notebook], needle: str) -> Notebook:
    return next(c for c in cells if needle in c.source)


def _set(cells: list[Notebook], needle: str, source: str) -> None:
    _cell(cells, needle).source = source


def _copy(cell: Notebook) -> Notebook:
    twin = copy.deepcopy(cell)
    twin.id = f"{cell.id}-twin"
    return twin


def _drop(cells: list[Notebook], needle: str) -> None:
    cells.remove(_cell(cells, needle))


def _into_code(cells: list[Notebook], needle: str) -> None:
    """The Markdown cell as a comment in a code cell: an image there is never shown."""
    at = cells.index(_cell(cells, needle))
    cells[at] = code("# " + cells[at].source.replace("\n", "\n# "))


def _move_after(cells: list[Notebook], needle: str, after: str) -> None:
    moving = _cell(cells, needle)
    cells.remove(moving)
    cells.insert(cells.index(_cell(cells, after)) + 1, moving)


NOTEBOOK_VARIANTS: dict[str, tuple[str, Callable[[list[Notebook]], None], str]] = {
    # name: (rule, how the notebook is broken, what the problem says)
    "cell-names-the-file": (
        "no-giveaway",
        lambda cells: _set(cells, "edit the starting file", "# apply solution/web-service.yaml"),
        "its notebook cell gives the solution file solution/web-service.yaml",
    ),
    "cell-names-the-command": (
        "no-giveaway",
        lambda cells: _set(
            cells, "three replicas", "# kubectl scale deployment/web  --replicas=3 -n lab-05"
        ),
        "its notebook cell gives the command",
    ),
    "cell-names-the-function": (
        "no-giveaway",
        lambda cells: _set(cells, "repair the Service", "# call repair_selector"),
        "its notebook cell gives the function repair_selector",
    ),
    "cell-holds-code": (
        "challenge-cells",
        lambda cells: _set(cells, "three replicas", "# Your turn\nx = 1"),
        "the challenge cell of scale holds code",
    ),
    "no-challenge-cell": (
        "challenge-cells",
        lambda cells: _drop(cells, "three replicas"),
        "scale: 0 challenge cells in the notebook; one",
    ),
    "two-challenge-cells": (
        "challenge-cells",
        lambda cells: cells.insert(3, _copy(_cell(cells, "three replicas"))),
        "scale: 2 challenge cells in the notebook; one",
    ),
    "challenge-cell-for-a-guided-step": (
        "challenge-cells",
        lambda cells: cells.insert(4, code("# Your turn", "challenge", solve="deploy")),
        "a challenge cell for deploy, not a challenge or fix step",
    ),
    "check-before-the-challenge-cell": (
        "challenge-cells",
        lambda cells: _move_after(cells, "three replicas", 'CheckButton(cluster, lab, "scale")'),
        "scale: no CheckButton for it after its challenge cell",
    ),
    "no-break-it": (
        "challenge-cells",
        lambda cells: _drop(cells, "BreakIt"),
        "fix-selector: no widgets.BreakIt for it before its challenge cell",
    ),
    "a-later-cell-applies-the-answer": (
        "challenge-cells",
        lambda cells: cells.insert(
            8, code("!kubectl apply -f ../labs/05-teaching/solution/web-service.yaml")
        ),
        "expose: a cell after its challenge cell applies the answer (web-service.yaml)",
    ),
    "no-glossary-at-the-top": (
        "links",
        lambda cells: _set(cells, "# Lab 05", "# Lab 05 · Teaching"),
        "no [Glossary](glossary.md) link in the first cells",
    ),
    "no-glossary-at-the-end": (
        "links",
        lambda cells: _set(cells, "## Recap", "## Recap\n\n**Next:** [06](06-next.ipynb)"),
        "no [Glossary](glossary.md) link at the end",
    ),
    "no-next": (
        "links",
        lambda cells: _set(cells, "## Recap", "## Recap [Glossary](glossary.md)"),
        "no **Next:** link (to 06-next.ipynb)",
    ),
    "next-to-the-wrong-notebook": (
        "links",
        lambda cells: _set(
            cells, "## Recap", "[Glossary](glossary.md) **Next:** [x](07-other.ipynb)"
        ),
        "the **Next:** link goes to 07-other.ipynb, not to 06-next.ipynb",
    ),
    "no-diagram": (
        "diagram",
        lambda cells: _set(cells, "## Step 1", "## Step 1 · Deploy"),
        "no diagram",
    ),
    "diagram-missing": (
        "diagram",
        lambda cells: _set(cells, "## Step 1", "![The pods](diagrams/05-pods.svg)"),
        "diagrams/05-pods.svg does not exist",
    ),
    "diagram-in-a-code-cell": (
        "diagram",
        lambda cells: _into_code(cells, "## Step 1"),
        "no diagram",
    ),
    "no-predict-cell": (
        "widgets",
        lambda cells: _drop(cells, "Predict("),
        "scale: its prediction has no widgets.Predict cell",
    ),
    "predict-without-a-prediction": (
        "widgets",
        lambda cells: cells.insert(3, code('widgets.Predict(cluster, lab, "deploy")')),
        "a widgets.Predict cell for deploy, which has no predict:",
    ),
    "no-quiz-cell": (
        "widgets",
        lambda cells: _drop(cells, "Quiz("),
        "no widgets.Quiz(cluster, lab) cell",
    ),
    "no-cleanup-button": (
        "widgets",
        lambda cells: _drop(cells, "CleanupButton"),
        "no widgets.CleanupButton(cluster, lab)",
    ),
    "reset-in-run-all": (
        "cleanup-asks",
        lambda cells: cells.append(code("course.reset(cluster, lab)")),
        "removes the lab in Run All ('course.reset(')",
    ),
    "workshop-reset-in-run-all": (
        "cleanup-asks",
        lambda cells: cells.append(code("!workshop reset 05 --yes")),
        "removes the lab in Run All ('workshop reset')",
    ),
    "namespace-deleted-in-run-all": (
        "cleanup-asks",
        lambda cells: cells.append(code("!kubectl delete namespace {lab.namespace}")),
        "removes the lab in Run All ('delete namespace')",
    ),
    "namespace-deleted-through-the-api": (
        "cleanup-asks",
        lambda cells: cells.append(code('cluster.api.delete("v1", "Namespace", lab.namespace)')),
        "removes the lab in Run All",
    ),
}


@pytest.mark.parametrize("variant", sorted(NOTEBOOK_VARIANTS))
def test_each_notebook_rule_can_fail(tmp_path: Path, variant: str) -> None:
    rule, change, said = NOTEBOOK_VARIANTS[variant]
    write_course(tmp_path, edited(change))
    problems = problems_of(tmp_path, rule)
    assert any(said in p for p in problems), problems


def test_a_commented_reset_and_a_cleanup_button_are_fine(tmp_path: Path) -> None:
    nb = edited(lambda cells: cells.append(code("# course.reset(cluster, lab) would remove it")))
    write_course(tmp_path, nb)
    assert problems_of(tmp_path, "cleanup-asks") == []


def test_the_last_notebook_links_back_to_the_first(tmp_path: Path) -> None:
    back = "[Glossary](glossary.md) **Next:** [Lab 00](00-first.ipynb)"
    write_course(tmp_path, edited(lambda cells: _set(cells, "## Recap", back)))
    (tmp_path / "notebooks" / "06-next.ipynb").unlink()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "00-first.ipynb")
    assert problems_of(tmp_path, "links") == []
    (tmp_path / "notebooks" / "00-first.ipynb").unlink()  # the only notebook: Next to itself
    assert problems_of(tmp_path, "links") == [
        "the **Next:** link goes to 00-first.ipynb, not to 05-teaching.ipynb"
    ]


@pytest.mark.parametrize(
    ("svg", "said"),
    [
        ("<svg", "is not well-formed XML"),
        ('<html viewBox="0 0 1 1"><title>x</title></html>', "is not an SVG"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>', "has no viewBox"),
        ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"></svg>', "has no <title>"),
        (
            SVG_TEXT.replace("</svg>", "<script>alert(1)</script></svg>"),
            "holds a <script>",
        ),
        (
            SVG_TEXT.replace(
                "</svg>",
                '<image href="https://example.com/a.png" width="9" height="9"/></svg>',
            ),
            "loads something from elsewhere",
        ),
        (
            SVG_TEXT.replace(
                "<title>", "<style>@import url(https://fonts.example.com/a.css);</style><title>"
            ),
            "loads something from elsewhere",
        ),
    ],
)
def test_a_diagram_must_be_an_svg_that_renders_offline(tmp_path: Path, svg: str, said: str) -> None:
    write_course(tmp_path, svg=svg)
    problems = problems_of(tmp_path, "diagram")
    assert any(said in p for p in problems), problems


def _yaml_with(old: str, new: str) -> str:
    assert old in LAB_YAML
    return LAB_YAML.replace(old, new)


LAB_VARIANTS: dict[str, tuple[str, str, str, str]] = {
    # name: (rule, text replaced in lab.yaml, its replacement, what the problem says)
    "one-challenge": (
        "shape",
        "    mode: challenge\n    minutes: 5",
        "    minutes: 5",
        "1 challenge step(s) (['expose']); at least 2",
    ),
    "no-fix": (
        "shape",
        "    mode: fix\n",
        "    mode: challenge\n",
        "no fix step",
    ),
    "one-question": (
        "shape",
        "  - id: endpoints\n    question: Where do you see the pods a Service found?\n"
        "    choices: [EndpointSlices, Events]\n    answer: 0\n"
        "    explain: The EndpointSlice controller lists them.\n",
        "",
        "a quiz of 1 questions; 2 or 3",
    ),
    "no-minutes": (
        "shape",
        "    minutes: 10\n    instructions: |",
        "    instructions: |",
        "steps without minutes: expose",
    ),
    "minutes-far-from-the-duration": (
        "shape",
        "duration: 30",
        "duration: 60",
        "the steps' minutes add up to 30, the lab says 60",
    ),
    "instructions-name-the-file": (
        "no-giveaway",
        "Start from manifests/service-start.yaml.",
        "Apply solution/web-service.yaml.",
        "expose: its instructions gives the solution file solution/web-service.yaml",
    ),
    "instructions-name-the-file-name": (
        "no-giveaway",
        "Start from manifests/service-start.yaml.",
        "Have a look at web-service.yaml.",
        "expose: its instructions gives the solution file web-service.yaml",
    ),
    "instructions-give-the-command": (
        "no-giveaway",
        "Run three replicas of web.",
        "Run `kubectl scale deployment/web --replicas=3 -n lab-05`.",
        "scale: its instructions gives the command",
    ),
    "instructions-name-the-function": (
        "no-giveaway",
        "Find out why, and repair it.",
        "Find out why; repairs.repair_selector() would do it.",
        "fix-selector: its instructions gives the function repair_selector",
    ),
}


@pytest.mark.parametrize("variant", sorted(LAB_VARIANTS))
def test_each_lab_rule_can_fail(tmp_path: Path, variant: str) -> None:
    rule, old, new, said = LAB_VARIANTS[variant]
    write_course(tmp_path)
    if variant == "no-fix":  # a challenge has no `breaks`: drop them too
        text = _yaml_with(old, new).replace(
            "    breaks: [{apply: manifests/front-broken.yaml}]\n", ""
        )
    else:
        text = _yaml_with(old, new)
    problems = problems_of(tmp_path, rule, lab_yaml=text)
    assert any(said in p for p in problems), problems


def test_a_lab_before_03_needs_no_fix_step(tmp_path: Path) -> None:
    notebook = write_course(tmp_path)
    lab_dir = tmp_path / "labs" / "05-teaching"
    text = _yaml_with("    mode: fix\n", "    mode: challenge\n").replace(
        "    breaks: [{apply: manifests/front-broken.yaml}]\n", ""
    )
    (lab_dir / "lab.yaml").write_text(textwrap.dedent(text))
    early = lab_dir.rename(lab_dir.with_name("02-teaching"))
    assert shape_of_the_lab(course.load_lab(early), notebook) == []


# -- CI runs the notebook with each challenge cell solved ----------------------------------


def test_ci_runs_a_copy_with_each_challenge_cell_solved_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    from tests.notebooks.test_notebooks import solved_copy

    notebook = write_course(tmp_path)
    before = sorted(p.name for p in notebook.parent.iterdir())
    with solved_copy(notebook) as copy:
        assert copy.parent == notebook.parent  # its ../labs paths stay true
        assert copy.name.startswith(".") and not copy.match("[0-9][0-9]-*.ipynb")
        cells = load(copy).cells
        solved = [c.source for c in cells if "challenge" in c.metadata.get("tags", [])]
        assert solved == [
            'course.solve(cluster, lab, "expose", only=True)',
            'course.solve(cluster, lab, "scale", only=True)',
            'course.solve(cluster, lab, "fix-selector", only=True)',
        ]
        assert len(cells) == len(load(notebook).cells)
    assert sorted(p.name for p in notebook.parent.iterdir()) == before
    with pytest.raises(RuntimeError), solved_copy(notebook):
        raise RuntimeError("nbval crashed")
    assert sorted(p.name for p in notebook.parent.iterdir()) == before
    assert "# Your turn" in load(notebook).cells[6].source  # the original is untouched
