from __future__ import annotations

import re

import pytest

from govnlp.taxonomy import COLUMNS, LabelsError, default_labels_path, load_labels

THEME_IDS = [
    "party_building", "clean_governance", "united_front", "grassroots_governance",
    "digital_government", "public_safety", "rule_of_law", "common_prosperity",
    "rural_revitalization", "economy_industry", "regional_coordination", "social_welfare",
    "healthcare", "education", "culture_tourism", "civility", "ecology_environment",
    "urban_construction",
]  # fmt: skip


def test_builtin_labels_in_contract_order():
    labels = load_labels()
    assert [label.id for label in labels] == THEME_IDS
    assert all(label.name_zh and label.description and label.keywords for label in labels)
    assert all(label.cap_major for label in labels)
    assert labels[2].cap_major == (2, 20)


def test_builtin_labels_follow_shared_contract(shared_dir):
    text = (shared_dir / "taxonomy" / "THEMES.md").read_text(encoding="utf-8")
    ids = re.findall(r"^\| \d+ \| (\w+) \|", text, flags=re.M)
    assert ids == [label.id for label in load_labels()]


def test_package_data_file_exists():
    assert default_labels_path().is_file()
    header = default_labels_path().read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == COLUMNS


def _write(tmp_path, body):
    path = tmp_path / "labels.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_user_labels_file(tmp_path):
    path = _write(tmp_path, "id,name_zh,keywords\nroads,道路,公路;桥梁\nschools,学校,\n")
    labels = load_labels(path)
    assert [label.id for label in labels] == ["roads", "schools"]
    assert labels[0].keywords == ("公路", "桥梁")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id,name_zh\na,甲\na,乙\n", r"line 3: duplicate id 'a' \(first on line 2\)"),
        ("id,name_zh\na,甲\n,乙\n", r"line 3: empty id"),
        ("id,name_en\na,A\n", r"missing column\(s\) name_zh"),
        ("id,name_zh,cap_major\na,甲,x\n", r"line 2: cap_major"),
        ("id,name_zh\n", r"no labels"),
        ("id,name_zh\na,\n", r"line 2: empty name_zh"),
    ],
)
def test_bad_labels_files(tmp_path, body, message):
    with pytest.raises(LabelsError, match=message):
        load_labels(_write(tmp_path, body))


def test_missing_file(tmp_path):
    with pytest.raises(LabelsError, match="not found"):
        load_labels(tmp_path / "nope.csv")
