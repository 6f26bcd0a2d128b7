"""An image built on this machine has the config and the files a step asks for.

It reads the OCI layout that ``workshop image build`` keeps (``$WORKSHOP_HOME/images/``),
whichever builder made it (the workshop's, buildah, Docker or Podman): the config's
``config.User``, ``config.ExposedPorts``, ``config.Labels``, and the files of each layer
with the history line of the instruction that added it. The same as ``workshop image
show NAME:TAG`` prints, and the same bytes a registry serves once the image is pushed.
"""

from __future__ import annotations

import re

from workshop.containers import oci, store
from workshop.course.checks.base import CheckResult, Reader, failed, passed
from workshop.course.checks.objects import field_problems
from workshop.course.schema import ImageCheck


def _holders(image: oci.Image) -> dict[str, str]:
    """Each file of the image -> the history line of the last layer that wrote it."""
    found: dict[str, str] = {}
    for layer in image.layers:
        for entry in image.files(layer):
            found[entry.name.removeprefix("./").strip("/")] = layer.created_by
    return found


def built(_reader: Reader, check: ImageCheck, _namespace: str) -> CheckResult:
    build = f"`workshop image build FOLDER -t {check.image}`"
    try:
        image = oci.read(store.local_path(check.image))
    except oci.ImageError:
        return failed(
            f"no image {check.image} built on this machine yet", hint=f"{build} builds it"
        )
    show = f"`workshop image show {check.image}` shows its layers and config"
    problems = field_problems(image.config, check.fields)
    holders = _holders(image) if check.files else {}
    for wanted in check.files:
        path = wanted.path.strip("/")
        if path not in holders:
            problems.append(f"no layer holds /{path}")
        elif wanted.made_by and not re.search(wanted.made_by, holders[path]):
            problems.append(f"/{path} was added by `{holders[path]}`, not by a command")
    if problems:
        return failed(f"image {check.image}: {'; '.join(problems)}", hint=show)
    return passed(f"image {check.image} ({image.digest[:19]}) has the config and files expected")
