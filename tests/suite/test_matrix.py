import hashlib

import pytest

import suite.registry as registry
from suite.config import parse_config
from suite.errors import ConfigError
from suite.matrix import (
    AblationRow,
    TrialSpec,
    ablation_index,
    canonical_json,
    count_variants,
    expand,
    row_terms,
    select_trials,
)
from suite.protocol import MethodBase
from suite.registry import register
from suite.types import DEFAULT_VARIANT


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
    class WithAxes(MethodBase):
        defaults = {"epochs": 1}
        inference_defaults = {"beam": 10, "order": "confidence"}

    yield WithAxes
    registry.methods.entries.pop("test-inference-axes")


def test_variants_are_inference_only_and_deduplicated(method_with_inference_axes):
    specs = expand(config({"test-inference-axes": {"variants": {"beam": [1, 10], "order": ["confidence", "margin"]}}}))
    assert len(specs) == 1
    names = [v.name for v in specs[0].variants]
    assert names == [DEFAULT_VARIANT, "beam=1,order=confidence", "beam=1,order=margin", "beam=10,order=margin"]
    assert specs[0].variants[1].overrides == {"beam": 1}
    assert count_variants(specs) == 4


ABLATIONS = {
    "datasets": {"ml-100k": {}},
    "seeds": [0, 1],
    "methods": {"full": {"method": "test-inference-axes", "epochs": 1}},
    "ablations": {
        "beam": {"method": "full", "vary": {"beam": [1, 10]}},
        "training": {"method": "full", "rows": {"longer": {"epochs": 3}, "longer, greedy": {"epochs": 3, "beam": 1}}},
    },
}


def test_ablations_expand_into_variants_and_trials(method_with_inference_axes):
    cfg = parse_config(ABLATIONS, "t.yaml")
    specs = expand(cfg)
    rows = sorted({s.row for s in specs})
    assert rows == ["full", "full [longer, greedy]", "full [longer]"]
    assert len(specs) == 3 * 2  # three rows x two seeds
    full = [s for s in specs if s.row == "full"][0]
    assert [v.name for v in full.variants] == [DEFAULT_VARIANT, "beam=1"]  # beam=10 is the full model
    greedy = [s for s in specs if s.row == "full [longer, greedy]"][0]
    assert greedy.params["beam"] == 1 and greedy.params["epochs"] == 3


def test_ablation_index_says_where_each_row_lives(method_with_inference_axes):
    index = ablation_index(parse_config(ABLATIONS, "t.yaml"))
    assert index["beam"] == {
        "full model": AblationRow("full", DEFAULT_VARIANT),
        "beam=1": AblationRow("full", "beam=1"),
        "beam=10": AblationRow("full", DEFAULT_VARIANT),
    }
    assert index["training"]["longer"] == AblationRow("full [longer]", DEFAULT_VARIANT)


@pytest.mark.parametrize(
    ("ablation", "message"),
    [
        ({"method": "nope", "vary": {"beam": [1]}}, "ablations.x.method: 'nope' is not an entry of methods"),
        ({"method": "full"}, "ablations.x: give exactly one of vary:"),
        ({"method": "full", "vary": {"beam": [1], "epochs": [2]}}, "ablations.x.vary: expected one parameter, got 2"),
        ({"method": "full", "vary": {"width": [1]}}, "ablations.x.vary.width: unknown parameter"),
        ({"method": "full", "rows": {"r": {}}}, "ablations.x.rows.r: a row needs at least one parameter override"),
    ],
)
def test_bad_ablations(method_with_inference_axes, ablation, message):
    from suite.errors import ConfigError

    raw = {**ABLATIONS, "ablations": {"x": ablation}}
    with pytest.raises(ConfigError, match=message):
        parse_config(raw, "t.yaml")


