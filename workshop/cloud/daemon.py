"""The emulator's process: the API server, the reconciler and every cluster's endpoint.

``workshop cloud up`` starts ``python -m workshop.cloud.daemon <home>``, which detaches
(like the sandbox's supervisor), writes its pid file and serves until SIGTERM. On
SIGTERM it stops accepting calls, then stops every cluster's processes, whose data stays
on disk for the next start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from workshop.cloud import account, api
from workshop.cloud.layout import CloudLayout
from workshop.cloud.runtime import Runtime
from workshop.cloud.server import ApiServer
from workshop.cloud.store import Store

log = logging.getLogger("workshop.cloud")


def serve(layout: CloudLayout) -> None:
    config = json.loads(layout.config.read_text())
    store = Store(layout.state)
    account.ensure_project(store, time.time())
    store.save()
    runtime = Runtime(
        layout.root, store, profile=config["profile"], registry_file=layout.registry_file
    )
    server = ApiServer(("127.0.0.1", config["port"]), lambda r: api.answer(store, runtime, r))

    def on_signal(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, name="shutdown").start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runtime.start()
    log.info("serving on http://127.0.0.1:%s/1.0 (profile %s)", config["port"], config["profile"])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        log.info("stopping every cluster")
        runtime.stop()
        log.info("stopped")


def main(argv: list[str]) -> int:
    layout = CloudLayout(Path(argv[0]))
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    layout.pid.parent.mkdir(parents=True, exist_ok=True)
    layout.pid.write_text(str(os.getpid()))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        serve(layout)
    finally:
        with contextlib.suppress(FileNotFoundError):
            layout.pid.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
