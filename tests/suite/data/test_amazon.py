"""The Amazon 2018 and 2023 loaders on gzip fixture files in the raw formats."""

import gzip
import json

import pytest

from suite.data.amazon import read_amazon
from suite.data.prepare import prepare
from suite.errors import DataError
from suite.types import DatasetConfig


def write_lines(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record)) + "\n")


def reviews_2018(pairs):
    return [{"reviewerID": u, "asin": i, "unixReviewTime": t, "overall": 5.0} for u, i, t in pairs]


# Three users x three items, everyone reviewed everything: survives 3-core, not 4-core.
PAIRS = [(u, i, 100 * n + k) for n, u in enumerate("ABC") for k, i in enumerate(["x", "y", "z"])]
META_2018 = [
    {
        "asin": "x",
        "title": "Lip Balm",
        "brand": "Acme",
        "category": ["Beauty", "Lips"],
        "price": "$3.99",
        "description": ["Soft.", "Cheap."],
    },
    {"asin": "y", "title": "Shampoo", "brand": "", "category": [], "price": "", "description": []},
    {"asin": "unreviewed", "title": "Ghost"},
]


@pytest.fixture
def amazon2018(tmp_path):
    write_lines(tmp_path / "Beauty_5.json.gz", reviews_2018(PAIRS))
    write_lines(tmp_path / "meta_Beauty.json.gz", META_2018)
    return tmp_path


def config(folder, loader="amazon-2018", **extra):
    return DatasetConfig(name="beauty", loader=loader, path=str(folder), category="Beauty", **extra)


def test_2018_reviews_and_metadata(amazon2018):
    data = prepare(config(amazon2018, k_core=3))
    assert list(data.user_tokens) == ["A", "B", "C"]
    assert list(data.item_tokens) == ["x", "y", "z"]
    assert data.item_features["title"] == ["Lip Balm", "Shampoo", ""]
    assert data.item_features["brand"][0] == "Acme"
    assert data.item_features["category"][0] == "Beauty, Lips"
    assert data.item_features["price"][0] == "$3.99"
    assert data.item_features["description"][0] == "Soft., Cheap."


def test_the_reader_keeps_file_order_and_each_id_once(amazon2018):
    raw = read_amazon("amazon-2018", [amazon2018 / "Beauty_5.json.gz", amazon2018 / "meta_Beauty.json.gz"])
    assert raw.users.tolist() == [u for u, _, _ in PAIRS] and raw.items.tolist() == [i for _, i, _ in PAIRS]
    assert raw.timestamps.tolist() == [float(t) for _, _, t in PAIRS]
    assert raw.users[0] is raw.users[1] and raw.items[0] is raw.items[3]  # one string per distinct id


def test_k_core_is_applied(amazon2018):
    with pytest.raises(DataError, match="no interactions survive 4-core filtering"):
        prepare(config(amazon2018, k_core=4))


def test_2023_field_names(tmp_path):
    write_lines(
        tmp_path / "Video_Games.jsonl.gz",
        [{"user_id": u, "parent_asin": i, "timestamp": t * 1000, "rating": 4.0} for u, i, t in PAIRS],
    )
    write_lines(
        tmp_path / "meta_Video_Games.jsonl.gz",
        [
            {
                "parent_asin": "z",
                "title": "Kart Racer",
                "store": "Nin",
                "categories": ["Games"],
                "price": 59.99,
                "description": ["Fast."],
            }
        ],
    )
    folder = DatasetConfig(name="games", loader="amazon-2023", path=str(tmp_path), category="Video_Games", k_core=3)
    data = prepare(folder)
    assert data.n_users == 3 and data.n_items == 3
    assert data.item_features["brand"][2] == "Nin" and data.item_features["price"][2] == "59.99"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"Beauty_5\.json\.gz:2: not valid JSON"),
        ("[1, 2]", r"Beauty_5\.json\.gz:2: expected a JSON object, got list"),
        ('{"reviewerID": "A", "unixReviewTime": 5}', r"Beauty_5\.json\.gz:2: missing field 'asin'"),
        ('{"reviewerID": "A", "asin": "x", "unixReviewTime": "May"}', r":2: field 'unixReviewTime': 'May' is not"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, line, message):
    write_lines(tmp_path / "Beauty_5.json.gz", [reviews_2018(PAIRS[:1])[0], line])
    write_lines(tmp_path / "meta_Beauty.json.gz", META_2018)
    with pytest.raises(DataError, match=message):
        prepare(config(tmp_path))


def test_not_gzip(amazon2018):
    (amazon2018 / "Beauty_5.json.gz").write_text('{"reviewerID": "A"}\n')
    with pytest.raises(DataError, match=r"Beauty_5\.json\.gz:1: not a readable gzip file"):
        prepare(config(amazon2018))


def test_missing_metadata_file(amazon2018):
    (amazon2018 / "meta_Beauty.json.gz").unlink()
    message = r"meta_Beauty\.json\.gz not found; download it from the McAuley lab's Amazon Review Data \(2018\)"
    with pytest.raises(DataError, match=message):
        prepare(config(amazon2018))
