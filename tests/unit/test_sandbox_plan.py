"""The sandbox's command lines, kwok stages, nodes and certificates (pure, no processes)."""

from __future__ import annotations

import ssl
import stat
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from workshop.errors import SandboxError
from workshop.sandbox import components, kwokconfig, nodes, pki, ports
from workshop.sandbox.layout import Layout
from workshop.sandbox.sandbox import EtcdClient

PORTS = components.Ports(apiserver=16443, etcd=12379, etcd_peer=12380, kwok=10250, registry=15000)


def plan(tmp_path: Path, bind: str = "127.0.0.1") -> dict[str, components.Component]:
    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
    names += ("registry",)
    found = {n: Path(f"/opt/bin/{n}") for n in names}
    result = components.control_plane(Layout(tmp_path), binaries=found, ports=PORTS, bind=bind)
    return {c.name: c for c in result}


def flags(component: components.Component) -> dict[str, str]:
    pairs = (arg.removeprefix("--").split("=", 1) for arg in component.argv[1:])
    return {k: v for k, v in pairs}


def test_everything_listens_on_loopback_by_default(tmp_path: Path) -> None:
    p = plan(tmp_path)
    assert flags(p["kube-apiserver"])["bind-address"] == "127.0.0.1"
    assert flags(p["etcd"])["listen-client-urls"] == "https://127.0.0.1:12379"
    assert flags(p["etcd"])["listen-peer-urls"] == "https://127.0.0.1:12380"
    assert flags(p["kwok"])["server-address"] == "127.0.0.1:10250"
    # controller-manager and scheduler serve nothing at all
    assert flags(p["kube-controller-manager"])["secure-port"] == "0"
    assert flags(p["kube-scheduler"])["secure-port"] == "0"


def test_etcd_stays_on_loopback_even_when_the_api_is_shared(tmp_path: Path) -> None:
    p = plan(tmp_path, bind="192.0.2.10")
    assert flags(p["kube-apiserver"])["bind-address"] == "192.0.2.10"
    assert "127.0.0.1" in flags(p["etcd"])["listen-client-urls"]


def test_etcd_answers_only_clients_with_a_certificate_of_its_own_ca(tmp_path: Path) -> None:
    p = plan(tmp_path)
    etcd, apiserver = flags(p["etcd"]), flags(p["kube-apiserver"])
    for side in ("", "peer-"):
        assert etcd[f"{side}client-cert-auth"] == "true"
        assert etcd[f"{side}trusted-ca-file"] == str(tmp_path / "sandbox/pki/etcd-ca.crt")
        assert etcd[f"{side}cert-file"] == str(tmp_path / "sandbox/pki/etcd-server.crt")
        assert etcd[f"{side}key-file"] == str(tmp_path / "sandbox/pki/etcd-server.key")
    for url in ("advertise-client-urls", "initial-advertise-peer-urls", "initial-cluster"):
        assert "http://" not in etcd[url]
    assert apiserver["etcd-servers"] == "https://127.0.0.1:12379"
    assert apiserver["etcd-cafile"] == etcd["trusted-ca-file"]
    assert apiserver["etcd-certfile"].endswith("/apiserver-etcd-client.crt")
    assert apiserver["etcd-keyfile"].endswith("/apiserver-etcd-client.key")


def test_no_component_gets_the_callers_environment(tmp_path: Path) -> None:
    caller = {
        "OVH_APPLICATION_SECRET": "s3cret",
        "AWS_SECRET_ACCESS_KEY": "k",
        "PATH": "/home/instructor/bin:/usr/bin",
        "HOME": "/home/instructor",
        "PYTHONPATH": "/src/workshop",
    }
    found = {n: Path(f"/opt/bin/{n}") for n in ("etcd", "kube-apiserver", "registry")}
    found |= {n: Path(f"/opt/bin/{n}") for n in ("kube-controller-manager", "kube-scheduler")}
    found["kwok"] = Path("/opt/bin/kwok")
    exec_dir = tmp_path / "exec"
    planned = components.control_plane(
        Layout(tmp_path), binaries=found, ports=PORTS, exec_dir=exec_dir, caller_env=caller
    )
    assert len(planned) == 7
    for component in planned:
        env = component.env
        assert env["PATH"] == components.PATH
        assert env["LANG"] == env["LC_ALL"] == "C.UTF-8"
        assert "OVH_APPLICATION_SECRET" not in env and "AWS_SECRET_ACCESS_KEY" not in env
        scratch = exec_dir if component.name == "kwok" else tmp_path / "sandbox/tmp"
        assert env["HOME"] == env["TMPDIR"] == str(scratch)
        passed = {k for k, v in caller.items() if env.get(k) == v}
        # the add-ons import the workshop package the caller planned them with
        assert passed == ({"PYTHONPATH"} if component.name == "addons" else set())


