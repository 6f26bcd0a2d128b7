"""The command lines of the control plane and kwok (pure: paths and ports in, argv out).

These are the flags a kubeadm or kwokctl cluster would use, trimmed to one machine:
everything listens on the bind address (loopback by default), etcd listens on loopback
only and answers TLS connections with a certificate of its own CA only (kube-apiserver's,
and the workshop's ``etcd-client``), kube-apiserver serves TLS with client certificates and
RBAC, and the controller-manager and scheduler run without leader election so a restart is
instant. The last component, ``addons``, is the workshop's own controllers
(``workshop.sandbox.addons``).

Each component's environment is all it gets: a fixed PATH, a UTF-8 locale, HOME and
TMPDIR in the sandbox's folder, and its own settings; never the environment of whoever ran
``up``, where an instructor keeps OVHcloud keys (the supervisor adds only, for the add-ons
of a jailed kwok, the number of a descriptor: ``netns.FD_VARIABLE``). kwok runs
``kubectl exec`` commands as local processes in its own environment, so a learner's
``kubectl exec ... env`` shows exactly this.

A jailed kwok also has a network of its own (``jailnet.py``): its port is then a TLS front
on this machine that wants kube-apiserver's kubelet client certificate, and kube-apiserver
checks the front's serving certificate against the sandbox's CA.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workshop.sandbox import registry_auth
from workshop.sandbox.jailnet import Crossing
from workshop.sandbox.layout import Layout
from workshop.sandbox.pki import ETCD_SERVER, Pki

SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
ISSUER = "https://kubernetes.default.svc.cluster.local"

# The admission plugins a managed cluster runs; kube-apiserver enables most by default,
# they are listed so `workshop sandbox status` and learners can see them.
ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "TaintNodesByCondition",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "PersistentVolumeClaimResize",
    "RuntimeClass",
    "DefaultIngressClass",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
)

# The only PATH a component gets: system folders (kwok's exec runs `sh`, `env`, ...).
PATH = "/usr/local/bin:/usr/bin:/bin"
# Passed through to the add-ons by name, from the environment of the process that runs
# `up`: a workshop checkout on PYTHONPATH (a developer's tree, the test suite) must be the
# package the add-ons import, as it is the one that planned them. The add-ons read no
# other variable (they get their home as an argument and their settings from files).
ADDONS_PASSED = ("PYTHONPATH",)

# Go runtime settings: a soft memory limit per component keeps the sandbox small enough to
# sit beside JupyterLab in a 2 GB Binder (the GC works harder instead of growing the heap).
MEMORY_LIMITS = {
    "etcd": "96MiB",
    "kube-apiserver": "320MiB",
    "kube-controller-manager": "96MiB",
    "kube-scheduler": "64MiB",
    "kwok": "96MiB",
    "registry": "64MiB",
}


@dataclass(frozen=True)
class Ports:
    """The TCP ports of one sandbox; chosen at first start and kept in its state file."""

    apiserver: int
    etcd: int
    etcd_peer: int
    kwok: int
    registry: int = 0
    """The image registry's port (0 in a state saved before it existed: one is picked)."""


@dataclass(frozen=True)
class Component:
    """One process of the sandbox: how to start it."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    needs_api: bool = True
    """Started once kube-apiserver answers (etcd and the apiserver itself start at once)."""
    netns: str = ""
    """kwok's jail network: ``enter`` (runs in it), ``pass`` (gets a descriptor), or none."""


def base_environment(scratch: Path) -> dict[str, str]:
    """What every component's environment starts from: nothing of the caller's."""
    return {
        "PATH": PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "NO_PROXY": "127.0.0.1,localhost,::1",
    }


def etcd_url(ports: Ports) -> str:
    """Where etcd answers: TLS on loopback, a client certificate of etcd's CA required."""
    return f"https://127.0.0.1:{ports.etcd}"


