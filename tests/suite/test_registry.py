import pytest

import suite.registry as registry
from suite.protocol import MethodBase
from suite.registry import PluginError, get_method, known_methods, register


def test_builtin_methods_are_registered():
    assert {"pop", "sasrec"} <= set(known_methods())


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown method 'nope' \(known: .*pop.*sasrec"):
        get_method("nope")


def test_a_name_cannot_be_taken_twice():
    with pytest.raises(PluginError, match="already registered"):

        @register("pop")
        class Impostor(MethodBase):
            pass


def test_entry_point_plugins_are_loaded(monkeypatch):
    class Plugin(MethodBase):
        pass

    class FakeEntryPoint:
        name = "plugin-method"

        def load(self):
            return Plugin

    monkeypatch.setattr(registry.methods, "_state", "new")
    monkeypatch.setattr(registry, "entry_points", lambda group: [FakeEntryPoint()] if group == "suite.methods" else [])
    assert get_method("plugin-method") is Plugin
    registry.methods.entries.pop("plugin-method")


def test_every_trained_method_stops_early_after_ten_epochs_without_a_gain():
    trained = ("sasrec", "tiger", "llada-rec", "madrec", "greed")
    assert {get_method(name).defaults["patience"] for name in trained} == {10}
    # SASRec is recbole's pipeline, so it keeps recbole's reading of that patience
    assert {name: get_method(name).defaults.get("stopping", "suite") for name in trained} == {
        "sasrec": "recbole",
        "tiger": "suite",
        "llada-rec": "suite",
        "madrec": "suite",
        "greed": "suite",
    }