def test_apiserver_has_tls_rbac_and_admission(tmp_path: Path) -> None:
    f = flags(plan(tmp_path)["kube-apiserver"])
    assert f["authorization-mode"] == "Node,RBAC"
    assert f["tls-cert-file"].endswith("serving.crt")
    assert f["client-ca-file"].endswith("ca.crt")
    assert "anonymous-auth" not in f or f["anonymous-auth"] == "false"
    enabled = f["enable-admission-plugins"].split(",")
    for plugin in (
        "NamespaceLifecycle",
        "ServiceAccount",
        "LimitRanger",
        "ResourceQuota",
        "PodSecurity",
        "DefaultStorageClass",
        "NodeRestriction",
    ):
        assert plugin in enabled


def test_controller_manager_signs_service_account_tokens(tmp_path: Path) -> None:
    f = flags(plan(tmp_path)["kube-controller-manager"])
    assert f["service-account-private-key-file"].endswith("sa.key")
    assert f["root-ca-file"].endswith("ca.crt")
    assert f["leader-elect"] == "false"


def test_only_etcd_apiserver_and_the_addons_start_before_the_api_answers(tmp_path: Path) -> None:
    p = plan(tmp_path)
    # the add-ons wait for the API themselves: their start-up overlaps the apiserver's
    assert [n for n, c in p.items() if not c.needs_api] == [
        "etcd",
        "kube-apiserver",
        "registry",
        "addons",
    ]


def test_a_sandbox_given_no_registry_binary_runs_none(tmp_path: Path) -> None:
    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
    found = {n: Path(f"/opt/bin/{n}") for n in names}
    started = components.control_plane(Layout(tmp_path), binaries=found, ports=PORTS)
    assert [c.name for c in started] == [*names, "addons"]


def test_the_registry_serves_tls_on_loopback_from_the_sandbox_data(tmp_path: Path) -> None:
    registry = plan(tmp_path)["registry"]
    assert registry.argv == (
        "/opt/bin/registry",
        "serve",
        str(tmp_path / "sandbox/config/registry.yml"),
    )
    assert registry.env["OTEL_TRACES_EXPORTER"] == "none"  # no tracing exporter to dial
    config = components.registry_config(Layout(tmp_path), 15000)
    http = config["http"]
    assert isinstance(http, dict)
    assert http["addr"] == "127.0.0.1:15000"
    assert http["tls"]["certificate"].endswith("serving.crt")
    assert http["tls"]["key"].endswith("serving.key")
    storage = config["storage"]
    assert isinstance(storage, dict)
    assert storage["filesystem"]["rootdirectory"] == str(tmp_path / "sandbox/registry")


@pytest.mark.parametrize("profile", sorted(kwokconfig.PROFILES))
def test_every_profile_has_all_stages_and_heartbeats_wait(profile: str) -> None:
    stages = {s["metadata"]["name"]: s for s in kwokconfig.stages(profile)}
    assert {"node-initialize", "node-heartbeat", "pod-create", "pod-ready", "pod-delete"} <= set(
        stages
    )
    assert stages["node-heartbeat"]["spec"]["delay"]["durationMilliseconds"] > 0


def test_lifelike_pods_take_time_and_instant_ones_do_not() -> None:
    lifelike = {s["metadata"]["name"]: s for s in kwokconfig.stages("lifelike")}
    instant = {s["metadata"]["name"]: s for s in kwokconfig.stages("instant")}
    assert lifelike["pod-start"]["spec"]["delay"]["durationMilliseconds"] >= 1000
    assert lifelike["node-initialize"]["spec"]["delay"]["durationMilliseconds"] >= 1000
    for name in ("pod-create", "pod-start", "node-initialize"):
        assert "delay" not in instant[name]["spec"]


@pytest.mark.parametrize("profile", sorted(kwokconfig.PROFILES))
def test_crash_back_off_doubles_from_the_profiles_numbers(profile: str) -> None:
    base, ceiling = kwokconfig.BACKOFF[profile]
    restart = next(s for s in kwokconfig.stages(profile) if s["metadata"]["name"] == "pod-restart")
    expression = restart["spec"]["delay"]["durationFrom"]["expressionFrom"]
    assert f"{base} * pow(2;" in expression and f", {ceiling}]" in expression
    text = kwokconfig.dump(kwokconfig.stages(profile))
    assert "BACKOFF_" not in text


