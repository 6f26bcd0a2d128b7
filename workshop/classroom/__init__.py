"""Instructor-led classes on one cluster: isolated learners, their kubeconfigs, a live board.

Public API::

    from workshop import classroom
    plan = classroom.ClassPlan("k8s101", classroom.numbered(30), ["lab-04", "lab-05"])
    created = classroom.create(admin_cluster, plan, Path("class-k8s101"))
    classroom.status(admin_cluster, "k8s101")       # per learner: namespaces, pods, steps
    live = board.LiveBoard(admin_cluster.api, "k8s101").start()   # classroom.board
    web.serve(live)                                 # the board on http://127.0.0.1:PORT
    classroom.delete(admin_cluster, "k8s101")

A class learner's kubeconfig carries the ``workshop.dev/class`` context extension, so
``workshop.connect()``, ``workshop check`` and the notebooks use their namespaces, and
their checks report ``LabProgress`` objects with their own rights (``workshop.course``).
"""

from workshop.classroom.plan import ClassPlan
from workshop.classroom.provision import create, delete, request_token, status
from workshop.classroom.roster import Learner, check_class_name, from_csv, numbered

__all__ = [
    "ClassPlan",
    "Learner",
    "check_class_name",
    "create",
    "delete",
    "from_csv",
    "numbered",
    "request_token",
    "status",
]
