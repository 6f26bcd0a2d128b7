"""One managed cluster on this machine: a sandbox of its own, with an audit log.

Each cluster lives in ``<home>/cloud/clusters/<id>/``: its sandbox (control plane,
kwok, add-ons), and the admin identity handed out by ``POST .../kubeconfig``
(``CN=kubernetes-admin``, group ``system:masters``, signed by the cluster's CA), whose
kubeconfig points at the cluster's endpoint: the IP-restricting proxy.

Its nodes trust the workshop's registry (the ``registry.json`` of the emulator's home,
written by the workshop's own sandbox), as OVHcloud's nodes trust the public certificate of
a Managed Private Registry: they may pull from it, with the login of the pod's
``imagePullSecrets``. The registry may move to another port between runs: each start reads
it again.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from workshop.sandbox import Sandbox
from workshop.sandbox import api as sandbox_api
from workshop.sandbox.layout import Layout
from workshop.sandbox.state import State

ADMIN_USER = "kubernetes-admin"
ADMIN_GROUP = "system:masters"
CERT_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True)
class ManagedCluster:
    """The files and the sandbox of one cluster."""

    root: Path
    profile: str = "instant"
    registry_file: Path | None = None
    """The workshop registry's ``registry.json`` (host and CA) the nodes trust, if any."""

    @property
    def layout(self) -> Layout:
        return Layout(self.root)

    @property
    def admin_cert(self) -> Path:
        return self.root / "kubernetes-admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.root / "kubernetes-admin.key"

    @property
    def audit_log(self) -> Path:
        return self.layout.log_file("audit")

    def sandbox(self, nodes: int | None = None) -> Sandbox:
        # no default pool: a managed cluster has only the pools its API creates; and no
        # registry (OVHcloud sells that separately)
        return Sandbox(
            self.root,
            nodes=nodes,
            profile=self.profile,
            audit=True,
            registry=False,
            default_pool=False,
            trust=trusted_registry(self.registry_file),
        )

    def exists(self) -> bool:
        return self.layout.state_file.exists()

    def is_running(self) -> bool:
        return self.sandbox().is_running()

    def up(self, *, nodes: int) -> None:
        """Start the control plane (the first start creates it); returns once it answers."""
        self.sandbox(nodes=nodes).up()

    def down(self) -> None:
        self.sandbox().down()

    def reset(self) -> None:
        """Every object gone: etcd is wiped and the control plane starts again."""
        self.sandbox().reset()

    def destroy(self) -> None:
        """Stop every process and remove every file of the cluster."""
        if self.exists():
            self.down()
        shutil.rmtree(self.root, ignore_errors=True)

    def apiserver_port(self) -> int | None:
        state = State.load(self.layout.state_file)
        return state.ports.apiserver if state else None

    def api(self) -> sandbox_api.Api:
        """kube-apiserver, reached directly with the sandbox's own admin certificate."""
        port = self.apiserver_port()
        if port is None:
            raise FileNotFoundError(f"no sandbox state in {self.root}")
        return sandbox_api.load("127.0.0.1", port, self.layout.pki)

    def etcd_usage(self) -> int:
        try:
            return (self.layout.etcd_data / "member" / "snap" / "db").stat().st_size
        except OSError:
            return 0

    def kubeconfig(self, *, name: str, server: str) -> str:
        """The learner's kubeconfig, shaped like the one the service hands out."""
        self._ensure_admin()
        ca = (self.layout.pki / "ca.crt").read_bytes()
        user = f"{ADMIN_USER}-{name}"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": name,
                    "cluster": {"server": server, "certificate-authority-data": _b64(ca)},
                }
            ],
            "contexts": [
                {"name": f"{ADMIN_USER}@{name}", "context": {"cluster": name, "user": user}}
            ],
            "current-context": f"{ADMIN_USER}@{name}",
            "preferences": {},
            "users": [
                {
                    "name": user,
                    "user": {
                        "client-certificate-data": _b64(self.admin_cert.read_bytes()),
                        "client-key-data": _b64(self.admin_key.read_bytes()),
                    },
                }
            ],
        }
        return str(yaml.safe_dump(config, sort_keys=False))

    def _ensure_admin(self) -> None:
        if self.admin_cert.exists() and self.admin_key.exists():
            return
        pki = self.layout.pki
        ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"unexpected CA key type in {pki}")
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, ADMIN_USER),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ADMIN_GROUP),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + CERT_VALIDITY)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(self.admin_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        self.admin_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def trusted_registry(registry_file: Path | None) -> dict[str, Path]:
    """``{host: CA file}`` from a ``registry.json``; empty when there is none (yet) or it
    cannot be read: the cluster then pulls only public images."""
    if registry_file is None:
        return {}
    try:
        data = json.loads(registry_file.read_text())
        host, ca = str(data["host"]), Path(data["ca"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not host or "/" in host or host.startswith(".") or not ca.is_file():
        return {}
    return {host: ca}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