def control_plane(
    layout: Layout,
    *,
    binaries: Mapping[str, Path],
    ports: Ports,
    bind: str = "127.0.0.1",
    audit_policy: Path | None = None,
    exec_dir: Path | None = None,
    caller_env: Mapping[str, str] | None = None,
    jail: tuple[str, ...] = (),
) -> list[Component]:
    """Every process of the sandbox, in start order.

    With ``audit_policy``, kube-apiserver writes an audit log (``logs/audit.log``) by it.
    ``exec_dir`` is where kwok runs ``kubectl exec`` commands (their HOME and TMPDIR; the
    sandbox's scratch folder by default); ``caller_env`` is the environment of the process
    that runs ``up`` (``os.environ`` by default), of which the add-ons get
    ``ADDONS_PASSED`` only. ``jail`` is the command line kwok runs in
    (``jail.prefix``: bubblewrap), or nothing; a jailed kwok runs in its own network, which
    the supervisor makes and crosses (``crossing``).
    """
    pki = Pki(layout.pki)
    client_url = etcd_url(ports)
    peer_url = f"https://127.0.0.1:{ports.etcd_peer}"
    qps = ("--kube-api-qps=500", "--kube-api-burst=1000")
    advertise = "127.0.0.1" if bind == "0.0.0.0" else bind  # noqa: S104 - compares, binds nothing
    caller = os.environ if caller_env is None else caller_env

    def env(name: str) -> dict[str, str]:
        scratch = exec_dir if name == "kwok" and exec_dir else layout.scratch
        return {**base_environment(scratch), "GOMEMLIMIT": MEMORY_LIMITS[name]}

    etcd = Component(
        "etcd",
        (
            str(binaries["etcd"]),
            "--name=sandbox",
            f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=sandbox={peer_url}",
            # no connection without a certificate signed by etcd's own CA
            f"--cert-file={pki.cert(ETCD_SERVER)}",
            f"--key-file={pki.key(ETCD_SERVER)}",
            "--client-cert-auth=true",
            f"--trusted-ca-file={pki.etcd_ca_cert}",
            f"--peer-cert-file={pki.cert(ETCD_SERVER)}",
            f"--peer-key-file={pki.key(ETCD_SERVER)}",
            "--peer-client-cert-auth=true",
            f"--peer-trusted-ca-file={pki.etcd_ca_cert}",
            "--auto-compaction-retention=1",
            "--quota-backend-bytes=2147483648",
            "--snapshot-count=10000",
            "--log-level=warn",
        ),
        env("etcd"),
        needs_api=False,
    )
    apiserver = Component(
        "kube-apiserver",
        (
            str(binaries["kube-apiserver"]),
            f"--etcd-servers={client_url}",
            f"--etcd-cafile={pki.etcd_ca_cert}",
            f"--etcd-certfile={pki.cert('apiserver-etcd-client')}",
            f"--etcd-keyfile={pki.key('apiserver-etcd-client')}",
            f"--bind-address={bind}",
            f"--secure-port={ports.apiserver}",
            f"--advertise-address={advertise}",
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={pki.cert('serving')}",
            f"--tls-private-key-file={pki.key('serving')}",
            f"--client-ca-file={pki.ca_cert}",
            f"--kubelet-client-certificate={pki.cert('apiserver-kubelet-client')}",
            f"--kubelet-client-key={pki.key('apiserver-kubelet-client')}",
            # the jailed kwok's front serves the sandbox's certificate, for "localhost" (the
            # nodes' Hostname address, kwok's --node-name); kwok's own port is not checked
            *((f"--kubelet-certificate-authority={pki.ca_cert}",) if jail else ()),
            f"--service-account-issuer={ISSUER}",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            # served beyond 127.0.0.1 (`up --address`): a certificate or a token on every request
            *(() if bind == "127.0.0.1" else ("--anonymous-auth=false",)),
            f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
            "--allow-privileged=true",
            "--profiling=false",
            "--max-requests-inflight=800",
            "--max-mutating-requests-inflight=400",
            *(
                (
                    f"--audit-policy-file={audit_policy}",
                    f"--audit-log-path={layout.log_file('audit')}",
                    "--audit-log-format=json",
                    "--audit-log-maxsize=20",
                    "--audit-log-maxbackup=3",
                )
                if audit_policy
                else ()
            ),
        ),
        env("kube-apiserver"),
        needs_api=False,
    )
    controller_manager = Component(
        "kube-controller-manager",
        (
            str(binaries["kube-controller-manager"]),
            f"--kubeconfig={layout.component_kubeconfig('kube-controller-manager')}",
            f"--authentication-kubeconfig={layout.component_kubeconfig('kube-controller-manager')}",
            f"--authorization-kubeconfig={layout.component_kubeconfig('kube-controller-manager')}",
            "--secure-port=0",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki.sa_key}",
            f"--root-ca-file={pki.ca_cert}",
            f"--cluster-signing-cert-file={pki.ca_cert}",
            f"--cluster-signing-key-file={pki.ca_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--controllers=*,-nodeipam",
            "--concurrent-deployment-syncs=10",
            "--concurrent-replicaset-syncs=10",
            *qps,
        ),
        env("kube-controller-manager"),
    )
    scheduler = Component(
        "kube-scheduler",
        (
            str(binaries["kube-scheduler"]),
            f"--kubeconfig={layout.component_kubeconfig('kube-scheduler')}",
            f"--authentication-kubeconfig={layout.component_kubeconfig('kube-scheduler')}",
            f"--authorization-kubeconfig={layout.component_kubeconfig('kube-scheduler')}",
            "--secure-port=0",
            "--leader-elect=false",
            *qps,
        ),
        env("kube-scheduler"),
    )
    kwok = Component(
        "kwok",
        (
            *jail,
            str(binaries["kwok"]),
            f"--kubeconfig={layout.component_kubeconfig('kwok')}",
            f"--config={layout.config / 'kwok.yaml'}",
            "--manage-all-nodes=true",
            # the kubelet endpoint: only kube-apiserver, on this machine, talks to it
            f"--server-address=127.0.0.1:{ports.kwok}",
            f"--node-port={ports.kwok}",
            "--node-name=localhost",
            f"--cidr={POD_CIDR}",
            f"--tls-cert-file={pki.cert('serving')}",
            f"--tls-private-key-file={pki.key('serving')}",
            "--node-lease-duration-seconds=40",
            "--enable-crds=Logs,Attach,PortForward",
        ),
        env("kwok"),
        netns="enter" if jail else "",
    )
    # The workshop's own controllers (node pools, load balancers, apps, storage, image
    # pulls), in one Python process with its own client certificate.
    # It starts with kube-apiserver (its imports take a second) and waits for the API.
    addons = Component(
        "addons",
        (sys.executable, "-m", "workshop.sandbox.addons", str(layout.home)),
        {
            **base_environment(layout.scratch),
            **{k: caller[k] for k in ADDONS_PASSED if k in caller},
            "PYTHONUNBUFFERED": "1",
        },
        needs_api=False,
        netns="pass" if jail else "",  # the pods' port-forward listeners are where kwok dials
    )
    # The image registry (the CNCF distribution registry), the stand-in for OVHcloud Managed
    # Private Registry: TLS with the sandbox's serving certificate, on loopback only. A
    # sandbox without one (an emulated managed cluster) is given no registry binary.
    started = [etcd, apiserver, controller_manager, scheduler, kwok]
    if "registry" in binaries and ports.registry:
        registry = Component(
            "registry",
            (str(binaries["registry"]), "serve", str(layout.config / "registry.yml")),
            {**env("registry"), "OTEL_TRACES_EXPORTER": "none", "OTEL_SDK_DISABLED": "true"},
            needs_api=False,
        )
        started.append(registry)
    return [*started, addons]


