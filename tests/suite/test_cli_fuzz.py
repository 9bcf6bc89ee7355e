"""Malformed input, YAML and dataset files, through `suite run`: one line, non-zero exit, nothing written."""

import gzip
from pathlib import Path

import pytest

from suite.cli import main

METHODS = "methods:\n  pop: {}\n"
ML100K = "datasets:\n  ml-100k: {}\n"


def dataset(loader: str, **extra: str) -> str:
    options = ", ".join(f"{k}: {v}" for k, v in {"loader": loader, "path": "data", **extra}.items())
    return f"datasets:\n  bad: {{{options}}}\n"


INTER_HEADER = "user_id:token\titem_id:token\ttimestamp:float\n"

SEARCHED = (
    "methods:\n"
    "  sasrec: {search: {learning_rate: {loguniform: [0.0003, 0.003]}}}\n"
    "  sasrec-bce: {search: {learning_rate: {loguniform: [0.0003, 0.003]}}}\n"
)
TUNED_SASREC = "tuning: {samples: 4}\nmethods:\n  sasrec: {learning_rate: 0.001}\n"

# (name, YAML text or bytes, {data file: content}, what the error line must say)
CASES = [
    ("empty file", "", {}, "the file is empty"),
    ("only a comment", "# nothing here\n", {}, "the file is empty"),
    ("not UTF-8", b"methods:\n  pop: {}\n\xff\xfe\n", {}, "not UTF-8 text"),
    ("not YAML", "methods: {pop: {}\n", {}, "not valid YAML"),
    ("a list at the top", "- pop\n- sasrec\n", {}, "expected a mapping, got list"),
    ("unknown top-level key", METHODS + ML100K + "seed: [1]\n", {}, "seed: unknown key"),
    ("unknown method parameter", "methods:\n  pop: {depth: 3}\n" + ML100K, {}, "unknown parameter of method 'pop'"),
    ("wrong type", "methods:\n  sasrec: {epochs: ten}\n" + ML100K, {}, "expected int, got 'ten'"),
    ("bool for an int", "methods:\n  sasrec: {epochs: true}\n" + ML100K, {}, "expected int, got bool"),
    ("negative size", "methods:\n  sasrec: {hidden_size: -64}\n" + ML100K, {}, "must be at least 0, got -64"),
    ("negative resources", METHODS + ML100K + "resources: {cpu: -1}\n", {}, "resources.cpu: must be positive"),
    ("negative history", METHODS + "datasets:\n  ml-100k: {history: -5}\n", {}, "must be at least 1, got -5"),
    ("duplicate method", "methods:\n  pop: {}\n  pop: {}\n" + ML100K, {}, "duplicate key 'pop'"),
    ("duplicate seeds", METHODS + ML100K + "seeds: [3, 3]\n", {}, "duplicate seeds"),
    ("empty grid", "methods:\n  sasrec:\n    grid: {hidden_size: []}\n" + ML100K, {}, "the list is empty"),
    ("no seeds", METHODS + ML100K + "seeds: []\n", {}, "expands to zero trials"),
    ("no methods", "methods: {}\n" + ML100K, {}, "the matrix is empty"),
    ("unknown method", "methods:\n  gpt9: {}\n" + ML100K, {}, "unknown method 'gpt9'"),
    ("unknown tokenizer", "methods:\n  tiger: {tokenizer: {name: lsh}}\n" + ML100K, {}, "unknown tokenizer 'lsh'"),
    ("bad alpha", METHODS + ML100K + "evaluation: {alpha: 2}\n", {}, "must lie strictly between 0 and 1"),
    ("missing dataset folder", METHODS + dataset("atomic"), {}, "data/bad.inter not found"),
    ("empty .inter", METHODS + dataset("atomic"), {"bad.inter": ""}, "bad.inter:1: empty file"),
    (
        "short .inter row",
        METHODS + dataset("atomic"),
        {"bad.inter": INTER_HEADER + "u1\ti1\t5\nu1\ti2\n"},
        "bad.inter:3: expected 3 tab-separated fields, got 2",
    ),
    (
        ".inter timestamp not a number",
        METHODS + dataset("atomic"),
        {"bad.inter": INTER_HEADER + "u1\ti1\tyesterday\n"},
        "bad.inter:2: timestamp 'yesterday' is not a number",
    ),
    ("binary .inter", METHODS + dataset("atomic"), {"bad.inter": b"\x89PNG\r\n\x1a\n\xff"}, "not UTF-8 text"),
    (
        "ml-1m bad row",
        METHODS + dataset("ml-1m"),
        {"ratings.dat": "1::2::5\n", "movies.dat": "2::Heat (1995)::Action\n"},
        "ratings.dat:1: expected 4 '::'-separated fields, got 3",
    ),
    (
        "amazon not gzip",
        METHODS + dataset("amazon-2018", category="Beauty"),
        {"Beauty_5.json.gz": "{}\n", "meta_Beauty.json.gz": b""},
        "Beauty_5.json.gz:1: not a readable gzip file",
    ),
    (
        "a tuned file without a searched row",
        SEARCHED + ML100K + "tuned: data/tuned.yaml\n",
        {"tuned.yaml": TUNED_SASREC},
        "tuned: data/tuned.yaml chose nothing for sasrec-bce, whose search: has not finished",
    ),
    (
        "amazon bad JSON",
        METHODS + dataset("amazon-2023", category="Toys"),
        {"Toys.jsonl.gz": gzip.compress(b'{"user_id": "u"\n'), "meta_Toys.jsonl.gz": gzip.compress(b"")},
        "Toys.jsonl.gz:1: not valid JSON",
    ),
]


@pytest.mark.parametrize(("yaml_text", "files", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_line_error_and_nothing_written(tmp_path, monkeypatch, capsys, yaml_text, files, message):
    monkeypatch.chdir(tmp_path)
    config = Path("bench.yaml")
    config.write_bytes(yaml_text if isinstance(yaml_text, bytes) else yaml_text.encode())
    for name, content in files.items():
        path = Path("data") / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["run", str(config)])
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert code != 0
    assert len(lines) == 1 and message in lines[0], lines
    assert "Traceback" not in captured.err
    assert not Path("results").exists()


def test_at_least_twenty_inputs():
    assert len(CASES) >= 20


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--row", "sasrec"], "bench.yaml: --row: no trial row 'sasrec' (rows: pop)"),
        (["--seed", "7"], "bench.yaml: --seed: no trials with seed 7 (seeds: 0)"),
    ],
)
def test_selecting_a_row_or_seed_the_file_lacks_is_one_line(tmp_path, monkeypatch, capsys, option, message):
    monkeypatch.chdir(tmp_path)
    Path("bench.yaml").write_text(METHODS + ML100K + "seeds: [0]\n")
    code = main(["run", "bench.yaml", *option])
    captured = capsys.readouterr()
    assert code == 2
    assert (captured.out + captured.err).strip() == f"error: {message}"
    assert not Path("results").exists()


def test_the_rows_a_tuned_file_chose_run_alone_while_the_others_tune(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    Path("data/tuned.yaml").write_text(TUNED_SASREC)
    Path("bench.yaml").write_text(SEARCHED + ML100K + "tuned: data/tuned.yaml\nseeds: [0]\n")
    assert main(["run", "bench.yaml", "--row", "sasrec", "--dry-run"]) == 0
    assert "1 trials, 1 variants" in capsys.readouterr().out