@pytest.fixture
def method_with_a_params_check():
    @register("test-checked")
    class Checked(MethodBase):
        defaults = {"blocks": True, "mask": "block"}
        inference_defaults = {"beam": 10}

        @classmethod
        def check_params(cls, params):
            if params["blocks"] and params["mask"] != "block":
                return "blocks: true needs mask 'block'"
            return "beam 3 is unlucky" if params["beam"] == 3 else None

    yield Checked
    registry.methods.entries.pop("test-checked")


@pytest.mark.parametrize(
    ("methods", "ablations", "key"),
    [
        ({"m": {"method": "test-checked", "mask": "full"}}, {}, "methods.m"),
        ({"m": {"method": "test-checked", "grid": {"mask": ["block", "full"]}}}, {}, "methods.m.grid"),
        ({"m": {"method": "test-checked", "variants": {"beam": [1, 3]}}}, {}, "methods.m"),
        ({"m": {"method": "test-checked"}}, {"masks": {"method": "m", "vary": {"mask": ["full"]}}}, "ablations.masks"),
        ({"m": {"method": "test-checked"}}, {"b": {"method": "m", "rows": {"r": {"beam": 3}}}}, "ablations.b"),
        (  # the row passes against the entry's own params, and fails on one of its grid values
            {"m": {"method": "test-checked", "blocks": False, "grid": {"blocks": [False, True]}}},
            {"b": {"method": "m", "rows": {"r": {"mask": "full"}}}},
            "ablations.b",
        ),
    ],
)
def test_a_methods_params_check_fails_the_config_at_its_key(method_with_a_params_check, methods, ablations, key):
    from suite.errors import ConfigError

    cfg = parse_config({"datasets": {"ml-100k": {}}, "methods": methods, "ablations": ablations}, "t.yaml")
    with pytest.raises(ConfigError) as raised:
        expand(cfg)
    assert raised.value.key == key
    assert str(raised.value).startswith(f"t.yaml: {key}: ")


def test_combinations_that_pass_the_check_expand(method_with_a_params_check):
    methods = {"m": {"method": "test-checked", "variants": {"beam": [1, 10]}}}
    ablations = {"masks": {"method": "m", "rows": {"full mask": {"blocks": False, "mask": "full"}}}}
    specs = expand(parse_config({"datasets": {"ml-100k": {}}, "methods": methods, "ablations": ablations}, "t.yaml"))
    assert [s.row for s in specs] == ["m", "m [full mask]"]


def test_a_tokenizer_grid_labels_rows_by_what_differs_from_the_defaults():
    grid = {"tokenizer": [{"name": "rq-kmeans"}, {"name": "rq-kmeans", "input": "cooccurrence"}, {"name": "item-id"}]}
    specs = expand(config({"madrec": {"grid": grid}}))
    assert [s.row for s in specs] == [
        "madrec [tokenizer=rq-kmeans]",
        "madrec [tokenizer=rq-kmeans(input=cooccurrence)]",
        "madrec [tokenizer=item-id]",
    ]


def test_selecting_rows_and_seeds_keeps_the_trials_and_their_keys():
    specs = expand(config({"pop": {}, "sasrec": {"grid": {"n_layers": [1, 2]}}}, seeds=(0, 1)))
    chosen = select_trials(specs, rows=["pop", "sasrec [n_layers=2]"], seeds=[1])
    assert [(s.row, s.seed) for s in chosen] == [("pop", 1), ("sasrec [n_layers=2]", 1)]
    assert {s.key for s in chosen} <= {s.key for s in specs}
    assert select_trials(specs) == specs
    assert select_trials(specs, seeds=[0]) == [s for s in specs if s.seed == 0]


