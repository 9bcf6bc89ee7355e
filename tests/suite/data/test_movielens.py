"""The MovieLens-1M loader on fixture files in GroupLens's raw format (`::`, latin-1)."""

import pytest

from suite.data.prepare import prepare
from suite.errors import DataError
from suite.types import DatasetConfig

RATINGS = (
    "1::10::5::978300760\n1::20::3::978302109\n1::30::4::978301968\n"
    "2::10::4::978300000\n2::30::2::978300001\n2::40::5::978300002\n"
    "3::10::1::1\n"
)
MOVIES = (
    "10::Toy Story (1995)::Animation|Children's|Comedy\n20::Jumanji (1995)::Adventure\n"
    "30::Amélie (2001)::Comedy|Romance\n40::Untitled::Drama\n"
)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "ratings.dat").write_bytes(RATINGS.encode("latin-1"))
    (tmp_path / "movies.dat").write_bytes(MOVIES.encode("latin-1"))
    return tmp_path


def config(folder) -> DatasetConfig:
    return DatasetConfig(name="ml-1m", loader="ml-1m", path=str(folder))


def test_sequences_are_time_ordered_and_short_users_dropped(folder):
    data = prepare(config(folder))
    assert list(data.user_tokens) == ["1", "2"]  # user 3 has one rating
    tokens = data.item_tokens
    assert [tokens[i] for i in data.sequences[0]] == ["10", "30", "20"]
    assert [tokens[i] for i in data.sequences[1]] == ["10", "30", "40"]


def test_item_text_has_title_year_and_genres_in_latin1(folder):
    data = prepare(config(folder))
    index = list(data.item_tokens).index("30")
    assert data.item_features["title"][index] == "Amélie"
    assert data.item_features["year"][index] == "2001"
    assert data.item_features["genres"][index] == "Comedy, Romance"
    untitled = list(data.item_tokens).index("40")
    assert data.item_features["year"][untitled] == ""


def test_stats_table_row(folder):
    stats = prepare(config(folder)).stats()
    assert stats["users"] == 2 and stats["items"] == 4 and stats["interactions"] == 6


def test_malformed_line_names_file_and_line(folder):
    (folder / "ratings.dat").write_text("1::10::5::978300760\n1::20::3\n")
    with pytest.raises(DataError, match=r"ratings\.dat:2: expected 4 '::'-separated fields, got 3"):
        prepare(config(folder))


def test_bad_timestamp_names_line(folder):
    (folder / "ratings.dat").write_text("1::10::5::soon\n")
    with pytest.raises(DataError, match=r"ratings\.dat:1: timestamp 'soon'"):
        prepare(config(folder))


def test_missing_file_says_where_to_get_it(folder):
    (folder / "movies.dat").unlink()
    with pytest.raises(DataError, match=r"movies\.dat not found; download it from GroupLens, https://grouplens"):
        prepare(config(folder))
