"""RecBole atomic files (`.inter`, `.item`): tab-separated, typed headers `name:type`."""

from __future__ import annotations

from pathlib import Path

from suite.data.interactions import Interactions, usable_time
from suite.data.sources import Loader, register_loader, require_file
from suite.errors import DataError

REQUIRED_FIELDS = ("user_id", "item_id", "timestamp")

FIELD_TYPES = ("token", "token_seq", "float", "float_seq")


def read_atomic(path: Path) -> dict[str, list]:
    """Columns of an atomic file by field name (without the type suffix).

    `token` and `token_seq` stay strings, `float` becomes float and `float_seq` a list of
    floats. Any malformed line raises a DataError naming the file and the line number.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with open(path, encoding="utf-8", newline="") as handle:
        try:
            header = handle.readline().rstrip("\r\n")
        except UnicodeDecodeError:
            raise DataError(f"{path}:1: not UTF-8 text") from None
        if not header:
            raise DataError(f"{path}:1: empty file; expected a header such as 'user_id:token'")
        names, types = _parse_header(path, header)
        columns: dict[str, list] = {name: [] for name in names}
        number = 1
        try:
            for number, line in enumerate(handle, start=2):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                values = line.split("\t")
                if len(values) != len(names):
                    raise DataError(f"{path}:{number}: expected {len(names)} tab-separated fields, got {len(values)}")
                for name, kind, value in zip(names, types, values, strict=True):
                    columns[name].append(_convert(path, number, name, kind, value))
        except UnicodeDecodeError:
            raise DataError(f"{path}:{number + 1}: not UTF-8 text") from None
    return columns


def _parse_header(path: Path, header: str) -> tuple[list[str], list[str]]:
    names, types = [], []
    for field in header.split("\t"):
        name, sep, kind = field.rpartition(":")
        if not sep or not name or kind not in FIELD_TYPES:
            raise DataError(
                f"{path}:1: header field {field!r} is not 'name:type' with type in {', '.join(FIELD_TYPES)}"
            )
        if name in names:
            raise DataError(f"{path}:1: duplicate header field {name!r}")
        names.append(name)
        types.append(kind)
    return names, types


def _convert(path: Path, number: int, name: str, kind: str, value: str):
    if name == "timestamp":  # whatever its declared type, it orders the interactions
        return usable_time(path, number, value)
    if kind in ("token", "token_seq"):
        return value
    try:
        if kind == "float":
            return float(value)
        return [float(v) for v in value.split()]
    except ValueError:
        raise DataError(f"{path}:{number}: field {name!r}: {value!r} is not a number") from None


@register_loader("atomic")
class AtomicLoader(Loader):
    """RecBole's atomic files: `<name>.inter`, and `<name>.item` when present."""

    home = "RecBole's dataset collection, https://github.com/RUCAIBox/RecSysDatasets"

    def files(self, folder: Path, dataset: str, category: str | None) -> list[Path]:
        stem = category or dataset  # `category` overrides the file stem
        inter = require_file(dataset, self.name, folder / f"{stem}.inter")
        item = folder / f"{stem}.item"
        return [inter, item] if item.is_file() else [inter]

    def read(self, files: list[Path]) -> Interactions:
        return read_atomic_dataset(files)


def read_atomic_dataset(files: list[Path]) -> Interactions:
    columns = read_atomic(files[0])
    for name in REQUIRED_FIELDS:
        if name not in columns:
            raise DataError(f"{files[0]}:1: header lacks the field {name!r} (needs {', '.join(REQUIRED_FIELDS)})")
    if not columns["user_id"]:
        raise DataError(f"{files[0]}: no interactions")
    features: dict[str, dict[str, str]] = {}
    if len(files) > 1:
        item_columns = read_atomic(files[1])
        if "item_id" not in item_columns:
            raise DataError(f"{files[1]}:1: header lacks the field 'item_id'")
        for name, values in item_columns.items():
            if name != "item_id":
                features[name] = {
                    item: " ".join(map(str, v)) if isinstance(v, list) else str(v)
                    for item, v in zip(item_columns["item_id"], values, strict=True)
                }
    return Interactions.from_rows(columns["user_id"], columns["item_id"], columns["timestamp"], features)
