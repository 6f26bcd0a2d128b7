"""JupyterLab in headless Chromium: open 04-hello-world, run its first cells, and see the
ClusterView draw the sandbox's nodes and the lab's pods. Saves a screenshot in
tests/artifacts/ (gitignored; CI keeps it as an artifact).

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make browser``), driven by
Playwright's Python package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOK = "04-hello-world.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@dataclass
class Lab:
    url: str
    token: str
    kubeconfig: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_server(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make browser` installs it (apt-get)")
    from workshop.sandbox import Sandbox

    base = tmp_path_factory.mktemp("browser")
    home = base / "workshop-home"
    box = Sandbox(home, nodes=3, profile="instant")
    box.up()
    # A copy of the notebook (JupyterLab saves what runs), beside the real labs/.
    (base / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, base / "notebooks" / NOTEBOOK)
    (base / "labs").symlink_to(ROOT / "labs")
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "WORKSHOP_CONTEXT")}
    env.update(
        WORKSHOP_HOME=str(home),
        WORKSHOP_LABS=str(ROOT / "labs"),
        JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    # No "official Jupyter news?" pop-up over the screenshot.
    settings = base / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(base / "lab-settings")
    log = base / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={base / 'notebooks'}",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{url}/api/status?token={token}", server, log)
        yield Lab(url, token, box.kubeconfig)
    finally:
        stop(server)
        box.down()


def stop(server: subprocess.Popen[bytes]) -> None:
    """End JupyterLab and its kernels (they share its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_hello_world_notebook_draws_the_cluster(jupyterlab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    kubectl = [
        str(Path(sys.executable).parent / "kubectl"),
        f"--kubeconfig={jupyterlab.kubeconfig}",
    ]
    nodes = json.loads(subprocess.check_output([*kubectl, "get", "nodes", "-o", "json"]))["items"]
    node_names = sorted(n["metadata"]["name"] for n in nodes)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{jupyterlab.url}/lab/tree/{NOTEBOOK}?token={jupyterlab.token}")
            cells = page.locator(".jp-NotebookPanel .jp-Cell")
            expect(cells.first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
            # Run the opening cells, as a learner would: connect, the ClusterView, step 1.
            cells.first.click()
            page.keyboard.press("Escape")
            for _ in range(6):
                page.keyboard.press("Shift+Enter")
                page.wait_for_timeout(300)
            first_output = cells.nth(1).locator(".jp-OutputArea-output")
            expect(first_output).to_contain_text("This notebook drives: sandbox", timeout=120_000)
            view = page.locator(".ws-cluster")
            expect(view.locator(".ws-node")).to_have_count(3, timeout=120_000)
            expect(view.locator(".ws-pod[data-state='ready']")).to_have_count(3, timeout=120_000)
            drawn = sorted(
                view.locator(".ws-node").evaluate_all("els => els.map(e => e.dataset.node)")
            )
            assert drawn == node_names
            assert view.locator(".ws-summary").inner_text().endswith("3 pods: 3 ready")
            expect(page.locator(".ws-command").first).to_contain_text(
                "kubectl get pods -o wide --watch -n lab-04"
            )
            view.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-04-hello-world.png"))
            view.screenshot(path=str(ARTIFACTS / "browser-04-clusterview.png"))
        finally:
            browser.close()
