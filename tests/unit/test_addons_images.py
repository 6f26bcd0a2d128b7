"""Image references, the catalogue, pull sources and what a container does (pure)."""

from __future__ import annotations

import math

import pytest

from workshop.sandbox.addons import behaviour, catalogue
from workshop.sandbox.addons.catalogue import ImageRef


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27-alpine", "docker.io/library/nginx:1.27-alpine"),
        ("ovhplatform/hello:2.0", "docker.io/ovhplatform/hello:2.0"),
        ("docker.io/library/redis", "docker.io/library/redis:latest"),
        ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1"),
        ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
        ("nginx@sha256:abc", "docker.io/library/nginx:latest@sha256:abc"),
    ],
)
def test_references_are_normalised_like_a_container_runtime(reference: str, expected: str) -> None:
    assert str(catalogue.parse(reference)) == expected


@pytest.mark.parametrize(
    ("tag", "known"),
    [
        ("latest", True),
        ("1.27", True),
        ("1.27.3-alpine", True),
        ("alpine", True),
        ("11.4.4-debian-12-r0", True),
        ("doesnotexist", False),
        ("1.27-doesnotexist", False),
    ],
)
def test_tags(tag: str, known: bool) -> None:
    assert catalogue.tag_exists(tag, ["alpine", "perl"]) is known


def test_every_image_the_labs_use_is_in_the_catalogue() -> None:
    names = [
        "ovhplatform/hello",
        "nginx",
        "httpd",
        "wordpress",
        "mariadb",
        "mysql",
        "redis",
        "postgres",
        "busybox",
        "python",
        "bitnami/wordpress:6.7.1-debian-12-r3",
    ]
    for name in names:
        image = catalogue.pull(name, catalogue.default_sources())
        assert image.memory > 0 and image.size_mb > 0
    hello = catalogue.pull("ovhplatform/hello:2.0", catalogue.default_sources())
    assert hello.app == "hello" and hello.ports == (80,)
    assert catalogue.pull("mysql:8.4", catalogue.default_sources()).data == "/var/lib/mysql"


def test_an_unknown_tag_fails_with_the_runtimes_words() -> None:
    with pytest.raises(catalogue.PullError) as info:
        catalogue.pull("nginx:doesnotexist", catalogue.default_sources())
    assert "code = NotFound" in str(info.value)
    assert "docker.io/library/nginx:doesnotexist: not found" in str(info.value)
    with pytest.raises(catalogue.PullError, match="pull access denied"):
        catalogue.pull("ngnix", catalogue.default_sources())


def test_pull_sources_plug_in_in_order() -> None:
    def registry(ref: ImageRef, logins: object = ()) -> catalogue.Image | None:
        if ref.registry == "localhost:5000":
            return catalogue.Image(ref=ref, app="hello", ports=(8080,), source="registry")
        return None

    sources = [*catalogue.default_sources(), registry]
    pushed = catalogue.pull("localhost:5000/me/hello:v1", sources)
    assert pushed.source == "registry" and pushed.ports == (8080,)
    with pytest.raises(catalogue.PullError):
        catalogue.pull("localhost:5000/me/hello:v1", catalogue.default_sources())


def image(name: str) -> catalogue.Image:
    return catalogue.pull(name, catalogue.default_sources())


def run(container: dict, name: str = "busybox", policy: str = "Always") -> behaviour.Program:  # type: ignore[type-arg]
    return behaviour.program(
        {"name": "c", "image": name, **container}, image(name), restart_policy=policy, pod="web-0"
    )


def test_an_images_own_server_serves_forever() -> None:
    nginx = run({}, "nginx")
    assert nginx.serves == "nginx" and nginx.ports == (80,) and nginx.exit_code is None
    daemon = run({"args": ["nginx", "-g", "daemon off;"]}, "nginx")
    assert daemon.serves == "nginx"


@pytest.mark.parametrize(
    ("container", "code", "reason", "seconds"),
    [
        ({"command": ["sh", "-c", "exit 1"]}, 1, "Error", 0.0),
        ({"command": ["false"]}, 1, "Error", 0.0),
        ({"args": ["sleep", "5"]}, 0, "Completed", 5.0),
        ({"command": ["sh", "-c", "echo hi; sleep 2; exit 3"]}, 3, "Error", 2.0),
        ({}, 0, "Completed", 0.0),  # sh without a terminal ends at once
    ],
)
def test_commands_that_end(container: dict, code: int, reason: str, seconds: float) -> None:  # type: ignore[type-arg]
    program = run(container)
    assert (program.exit_code, program.reason, program.runs_for) == (code, reason, seconds)


def test_commands_that_run_print_their_lines_in_time() -> None:
    program = run({"command": ["sh", "-c", "echo starting $HOSTNAME; sleep infinity"]})
    assert program.exit_code is None and program.runs_for == math.inf
    assert program.output == ((0.0, "starting web-0"),)
    loop = run({"args": ["sh", "-c", "while true; do echo tick; sleep 10; done"]})
    assert loop.exit_code is None and loop.repeat == ((0.0, "tick"),) and loop.every == 10


def test_an_unreadable_command_serves_in_a_deployment_and_finishes_in_a_job() -> None:
    command = {"command": ["/app/run", "--fast"]}
    assert run(command, policy="Always").exit_code is None
    job = run(command, policy="Never")
    assert job.exit_code == 0 and job.reason == "Completed"


def test_a_memory_limit_below_the_programs_use_is_an_oom_kill() -> None:
    tight = {"resources": {"limits": {"memory": "4Mi"}}}
    assert run(tight, "nginx").reason == "OOMKilled"
    assert run(tight, "nginx").exit_code == 137
    assert run({"resources": {"limits": {"memory": "64Mi"}}}, "nginx").exit_code is None
    stress = {"args": ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]}
    stressed = behaviour.program(
        {
            "name": "s",
            "command": ["stress"],
            **stress,
            "resources": {"limits": {"memory": "100Mi"}},
        },
        image("polinux/stress"),
        restart_policy="Always",
        pod="memory-demo",
    )
    assert stressed.reason == "OOMKilled"


def test_readiness_follows_the_probes_timing() -> None:
    mysql = image("mysql")  # answers 8 seconds after its start
    probe = {"readinessProbe": {"initialDelaySeconds": 5, "periodSeconds": 4}}
    assert behaviour.ready_after(probe, mysql) == 9.0
    assert behaviour.ready_after({}, mysql) == 0.0
    late = {"readinessProbe": {"initialDelaySeconds": 20}}
    assert behaviour.ready_after(late, mysql) == 20.0


def test_the_perl_job_of_the_kubernetes_docs_prints_pi() -> None:
    pi = run({"command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(20)"]}, "perl", policy="Never")
    assert pi.output == ((0.0, "3.1415926535897932384"),)
    assert pi.exit_code == 0
