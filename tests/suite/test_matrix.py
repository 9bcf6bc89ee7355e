import pytest

import suite.registry as registry
from suite.config import parse_config
from suite.matrix import DEFAULT_VARIANT, TrialSpec, count_variants, expand
from suite.registry import register


def config(methods, seeds=(0,), datasets=None):
    return parse_config(
        {"seeds": list(seeds), "datasets": datasets or {"ml-100k": {}}, "methods": methods}, "test.yaml"
    )


def test_counts_are_datasets_x_methods_x_grid_x_seeds():
    cfg = config(
        {"pop": {}, "sasrec": {"grid": {"hidden_size": [32, 64], "n_layers": [1, 2, 3]}}},
        seeds=(0, 1),
        datasets={"ml-100k": {}, "ml-small": {"loader": "atomic", "path": "x"}},
    )
    specs = expand(cfg)
    assert len(specs) == 2 * (1 + 2 * 3) * 2
    assert len({spec.key for spec in specs}) == len(specs)


def test_grid_values_reach_the_params_and_the_row_label():
    specs = expand(config({"sasrec": {"epochs": 2, "grid": {"hidden_size": [32, 64]}}}))
    assert [s.params["hidden_size"] for s in specs] == [32, 64]
    assert all(s.params["epochs"] == 2 for s in specs)
    assert [s.row for s in specs] == ["sasrec [hidden_size=32]", "sasrec [hidden_size=64]"]


def test_specs_are_frozen_hashable_and_round_trip():
    spec = expand(config({"sasrec": {}}))[0]
    assert hash(spec) == hash(TrialSpec.from_dict(spec.to_dict()))
    assert TrialSpec.from_dict(spec.to_dict()) == spec
    assert TrialSpec.from_dict(spec.to_dict()).key == spec.key


def test_key_ignores_where_a_trial_runs_but_not_what_it_computes():
    a = expand(config({"sasrec": {}}))[0]
    b = expand(
        parse_config(
            {"datasets": {"ml-100k": {}}, "methods": {"sasrec": {}}, "resources": {"cpu": 2}, "device": "cpu"}, "t.yaml"
        )
    )[0]
    c = expand(config({"sasrec": {"epochs": 7}}))[0]
    assert a.key == b.key
    assert a.key != c.key


def test_display_names_allow_two_configs_of_one_method():
    specs = expand(config({"small": {"method": "sasrec", "hidden_size": 32}, "big": {"method": "sasrec"}}))
    assert [(s.method, s.method_class) for s in specs] == [("small", "sasrec"), ("big", "sasrec")]


@pytest.fixture
def method_with_inference_axes():
    @register("test-inference-axes")
    class WithAxes:
        defaults = {"epochs": 1}
        inference_defaults = {"beam": 10, "order": "confidence"}

    yield WithAxes
    registry.methods.classes.pop("test-inference-axes")


def test_variants_are_inference_only_and_deduplicated(method_with_inference_axes):
    specs = expand(config({"test-inference-axes": {"variants": {"beam": [1, 10], "order": ["confidence", "margin"]}}}))
    assert len(specs) == 1
    names = [v.name for v in specs[0].variants]
    assert names == [DEFAULT_VARIANT, "beam=1,order=confidence", "beam=1,order=margin", "beam=10,order=margin"]
    assert specs[0].variants[1].overrides == {"beam": 1}
    assert count_variants(specs) == 4
