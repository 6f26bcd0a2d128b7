"""Solutions of lab 01: build the image, push it, run it; build version 1.1 (a RUN step, a
user of its own) and roll the Deployment to it; then break it with a tag that was never
pushed. They use the same tools as the notebook: the workshop's builder (buildah for RUN),
crane, kubectl. Images go to the workshop's image store, as `workshop image build` puts
them, where the step's image check reads them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from workshop.containers import buildah, builder, store
from workshop.course import SolutionContext
from workshop.tools import registry

HERE = Path(__file__).parent
IMAGE, TAG, NEXT_TAG, MISSING_TAG = "hello-web", "1.0", "1.1", "2.0"


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


def _build_and_push(lab: SolutionContext, dockerfile: Path, tag: str) -> str:
    """workshop image build FOLDER -t hello-web:TAG; workshop image push hello-web:TAG"""
    target = registry.find(cluster=lab.cluster)
    reference = f"{IMAGE}:{tag}"
    with tempfile.TemporaryDirectory() as scratch:
        context = Path(scratch) / "app"
        shutil.copytree(HERE / "app", context)
        shutil.copy(dockerfile, context / "Dockerfile")
        built = builder.build(context, reference, output=store.local_path(reference))
    registry.push(target, built.image.layout, IMAGE, tag)
    return target.reference(IMAGE, tag)


def build_push_run(lab: SolutionContext) -> None:
    """... then kubectl create deployment hello-web --image=REGISTRY/hello-web:1.0 --port=8080"""
    image = _build_and_push(lab, HERE / "solution" / "Dockerfile", TAG)
    lab.api.apply(_deployment(image), namespace=lab.namespace)


def build_push_roll(lab: SolutionContext) -> None:
    """Version 1.1 from its Dockerfile, then
    kubectl set image deployment/hello-web hello-web=REGISTRY/hello-web:1.1"""
    image = _build_and_push(lab, HERE / "solution" / "v1.1" / "Dockerfile", NEXT_TAG)
    lab.kubectl("set", "image", "deployment/hello-web", f"hello-web={image}", "-n", lab.namespace)


def forget_builds(_lab: SolutionContext) -> None:
    """What `workshop reset 01` removes besides the namespace: buildah's storage under the
    workshop home (its layers, the build cache). The built images and the registry stay."""
    buildah.clean()


def deploy_missing_tag(lab: SolutionContext) -> None:
    """kubectl set image deployment/hello-web hello-web=REGISTRY/hello-web:2.0 (never pushed)"""
    target = registry.find(cluster=lab.cluster)
    image = f"hello-web={target.reference(IMAGE, MISSING_TAG)}"
    lab.kubectl("set", "image", "deployment/hello-web", image, "-n", lab.namespace)
