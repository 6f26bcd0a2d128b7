"""Operators in this process: a plain watch loop over the ``kubernetes`` client, and kopf.

Public API::

    from workshop import operators
    op = operators.Operator(cluster.api_client, reconcile, namespace="lab-11",
                            primary=[operators.Kind("db.workshop.dev/v1", "KeyValueStore",
                                                    "keyvaluestores")],
                            owns=[operators.Kind("apps/v1", "StatefulSet", "statefulsets")])
    op.start(); ...; op.stop()                  # or `with op:`
    op.journal.records                          # each event, the actions taken, errors
    operators.KopfOperator(cluster.api_client, registry, namespace="lab-11").start()

Both keep a ``Journal`` that ``workshop.widgets.ReconcileView`` shows. Like the widgets,
this package talks to clusters only through a kubeconfig.
"""

from workshop.operators.journal import Journal, Record
from workshop.operators.loop import Kind, Operator, explain

__all__ = ["Journal", "Kind", "KopfOperator", "Operator", "Record", "explain"]


def __getattr__(name: str) -> object:
    # kopf (and aiohttp) load only for those who run the kopf form
    if name == "KopfOperator":
        from workshop.operators.kopfrun import KopfOperator

        return KopfOperator
    raise AttributeError(name)
