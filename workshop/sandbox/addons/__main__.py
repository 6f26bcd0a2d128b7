"""``python -m workshop.sandbox.addons <home>``: run every add-on controller until SIGTERM."""

from __future__ import annotations

import logging
import os
import resource
import signal
import sys
import threading
from pathlib import Path

import urllib3
from kubernetes.client.exceptions import ApiException

from workshop.sandbox import netns
from workshop.sandbox.addons import (
    apps,
    autoscaler,
    catalogue,
    loadbalancers,
    nodepools,
    pulls,
    registry,
    servers,
    settings,
    storage,
)
from workshop.sandbox.addons.client import Kube, call
from workshop.sandbox.addons.loop import Informer
from workshop.sandbox.layout import Layout
from workshop.sandbox.nodes import POOL_GROUP, POOL_VERSION
from workshop.sandbox.state import State


def wait_for_api(kube: Kube, stop: threading.Event) -> bool:
    """Wait until kube-apiserver serves the NodePool kind to us (False if told to stop)."""
    while not stop.is_set():
        try:
            call(
                kube.custom.list_cluster_custom_object,
                POOL_GROUP,
                POOL_VERSION,
                "nodepools",
                limit=1,
                _request_timeout=5,
            )
            return True
        except (ApiException, OSError, urllib3.exceptions.HTTPError):
            stop.wait(0.1)
    return False


def main(argv: list[str]) -> int:
    layout = Layout(Path(argv[0]))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
        stream=sys.stdout,
    )
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    # Every running pod has a listening socket: allow as many files as the system lets us.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    layout.addons_ready.unlink(missing_ok=True)
    state = State.load(layout.state_file)
    tuning = settings.for_profile(state.profile if state else "instant")
    kube = Kube(layout.component_kubeconfig("addons"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Started with kube-apiserver, so the imports above overlap its start-up; the
    # supervisor creates our CRDs and RBAC once it answers: wait for them.
    if not wait_for_api(kube, stop):
        return 0
    core = kube.core
    informers = {
        "pods": Informer("pods", core.list_pod_for_all_namespaces),
        "nodes": Informer("nodes", core.list_node),
        "claims": Informer("claims", core.list_persistent_volume_claim_for_all_namespaces),
        "volumes": Informer("volumes", core.list_persistent_volume),
        "classes": Informer("storageclasses", kube.storage.list_storage_class),
        "services": Informer("services", core.list_service_for_all_namespaces),
        "slices": Informer("endpointslices", kube.discovery.list_endpoint_slice_for_all_namespaces),
        "pools": Informer(
            "nodepools",
            kube.custom.list_cluster_custom_object,
            group=POOL_GROUP,
            version=POOL_VERSION,
            plural="nodepools",
        ),
    }
    i = informers
    network = servers.Network()
    # images pushed to the sandbox's registry first, then the catalogue's
    sources: list[catalogue.PullSource] = [
        registry.LocalRegistry(layout),
        *catalogue.default_sources(),
    ]
    simulator = apps.Apps(
        kube, i["pods"], i["claims"], network, layout, sources, kwok_network=netns.inherited()
    )
    controllers = [
        nodepools.NodePools(kube, i["pools"], i["nodes"], i["pods"], tuning),
        autoscaler.Autoscaler(kube, i["pools"], i["nodes"], i["pods"], tuning),
        pulls.ImagePulls(kube, i["pods"], i["claims"], tuning, sources),
        simulator,
        loadbalancers.LoadBalancers(
            kube,
            i["services"],
            i["slices"],
            i["pods"],
            simulator,
            network,
            host=state.bind if state else loadbalancers.HOST,  # `sandbox up --address`
        ),
        storage.Provisioner(kube, i["claims"], i["volumes"], i["classes"], layout),
    ]

    for informer in informers.values():
        threading.Thread(target=informer.run, args=(stop,), name=informer.name, daemon=True).start()
    for informer in informers.values():
        informer.synced.wait(30)  # decide from a full picture, not half a list
    for controller in controllers:
        controller.start(stop)
    layout.addons_ready.write_text(str(os.getpid()))
    logging.getLogger("addons").info(
        "running %s (profile %s)",
        ", ".join(c.name for c in controllers),
        state.profile if state else "instant",
    )
    stop.wait()
    logging.getLogger("addons").info("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
