"""The RecBole atomic-file loader and the leave-one-out split, on small fixture files."""

import numpy as np
import pytest

from suite.data.atomic import read_atomic
from suite.data.prepare import prepare
from suite.errors import DataError
from suite.types import DatasetConfig

INTER = (
    "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    "u1\ta\t5\t30\n"
    "u1\tb\t4\t10\n"
    "u1\tc\t3\t20\n"
    "u1\td\t3\t40\n"
    "u2\tb\t1\t5\n"
    "u2\tc\t2\t5\n"  # same time as the row above: file order breaks the tie
    "u2\te\t2\t6\n"
    "u3\ta\t1\t1\n"  # only two items: dropped
    "u3\tb\t1\t2\n"
)
ITEM = "item_id:token\tmovie_title:token_seq\trelease_year:token\nb\tBee Movie\t2007\na\tAlien\t1979\n"


@pytest.fixture
def dataset(tmp_path):
    (tmp_path / "tiny.inter").write_text(INTER)
    (tmp_path / "tiny.item").write_text(ITEM)
    return DatasetConfig(name="tiny", loader="atomic", path=str(tmp_path))


def test_typed_columns(tmp_path):
    (tmp_path / "x.inter").write_text(INTER)
    columns = read_atomic(tmp_path / "x.inter")
    assert columns["user_id"][:2] == ["u1", "u1"]
    assert columns["rating"][0] == 5.0 and isinstance(columns["rating"][0], float)
    assert columns["timestamp"][-1] == 2.0


def test_float_seq_fields(tmp_path):
    path = tmp_path / "x.item"
    path.write_text("item_id:token\tvec:float_seq\na\t1 2.5\n")
    assert read_atomic(path)["vec"] == [[1.0, 2.5]]


def test_leave_one_out_by_time(dataset):
    data = prepare(dataset)
    tokens = list(data.item_tokens)
    assert tokens == ["a", "b", "c", "d", "e"]
    assert list(data.user_tokens) == ["u1", "u2"]
    as_tokens = [[tokens[i] for i in seq] for seq in data.sequences]
    assert as_tokens == [["b", "c", "a", "d"], ["b", "c", "e"]]
    assert [[tokens[i] for i in s] for s in data.train_sequences()] == [["b", "c"], ["b"]]
    assert [tokens[i] for i in data.valid_targets()] == ["a", "c"]
    assert [tokens[i] for i in data.test_targets()] == ["d", "e"]
    assert [[tokens[i] for i in h] for h in data.test_histories(2)] == [["c", "a"], ["b", "c"]]


def test_statistics(dataset):
    stats = prepare(dataset).stats()
    expected = {"users": 2, "items": 5, "interactions": 7, "distinct_pairs": 7, "sparsity": 1 - 7 / 10, "avg_len": 3.5}
    # u2's b and c share time 5 (one tie in 7 interactions); no user's validation and test items tie
    expected |= {"tied_share": 1 / 7, "tied_valid_test_share": 0.0}
    assert stats == pytest.approx(expected)


def test_item_text_fields_follow_item_ids(dataset):
    data = prepare(dataset)
    assert data.item_features["movie_title"] == ["Alien", "Bee Movie", "", "", ""]


def test_max_users_takes_a_slice(dataset):
    data = prepare(DatasetConfig(name="tiny", loader="atomic", path=dataset.path, max_users=1))
    assert list(data.user_tokens) == ["u1"] and data.n_items == 4


def test_second_prepare_is_a_cache_hit(dataset, tmp_path):
    first = prepare(dataset)
    (tmp_path / "tiny.inter").chmod(0o644)
    second = prepare(dataset)
    assert all(np.array_equal(a, b) for a, b in zip(first.sequences, second.sequences, strict=True))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "user_id:token\titem_id:token\ttimestamp:float\nu1\ta\n",
            "tiny.inter:2: expected 3 tab-separated fields, got 2",
        ),
        (
            "user_id:token\titem_id:token\ttimestamp:float\nu1\ta\tnoon\n",
            "tiny.inter:2: timestamp 'noon' is not a number",
        ),
        ("user_id\titem_id\ttimestamp\n", "tiny.inter:1: header field 'user_id' is not 'name:type'"),
        ("user_id:token\titem_id:token\n", "tiny.inter:1: header lacks the field 'timestamp'"),
        ("", "tiny.inter:1: empty file"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, content, message):
    (tmp_path / "tiny.inter").write_text(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        prepare(DatasetConfig(name="tiny", loader="atomic", path=str(tmp_path)))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"tiny.inter not found"):
        prepare(DatasetConfig(name="tiny", loader="atomic", path=str(tmp_path)))


def test_builtin_ml100k_is_found_inside_recbole():
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic"))
    assert data.stats()["users"] == 943 and data.stats()["items"] == 1682
    assert data.stats()["interactions"] == 100_000


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("float", "abc", "timestamp 'abc' is not a number"),
        ("token", "abc", "timestamp 'abc' is not a number"),
        ("float", "nan", "timestamp 'nan' is not a usable time"),
        ("float", "inf", "timestamp 'inf' is not a usable time"),
        ("token", "-inf", "timestamp '-inf' is not a usable time"),
    ],
)
def test_a_timestamp_that_cannot_order_interactions_names_its_line(tmp_path, kind, value, message):
    path = tmp_path / "bad.inter"
    path.write_text(f"user_id:token\titem_id:token\ttimestamp:{kind}\nu1\ti1\t1\n\nu1\ti2\t{value}\n")
    with pytest.raises(DataError, match=f"bad.inter:4: {message}"):
        read_atomic(path)
