"""The piece of lab 11's operator that is yours to write (step "children").

The notebook runs an operator whose reconcile calls ``reconcile(kvs, kube, children)``
below, on every change to a KeyValueStore or to one of its children. As it is, it does
nothing. Write your own ``reconcile`` with the same contract (in the notebook, or here).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def reconcile(kvs: Obj, kube: Any, children: Any) -> list[str]:
    """Make the children of the KeyValueStore ``kvs`` exist and match its spec; return
    what you did, one line per action ([] when there was nothing to do).

    ``kvs`` is the store as a dict (what ``kubectl get kvs NAME -o json`` shows). It is
    made of three children, each with an owner reference to it:

    - a Secret holding its password: ``kube.ensure_secret(kvs)`` creates it once (a
      password that exists is never replaced);
    - a headless Service: ``children.service_for(kvs)`` is what it should be;
    - a StatefulSet: ``children.statefulset_for(kvs)`` is what it should be.

    ``kube.ensure(desired)`` reads the object named in ``desired``: creates it when it is
    missing, patches the fields the operator owns (replicas, image) when they differ, and
    returns what it did in a line, or None when nothing had to change.

    The rules of a reconcile:

    - level-based: decide from what is, never from the event that called you;
    - in order: the Secret and the Service before the StatefulSet (its pods read the
      password, and get their DNS names from the Service);
    - idempotent: called again when everything is as it should be, change nothing and
      return [].
    """
    # TODO: yours to write (lab 11, step "children"). Until then, the operator does nothing.
    return []
