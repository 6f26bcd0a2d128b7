"""Running a step's solution and cleanup actions, and showing them as commands to type.

``apply`` server-side applies the lab's manifests through the Kubernetes API (into the
lab's namespace unless a manifest names one); ``kubectl`` runs the real kubectl with the
arguments as written (a learner types them as they are shown, ``-n`` included);
``python`` calls a function of the lab folder with a ``SolutionContext``.
"""

from __future__ import annotations

import ast
import importlib.util
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from workshop.cluster import Cluster
from workshop.course import loading, objects
from workshop.course.loading import Lab
from workshop.course.schema import Action, CleanupAction
from workshop.errors import WorkshopError
from workshop.kubeapi import KubeApi
from workshop.tools import kubectl


@dataclass(frozen=True)
class SolutionContext:
    """What a lab's Python solution receives: the cluster, the lab and its namespace."""

    cluster: Cluster
    lab: Lab

    @property
    def namespace(self) -> str:
        return self.lab.namespace

    @property
    def api(self) -> KubeApi:
        return self.cluster.api

    def kubectl(self, *args: str) -> str:
        """Run kubectl on the lab's cluster (add ``-n``, ``self.namespace`` as needed)."""
        return kubectl.run(self.cluster, *args)


def run_action(cluster: Cluster, lab: Lab, action: Action) -> str:
    """Run one solution action; what it did, in a line."""
    if action.apply is not None:
        applied = [
            cluster.api.apply(manifest, namespace=lab.namespace)
            for manifest in loading.load_manifests(lab, action.apply)
        ]
        names = ", ".join(f"{o['kind'].lower()}/{o['metadata']['name']}" for o in applied)
        return f"applied {action.apply}: {names}"
    if action.kubectl is not None:
        args = [lab.localize(arg) for arg in action.kubectl]
        output = kubectl.run(cluster, *args)
        return f"kubectl {shlex.join(args)}: {output.strip()}"
    assert action.python is not None  # the schema gives exactly one action
    _run_python(cluster, lab, action.python)
    return f"ran {action.python}"


def _run_python(cluster: Cluster, lab: Lab, ref: str) -> None:
    function = _load_function(lab, ref)
    try:
        function(SolutionContext(cluster, lab))
    except WorkshopError:
        raise
    except Exception as e:  # a lab's own code: report what it raised, without a traceback
        raise WorkshopError(f"{ref} failed: {type(e).__name__}: {e}") from e


def run_cleanup(
    cluster: Cluster, lab: Lab, action: CleanupAction
) -> tuple[objects.ObjectName, str] | None:
    """Run one cleanup action; for a deletion, what to wait for (object and namespace)."""
    if action.kubectl is not None:
        kubectl.run(cluster, *(lab.localize(arg) for arg in action.kubectl))
        return None
    if action.python is not None:
        _run_python(cluster, lab, action.python)
        return None
    target = action.target
    namespace = action.namespace or lab.namespace
    assert target.name is not None  # the schema requires it
    if cluster.api.delete(target.api_version, target.kind, target.name, namespace):
        return target, namespace
    return None


def describe(lab: Lab, action: Action | CleanupAction) -> str:
    """The action as a learner would do it by hand (in their own namespace, in a class)."""
    return lab.localize(_describe(lab, action))


def _describe(lab: Lab, action: Action | CleanupAction) -> str:
    if isinstance(action, CleanupAction):
        if action.kubectl is not None:
            return "kubectl " + shlex.join(action.kubectl)
        if action.python is None:
            return action.target.kubectl("delete", action.namespace or lab.namespace)
    if isinstance(action, Action) and action.apply is not None:
        path = f"{lab.dir.parent.name}/{lab.id}/{action.apply}"
        return f"kubectl apply -n {lab.namespace} -f {path}"
    elif action.kubectl is not None:
        return "kubectl " + shlex.join(action.kubectl)
    assert action.python is not None
    module, function = action.python.split(":")
    doc = _docstring(lab, module, function)
    file = loading.module_file(lab, module).relative_to(lab.dir.parent)
    where = f"{function}() in {lab.dir.parent.name}/{file}"
    return f"{doc}   # {where}" if doc else where


def load_module(lab: Lab, module_name: str) -> ModuleType:
    """A lab's Python module (``module.py``, or a package ``module/``), loaded once.

    Loaded once per process, so what a solution starts (an operator's threads) and keeps in
    its module stays reachable from the next action, and from tests that import it.
    """
    path = loading.module_file(lab, module_name)
    unique = f"workshop_lab_{lab.id.replace('-', '_')}_{module_name}"
    known = sys.modules.get(unique)
    if known is not None and getattr(known, "__file__", None) == str(path):
        return known
    package = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(unique, path, submodule_search_locations=package)
    if spec is None or spec.loader is None:
        raise WorkshopError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module  # before running it: a package's relative imports need it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(unique, None)
        raise
    return module


def _load_function(lab: Lab, ref: str) -> Callable[[SolutionContext], Any]:
    module_name, function_name = ref.split(":")
    module = load_module(lab, module_name)
    function: Callable[[SolutionContext], Any] = getattr(module, function_name)
    return function


def _docstring(lab: Lab, module: str, function: str) -> str:
    """The first paragraph of the solution function's docstring (it says what it does)."""
    tree = ast.parse(loading.module_file(lab, module).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            doc = ast.get_docstring(node) or ""
            return " ".join(doc.split("\n\n")[0].split())
    return ""
