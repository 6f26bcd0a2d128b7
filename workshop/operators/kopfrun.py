"""Running a kopf operator inside this process, in a thread, with a stop flag.

kopf's own way to embed it (its "Embedding" docs): ``asyncio.run(kopf.operator(...))`` in a
thread of its own, stopped by setting ``stop_flag``; ``ready_flag`` tells when its startup
handlers are done. OS signals stay with the main thread (the notebook's kernel).
Credentials come from the cluster's kubeconfig through a login handler, so kopf drives
the same cluster as the notebook, whatever ``$KUBECONFIG`` says.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any

import aiohttp
import kopf
from kubernetes import client

from workshop.operators.journal import Journal

STOP_TIMEOUT = 60.0
SSL_TRANSPORTS_LEAK = sys.version_info < (3, 12, 8) or (3, 13, 0) <= sys.version_info < (3, 13, 1)
"""Before CPython gh-118960 a closed TLS connection could leave its socket open; aiohttp's
``enable_cleanup_closed`` aborts those (and warns when asked on a fixed Python)."""
_WITH_LOGIN: set[int] = set()  # registries that have our login handler


def connection_info(api_client: client.ApiClient, namespace: str) -> kopf.ConnectionInfo:
    """kopf's credentials from the official client's configuration (a kubeconfig's)."""
    conf = api_client.configuration
    scheme = token = None
    authorization = (conf.api_key or {}).get("authorization") or (conf.api_key or {}).get(
        "BearerToken"
    )
    if authorization:
        scheme, _, token = str(authorization).partition(" ")
        if not token:
            scheme, token = "Bearer", scheme
    return kopf.ConnectionInfo(
        server=str(conf.host),
        ca_path=conf.ssl_ca_cert or None,
        insecure=not conf.verify_ssl,
        certificate_path=conf.cert_file or None,
        private_key_path=conf.key_file or None,
        scheme=scheme,
        token=token,
        default_namespace=namespace,
    )


async def _login(memo: kopf.Memo, **_: Any) -> kopf.AiohttpSession:
    """kopf's HTTP session, made here so that the operator owns it and always closes it.

    kopf closes the sessions it makes only at the very end of a clean shutdown; a stop
    that cancels its cleanup (a slow machine, a hung handler) would leave them open.
    """
    info: kopf.ConnectionInfo = memo["connection"]
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=0, ssl=info.as_ssl_context(), enable_cleanup_closed=SSL_TRANSPORTS_LEAK
        ),
        headers=info.as_http_headers(),
    )
    memo["sessions"].append(session)
    return kopf.AiohttpSession(
        server=info.server,
        default_namespace=info.default_namespace,
        aiohttp_session=session,
    )


class _JournalHandler(logging.Handler):
    """kopf's warnings and errors (a handler failed, will retry) into the journal."""

    def __init__(self, journal: Journal) -> None:
        super().__init__(level=logging.WARNING)
        self.journal = journal

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "OS signals are ignored" in message:
            return  # expected: kopf runs in a thread, the kernel keeps the signals
        obj = getattr(record, "k8s_ref", None) or {}
        key = f"{obj.get('kind', '')} {obj.get('namespace', '')}/{obj.get('name', '')}".strip()
        self.journal.note("KOPF", key if obj else "kopf", error=message)


class KopfOperator:
    """The handlers of ``registry``, run by kopf in ``namespace``, in a background thread."""

    def __init__(
        self,
        api_client: client.ApiClient,
        registry: kopf.OperatorRegistry,
        *,
        namespace: str,
        journal: Journal | None = None,
        memo: dict[str, Any] | None = None,
        finalizer: str | None = None,
        name: str = "kopf",
    ) -> None:
        self.api_client = api_client
        self.registry = registry
        self.namespace = namespace
        self.journal = journal or Journal()
        self.name = name
        self.finalizer = finalizer
        self.memo = kopf.Memo(memo or {})
        self.memo["journal"] = self.journal
        self.memo["connection"] = connection_info(api_client, namespace)
        self.memo["sessions"] = []
        self.error: str | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._log_handler = _JournalHandler(self.journal)
        if id(registry) not in _WITH_LOGIN:
            kopf.on.login(registry=registry, id="workshop-kubeconfig")(_login)
            _WITH_LOGIN.add(id(registry))

    def settings(self) -> kopf.OperatorSettings:
        settings = kopf.OperatorSettings()
        settings.peering.standalone = True  # one operator, no peering objects in the cluster
        settings.process.ultimate_exiting_timeout = None  # never SIGKILL the kernel's thread
        settings.watching.server_timeout = 60
        settings.posting.level = logging.INFO
        if self.finalizer:
            settings.persistence.finalizer = self.finalizer
        return settings

    def start(self, *, wait: float = 30.0) -> KopfOperator:
        """Start kopf in a thread; wait until its startup is done (``wait`` seconds at most)."""
        if self.running:
            return self
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.error = None
        logging.getLogger("kopf").addHandler(self._log_handler)
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-kopf", daemon=True)
        self._thread.start()
        self.journal.note(
            "START", f"{self.name} in namespace {self.namespace}", ["kopf.operator()"]
        )
        self._ready.wait(wait)
        return self

    async def _operator(self) -> None:
        try:
            await kopf.operator(
                registry=self.registry,
                settings=self.settings(),
                namespaces=[self.namespace],
                standalone=True,
                stop_flag=self._stop,
                ready_flag=self._ready,
                memo=self.memo,
            )
        finally:
            # however kopf ended, close its sessions (and their TLS connections: aiohttp
            # waits for them) before asyncio.run() closes the loop under them
            sessions, self.memo["sessions"] = self.memo["sessions"], []
            for session in sessions:
                await session.close()
            await asyncio.sleep(0)  # the aborted transports' connection_lost callbacks run

    def _run(self) -> None:
        try:
            asyncio.run(self._operator())
        except Exception as e:  # noqa: BLE001 - shown in the journal, never lost in a thread
            self.error = f"{type(e).__name__}: {e}"
            self.journal.note("KOPF", self.name, error=f"kopf stopped: {self.error}")

    def stop(self, *, timeout: float = STOP_TIMEOUT) -> None:
        """Raise kopf's stop flag and wait for it to finish its tasks."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.journal.note(
                "KOPF", self.name, error=f"kopf did not stop within {timeout:.0f} s; left running"
            )
        self._thread = None
        logging.getLogger("kopf").removeHandler(self._log_handler)
        self.journal.note("STOP", f"{self.name} in namespace {self.namespace}", ["stopped"])

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def __enter__(self) -> KopfOperator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
