"""Signatures, keys and access rules of the emulated API, as python-ovh and go-ovh see them."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_cloud_fakes import NOW, World
from workshop.cloud import auth, signing
from workshop.cloud.store import Credential


def test_signature_matches_python_ovh_test_vector() -> None:
    # python-ovh tests/test_client.py: the same keys, time and call give this signature
    assert (
        signing.signature(
            secret="9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk",
            consumer_key="5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY",
            method="GET",
            url="https://eu.api.ovh.com/1.0/auth",
            body=b"",
            timestamp="1457018875",
        )
        == "$1$e9556054b6309771395efa467c22e627407461ad"
    )


def test_auth_time_is_a_bare_integer_and_needs_no_signature() -> None:
    world = World()
    response = world.send(world.request("GET", "/auth/time", sign=False))
    assert response.status == 200
    assert response.body == str(int(NOW)).encode()


def test_a_signed_call_is_answered() -> None:
    world = World()
    assert world.ok("GET", "/me")["nichandle"] == world.store.account.nichandle
    assert world.store.credentials[world.ck].last_use == NOW


def test_a_wrong_secret_is_an_invalid_signature_with_both_clients_fields() -> None:
    world = World()
    response = world.send(world.request("GET", "/me", secret="x" * 32))
    assert response.status == 400
    body = json.loads(response.body)
    # python-ovh reads errorCode and message; go-ovh reads class and message
    assert body["errorCode"] == "INVALID_SIGNATURE"
    assert body["class"] == "Client::BadRequest"
    assert body["message"] == "Invalid signature"
    assert dict(response.headers)["X-Ovh-QueryId"]


def test_the_signature_covers_the_raw_body_bytes() -> None:
    world = World()
    signed = world.request("POST", world.kube, {"region": "GRA11"})
    respaced = json.dumps({"region": "GRA11"}).encode()  # same JSON, other bytes
    tampered = type(signed)(**{**signed.__dict__, "body": respaced})
    assert world.send(tampered).status == 400
    assert world.send(signed).status == 200


def test_the_signature_covers_scheme_host_port_and_query() -> None:
    world = World()
    good = world.request(
        "GET", f"/cloud/project/{world.project}/capabilities/kube/flavors", query="region=GRA11"
    )
    assert world.send(good).status == 200
    other_port = type(good)(**{**good.__dict__, "url": good.url.replace(":8443", ":9443")})
    assert world.send(other_port).status == 400
    no_query = type(good)(**{**good.__dict__, "url": good.url.split("?")[0]})
    assert world.send(no_query).status == 400


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"x-ovh-application": "unknownappkey000"}, 403, "INVALID_KEY"),
        ({"x-ovh-consumer": "unknown" * 4}, 403, "NOT_CREDENTIAL"),
    ],
)
def test_unknown_keys(change: dict[str, str], status: int, code: str) -> None:
    world = World()
    response = world.send(world.request("GET", "/me", headers=change))
    assert response.status == status
    assert json.loads(response.body)["errorCode"] == code


def test_a_call_without_signature_headers_must_login() -> None:
    world = World()
    response = world.send(world.request("GET", "/me", sign=False))
    assert response.status == 401
    assert json.loads(response.body)["message"] == "You must login first"


def test_a_pending_or_expired_consumer_key_is_not_valid() -> None:
    world = World()
    credential = world.store.credentials[world.ck]
    credential.state = "pendingValidation"
    assert world.call("GET", "/me")[1]["errorCode"] == "INVALID_CREDENTIAL"
    credential.state, credential.expires = "validated", NOW + 60
    assert world.call("GET", "/me")[0] == 200
    world.now = NOW + 61
    status, body = world.call("GET", "/me")
    assert (status, body["errorCode"]) == (403, "INVALID_CREDENTIAL")
    assert credential.state == "expired"


def test_an_old_timestamp_is_out_of_time() -> None:
    world = World()
    status, body = world.call("GET", "/me", timestamp=NOW - auth.TIMESTAMP_WINDOW - 5)
    assert (status, body["errorCode"]) == (400, "QUERY_TIME_OUT")


def test_access_rules_grant_methods_and_paths() -> None:
    rules = [{"method": "GET", "path": "/cloud/project/*"}, {"method": "GET", "path": "/me"}]
    assert auth.granted(rules, "GET", "/cloud/project/abc/kube/def")
    assert auth.granted(rules, "GET", "/me")
    assert not auth.granted(rules, "GET", "/cloud/project")  # needs its own rule
    assert not auth.granted(rules, "POST", "/cloud/project/abc/kube")
    assert not auth.granted(rules, "GET", "/me/bill")


def test_a_call_outside_the_rules_is_not_granted() -> None:
    world = World()
    world.store.credentials[world.ck].rules = [{"method": "GET", "path": "/*"}]
    assert world.call("GET", "/me")[0] == 200
    status, body = world.call("POST", world.kube, {"region": "GRA11"})
    assert (status, body["errorCode"], body["message"]) == (
        403,
        "NOT_GRANTED_CALL",
        "This call has not been granted",
    )
    assert not world.store.clusters


def test_allowed_ips_of_a_consumer_key() -> None:
    world = World()
    world.store.credentials[world.ck].allowed_ips = ["203.0.113.0/24"]
    assert world.call("GET", "/me")[1]["errorCode"] == "FORBIDDEN"
    assert world.call("GET", "/me", client_ip="203.0.113.7")[0] == 200


def test_consumer_key_request_validation_and_use() -> None:
    world = World()
    rules = [{"method": "GET", "path": "/me"}]
    asked = world.send(
        world.request(
            "POST", "/auth/credential", {"accessRules": rules, "redirection": None}, sign=False
        )
    )
    answer = json.loads(asked.body)
    assert answer["state"] == "pendingValidation"
    assert answer["validationUrl"].startswith("http://127.0.0.1:8443/auth/?credentialToken=")
    credential: Credential = world.store.credentials[answer["consumerKey"]]
    assert credential.rules == rules
    token = answer["validationUrl"].split("=", 1)[1]
    page = world.page("GET", "/auth/", query={"credentialToken": token})
    assert page.status == 200 and b"GET /me" in page.body
    form = f"credentialToken={token}&validity=3600&action=authorize".encode()
    assert world.page("POST", "/auth/", form=form).status == 200
    assert credential.state == "validated" and credential.expires == NOW + 3600


def test_a_consumer_key_request_needs_a_known_application_and_rules() -> None:
    world = World()
    unknown = world.request(
        "POST",
        "/auth/credential",
        {"accessRules": []},
        sign=False,
        headers={"X-Ovh-Application": "nope"},
    )
    assert json.loads(world.send(unknown).body)["errorCode"] == "INVALID_KEY"
    status, message = world.error("POST", "/auth/credential", {"accessRules": []}, sign=False)
    assert status == 400 and "accessRules" in message
    status, message = world.error(
        "POST", "/auth/credential", {"accessRules": [{"method": "PATCH", "path": "/*"}]}, sign=False
    )
    assert status == 400 and "PATCH" in message


def test_details_name_the_account_as_the_terraform_provider_reads_it() -> None:
    world = World()
    details = world.ok("GET", "/auth/details")
    assert details["account"] == world.store.account.nichandle
    assert details["allowedRoutes"] == world.store.credentials[world.ck].rules
    current = world.ok("GET", "/auth/currentCredential")
    assert current["status"] == "validated" and current["credentialId"] == 2


def test_logout_ends_the_consumer_key() -> None:
    world = World()
    assert world.call("POST", "/auth/logout")[0] == 200
    assert world.call("GET", "/me")[1]["errorCode"] == "INVALID_CREDENTIAL"


def test_unknown_paths_answer_as_the_api_does() -> None:
    world = World()
    status, message = world.error("GET", "/nothing/here")
    assert (status, message) == (404, "Got an invalid (or empty) URL")
