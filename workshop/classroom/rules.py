"""The class's rules around RBAC, kept by kube-apiserver's own admission: one
ValidatingAdmissionPolicy and its binding per rule, cluster objects of the class.

They apply to requests by a ServiceAccount of one of the class's learner namespaces (the
learner's own ``learner``, and any ServiceAccount a learner made there and borrows through a
pod or a token): never to the instructor, nor to the cluster's controllers.

- no long-lived tokens: no Secret of type ``kubernetes.io/service-account-token``, and a
  TokenRequest (``kubectl create token``) lasts no longer than the class's tokens (--hours);
- a ``LabProgress`` names its writer: labels and ``spec.learner`` are the learner's own;
- no RoleBinding opens a namespace to anonymous requests or to every authenticated user.
"""

from __future__ import annotations

from typing import Any

from workshop.course import reporting

Object = dict[str, Any]
LONG_LIVED_TYPE = "kubernetes.io/service-account-token"
OPEN_GROUPS = ("system:unauthenticated", "system:authenticated")
ANONYMOUS = "system:anonymous"
# the request's user, as the API server names a ServiceAccount: system:serviceaccount:NS:NAME
_USER = "request.userInfo.username"
_SA = "system:serviceaccount:"


def _q(text: str) -> str:
    """A CEL string literal (class names, learner ids and labs are DNS labels)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _list(items: list[str]) -> str:
    return "[" + ", ".join(_q(x) for x in items) + "]"


def owner_test(class_name: str, lab_namespaces: list[str], var: str = "i") -> str:
    """CEL: the request's user is a ServiceAccount of learner ``var``'s namespaces."""
    home = f"{_q(_SA + class_name + '-')} + {var}"
    labs = _list(lab_namespaces)
    return (
        f"{_USER}.startsWith({home} + ':') || "
        f"{labs}.exists(l, {_USER}.startsWith({home} + '-' + l + ':'))"
    )


def learner_match(class_name: str, learner_ids: list[str], lab_namespaces: list[str]) -> str:
    """CEL: true when a learner of this class makes the request."""
    return (
        f"{_USER}.startsWith({_q(_SA + class_name + '-')}) && "
        f"{_list(learner_ids)}.exists(i, {owner_test(class_name, lab_namespaces)})"
    )


def learner_of(class_name: str, learner_ids: list[str], lab_namespaces: list[str]) -> str:
    """CEL: the id of the learner making the request (the match makes sure there is one)."""
    return f"{_list(learner_ids)}.filter(i, {owner_test(class_name, lab_namespaces)})[0]"


def _rule(groups: list[str], resources: list[str], operations: list[str]) -> Object:
    return {
        "apiGroups": groups,
        "apiVersions": ["*"],
        "resources": resources,
        "operations": operations,
    }


def policies(
    class_name: str,
    learner_ids: list[str],
    lab_namespaces: list[str],
    labels: dict[str, str],
    token_seconds: int,
) -> list[Object]:
    """Each rule's ValidatingAdmissionPolicy, then its binding (Deny)."""
    match = [
        {
            "name": "class-learner",
            "expression": learner_match(class_name, learner_ids, lab_namespaces),
        }
    ]
    hours = f"{token_seconds / 3600:g}h"
    rules: list[tuple[str, Object, list[Object], list[Object]]] = [
        (
            "no-long-lived-tokens",
            _rule([""], ["secrets"], ["CREATE", "UPDATE"]),
            [],
            [
                {
                    "expression": f"object.type != {_q(LONG_LIVED_TYPE)}",
                    "reason": "Forbidden",
                    "message": (
                        f"Secrets of type {LONG_LIVED_TYPE} are refused in a class: their tokens "
                        "never expire; use `kubectl create token NAME`, whose token lasts at most "
                        f"the class's {hours}."
                    ),
                }
            ],
        ),
        (
            "short-tokens",
            _rule([""], ["serviceaccounts/token"], ["CREATE"]),
            [],
            [
                {
                    "expression": (
                        "!has(object.spec.expirationSeconds) || "
                        f"object.spec.expirationSeconds <= {token_seconds}"
                    ),
                    "reason": "Forbidden",
                    "message": (
                        f"a token longer than the class's {hours} ({token_seconds}s) is "
                        "refused in a class: ask for a shorter --duration."
                    ),
                }
            ],
        ),
        (
            "own-progress",
            _rule([reporting.GROUP], [reporting.PLURAL], ["CREATE", "UPDATE"]),
            [
                {
                    "name": "learner",
                    "expression": learner_of(class_name, learner_ids, lab_namespaces),
                },
                {
                    "name": "labels",
                    "expression": (
                        "has(object.metadata.labels) ? object.metadata.labels : {'': ''}"
                    ),
                },
            ],
            [
                {
                    "expression": (
                        f"{_q(reporting.LEARNER_LABEL)} in variables.labels && "
                        f"variables.labels[{_q(reporting.LEARNER_LABEL)}] == variables.learner && "
                        f"{_q(reporting.CLASS_LABEL)} in variables.labels && "
                        f"variables.labels[{_q(reporting.CLASS_LABEL)}] == {_q(class_name)} && "
                        "has(object.spec) && has(object.spec.learner) && "
                        "object.spec.learner == variables.learner"
                    ),
                    "reason": "Forbidden",
                    "messageExpression": (
                        f"'a learner writes {reporting.KIND} only for themself: this one needs "
                        f"the labels {reporting.CLASS_LABEL}={class_name}, "
                        f"{reporting.LEARNER_LABEL}=' + variables.learner + "
                        "' and spec.learner=' + variables.learner + '.'"
                    ),
                }
            ],
        ),
        (
            "no-open-bindings",
            _rule(["rbac.authorization.k8s.io"], ["rolebindings"], ["CREATE", "UPDATE"]),
            [],
            [
                {
                    "expression": (
                        "!has(object.subjects) || !object.subjects.exists(s, "
                        f"(s.kind == 'Group' && s.name in {_list(list(OPEN_GROUPS))}) || "
                        f"(s.kind == 'User' && s.name == {_q(ANONYMOUS)}))"
                    ),
                    "reason": "Forbidden",
                    "message": (
                        f"RoleBindings to {', '.join(OPEN_GROUPS)} or {ANONYMOUS} are refused in "
                        "a class: they would open the namespace to anonymous requests or to "
                        "every user of the cluster."
                    ),
                }
            ],
        ),
    ]
    found: list[Object] = []
    for rule, resource, variables, validations in rules:
        name = policy_name(class_name, rule)
        spec: Object = {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [resource]},
            "matchConditions": match,
            "validations": validations,
        }
        if variables:
            spec["variables"] = variables
        found.append(_object("ValidatingAdmissionPolicy", name, labels) | {"spec": spec})
        found.append(
            _object("ValidatingAdmissionPolicyBinding", name, labels)
            | {"spec": {"policyName": name, "validationActions": ["Deny"]}}
        )
    return found


def policy_name(class_name: str, rule: str) -> str:
    return f"workshop-class.{class_name}.{rule}"


def _object(kind: str, name: str, labels: dict[str, str]) -> Object:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name, "labels": dict(labels)},
    }
