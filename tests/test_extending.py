"""README "Extending", from outside the repository: a plugin module with a dataset loader, a
tokenizer, a method, a metric, a significance test and a correction, loaded in a fresh process
through `SUITE_PLUGINS` and through installed entry points, and the errors of broken plugins."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

PLUGIN = Path(__file__).parent / "plugins" / "extensions.py"
MODULE = "my_extensions"
ENTRY_POINTS = [
    ("suite.loaders", "plain-csv", "PlainCsvLoader"),
    ("suite.tokenizers", "modulo", "ModuloTokenizer"),
    ("suite.methods", "code-pop", "CodePop"),
    ("suite.metrics", "precision", "Precision"),
    ("suite.tests", "sign", "sign_test"),
    ("suite.corrections", "sidak", "sidak"),
]


@pytest.fixture
def outside(tmp_path):
    """A folder outside the repository: the plugin module, a CSV dataset and a benchmark file."""
    (tmp_path / "ext").mkdir()
    shutil.copy(PLUGIN, tmp_path / "ext" / f"{MODULE}.py")
    rng = np.random.default_rng(0)
    rows = ["user,item,timestamp"]
    for user in range(40):
        for step, item in enumerate(rng.choice(30, size=8, replace=False)):
            rows.append(f"u{user},i{item},{1000 * user + step}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "shop.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "bench.yaml").write_text(
        textwrap.dedent(
            f"""
            experiment: ext
            seeds: [0]
            max_failures: 0
            datasets:
              shop: {{loader: plain-csv, path: {tmp_path / "data"}}}
            methods:
              code-pop: {{tokenizer: {{name: modulo, size: 3}}}}
              pop: {{}}
            evaluation:
              ks: [1, 5]
              metrics: [recall@5, precision@5]
              select_metric: recall@5
              test: sign
              correction: sidak
            """
        )
    )
    return tmp_path


def suite(folder: Path, *args: str, plugins: str = "", path: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("SUITE_PLUGINS", "PYTHONPATH")}
    env.update(SUITE_CACHE=str(folder / "cache"), PYTHONPATH=path or str(folder / "ext"))
    if plugins:
        env["SUITE_PLUGINS"] = plugins
    return subprocess.run(
        [sys.executable, "-m", "suite", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def install_entry_points(folder: Path, entries: list[tuple[str, str, str]]) -> str:
    """A dist-info folder declaring `entries` (group, name, attribute of the plugin module), as
    `pip install` of the plugin's package would leave it; the PYTHONPATH that finds it."""
    site = folder / "site"
    info = site / "my_extensions-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-extensions\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "".join(f"[{group}]\n{name} = {MODULE}:{attribute}\n\n" for group, name, attribute in entries)
    )
    return f"{site}{os.pathsep}{folder / 'ext'}"


@pytest.mark.slow
def test_every_extension_kind_runs_end_to_end_through_suite_plugins(outside):
    done = suite(outside, "run", "bench.yaml", plugins=MODULE)
    assert done.returncode == 0, done.stderr[-3000:]
    board = (outside / "results" / "ext" / "leaderboard.md").read_text()
    assert "code-pop" in board and "shop P@5" in board and "shop R@5" in board
    assert "paired sign test" in board and "sidak correction" in board
    summary = (outside / "results" / "ext" / "datasets.md").read_text()
    assert "| shop " in summary and "| 40 " in summary


def test_every_extension_kind_is_found_through_entry_points(outside):
    path = install_entry_points(outside, ENTRY_POINTS)
    done = suite(outside, "validate", "bench.yaml", path=path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok: 2 trials, 2 variants"


def test_an_entry_point_that_takes_a_builtin_name_is_one_error_line(outside):
    path = install_entry_points(outside, [*ENTRY_POINTS, ("suite.methods", "pop", "CodePop")])
    done = suite(outside, "validate", "bench.yaml", path=path)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: method name 'pop' is already registered by baselines.pop.Pop;")


def test_a_plugin_module_that_takes_a_builtin_name_is_the_same_error(outside):
    module = outside / "ext" / "clash.py"
    module.write_text(
        "from suite.stats import register_test\n\n@register_test('wilcoxon')\ndef mine(a, b, seed):\n    return 1.0\n"
    )
    done = suite(outside, "validate", "bench.yaml", plugins=f"{MODULE},clash")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: test name 'wilcoxon' is already registered by ")


@pytest.mark.parametrize(
    ("plugins", "entries", "message"),
    [
        ("not_a_module", [], "error: SUITE_PLUGINS: module 'not_a_module' failed to import (ModuleNotFoundError: "),
        ("", [("suite.metrics", "gone", "Missing")], "error: entry point 'gone' in group suite.metrics"),
    ],
)
def test_a_plugin_that_fails_to_load_is_one_error_line(outside, plugins, entries, message):
    path = install_entry_points(outside, entries) if entries else ""
    done = suite(outside, "validate", "bench.yaml", plugins=plugins, path=path)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(message)
