"""A class fits its cluster: every learner at their quotas at once. On the sandbox, ``class
create`` grows the node pool to hold the class; on any other cluster a class that does not
fit is refused with what is short, and nothing is created (``--overcommit`` creates it).

A one-node sandbox of this module's own: growing the session's pool would change what
other tests see."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Kubectl
from workshop.classroom import capacity, provision
from workshop.cluster import Cluster, connect
from workshop.sandbox import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    box = Sandbox(tmp_path_factory.mktemp("small-home"), nodes=1, profile="instant")
    box.up()
    try:
        yield box
    finally:
        box.down()


def create(kubeconfig: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`workshop class create`, as an instructor runs it."""
    return subprocess.run(
        [sys.executable, "-m", "workshop.cli", "class", "create", *args, "--hours", "1",
         "--out", str(out), "--kubeconfig", str(kubeconfig)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def elsewhere(small: Any, tmp_path: Path) -> Path:
    """The same cluster under another context name: to the workshop, not its sandbox."""
    config = yaml.safe_load(Path(small.kubeconfig).read_text())
    config["contexts"][0]["name"] = config["current-context"] = "a-real-cluster"
    path = tmp_path / "elsewhere.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def test_a_class_the_nodes_cannot_hold_is_refused_elsewhere(small: Any, tmp_path: Path) -> None:
    config = elsewhere(small, tmp_path)
    refused = create(config, tmp_path / "big", "big", "--learners", "3", "--labs", "09")
    assert refused.returncode != 0
    said = " ".join(refused.stderr.split())  # the terminal may wrap it
    assert "the nodes cannot hold the class (3 learners at 13 pods, 5500m CPU" in said
    assert re.search(r"they lack \d+m CPU", said) and "Traceback" not in said
    assert "--overcommit" in said  # what to do about it
    kubectl = Kubectl(small.kubeconfig)
    assert kubectl("get", "namespaces", "-l", "workshop.dev/class=big", "-o", "name") == ""
    assert not (tmp_path / "big").exists()

    taken = create(config, tmp_path / "big", "big", "--learners", "3", "--labs", "09",
                   "--overcommit")  # fmt: skip
    assert taken.returncode == 0, taken.stderr
    provision.delete(connect(kubeconfig=config), "big")


def test_on_the_sandbox_the_pool_grows_to_hold_the_class(small: Any, tmp_path: Path) -> None:
    admin: Cluster = connect(kubeconfig=small.kubeconfig)
    made = create(small.kubeconfig, tmp_path / "fit", "fit", "--learners", "4", "--labs", "04")
    assert made.returncode == 0, made.stderr
    assert "each learner: at most 13 pods, 1000m CPU" in made.stdout
    pool = admin.api.get(provision.POOL_API, "NodePool", "nodepool", None)
    assert pool is not None and pool["spec"]["desiredNodes"] > 1
    # every learner at their quotas at once fits in what the nodes offer
    hard = admin.api.list("v1", "ResourceQuota", label_selector="workshop.dev/class=fit")
    needed = sum(capacity.millicores(q["spec"]["hard"]["requests.cpu"]) for q in hard)
    assert needed == 4 * 1000
    assert capacity.millicores(capacity.free(admin.api).cpu) >= needed
    provision.delete(admin, "fit")
