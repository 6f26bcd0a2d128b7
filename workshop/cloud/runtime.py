"""The emulator's moving parts: cluster processes, their endpoints, and the reconciler.

``Runtime`` is the handlers' ``Backend`` (ports, kubeconfigs, a wake-up call) and runs
the reconciler: a loop that takes each cluster's pending operation (install, delete,
reset, restart, redeploy, update) and each pool's spec, does the slow work in background
jobs (starting a control plane takes seconds), and moves statuses to READY once the
cluster really is so, and not before the profile's delay.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from workshop.cloud import poolsync, protocol
from workshop.cloud.managed import ManagedCluster
from workshop.cloud.proxy import Proxies
from workshop.cloud.store import Cluster, Operation, Store
from workshop.cloud.workers import DEFAULT_POOL, Workers
from workshop.cloud.workers import Api as KubeApi
from workshop.sandbox import ports
from workshop.sandbox.api import ApiError

log = logging.getLogger("workshop.cloud.runtime")


@dataclass(frozen=True)
class Delays:
    """The least time each kind of operation takes, in seconds (the work may take longer)."""

    install: float
    pool: float
    redeploy: float
    update: float
    delete: float


PROFILES = {
    "instant": Delays(install=0, pool=0, redeploy=0, update=0, delete=0),
    "lifelike": Delays(install=60, pool=30, redeploy=10, update=30, delete=15),
}
POLL = 0.5
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
"""A failing cluster or pool is tried again after 1, 2, 4, ... seconds, at most this."""


@dataclass
class Backoff:
    failures: int
    retry_at: float


def permanent(error: Exception) -> bool:
    """Whether trying again cannot help: kube-apiserver refused the object itself (400,
    422, 403), or the object cannot even be sent (a name that is no URL)."""
    if isinstance(error, ApiError):
        return 400 <= error.status < 500 and error.status not in (404, 408, 409, 429)
    return isinstance(error, ValueError | TypeError | KeyError | http.client.InvalidURL)


class Processes(Protocol):
    """One cluster's processes and files: ``ManagedCluster``, or a fake in tests."""

    def exists(self) -> bool: ...
    def is_running(self) -> bool: ...
    def up(self, *, nodes: int) -> None: ...
    def down(self) -> None: ...
    def reset(self) -> None: ...
    def destroy(self) -> None: ...
    def apiserver_port(self) -> int | None: ...
    def api(self) -> KubeApi: ...
    def etcd_usage(self) -> int: ...
    def kubeconfig(self, *, name: str, server: str) -> str: ...