def crossing(layout: Layout, *, ports: Ports, api_host: str, nft: str | None) -> Crossing:
    """The relays of a jailed kwok's network (``jailnet.py``), for the plan."""
    pki = Pki(layout.pki)
    return Crossing(
        api_port=ports.apiserver,
        api_host=api_host,
        kubelet_port=ports.kwok,
        cert=str(pki.cert("serving")),
        key=str(pki.key("serving")),
        ca=str(pki.ca_cert),
        nft=nft,
    )


def registry_config(layout: Layout, port: int) -> dict[str, object]:
    """The registry's configuration file (``config/registry.yml``), as data."""
    pki = Pki(layout.pki)
    return {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text"},
        "storage": {
            "filesystem": {"rootdirectory": str(layout.registry_data)},
            "delete": {"enabled": True},
        },
        "http": {
            "addr": f"127.0.0.1:{port}",
            "tls": {"certificate": str(pki.cert("serving")), "key": str(pki.key("serving"))},
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "health": {"storagedriver": {"enabled": False}},
        # no anonymous push or pull: HTTP basic auth against bcrypt hashes (registry_auth)
        "auth": {
            "htpasswd": {
                "realm": "workshop-sandbox-registry",
                "path": str(registry_auth.htpasswd_file(layout)),
            }
        },
    }
