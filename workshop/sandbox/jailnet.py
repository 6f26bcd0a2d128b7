"""kwok's jail network: what crosses it, and the firewall inside it (pure but for ``nft()``).

Where the jail exists (root, bubblewrap), kwok runs in a network namespace of its own, made
by the supervisor (``netns.py``): a loopback and nothing else. The machine's loopback
listeners (etcd, the load balancers, the registry, JupyterLab) are out of reach of
``kubectl exec`` there. Two relays in the supervisor cross the border (``relays.py``):
- **the API**: in the jail, 127.0.0.1:<apiserver port> relays to kube-apiserver on the
  machine, so kwok's kubeconfig and the serving certificate stay as they are. TLS passes
  through untouched: kube-apiserver's authentication and RBAC decide, as for a pod;
- **the kubelet port**: on the machine, 127.0.0.1:<kwok port> is a TLS front that wants a
  client certificate of the sandbox's CA naming kube-apiserver's kubelet client, and relays
  to kwok's own port inside the jail (plain HTTP, which kwok's port also serves).

Inside the jail, a rule of the jail's own netfilter (``rules``) lets a process that is not
root (the ``exec`` user) connect to the API relay only: not to kwok's port, which trusts
every caller, nor to the pods' port-forward listeners that the add-ons open there. The exec
user has no capability, so it cannot change the rule; the machine's firewall is never
touched. Where ``nft`` cannot work, the jail still has its own network but ``exec`` reaches
kwok's port: the sandbox says so, and a class gives learners no ``exec``.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TABLE = "workshop_jail"
CLIENT = "kube-apiserver-kubelet-client"
"""The common name of the certificate kube-apiserver presents to kubelets (``pki.CLIENTS``)."""


@dataclass(frozen=True)
class Crossing:
    """The relays of one sandbox's jail network, as the plan (``run/plan.json``) holds them."""

    api_port: int
    """kube-apiserver's port: the relay listens on it in the jail, and dials it outside."""
    api_host: str
    """Where kube-apiserver answers on the machine (127.0.0.1, or ``up --address``'s)."""
    kubelet_port: int
    """kwok's port: the TLS front listens on it on the machine, kwok in the jail."""
    cert: str
    key: str
    ca: str
    """The front's serving certificate and key, and the CA its clients' certificates come from."""
    client: str = CLIENT
    nft: str | None = None
    """``nft``'s path, where it works here: the supervisor loads ``rules`` with it."""

    def to_plan(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_plan(cls, data: dict[str, Any] | None) -> Crossing | None:
        return cls(**data) if data else None


def rules(api_port: int) -> str:
    """The jail's netfilter table: a process that is not root connects to the API relay only.

    Packets the kernel sends on no socket's behalf (a reset, a reply) carry no owner and pass.
    """
    return (
        f"table inet {TABLE} {{\n"
        "  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        f"    meta skuid != 0 ip daddr 127.0.0.1 tcp dport {api_port} accept\n"
        "    meta skuid != 0 reject\n"
        "  }\n"
        "}\n"
    )


@functools.cache
def nft(bwrap: str) -> str | None:
    """``nft``'s path when it loads ``rules`` in a new network namespace here (else None)."""
    found = shutil.which("nft") or next(
        (str(p) for p in (Path("/usr/sbin/nft"), Path("/sbin/nft")) if p.exists()), None
    )
    if found is None:
        return None
    try:  # in a namespace of its own: the machine's firewall is never touched
        trial = subprocess.run(
            [bwrap, "--unshare-net", "--ro-bind", "/", "/", "--", found, "-f", "-"],
            input=rules(1).encode(),
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if trial.returncode == 0 else None
