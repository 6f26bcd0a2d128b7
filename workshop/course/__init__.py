"""Labs, checks, hints, solutions, resets and progress: the workshop runner.

Public API::

    lab = course.find_lab("04")                      # or list_labs(), load_lab(folder)
    lab = course.place(cluster, lab)                 # a class learner's own namespaces
    course.prepare(cluster, lab)                     # the lab's namespace
    results = course.check(cluster, lab, "scale")    # [StepResult], recorded in progress
    hint = course.next_hint(lab, lab.step("scale"), context=cluster.context)
    course.solve(cluster, lab, "scale")              # fast-forward up to a step
    course.break_step(cluster, lab, "fix-selector")  # a fix step's broken state
    course.answer(lab, "q1", 2, cluster=cluster)     # a quiz answer, graded (to the board too)
    course.reset(cluster, lab)                       # remove what the lab created

``check_step(reader, lab, step)`` is the pure check (no progress), over any ``Reader``:
``cluster.api``, or a ``RecordedCluster`` in tests. Talks to clusters only through a
kubeconfig: it may never import ``workshop.sandbox``.
"""

from workshop.course.actions import SolutionContext, load_module
from workshop.course.answering import Answered, answer, predictions, question, score
from workshop.course.breaking import break_step
from workshop.course.checking import check, mark_undone, record_result
from workshop.course.checks import CheckResult, Reader, StepResult, check_step, run_check
from workshop.course.checks.web import load_balancer_urls
from workshop.course.hints import Hint, next_hint, solution_text, tiers
from workshop.course.loading import Lab, find_lab, labs_dir, list_labs, load_lab
from workshop.course.placing import place
from workshop.course.progress import Answer, ProgressStore, StepProgress
from workshop.course.recorded import RecordedCluster
from workshop.course.resetting import reset
from workshop.course.schema import CHECK_KINDS, LabSpec, Question, Step
from workshop.course.solving import Solved, prepare, solve, wait_for

__all__ = [
    "CHECK_KINDS",
    "Answer",
    "Answered",
    "CheckResult",
    "Hint",
    "Lab",
    "LabSpec",
    "ProgressStore",
    "Question",
    "Reader",
    "RecordedCluster",
    "SolutionContext",
    "Solved",
    "Step",
    "StepProgress",
    "StepResult",
    "answer",
    "break_step",
    "check",
    "check_step",
    "find_lab",
    "labs_dir",
    "list_labs",
    "load_balancer_urls",
    "load_lab",
    "load_module",
    "mark_undone",
    "next_hint",
    "place",
    "predictions",
    "prepare",
    "question",
    "record_result",
    "reset",
    "run_check",
    "score",
    "solution_text",
    "solve",
    "tiers",
    "wait_for",
]
