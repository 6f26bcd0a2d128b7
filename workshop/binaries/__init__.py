"""The real tools (etcd, the Kubernetes control plane, kwok, kubectl): find, build, download.

Each binary is looked for on PATH (plus the folder of ``sys.executable``) with an
acceptable version, then in the cache ``cache_home()/bin/<group>-v<version>/<name>``;
``install`` fills the cache by building with Go (modules pinned in ``gomod/``) or by
downloading the official release with its checksum.
"""

from workshop.binaries.catalogue import CATALOGUE, SANDBOX_BINARIES, Binary
from workshop.binaries.install import Via, install
from workshop.binaries.locate import BinaryStatus, Source, find, status
from workshop.binaries.progress import Progress, ProgressEvent

__all__ = [
    "CATALOGUE",
    "SANDBOX_BINARIES",
    "Binary",
    "BinaryStatus",
    "Progress",
    "ProgressEvent",
    "Source",
    "Via",
    "find",
    "install",
    "status",
]
