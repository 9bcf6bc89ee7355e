"""MovieLens-1M as GroupLens ships it: `ratings.dat` and `movies.dat`, `::`-separated, latin-1.

`ratings.dat`: UserID::MovieID::Rating::Timestamp. `movies.dat`: MovieID::Title::Genres,
the title ending in the year, e.g. `Toy Story (1995)`, genres separated by `|`. Item text
is the title, the year and the genres.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from suite.data.interactions import Interactions
from suite.data.sources import Loader, register_loader, require_file
from suite.errors import DataError

TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")


@register_loader("ml-1m")
class MovieLens1mLoader(Loader):
    """`ratings.dat` and `movies.dat` as GroupLens ships them."""

    home = "GroupLens, https://grouplens.org/datasets/movielens/1m/"

    def files(self, folder: Path, dataset: str, category: str | None) -> list[Path]:
        return [require_file(dataset, self.name, folder / name) for name in ("ratings.dat", "movies.dat")]

    def read(self, files: list[Path]) -> Interactions:
        return read_ml1m(files)


def _rows(path: Path, fields: int) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding="latin-1", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            values = line.split("::")
            if len(values) != fields:
                raise DataError(f"{path}:{number}: expected {fields} '::'-separated fields, got {len(values)}")
            yield number, values


def read_ml1m(files: list[Path]) -> Interactions:
    ratings, movies = files
    users, items, timestamps = [], [], []
    for number, (user, item, _, timestamp) in _rows(ratings, 4):
        try:
            timestamps.append(float(int(timestamp)))
        except ValueError:
            raise DataError(f"{ratings}:{number}: timestamp {timestamp!r} is not an integer") from None
        users.append(user)
        items.append(item)
    if not users:
        raise DataError(f"{ratings}: no ratings")
    features: dict[str, dict[str, str]] = {"title": {}, "year": {}, "genres": {}}
    for _, (item, title, genres) in _rows(movies, 3):
        match = TITLE_YEAR.match(title)
        features["title"][item] = match["title"] if match else title
        features["year"][item] = match["year"] if match else ""
        features["genres"][item] = genres.replace("|", ", ")
    return Interactions.from_rows(users, items, timestamps, features)
