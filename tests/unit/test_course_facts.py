"""Statements that must hold across the labs, as on OVHcloud (issue 21, "true on a real cluster").

- One flavor and one region story: every node pool the labs create (the API calls of lab
  08, the NodePool of lab 09, the HCL of labs 10 and 12) is of one flavor, priced in lab
  08's price table by a sourced price and known to the sandbox, in one region the emulated
  API offers and the sandbox's nodes are in.
- API keys: wherever a lab, a notebook or the README sends the reader to OVHcloud's key
  page, it asks for `/cloud/project/*`, not every API of the account.

Each rule is a function over the repository's text; each is also shown to fail on a
variant that breaks it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from workshop.cloud import catalog
from workshop.sandbox import nodes
from workshop.widgets import costs

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
NOTEBOOKS = ROOT / "notebooks"
PRICES = LABS / "08-managed-kubernetes" / "prices.yaml"
FLAVOR_IN_TEXT = [
    re.compile(r'^\s*flavor_name\s*=\s*"([^"]+)"', re.M),  # HCL
    re.compile(r'^FLAVOR\s*=\s*"([^"]+)"', re.M),  # a solution's API call
]
REGION_IN_TEXT = [
    re.compile(r'variable "region" \{[^}]*default\s*=\s*"([^"]+)"', re.S),  # HCL
    re.compile(r'^REGION\s*=\s*"([^"]+)"', re.M),
]
KEY_PAGE = re.compile(r"createToken")
LEAST = "/cloud/project/*"


def flavors_used(root: Path) -> dict[str, set[str]]:
    """Each flavor a lab's files name for a node pool, with the files that name it."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.glob("*/**/*")):
        if not path.is_file() or path.suffix not in (".tf", ".py", ".yaml"):
            continue
        text = path.read_text()
        names = [m for pattern in FLAVOR_IN_TEXT for m in pattern.findall(text)]
        if path.suffix == ".yaml" and "kind: NodePool" in text:
            names += [
                str(doc["spec"]["flavor"])
                for doc in yaml.safe_load_all(text)
                if doc and doc.get("kind") == "NodePool"
            ]
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(root)))
    return found


def regions_used(root: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(root.glob("*/**/*")):
        if path.is_file() and path.suffix in (".tf", ".py"):
            text = path.read_text()
            for name in (m for pattern in REGION_IN_TEXT for m in pattern.findall(text)):
                found.setdefault(name, set()).add(str(path.relative_to(root)))
    return found


def flavor_problems(root: Path, table: costs.PriceTable) -> list[str]:
    used = flavors_used(root)
    problems = []
    if len(used) != 1:
        problems.append(f"the labs use {len(used)} flavors, not one: {used}")
    for name, where in used.items():
        price = table.nodes.get(name)
        if price is None or not price.verified:
            problems.append(f"{name} ({', '.join(sorted(where))}) has no sourced price")
        if name not in nodes.flavors():
            problems.append(f"{name} is not a flavor the sandbox knows")
    return problems


def region_problems(root: Path) -> list[str]:
    used = regions_used(root)
    problems = []
    if set(used) != {nodes.REGION}:
        problems.append(f"the labs use {sorted(used)}, not the sandbox's region {nodes.REGION}")
    problems += [
        f"{name} is not offered by the API" for name in used if name not in catalog.REGIONS
    ]
    return problems


def key_problems(texts: dict[str, str]) -> list[str]:
    """A sentence that sends the reader to the key page without naming `/cloud/project/*`."""
    problems = []
    for where, text in texts.items():
        for match in KEY_PAGE.finditer(text):
            around = text[max(0, match.start() - 300) : match.end() + 400]
            if LEAST not in around:
                problems.append(f"{where}: asks for API keys without {LEAST}")
    return problems


def repository_texts() -> dict[str, str]:
    paths = [ROOT / "README.md", *NOTEBOOKS.glob("*.ipynb"), *LABS.glob("*/lab.yaml")]
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths}


def test_the_labs_tell_one_flavor_and_region_story() -> None:
    table = costs.PriceTable.load(PRICES)
    assert flavor_problems(LABS, table) == []
    assert region_problems(LABS) == []
    assert set(flavors_used(LABS)) == {nodes.DEFAULT_FLAVOR}  # the sandbox's nodes too


def test_every_key_page_the_course_links_asks_for_the_least_rights() -> None:
    texts = repository_texts()
    assert [t for t in texts.values() if KEY_PAGE.search(t)]  # the rule has something to read
    assert key_problems(texts) == []


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({"10/main.tf": 'flavor_name = "b2-7"', "08/solution.py": 'FLAVOR = "b3-8"'}, "2 flavors"),
        ({"10/main.tf": 'flavor_name = "c3-4"'}, "c3-4 (10/main.tf) has no sourced price"),
        ({"10/main.tf": 'flavor_name = "z9-1"'}, "z9-1 is not a flavor the sandbox knows"),
    ],
)
def test_the_flavor_rule_fails_on_another_story(
    tmp_path: Path, files: dict[str, str], said: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text + "\n")
    problems = flavor_problems(tmp_path, costs.PriceTable.load(PRICES))
    assert any(said in p for p in problems), problems


def test_the_region_rule_fails_on_another_region(tmp_path: Path) -> None:
    (tmp_path / "10").mkdir()
    (tmp_path / "10" / "variables.tf").write_text(
        'variable "region" {\n  type    = string\n  default = "GRA7"\n}\n'
    )
    assert region_problems(tmp_path) == ["the labs use ['GRA7'], not the sandbox's region GRA11"]


def test_the_key_rule_fails_on_every_api_of_the_account() -> None:
    wide = (
        "The keys come from https://api.ovh.com/createToken/ (rights GET/POST/PUT/DELETE on `/*`)."
    )
    assert key_problems({"notebook": wide}) == [
        "notebook: asks for API keys without /cloud/project/*"
    ]
