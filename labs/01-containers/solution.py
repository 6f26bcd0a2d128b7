"""Solutions of lab 01: build the image, push it, run it; then break it with a tag that was
never pushed. They use the same tools as the notebook: the workshop's builder, crane, kubectl."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from workshop.containers import builder
from workshop.course import SolutionContext
from workshop.tools import registry

HERE = Path(__file__).parent
IMAGE, TAG, MISSING_TAG = "hello-web", "1.0", "2.0"


def _deployment(image: str) -> dict[str, object]:
    """What `kubectl create deployment hello-web --image=IMAGE --port=8080` creates."""
    labels = {"app": "hello-web"}
    container = {"name": "hello-web", "image": image, "ports": [{"containerPort": 8080}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "hello-web", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def build_push_run(lab: SolutionContext) -> None:
    """workshop image build app -t hello-web:1.0; workshop image push hello-web:1.0;
    kubectl create deployment hello-web --image=REGISTRY/hello-web:1.0 --port=8080"""
    target = registry.find(cluster=lab.cluster)
    with tempfile.TemporaryDirectory() as scratch:
        context = Path(scratch) / "app"
        shutil.copytree(HERE / "app", context)
        shutil.copy(HERE / "solution" / "Dockerfile", context / "Dockerfile")
        built = builder.build(context, f"{IMAGE}:{TAG}", output=Path(scratch) / "layout")
        registry.push(target, built.image.layout, IMAGE, TAG)
    lab.api.apply(_deployment(target.reference(IMAGE, TAG)), namespace=lab.namespace)


def deploy_missing_tag(lab: SolutionContext) -> None:
    """kubectl set image deployment/hello-web hello-web=REGISTRY/hello-web:2.0 (never pushed)"""
    target = registry.find(cluster=lab.cluster)
    image = f"hello-web={target.reference(IMAGE, MISSING_TAG)}"
    lab.kubectl("set", "image", "deployment/hello-web", image, "-n", lab.namespace)