class Runtime:
    """Everything that happens outside the request handlers."""

    def __init__(
        self,
        root: Path,
        store: Store,
        *,
        profile: str = "instant",
        processes: Callable[[Path], Processes] | None = None,
        clock: Callable[[], float] = time.time,
        registry_file: Path | None = None,
    ) -> None:
        self.root = root
        self.clock = clock
        self.processes = processes or (
            lambda path: ManagedCluster(path, profile=profile, registry_file=registry_file)
        )
        self.store = store
        self.profile = profile
        self.delays = PROFILES[profile]
        self.proxies = Proxies(self.ensure_running)
        self.wake = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cluster-job")
        self.jobs: dict[str, Future[None]] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.stopping = threading.Event()
        # control planes start two at a time: more only makes each start slower
        self.starting = threading.Semaphore(2)
        self.backoffs: dict[str, Backoff] = {}
        """Clusters and pools whose last try failed, by id: not tried again before."""

    # -- failures --------------------------------------------------------------------------

    def _waiting(self, key: str) -> bool:
        found = self.backoffs.get(key)
        return found is not None and self.clock() < found.retry_at

    def _failed(self, key: str) -> Backoff:
        found = self.backoffs.get(key)
        failures = found.failures + 1 if found else 1
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1))
        backoff = Backoff(failures, self.clock() + delay)
        self.backoffs[key] = backoff
        return backoff

    # -- the handlers' Backend -----------------------------------------------------------

    def allocate_port(self) -> int:
        taken = {c.port for c in self.store.clusters.values()}
        return ports.pick(1, avoid=taken)[0]

    def kubeconfig(self, cluster: Cluster) -> str:
        try:
            return self.managed(cluster.id).kubeconfig(
                name=cluster.name, server=f"https://127.0.0.1:{cluster.port}"
            )
        except OSError as e:
            raise protocol.ApiError(
                500,
                f"The kubeconfig of cluster {cluster.id} is not available: {e}",
                error_class="Server::InternalServerError",
            ) from e

    def changed(self) -> None:
        self.wake.set()

    # -- cluster processes ------------------------------------------------------------------

    def managed(self, cluster: str) -> Processes:
        return self.processes(self.root / "clusters" / cluster)

    def _lock(self, cluster: str) -> threading.Lock:
        with self.store.lock:
            return self.locks.setdefault(cluster, threading.Lock())

    def _sandbox_nodes(self, cluster: str) -> int:
        """The node count recorded in the sandbox's state: that of an API pool named like a
        sandbox's default pool (the sandbox runs without one; poolsync pushes every pool)."""
        with self.store.lock:
            same = [p for p in self.store.pools_of(cluster) if p.name == DEFAULT_POOL]
            return same[0].desired if same else 0

    def ensure_running(self, cluster: str) -> int | None:
        """kube-apiserver's port, the control plane started first if it is down (blocking)."""
        with self.store.lock:
            found = self.store.clusters.get(cluster)
            if found is None or found.status in ("DELETING", "ERROR"):
                return None
        managed = self.managed(cluster)
        with self._lock(cluster):
            if not managed.is_running():
                log.info("cluster %s: starting its control plane", cluster)
                with self.starting:
                    managed.up(nodes=self._sandbox_nodes(cluster))
        return managed.apiserver_port()

    # -- the loop ---------------------------------------------------------------------------

    def start(self) -> threading.Thread:
        self.proxies.start()
        with self.store.lock:
            clusters = list(self.store.clusters.values())
        for cluster in clusters:
            try:
                self._open_endpoint(cluster)
            except OSError as e:  # the loop tries again; the other clusters start meanwhile
                log.warning("cluster %s: cannot open its endpoint yet: %s", cluster.id, e)
            if cluster.operation is None and cluster.status not in ("DELETING", "ERROR"):
                self._resume(cluster.id)
        thread = threading.Thread(target=self._loop, name="reconciler", daemon=True)
        thread.start()
        return thread

    def _resume(self, cluster: str) -> None:
        """Bring a cluster's control plane back when the emulator starts: managed clusters
        do not stop when the API does (a connection also starts it, but a control plane
        takes longer to start than kubectl waits for a TLS handshake)."""

        def work() -> None:
            self.ensure_running(cluster)

        self._job(cluster, work, lambda: None)

    def stop(self) -> None:
        """Stop the loop, the endpoints and every cluster's processes (their data stays)."""
        self.stopping.set()
        self.wake.set()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.proxies.stop()
        with self.store.lock:
            ids = list(self.store.clusters)
        running = [c for c in ids if self.managed(c).exists() and self.managed(c).is_running()]
        stoppers = [
            threading.Thread(target=self.managed(c).down, name=f"stop-{c}") for c in running
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        self.store.save()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(POLL)
            self.wake.clear()
            if self.stopping.is_set():
                return
            try:
                self.reconcile()
            except Exception:
                log.exception("reconciler pass failed")

    def reconcile(self) -> None:
        """One pass over every cluster; one cluster's failure is that cluster's error."""
        with self.store.lock:
            ids = list(self.store.clusters)
        for cluster in ids:
            job = self.jobs.get(cluster)
            if job is not None and not job.done():
                continue
            self.jobs.pop(cluster, None)
            if self._waiting(cluster):
                continue
            try:
                self._step(cluster)
            except Exception as e:  # noqa: BLE001 - one cluster must not stop the pass
                self._step_failed(cluster, e)
        with self.store.lock:
            self.store.save()

    def _step_failed(self, cluster_id: str, error: Exception) -> None:
        """A cluster's step failed: it waits before the next try; a cluster that was being
        installed, reset, ... says ERROR with the reason rather than staying in that status."""
        backoff = self._failed(cluster_id)
        log.exception(
            "cluster %s: reconciling failed (try %d; next in %.0fs)",
            cluster_id,
            backoff.failures,
            backoff.retry_at - self.clock(),
        )
        with self.store.lock:
            found = self.store.clusters.get(cluster_id)
            if found is None:
                return
            found.message = f"the emulator could not reconcile it: {error}"
            if found.operation is not None and found.operation.kind != "delete":
                found.status, found.operation = "ERROR", None

    def _job(self, cluster: str, work: Callable[[], None], then: Callable[[], None]) -> None:
        """Run slow work in the background; ``then`` runs under the store's lock after it."""

        def run() -> None:
            started = time.monotonic()
            try:
                work()
                log.info("cluster %s: done in %.1fs", cluster, time.monotonic() - started)
            except Exception as e:
                log.exception("cluster %s: operation failed", cluster)
                with self.store.lock:
                    found = self.store.clusters.get(cluster)
                    if found is not None:
                        found.status, found.operation, found.message = "ERROR", None, str(e)
            else:
                with self.store.lock:
                    then()
            finally:
                self.wake.set()

        self.jobs[cluster] = self.executor.submit(run)

    def _open_endpoint(self, cluster: Cluster) -> None:
        try:
            self.proxies.open(cluster.id, cluster.port, cluster.ip_restrictions)
        except OSError:
            with self.store.lock:
                cluster.port = self.allocate_port()
            log.warning("cluster %s: its port was taken, moved to %s", cluster.id, cluster.port)
            self.proxies.open(cluster.id, cluster.port, cluster.ip_restrictions)

    def _step(self, cluster_id: str) -> None:
        with self.store.lock:
            cluster = self.store.clusters.get(cluster_id)
            if cluster is None:
                return
            operation = cluster.operation
            self.proxies.restrict(cluster.id, cluster.ip_restrictions)
            pools_pending = any(
                not p.pushed or p.operation for p in self.store.pools_of(cluster.id)
            )
        if cluster.id not in self.proxies.endpoints and cluster.status != "DELETING":
            self._open_endpoint(cluster)
        managed = self.managed(cluster.id)
        now = self.clock()
        kind = operation.kind if operation else None
        if kind == "delete" and operation is not None:
            if now - operation.since < self.delays.delete:
                return
            self.proxies.close(cluster.id)

            def destroy() -> None:
                with self._lock(cluster.id):
                    managed.destroy()

            self._job(cluster.id, destroy, lambda: self._deleted(cluster.id))
            return
        if kind in ("install", "restart", "reset") and not self._prepared(cluster, managed):
            return
        if kind is not None and operation is not None:
            delay = {"install": self.delays.install, "update": self.delays.update}.get(
                kind, self.delays.redeploy
            )
            if now - operation.since >= delay:
                with self.store.lock:
                    if cluster.operation is operation:
                        cluster.operation, cluster.status, cluster.updated = None, "READY", now
        if cluster.status in ("INSTALLING", "ERROR"):
            return
        running = managed.is_running()
        if not running and pools_pending:

            def start_it() -> None:
                self.ensure_running(cluster.id)

            self._job(cluster.id, start_it, lambda: None)
            return
        if running:
            self._sync_pools(cluster.id, managed)

    def _prepared(self, cluster: Cluster, managed: Processes) -> bool:
        """Whether the slow part of install/restart/reset is done; starts it if not."""
        operation = cluster.operation
        assert operation is not None
        if operation.body.get("done"):
            return True

        def finish() -> None:
            operation.body["done"] = True
            if operation.kind == "reset":
                self._after_reset(cluster.id, operation.body.get("workerNodesPolicy", "delete"))

        nodes = self._sandbox_nodes(cluster.id)

        def work() -> None:
            log.info("cluster %s: %s", cluster.id, operation.kind)
            with self._lock(cluster.id):
                if operation.kind == "restart":
                    managed.down()
                with self.starting:
                    if operation.kind == "reset":
                        managed.reset()
                    else:
                        managed.up(nodes=nodes)

        self._job(cluster.id, work, finish)
        return False

    def _after_reset(self, cluster: str, policy: str) -> None:
        now = self.clock()
        for pool in self.store.pools_of(cluster):
            if policy == "delete":
                self.store.remove_pool(pool.id)
            else:
                pool.pushed, pool.status, pool.updated = False, "INSTALLING", now
                pool.operation = Operation("install", now)

    def _deleted(self, cluster: str) -> None:
        self.proxies.close(cluster)
        self.store.remove_cluster(cluster)
        self.locks.pop(cluster, None)
        log.info("cluster %s: deleted", cluster)

    def _sync_pools(self, cluster: str, managed: Processes) -> None:
        try:
            workers = Workers(managed.api())
            seen = workers.observe()
        except (OSError, ApiError, http.client.HTTPException) as e:
            log.info("cluster %s: cannot read its pools yet: %s", cluster, e)
            return
        with self.store.lock:
            found = self.store.clusters.get(cluster)
            if found is None:
                return
            found.etcd_usage = managed.etcd_usage()
            actions = poolsync.sync(
                self.store,
                cluster,
                seen,
                now=self.clock(),
                delay=self.delays.pool,
                crd=workers.crd,
            )
        progressed = False
        for action in actions:
            key = action.pool.id if action.pool is not None else f"{cluster}/{action.name}"
            if self._waiting(key):
                continue
            try:
                self._perform(workers, action)
            except Exception as e:  # noqa: BLE001 - one pool must not stop the others
                self._action_failed(cluster, key, action, e)
            else:
                self.backoffs.pop(key, None)
                progressed = True
        if progressed:
            self.wake.set()  # the cluster changed: look again at once

    def _action_failed(
        self, cluster: str, key: str, action: poolsync.Action, error: Exception
    ) -> None:
        """A pool the cluster refuses is that pool's ERROR (a new PUT tries again); any
        other failure is tried again later, never in a tight loop."""
        if permanent(error) and action.pool is not None:
            log.warning(
                "cluster %s: pool %s: the cluster refused it: %s", cluster, action.name, error
            )
            with self.store.lock:
                poolsync.refused(self.store, action.pool, str(error), now=self.clock())
            self.backoffs.pop(key, None)
            return
        backoff = self._failed(key)
        log.warning(
            "cluster %s: pool %s: %s failed (try %d, next in %.0fs): %s",
            cluster,
            action.name,
            action.kind,
            backoff.failures,
            backoff.retry_at - self.clock(),
            error,
        )

    def _perform(self, workers: Workers, action: poolsync.Action) -> None:
        if action.kind == "apply" and action.pool is not None:
            workers.apply(action.pool, action.seen)
            with self.store.lock:
                poolsync.pushed(self.store, action.pool)
        elif action.kind == "adopt" and action.pool is not None:
            workers.adopt(action.name, action.pool.id)
        else:
            workers.delete(action.name, action.seen)
