"""A pod's image pull secrets as the kubelet reads them: the docker config's entries, which
login goes to which registry, and a secret that cannot be used (no cluster)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.unit.test_addons_controllers import Group, informer
from workshop.cloud.managed import ManagedCluster, trusted_registry
from workshop.sandbox.addons import annotations as notes
from workshop.sandbox.addons import catalogue, pullsecrets, registry
from workshop.sandbox.addons.pulls import ImagePulls
from workshop.sandbox.addons.settings import for_profile
from workshop.sandbox.layout import Layout
from workshop.sandbox.registry_auth import Credentials

HOST = "127.0.0.1:5000"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(config: Any, *, kind: str = pullsecrets.DOCKER_CONFIG_JSON, raw: bool = False) -> dict:  # type: ignore[type-arg]
    """A Secret as kube-apiserver returns it (``data`` base64)."""
    text = config if raw else json.dumps(config)
    key = pullsecrets.KEYS.get(kind, ".dockerconfigjson")
    return {
        "metadata": {"name": "regcred", "namespace": "shop"},
        "type": kind,
        "data": {key: b64(text)},
    }


def login(user: str, password: str) -> dict[str, str]:
    return {"auth": b64(f"{user}:{password}")}


def ring(*secrets: dict) -> pullsecrets.Keyring:  # type: ignore[type-arg]
    return pullsecrets.keyring(secrets)


def test_a_dockerconfigjson_gives_its_login_to_its_host_only() -> None:
    keys = ring(secret({"auths": {HOST: login("workshop", "s3cret:with:colons")}}))
    assert keys.lookup(catalogue.parse(f"{HOST}/capstone-web:1.0")) == [
        Credentials("workshop", "s3cret:with:colons")
    ]
    assert keys.lookup(catalogue.parse("127.0.0.1:5001/capstone-web:1.0")) == []
    assert keys.lookup(catalogue.parse("localhost:5000/capstone-web:1.0")) == []
    assert keys.lookup(catalogue.parse("nginx:1.27")) == []


def test_keys_match_as_the_kubelet_normalises_them() -> None:
    keys = ring(
        secret(
            {
                "auths": {
                    "https://*.gra7.container-registry.ovh.net": login("robot", "any"),
                    "abc.gra7.container-registry.ovh.net/team-a": login("team-a", "a"),
                    "https://example.com:8443/v2/": {"username": "u", "password": "p"},
                }
            }
        )
    )
    team = catalogue.parse("abc.gra7.container-registry.ovh.net/team-a/web:1")
    # the most specific key first, then the wildcard one
    assert [c.user for c in keys.lookup(team)] == ["team-a", "robot"]
    other = catalogue.parse("ABC.gra7.container-registry.ovh.net/team-b/web:1")
    assert [c.user for c in keys.lookup(other)] == ["robot"]
    assert keys.lookup(catalogue.parse("x.y.gra7.container-registry.ovh.net/a/b:1")) == []
    assert keys.lookup(catalogue.parse("example.com:8443/v2/app:1")) == [Credentials("u", "p")]


def test_an_unpadded_auth_and_the_old_dockercfg_are_read() -> None:
    unpadded = b64("me:pw").rstrip("=")
    keys = ring(secret({HOST: {"auth": unpadded}}, kind=pullsecrets.DOCKER_CFG))
    assert keys.lookup(catalogue.parse(f"{HOST}/a:1")) == [Credentials("me", "pw")]


def test_secrets_of_other_types_and_empty_entries_are_not_read() -> None:
    opaque = secret({"auths": {HOST: login("a", "b")}}, kind="Opaque")
    assert ring(opaque).lookup(catalogue.parse(f"{HOST}/a:1")) == []
    empty = secret({"auths": {HOST: {"email": "me@example.com"}}})
    assert ring(empty).lookup(catalogue.parse(f"{HOST}/a:1")) == []


@pytest.mark.parametrize(
    ("config", "raw", "says"),
    [
        ("{not json", True, "is not valid JSON"),
        ("[1, 2]", True, "is not a JSON object"),
        ({"auths": ["x"]}, False, '"auths" is not an object'),
        ({"auths": {HOST: "x"}}, False, "entry for '127.0.0.1:5000' is not an object"),
        ({"auths": {HOST: {"auth": "!!!"}}}, False, "auth field is not base64"),
        ({"auths": {HOST: {"auth": b64("nocolon")}}}, False, "base64(username:password)"),
    ],
)
def test_a_malformed_secret_says_which_and_why(config: Any, raw: bool, says: str) -> None:
    with pytest.raises(pullsecrets.SecretError) as info:
        ring(secret(config, raw=raw))
    assert 'the image pull secret "shop/regcred" cannot be read' in str(info.value)
    assert says in str(info.value)


def test_the_password_never_shows_in_a_log_line() -> None:
    assert "s3cret" not in repr(Credentials("workshop", "s3cret"))


def pod(*pull_secrets: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "shop", "uid": "u-1", "annotations": {}},
        "spec": {
            "nodeName": "node-0",
            "imagePullSecrets": [{"name": n} for n in pull_secrets],
            "containers": [{"name": "web", "image": f"{HOST}/capstone-web:1.0"}],
        },
    }


def controller(answers: dict[str, Any], seen: list[tuple[catalogue.ImageRef, list[Any]]]) -> Any:
    def source(ref: catalogue.ImageRef, logins: Any) -> catalogue.Image | None:
        seen.append((ref, list(logins)))
        if ref.registry != HOST:
            return None
        if list(logins) != [Credentials("workshop", "right")]:
            raise catalogue.PullError(catalogue.denied(ref))
        return catalogue.Image(ref=ref, source="registry")

    core = Group(answers)
    kube = SimpleNamespace(core=core)
    return core, ImagePulls(
        kube,  # type: ignore[arg-type]
        informer("pods", pod("regcred")),
        informer("claims"),
        for_profile("instant"),
        [source],
    )


def shown(core: Group) -> dict[str, str]:
    patches = [args[2] for method, args in core.calls if method == "patch_namespaced_pod"]
    assert patches, core.calls
    found: dict[str, str] = patches[-1]["metadata"]["annotations"]
    return found


def test_the_pulls_controller_sends_the_pod_s_login() -> None:
    good = secret({"auths": {HOST: login("workshop", "right")}})
    seen: list[tuple[catalogue.ImageRef, list[Any]]] = []
    core, pulls = controller({"read_namespaced_secret": good}, seen)
    pulls.reconcile("shop/web-0")
    assert ("read_namespaced_secret", ("regcred", "shop")) in core.calls
    assert seen[0][1] == [Credentials("workshop", "right")]
    assert shown(core)[notes.PULLED] == "true"


def test_a_malformed_pull_secret_is_an_image_pull_error_that_names_it() -> None:
    broken = secret({"auths": {HOST: {"auth": "!!!"}}})
    seen: list[tuple[catalogue.ImageRef, list[Any]]] = []
    core, pulls = controller({"read_namespaced_secret": broken}, seen)
    pulls.reconcile("shop/web-0")  # no exception: the add-on goes on
    assert seen == []  # no pull is tried, as the kubelet's
    annotations = shown(core)
    assert annotations[notes.WAITING_REASON] == "ErrImagePull"
    assert (
        'the image pull secret "shop/regcred" cannot be read' in annotations[notes.WAITING_MESSAGE]
    )


def test_a_missing_pull_secret_pulls_without_a_login() -> None:
    seen: list[tuple[catalogue.ImageRef, list[Any]]] = []
    core, pulls = controller({"read_namespaced_secret": None}, seen)
    pulls.reconcile("shop/web-0")
    assert seen[0][1] == []
    annotations = shown(core)
    assert annotations[notes.WAITING_REASON] == "ErrImagePull"
    assert "pull access denied" in annotations[notes.WAITING_MESSAGE]


def test_the_nodes_trust_the_hosts_in_certs_d(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    (layout.certs_d / HOST).mkdir(parents=True)
    (layout.certs_d / HOST / "ca.crt").write_text("pem")
    (layout.certs_d / "empty:1").mkdir()
    assert registry.trusted(layout) == {HOST: layout.certs_d / HOST / "ca.crt"}
    assert registry.trusted(Layout(tmp_path / "none")) == {}


def test_a_managed_cluster_trusts_the_workshop_registry(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("pem")
    where = tmp_path / "registry.json"
    where.write_text(json.dumps({"host": HOST, "ca": str(ca), "user": "workshop"}))
    cluster = ManagedCluster(tmp_path / "cluster", registry_file=where)
    assert cluster.sandbox().trust == {HOST: ca}
    assert trusted_registry(None) == {}
    assert trusted_registry(tmp_path / "missing.json") == {}
    where.write_text(json.dumps({"host": "../x", "ca": str(ca)}))
    assert trusted_registry(where) == {}
    where.write_text(json.dumps({"host": HOST, "ca": str(tmp_path / "gone.crt")}))
    assert trusted_registry(where) == {}
