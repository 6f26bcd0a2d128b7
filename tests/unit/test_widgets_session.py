"""`widgets.use(cluster)`: plain `kubectl` in the notebook drives the context connect() chose."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes import config as kube_config

from workshop.cluster import Cluster
from workshop.tools import kubectl
from workshop.widgets import session


def kubeconfig(path: Path) -> Path:
    clusters = [
        {"name": n, "cluster": {"server": f"https://127.0.0.1:{port}"}}
        for n, port in (("one", 6441), ("two", 6442))
    ]
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in ("one", "two")],
        "current-context": "one",
    }
    path.write_text(yaml.safe_dump(document))
    return path


def cluster(path: Path, context: str) -> Cluster:
    client = kube_config.new_client_from_config(config_file=str(path), context=context)
    return Cluster((path,), context, client)


def run_kubectl(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["kubectl", *args], env=env, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


def test_kubectl_follows_a_context_that_is_not_the_current_one(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config")
    env = session.environment(cluster(path, "two"), {"PATH": os.environ["PATH"]})
    assert run_kubectl(env, "config", "current-context") == "two"
    assert run_kubectl(
        env, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"
    ) == ("https://127.0.0.1:6442")
    overlay = Path(env["KUBECONFIG"].split(os.pathsep)[0])
    assert "token" not in overlay.read_text()  # the overlay names a context, no credentials
    assert (
        yaml.safe_load(path.read_text())["current-context"] == "one"
    )  # the user's file is untouched


def test_the_current_context_needs_no_overlay_and_kubectl_is_the_workshops(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config")
    env = session.environment(cluster(path, "one"), {"PATH": "/usr/bin"})
    assert env["KUBECONFIG"] == str(path)
    assert env["PATH"].split(os.pathsep)[0] == str(kubectl.binary().parent)
    assert "127.0.0.1" in env["NO_PROXY"]


def test_helm_in_the_notebook_is_the_workshops_and_follows_the_same_context(
    tmp_path: Path,
) -> None:
    from workshop.tools import helm

    path = kubeconfig(tmp_path / "config")
    env = session.environment(cluster(path, "two"), {"PATH": "/usr/bin:/bin"})
    found = subprocess.run(
        ["sh", "-c", "command -v helm"], env=env, capture_output=True, text=True, check=True
    )
    assert Path(found.stdout.strip()) == helm.binary()
    # helm reads the same kubeconfig files, with the overlay choosing the context
    done = subprocess.run(
        ["helm", "list", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0 and "127.0.0.1:6442" in done.stderr  # context two's server


def test_with_a_placed_lab_shell_cells_get_its_namespace_as_ns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`%%bash` cells say `-n $NS`: a class learner's lab namespace, else `lab-NN`."""
    from workshop import course

    path = kubeconfig(tmp_path / "config")
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("PATH", os.environ["PATH"])  # restored after use() changes them
    monkeypatch.delenv(session.NAMESPACE_VARIABLE, raising=False)
    lab = course.find_lab("04")
    session.use(cluster(path, "one"), lab.within("k8s101-alice-"))
    assert os.environ[session.NAMESPACE_VARIABLE] == "k8s101-alice-lab-04"
    session.use(cluster(path, "one"), lab)
    assert os.environ[session.NAMESPACE_VARIABLE] == "lab-04"
