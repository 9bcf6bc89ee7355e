"""Amazon reviews, per category, in the McAuley lab's two editions; gzip JSON, one object a line.

- 2018: `<Category>_5.json.gz` (the 5-core reviews: `reviewerID`, `asin`, `unixReviewTime` in
  seconds) and `meta_<Category>.json.gz` (`asin`, `title`, `brand`, `category`, `price`,
  `description`).
- 2023: `<Category>.jsonl.gz` (`user_id`, `parent_asin`, `timestamp` in ms) and
  `meta_<Category>.jsonl.gz` (`parent_asin`, `title`, `store`, `categories`, `price`,
  `description`).
Item text takes title, brand (2023: store), category, price and description. Metadata of
items nobody reviewed is skipped.
"""

from __future__ import annotations

import gzip
import json
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from suite.data.interactions import Interactions, usable_time
from suite.data.sources import Loader, register_loader, require_file
from suite.errors import DataError


@dataclass(frozen=True)
class Edition:
    loader: str
    reviews: str  # file name pattern, {category} filled in
    meta: str
    user: str
    item: str
    time: str
    meta_fields: tuple[tuple[str, str], ...]  # (field in the file, feature name)


EDITIONS = {
    "amazon-2018": Edition(
        "amazon-2018",
        "{category}_5.json.gz",
        "meta_{category}.json.gz",
        "reviewerID",
        "asin",
        "unixReviewTime",
        (
            ("title", "title"),
            ("brand", "brand"),
            ("category", "category"),
            ("price", "price"),
            ("description", "description"),
        ),
    ),
    "amazon-2023": Edition(
        "amazon-2023",
        "{category}.jsonl.gz",
        "meta_{category}.jsonl.gz",
        "user_id",
        "parent_asin",
        "timestamp",
        (
            ("title", "title"),
            ("store", "brand"),
            ("categories", "category"),
            ("price", "price"),
            ("description", "description"),
        ),
    ),
}


class AmazonLoader(Loader):
    """One category's reviews and item metadata files; the edition is the registered name."""

    default_k_core = 5

    def files(self, folder: Path, dataset: str, category: str | None) -> list[Path]:
        spec = EDITIONS[self.name]
        category = category or dataset
        return [
            require_file(dataset, self.name, folder / spec.reviews.format(category=category)),
            require_file(dataset, self.name, folder / spec.meta.format(category=category)),
        ]

    def read(self, files: list[Path]) -> Interactions:
        return read_amazon(self.name, files)


@register_loader("amazon-2018")
class Amazon2018Loader(AmazonLoader):
    home = "the McAuley lab's Amazon Review Data (2018), https://nijianmo.github.io/amazon/"


@register_loader("amazon-2023")
class Amazon2023Loader(AmazonLoader):
    home = "the McAuley lab's Amazon Reviews 2023, https://amazon-reviews-2023.github.io/"


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a gzip JSON-lines file."""
    number = 0
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataError(f"{path}:{number}: not valid JSON ({error.msg})") from None
                if not isinstance(record, dict):
                    raise DataError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
                yield number, record
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}:{number + 1}: not a readable gzip file ({error})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}:{number + 1}: not UTF-8 text") from None


def _field(path: Path, number: int, record: dict[str, Any], name: str) -> Any:
    if record.get(name) in (None, ""):
        raise DataError(f"{path}:{number}: missing field {name!r}")
    return record[name]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v not in (None, ""))
    return str(value).strip()


def read_amazon(edition: str, files: list[Path]) -> Interactions:
    spec = EDITIONS[edition]
    reviews, meta = files
    # the file is read a line at a time, and each id is kept once: a review costs two int32
    # codes and a float64, not two new strings (at 10^7 reviews, about 160 MB against 1.5 GB)
    user_codes, item_codes, users, items = array("i"), array("i"), _Names(), _Names()
    timestamps = array("d")
    for number, record in json_lines(reviews):
        time = _field(reviews, number, record, spec.time)
        if isinstance(time, bool) or not isinstance(time, (int, float)):
            raise DataError(f"{reviews}:{number}: field {spec.time!r}: {time!r} is not a number")
        time = usable_time(reviews, number, time)  # JSON readers accept NaN and Infinity
        user_codes.append(users.code(str(_field(reviews, number, record, spec.user))))
        item_codes.append(items.code(str(_field(reviews, number, record, spec.item))))
        timestamps.append(float(time))
    if not user_codes:
        raise DataError(f"{reviews}: no reviews")
    reviewed = items.codes
    features: dict[str, dict[str, str]] = {feature: {} for _, feature in spec.meta_fields}
    for number, record in json_lines(meta):
        item = str(_field(meta, number, record, spec.item))
        if item in reviewed:
            for name, feature in spec.meta_fields:
                features[feature][item] = _text(record.get(name))
    return Interactions(
        users=users.array()[np.frombuffer(user_codes, dtype=np.int32)],
        items=items.array()[np.frombuffer(item_codes, dtype=np.int32)],
        timestamps=np.frombuffer(timestamps, dtype=np.float64).copy(),
        item_features=features,
    )


class _Names:
    """Distinct strings in order of first sight, each with its code."""

    def __init__(self):
        self.codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        return self.codes.setdefault(name, len(self.codes))

    def array(self) -> np.ndarray:
        return np.asarray(list(self.codes), dtype=object)
