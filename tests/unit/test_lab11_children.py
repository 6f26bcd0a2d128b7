"""Lab 11's operator decides from the store alone: children, status and autopilot (pure)."""

from __future__ import annotations

from typing import Any

from workshop import course

children: Any = course.load_module(course.find_lab("11"), "solution").children


def store(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "db.workshop.dev/v1",
        "kind": "KeyValueStore",
        "metadata": {"name": "demo", "namespace": "lab-11", "uid": "u-1", "generation": 2},
        "spec": {"instances": 1, "version": "7.2", "storage": "1Gi", **spec},
    }


def sts(replicas: int, ready: int, *, current: str = "r1", update: str = "r1") -> dict[str, Any]:
    return {
        "metadata": {"generation": 1},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": ready,
            "currentRevision": current,
            "updateRevision": update,
        },
    }


def test_children_are_owned_by_the_store_and_follow_its_spec() -> None:
    kvs = store(instances=3, version="7.4")
    built = children.statefulset_for(kvs)
    owner = built["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("KeyValueStore", "u-1", True)
    assert built["spec"]["replicas"] == 3
    assert built["spec"]["template"]["spec"]["containers"][0]["image"] == "redis:7.4"
    assert built["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"] == {
        "storage": "1Gi"
    }
    assert children.service_for(kvs)["spec"]["clusterIP"] == "None"
    assert children.cronjob_for(kvs) is None
    cron = children.cronjob_for(store(backup={"schedule": "0 3 * * *"}))
    assert cron["spec"]["schedule"] == "0 3 * * *"


def test_status_says_creating_scaling_upgrading_then_ready_with_the_generation() -> None:
    kvs = store(instances=3)
    assert children.store_status(kvs, None)["phase"] == "Creating"
    assert children.store_status(kvs, sts(3, 1))["phase"] == "Creating"
    ready = children.store_status(kvs, sts(3, 3))
    assert ready["phase"] == "Ready" and ready["version"] == "7.2"
    assert ready["observedGeneration"] == 2 and ready["instances"] == 3
    assert ready["conditions"][0]["status"] == "True"
    kvs["status"] = ready
    scaling = children.store_status({**kvs, "spec": {**kvs["spec"], "instances": 5}}, sts(3, 3))
    assert scaling["phase"] == "Scaling"
    upgrading = children.store_status(
        {**kvs, "spec": {**kvs["spec"], "version": "7.4"}}, sts(3, 3, update="r2")
    )
    assert upgrading["phase"] == "Upgrading"
    assert upgrading["version"] == "7.2", "the old version until every instance runs the new one"
    assert upgrading["conditions"][0]["status"] == "False"


def test_a_condition_moves_its_transition_time_only_when_its_status_changes() -> None:
    old = [{"type": "Ready", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"}]
    same = children.condition(old, "Ready", True, "Ready", "ok", 3)
    assert same["lastTransitionTime"] == "2020-01-01T00:00:00Z"
    flipped = children.condition(old, "Ready", False, "Scaling", "1/3", 3)
    assert flipped["lastTransitionTime"] != "2020-01-01T00:00:00Z"


def test_the_autopilot_follows_the_load_within_its_bounds() -> None:
    pilot = {"maxInstances": 5, "opsPerInstance": 1000}
    kvs = store(autopilot=pilot)
    assert children.autopilot_instances(kvs) is None  # no signal yet
    for load, wanted in (("4200", 5), ("2500", 3), ("0", 1), ("99999", 5)):
        kvs["metadata"]["annotations"] = {children.LOAD_ANNOTATION: load}
        assert children.autopilot_instances(kvs) == wanted, load
    kvs["metadata"]["annotations"] = {children.LOAD_ANNOTATION: "lots"}
    assert children.autopilot_instances(kvs) is None
    assert children.autopilot_instances(store()) is None  # autopilot off


def test_a_backup_job_runs_redis_cli_and_its_phase_follows_the_job() -> None:
    backup = {
        "apiVersion": "db.workshop.dev/v1",
        "kind": "Backup",
        "metadata": {"name": "first", "namespace": "lab-11", "uid": "b-1"},
        "spec": {"store": "demo"},
    }
    job = children.job_for(backup, store())
    assert job["metadata"]["name"] == "backup-first"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "Backup"
    assert (
        "redis-cli -h demo-0.demo" in job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    )
    assert children.backup_phase(None) == "Pending"
    assert children.backup_phase({"status": {}}) == "Running"
    done = {"status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    assert children.backup_phase(done) == "Succeeded"