@pytest.mark.parametrize(
    ("rows", "seeds", "message"),
    [
        (["sasrec [n_layers=3]"], [], "test.yaml: --row: no trial row 'sasrec [n_layers=3]' (rows: pop, sasrec ["),
        ([], [2], "test.yaml: --seed: no trials with seed 2 (seeds: 0, 1)"),
    ],
)
def test_selecting_what_the_file_does_not_have_names_the_option(rows, seeds, message):
    specs = expand(config({"pop": {}, "sasrec": {"grid": {"n_layers": [1, 2]}}}, seeds=(0, 1)))
    with pytest.raises(ConfigError) as error:
        select_trials(specs, rows=rows, seeds=seeds, source="test.yaml")
    assert str(error.value).startswith(message)


def test_the_metrics_and_cut_offs_the_report_computes_leave_the_trial_keys_alone():
    methods = {"pop": {}, "sasrec": {"epochs": 2}}
    base = {"seeds": [0], "datasets": {"ml-100k": {}}, "methods": methods}
    before = [spec.key for spec in expand(parse_config(base, "a.yaml"))]
    rescored = {**base, "evaluation": {"ks": [1, 5, 10, 20], "metrics": ["mrr@20", "coverage@10", "novelty@5"]}}
    assert [spec.key for spec in expand(parse_config(rescored, "b.yaml"))] == before
    longer = {**base, "evaluation": {"list_length": 200}}
    assert not set(before) & {spec.key for spec in expand(parse_config(longer, "c.yaml"))}
    reselected = {**base, "evaluation": {"select_metric": "recall@10"}}
    assert not set(before) & {spec.key for spec in expand(parse_config(reselected, "d.yaml"))}


def test_a_trial_keeps_its_legacy_key_for_the_store_it_was_written_in():
    (spec,) = expand(config({"pop": {}}))
    identity = spec.to_dict()
    del identity["device"], identity["resources"], identity["list_length"]
    identity["ks"] = [1, 5, 10]
    assert spec.legacy_key((1, 5, 10)) == hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:16]
    assert spec.legacy_key((1, 5, 10)) != spec.key != spec.legacy_key((1, 10))


def test_a_parameter_added_later_stays_out_of_the_key_at_its_default():
    """`keyless_at_default`: trials stored before `grad_clip` existed keep their keys; a clipping
    that is on is part of the key; the method still receives the default."""
    plain, spelled, clipped = (
        expand(config({"sasrec": extra}))[0] for extra in ({}, {"grad_clip": 0.0}, {"grad_clip": 1.0})
    )
    assert "grad_clip" not in plain.params and plain.key == spelled.key
    assert clipped.key != plain.key and clipped.params["grad_clip"] == 1.0
    assert registry.get_method("sasrec")(plain.params).params["grad_clip"] == 0.0


def test_a_default_changed_later_leaves_the_keys_of_trials_stored_at_either_value(monkeypatch):
    """A `keyless_at_default` mapping: the value at which a parameter stays out of the key is the
    old default, so a trial stored at it keeps its key, and so does one that named the new value;
    an entry that leaves it out now gets the new default, a different trial."""

    class Before(MethodBase):
        defaults = {"shift": "fixed", "width": 4}
        keyless_at_default = ("shift",)

    class After(MethodBase):
        defaults = {"shift": "random", "width": 4}
        keyless_at_default = {"shift": "fixed"}

    def key_of(cls, params):
        monkeypatch.setitem(registry.methods.entries, "test-shifted", cls)
        return expand(config({"m": {"method": "test-shifted", **params}}))[0].key

    old_default, old_random = key_of(Before, {}), key_of(Before, {"shift": "random"})
    assert key_of(After, {"shift": "fixed"}) == old_default
    assert key_of(After, {"shift": "random"}) == key_of(After, {}) == old_random


def test_a_tokenizer_parameter_added_later_stays_out_of_the_key_at_its_default(monkeypatch):
    from suite.tokenizers.base import complete_tokenizer, get_tokenizer

    monkeypatch.setattr(get_tokenizer("rq-kmeans"), "keyless_at_default", ("levels",))
    completed = complete_tokenizer({"name": "rq-kmeans"})
    assert "levels" not in completed and "codebook_size" in completed
    assert complete_tokenizer({"name": "rq-kmeans", "levels": 7})["levels"] == 7


