"""The sandbox's certificates: one CA, a serving cert, client certs, a service-account key,
and etcd's own CA with etcd's serving certificate and its client certificates.

ECDSA P-256 keys: generated in milliseconds, accepted by every Kubernetes component.
Written once per sandbox; ``reset`` keeps them so existing kubeconfigs stay valid. Every
file is readable by the sandbox's own user only (0600, in a 0700 folder).

etcd trusts a CA of its own, never the cluster's: kube-controller-manager signs client
certificates with the cluster's CA for any approved CertificateSigningRequest, and such a
certificate must open the API server (with RBAC), never etcd (which has no RBAC).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=3650)

# Client identities: file stem -> (common name, organisation). The CN/O pairs are the ones
# the default RBAC bindings of kube-apiserver expect for each component.
CLIENTS: dict[str, tuple[str, str | None]] = {
    "admin": ("workshop-admin", "system:masters"),
    "kube-controller-manager": ("system:kube-controller-manager", None),
    "kube-scheduler": ("system:kube-scheduler", None),
    "kwok": ("system:kwok-controller", "system:masters"),
    "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", "system:masters"),
    # the add-on controllers: rights from the ClusterRole in addons/manifests/rbac.yaml
    "addons": ("workshop:sandbox-addons", None),
}

# etcd's identities, signed by etcd's CA: file stem -> common name.
ETCD_SERVER = "etcd-server"
"""etcd's serving certificate, also its peer certificate (server and client usage)."""
ETCD_CLIENTS: dict[str, str] = {
    "apiserver-etcd-client": "kube-apiserver-etcd-client",
    # the workshop's own reads (lab 07 reads a Secret as stored), like etcdctl on a node
    "etcd-client": "workshop-etcd-client",
}

SERVICE_IP = "10.96.0.1"


@dataclass(frozen=True)
class Pki:
    """Paths of the sandbox's key material."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def etcd_ca_cert(self) -> Path:
        return self.root / "etcd-ca.crt"

    @property
    def etcd_ca_key(self) -> Path:
        return self.root / "etcd-ca.key"

    @property
    def sa_key(self) -> Path:
        return self.root / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.root / "sa.pub"

    def cert(self, name: str) -> Path:
        return self.root / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.root / f"{name}.key"

    def files(self) -> list[Path]:
        """Every file of a complete set (a folder made by an older workshop lacks some)."""
        names = ["serving", *CLIENTS, ETCD_SERVER, *ETCD_CLIENTS]
        files = [self.ca_cert, self.ca_key, self.etcd_ca_cert, self.etcd_ca_key]
        files += [self.sa_key, self.sa_pub]
        return files + [self.cert(n) for n in names] + [self.key(n) for n in names]

    def exists(self) -> bool:
        return all(f.exists() for f in self.files())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, data)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    _write_private(path, cert.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (kept so when it is rewritten)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def ensure(pki: Pki, *, hosts: list[str]) -> None:
    """Create the CA and every certificate that is missing.

    An existing CA is kept, so existing kubeconfigs stay valid; a client added in a newer
    version of the workshop just gets its certificate signed by it.
    """
    pki.root.mkdir(parents=True, exist_ok=True)
    pki.root.chmod(0o700)
    # a folder written by an older workshop had world-readable certificates
    for path in pki.root.iterdir():
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
    if pki.exists() and _serves(pki, hosts):
        return
    ca_name = _name("workshop-sandbox-ca")
    ca_key, fresh = _ca(pki.ca_cert, pki.ca_key, ca_name)
    etcd_ca_name = _name("workshop-sandbox-etcd-ca")
    etcd_ca_key, etcd_fresh = _ca(pki.etcd_ca_cert, pki.etcd_ca_key, etcd_ca_name)

    def issue(
        name: str,
        subject: x509.Name,
        usage: list[x509.ObjectIdentifier],
        san: list[x509.GeneralName] | None = None,
        *,
        etcd: bool = False,
    ) -> None:
        kept = not (etcd_fresh if etcd else fresh)
        kept = kept and pki.cert(name).exists() and pki.key(name).exists()
        if kept and (name != "serving" or _serves(pki, hosts)):
            return
        key = ec.generate_private_key(ec.SECP256R1())
        issuer = etcd_ca_name if etcd else ca_name
        builder = _builder(subject, issuer, key.public_key()).add_extension(
            x509.ExtendedKeyUsage(usage), critical=False
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        _write_key(pki.key(name), key)
        signer = etcd_ca_key if etcd else ca_key
        _write_cert(pki.cert(name), builder.sign(signer, hashes.SHA256()))

    dns = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]
    ips = {"127.0.0.1", "::1", SERVICE_IP, *(h for h in hosts if _is_ip(h))}
    dns += [h for h in hosts if not _is_ip(h) and h not in dns]
    san: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    san += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in sorted(ips)]
    server, client = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
    issue("serving", _name("workshop-sandbox-apiserver"), [server], san)
    for stem, (cn, org) in CLIENTS.items():
        issue(stem, _name(cn, org), [client])
    # etcd listens on loopback only (even when the API is shared with `up --address`)
    loopback: list[x509.GeneralName] = [x509.DNSName("localhost")]
    loopback += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ("127.0.0.1", "::1")]
    # a peer connection presents the same certificate as a client: both usages
    issue(ETCD_SERVER, _name("workshop-sandbox-etcd"), [server, client], loopback, etcd=True)
    for stem, cn in ETCD_CLIENTS.items():
        issue(stem, _name(cn), [client], etcd=True)

    if fresh or not (pki.sa_key.exists() and pki.sa_pub.exists()):
        sa_key = ec.generate_private_key(ec.SECP256R1())
        _write_key(pki.sa_key, sa_key)
        _write_private(
            pki.sa_pub,
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )


def _ca(cert: Path, key: Path, name: x509.Name) -> tuple[ec.EllipticCurvePrivateKey, bool]:
    """The CA kept in ``cert``/``key``, or a new one; and whether it is new."""
    if cert.exists() and key.exists():
        loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        return loaded, False
    return _new_ca(cert, key, name), True


def _new_ca(cert: Path, key: Path, ca_name: x509.Name) -> ec.EllipticCurvePrivateKey:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(key, ca_key)
    _write_cert(cert, ca)
    return ca_key


def _serves(pki: Pki, hosts: list[str]) -> bool:
    """Whether the serving certificate names every host (a new `--address` needs a new one)."""
    try:
        cert = x509.load_pem_x509_certificate(pki.cert("serving").read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    ips = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    dns = set(names.get_values_for_type(x509.DNSName))
    return all((h in ips) if _is_ip(h) else (h in dns) for h in hosts if h != "0.0.0.0")  # noqa: S104


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