def test_stages_read_only_the_annotations_the_addons_write() -> None:
    import re

    from workshop.sandbox.addons import annotations

    text = kwokconfig.dump(kwokconfig.stages("instant"))
    used = set(re.findall(r"sandbox\.workshop\.dev/[a-z-]+", text))
    assert used, "the pod stages are gated on the add-ons' annotations"
    assert used <= set(annotations.POD_ANNOTATIONS)
    # the gate: containers start only once the image controller said so
    start = next(s for s in kwokconfig.stages("instant") if s["metadata"]["name"] == "pod-start")
    keys = [e["key"] for e in start["spec"]["selector"]["matchExpressions"]]
    assert f'.metadata.annotations["{annotations.PULLED}"]' in keys


def test_the_addons_run_with_their_own_identity(tmp_path: Path) -> None:
    addons = plan(tmp_path)["addons"]
    assert addons.argv[1:3] == ("-m", "workshop.sandbox.addons")
    assert addons.argv[3] == str(tmp_path)
    assert pki.CLIENTS["addons"] == ("workshop:sandbox-addons", None)  # no system:masters


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(SandboxError, match="unknown delay profile 'slow'") as info:
        kwokconfig.stages("slow")
    assert info.value.hint is not None and "instant" in info.value.hint


def test_exec_never_runs_as_root(tmp_path: Path) -> None:
    docs = kwokconfig.config(
        profile="instant", log_file=tmp_path / "l", exec_dir=tmp_path, exec_user=65534
    )
    execs = next(d for d in docs if d["kind"] == "ClusterExec")["spec"]["execs"]
    assert execs[0]["local"]["securityContext"]["runAsUser"] == 65534


def test_nodes_look_like_managed_nodes() -> None:
    node = nodes.manifest(pool="nodepool", index=0, flavor="b3-16")
    labels = node["metadata"]["labels"]
    # the flavor's id, not its name, as on OVHcloud (a UUID); stable, and one per flavor
    assert labels["node.kubernetes.io/instance-type"] == nodes.flavor_id("b3-16")
    assert str(uuid.UUID(nodes.flavor_id("b3-16"))) == nodes.flavor_id("b3-16")
    assert nodes.flavor_id("b3-16") != nodes.flavor_id("b3-8")
    assert labels["nodepool"] == "nodepool"
    assert labels["topology.kubernetes.io/region"] == nodes.REGION
    assert node["status"]["capacity"]["cpu"] == "4"
    assert node["status"]["capacity"]["memory"] == "16Gi"
    # allocatable leaves room for the system, as on a real managed node
    assert int(node["status"]["allocatable"]["cpu"].removesuffix("m")) < 4000
    assert node["metadata"]["name"].startswith("nodepool-node-")


def test_node_names_are_stable_and_distinct() -> None:
    names = [nodes.node_name("nodepool", i) for i in range(200)]
    assert len(set(names)) == 200
    assert names[0] == nodes.node_name("nodepool", 0)
    assert len({nodes.node_ip(i) for i in range(200)}) == 200


def test_unknown_flavor_names_the_known_ones() -> None:
    with pytest.raises(SandboxError, match="unknown node flavor 'b9-1'") as info:
        nodes.manifest(pool="p", index=0, flavor="b9-1")
    assert "b3-8" in str(info.value)


def test_certificates(tmp_path: Path) -> None:
    keys = pki.Pki(tmp_path / "pki")
    pki.ensure(keys, hosts=["192.0.2.7"])
    assert keys.exists()
    serving = x509.load_pem_x509_certificate(keys.cert("serving").read_bytes())
    san = serving.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    assert {"127.0.0.1", "192.0.2.7", pki.SERVICE_IP} <= ips
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    admin = x509.load_pem_x509_certificate(keys.cert("admin").read_bytes())
    assert (
        admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    )
    assert stat.S_IMODE(keys.root.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in keys.files()} == {0o600}
    assert sorted(keys.root.iterdir()) == sorted(keys.files())
    # a second call keeps the existing CA (kubeconfigs stay valid)
    before = keys.ca_cert.read_bytes()
    pki.ensure(keys, hosts=[])
    assert keys.ca_cert.read_bytes() == before


def test_a_client_added_later_is_signed_by_the_existing_ca(tmp_path: Path) -> None:
    keys = pki.Pki(tmp_path / "pki")
    pki.ensure(keys, hosts=[])
    ca = keys.ca_cert.read_bytes()
    admin = keys.cert("admin").read_bytes()
    keys.cert("addons").unlink()
    pki.ensure(keys, hosts=[])
    assert keys.ca_cert.read_bytes() == ca and keys.cert("admin").read_bytes() == admin
    issued = x509.load_pem_x509_certificate(keys.cert("addons").read_bytes())
    authority = x509.load_pem_x509_certificate(ca)
    assert issued.issuer == authority.subject
    issued.verify_directly_issued_by(authority)