def test_the_terms_give_each_trained_rows_epoch_cap_and_patience():
    cfg = config({"pop": {}, "sasrec": {"epochs": 100, "patience": 30}, "tiger": {"epochs": 50, "patience": 10}})
    stopping = row_terms(cfg, expand(cfg))["protocol"]["stopping"]
    assert stopping == {"sasrec": {"epochs": 100, "patience": 30}, "tiger": {"epochs": 50, "patience": 10}}


SID_ENTRY = {"madrec": {"tokenizer": {"name": "rq-kmeans", "input": "cooccurrence", "codebook_size": 64}}}


def _tokenizers(raw):
    return {s.row: s.params["tokenizer"] for s in expand(parse_config(raw, "t.yaml"))}


@pytest.mark.parametrize(
    ("ablation", "row"),
    [
        (
            {"method": "madrec", "vary": {"tokenizer.collisions": ["sinkhorn"]}},
            "madrec [tokenizer.collisions=sinkhorn]",
        ),
        ({"method": "madrec", "rows": {"sinkhorn": {"tokenizer.collisions": "sinkhorn"}}}, "madrec [sinkhorn]"),
    ],
)
def test_a_dotted_ablation_override_sets_one_key_of_the_entrys_tokenizer(ablation, row):
    tokenizers = _tokenizers({"datasets": {"ml-100k": {}}, "methods": SID_ENTRY, "ablations": {"c": ablation}})
    assert set(tokenizers) == {"madrec", row}
    assert tokenizers[row] == {**tokenizers["madrec"], "collisions": "sinkhorn"}
    assert tokenizers["madrec"]["codebook_size"] == 64 and tokenizers["madrec"]["input"] == "cooccurrence"


def test_a_dotted_ablation_override_keeps_what_a_tuned_file_chose(tmp_path):
    tuned = tmp_path / "tuned.yaml"
    tuned.write_text("tuning: {samples: 4}\nmethods:\n  madrec: {tokenizer: {codebook_size: 128}}\n")
    ablation = {"method": "madrec", "vary": {"tokenizer.collisions": ["sinkhorn"]}}
    raw = {"datasets": {"ml-100k": {}}, "methods": SID_ENTRY, "ablations": {"c": ablation}, "tuned": str(tuned)}
    sinkhorn = _tokenizers(raw)["madrec [tokenizer.collisions=sinkhorn]"]
    assert (sinkhorn["codebook_size"], sinkhorn["input"], sinkhorn["collisions"]) == (128, "cooccurrence", "sinkhorn")


@pytest.mark.parametrize(
    ("ablation", "message"),
    [
        (
            {"method": "madrec", "rows": {"r": {"dropout.rate": 0.1}}},
            "ablations.c.rows.r.dropout.rate: only the tokenizer's keys can be set by a dotted name",
        ),
        (
            {"method": "madrec", "vary": {"tokenizer.heads": [2]}},
            r"ablations.c.vary.tokenizer.heads: unknown parameter of tokenizer 'rq-kmeans'",
        ),
        (
            {"method": "madrec", "vary": {"tokenizer.collisions": ["sinkhorn", "sinkhorn"]}},
            r"ablations.c.vary.tokenizer.collisions: duplicate values in \['sinkhorn', 'sinkhorn'\]",
        ),
        (
            {"method": "madrec", "vary": {"tokenizer.collisions": ["nearest"]}},
            r"ablations.c.vary.tokenizer.collisions: unknown value 'nearest' \(choose from: dedup, sinkhorn\)",
        ),
    ],
)
def test_bad_dotted_ablation_overrides(ablation, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"datasets": {"ml-100k": {}}, "methods": SID_ENTRY, "ablations": {"c": ablation}}, "t.yaml")
