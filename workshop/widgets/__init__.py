"""ipywidgets that drive a cluster through its kubeconfig, each with a Python API for tests.

Public API::

    from workshop import widgets
    widgets.use(cluster, lab)                # `!kubectl` drives the cluster; $NS = lab.namespace
    widgets.ClusterView(cluster, namespace="lab-04")      # nodes and their pods, live
    widgets.ResourceTable(cluster, "deployments", "lab-04")
    widgets.ApplyBox(cluster, yaml_text, namespace="lab-04")  # Apply / Diff / Delete
    widgets.LogView(cluster, "deployment/hello", "lab-04")
    widgets.ScaleSlider(cluster, "hello", "lab-04")
    widgets.PlanView(work.plan())                        # a Terraform plan, coloured
    widgets.CheckButton(cluster, "04-hello-world", "deploy")
    widgets.Predict(cluster, lab, "self-healing")         # a prediction: one click, explained
    widgets.Quiz(cluster, lab)                            # the lab's graded quiz and its score
    widgets.BreakIt(cluster, lab, "fix-selector")         # a fix step's broken state, now
    widgets.CleanupButton(cluster, lab)                   # asks, then `workshop reset NN`
    widgets.ReconcileView(operator)                       # start/stop an operator, its reconciles
    widgets.ClassBoard(admin_cluster, "k8s101")           # an instructor's live class board
    widgets.wait_until(condition, timeout=60, what="...")  # with a progress bar
    widgets.service_url(cluster, "hello", "lab-04")       # a LoadBalancer's URL, or None
    widgets.ClusterWizard(api)                            # OVHcloud: create a managed cluster
    widgets.CostMeter(api, "prices.yaml", prefix="lab-08")  # its price, teardown, leftovers
    widgets.ImageView("images/hello-web")                 # an OCI image: layers, config, manifest

Every widget shows the kubectl (or helm) command that does the same by hand. Like
``workshop.course``, this package talks to clusters only through a kubeconfig: it may never import
``workshop.sandbox``.
"""

from workshop.widgets.applybox import ApplyBox
from workshop.widgets.breakit import BreakIt
from workshop.widgets.checkbutton import CheckButton
from workshop.widgets.classboard import ClassBoard
from workshop.widgets.cleanup import CleanupButton
from workshop.widgets.clusterview import ClusterView
from workshop.widgets.costmeter import CostMeter
from workshop.widgets.drawing import ClusterPicture, NodeBox, PodTile
from workshop.widgets.errors import CheckFailed, ManifestError, WaitTimeout
from workshop.widgets.imageview import ImageView
from workshop.widgets.logview import LogView
from workshop.widgets.planview import PlanView
from workshop.widgets.progress import Waiting, wait_until
from workshop.widgets.questions import Predict, Quiz
from workshop.widgets.reconcileview import ReconcileView
from workshop.widgets.releases import ReleasePanel
from workshop.widgets.scale import ScaleSlider
from workshop.widgets.services import service_url
from workshop.widgets.session import use
from workshop.widgets.table import ResourceTable
from workshop.widgets.wizard import ClusterWizard

__all__ = [
    "ApplyBox",
    "BreakIt",
    "CheckButton",
    "CheckFailed",
    "ClassBoard",
    "CleanupButton",
    "ClusterPicture",
    "ClusterView",
    "ClusterWizard",
    "CostMeter",
    "ImageView",
    "LogView",
    "ManifestError",
    "NodeBox",
    "PlanView",
    "PodTile",
    "Predict",
    "Quiz",
    "ReconcileView",
    "ReleasePanel",
    "ResourceTable",
    "ScaleSlider",
    "WaitTimeout",
    "Waiting",
    "service_url",
    "use",
    "wait_until",
]