def test_nodes_get_the_pools_template_and_address() -> None:
    node = nodes.manifest(
        pool="gpu",
        index=3,
        flavor="c3-4",
        ip="10.0.0.42",
        labels={"team": "ml"},
        taints=[{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}],
    )
    assert node["metadata"]["labels"]["team"] == "ml"
    assert node["metadata"]["labels"]["nodepool"] == "gpu"
    assert node["spec"]["taints"][0]["key"] == "dedicated"
    assert node["status"]["addresses"] == [{"type": "InternalIP", "address": "10.0.0.42"}]
    pool = nodes.pool_manifest("nodepool", 3)
    assert pool["kind"] == "NodePool" and pool["spec"]["desiredNodes"] == 3
    assert pool["apiVersion"] == "kube.cloud.ovh.com/v1alpha1"


def test_picked_ports_are_free_and_distinct() -> None:
    chosen = ports.pick(4)
    assert len(set(chosen)) == 4
    assert all(ports.is_free(p) for p in chosen)


def test_etcd_has_a_ca_of_its_own(tmp_path: Path) -> None:
    keys = pki.Pki(tmp_path / "pki")
    pki.ensure(keys, hosts=["192.0.2.7"])
    etcd_ca = x509.load_pem_x509_certificate(keys.etcd_ca_cert.read_bytes())
    cluster_ca = x509.load_pem_x509_certificate(keys.ca_cert.read_bytes())
    assert etcd_ca.subject != cluster_ca.subject
    for name in ("etcd-server", "apiserver-etcd-client", "etcd-client"):
        x509.load_pem_x509_certificate(keys.cert(name).read_bytes()).verify_directly_issued_by(
            etcd_ca
        )
    # the cluster's client certificates (and any signed for a CSR) do not open etcd
    admin = x509.load_pem_x509_certificate(keys.cert("admin").read_bytes())
    with pytest.raises(ValueError):
        admin.verify_directly_issued_by(etcd_ca)
    server = x509.load_pem_x509_certificate(keys.cert("etcd-server").read_bytes())
    san = server.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    usage = server.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    assert {u.dotted_string for u in usage} == {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"}


def test_a_pki_folder_of_an_older_sandbox_gets_etcds_certificates(tmp_path: Path) -> None:
    keys = pki.Pki(tmp_path / "pki")
    pki.ensure(keys, hosts=[])
    # as written before etcd had TLS: no etcd files, certificates readable by everyone
    for name in ("etcd-ca", "etcd-server", "apiserver-etcd-client", "etcd-client"):
        keys.cert(name).unlink()
        keys.key(name).unlink()
    for path in keys.root.iterdir():
        if path.suffix in (".crt", ".pub"):
            path.chmod(0o644)
    kept = {f: f.read_bytes() for f in keys.root.iterdir()}
    assert not keys.exists()
    pki.ensure(keys, hosts=[])
    assert keys.exists()
    assert all(f.read_bytes() == data for f, data in kept.items())  # kubeconfigs stay valid
    assert {stat.S_IMODE(f.stat().st_mode) for f in keys.files()} == {0o600}
    etcd_ca = x509.load_pem_x509_certificate(keys.etcd_ca_cert.read_bytes())
    client = x509.load_pem_x509_certificate(keys.cert("apiserver-etcd-client").read_bytes())
    client.verify_directly_issued_by(etcd_ca)


def test_an_etcd_client_without_its_certificate_says_to_run_up(tmp_path: Path) -> None:
    keys = pki.Pki(tmp_path / "pki")
    pki.ensure(keys, hosts=[])
    client = EtcdClient(
        "https://127.0.0.1:12379",
        keys.etcd_ca_cert,
        keys.cert("etcd-client"),
        keys.key("etcd-client"),
    )
    assert client.ssl_context().verify_mode == ssl.CERT_REQUIRED
    keys.key("etcd-client").unlink()
    with pytest.raises(SandboxError, match=r"etcd-client\.key") as info:
        client.ssl_context()
    assert "workshop sandbox up" in (info.value.hint or "")


def test_on_a_class_address_kwoks_port_is_checked_on_loopback_where_it_listens(
    tmp_path: Path,
) -> None:
    """kwok listens on 127.0.0.1 whatever `--address` says: a port another program holds
    there moves, even though it is free on the class's address."""
    import socket

    from workshop.sandbox import Sandbox
    from workshop.sandbox.state import State

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        free = ports.pick(4, "127.0.0.1", avoid={taken})
        box = Sandbox(tmp_path / "home", bind="127.0.0.2")
        state = State(components.Ports(free[0], free[1], free[2], taken, free[3]), bind="127.0.0.2")
        checked = box._check_ports(state)
    assert checked.ports.kwok != taken
    assert checked.ports.apiserver == free[0]
    assert any(f"port {taken} is taken" in notice for notice in box.notices)
