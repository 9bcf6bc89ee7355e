"""Bad benchmark files: each gives one line naming the file and key, and exit code 2."""

import textwrap

import pytest

from suite.cli import main
from suite.config import load_config
from suite.protocol import MethodBase
from suite.tokenizers.base import get_tokenizer

GOOD = """
experiment: ok
seeds: [0, 1]
datasets:
  ml-100k: {}
methods:
  pop: {}
  sasrec:
    epochs: 3
    grid:
      hidden_size: [32, 64]
"""

BAD = [
    (
        "methods: {tiger: {tokenizer: {name: rq-vae, hidden: [64, x]}}}\ndatasets: {ml-100k: {}}\n",
        "methods.tiger.tokenizer.hidden[1]: expected int, got 'x'",
    ),
    (
        "methods: {tiger: {tokenizer: {name: rq-vae, hidden: [64, -3]}}}\ndatasets: {ml-100k: {}}\n",
        "methods.tiger.tokenizer.hidden[1]: must be at least 0, got -3",
    ),
    (
        "methods: {sasrec: {grid: {hidden_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], n_layers: [1, 2, 3, 4, 5, 6, 7, 8,"
        " 9, 10], inner_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}}}\nseeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
        "\ndatasets: {ml-100k: {}}\n",
        "methods: the matrix expands to about 11,000 trials and 11,000 decodings (at most 10,000 and 100,000)",
    ),
    ("methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nseeds: [4294967296]\n", "seeds[0]: must be at most 4294967295"),
    (
        "methods:\n  sasrec: {learning_rate: .nan}\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.learning_rate: must be a finite number, got nan",
    ),
    (
        "methods:\n  sasrec: {learning_rate: .inf}\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.learning_rate: must be a finite number, got inf",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nresources: {cpu: .inf}\n",
        "resources.cpu: must be a finite number",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nexperiment: " + "x" * 300 + "\n",
        "experiment: a name of 300 characters is too long for a file name (at most 100)",
    ),
    (
        "methods:\n  sasrec: {}\ndatasets:\n  ml-100k: {}\n"
        "ablations:\n  a:\n    method: sasrec\n    rows:\n      full model: {hidden_size: 32}\n",
        "ablations.a.rows.full model: 'full model' is the name of every ablation's reference row; choose another",
    ),
    (
        "methods:\n  sasrec:\n    epochs: ten\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.epochs: expected int, got 'ten'",
    ),
    ("methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nseed: [1]\n", "seed: unknown key (allowed: experiment,"),
    ("methods:\n  gpt5rec: {}\ndatasets:\n  ml-100k: {}\n", "methods.gpt5rec: unknown method 'gpt5rec' (known: "),
    (
        "methods:\n  pop: {}\ndatasets:\n  netflix: {}\n",
        "datasets.netflix: unknown dataset 'netflix' (built in: ml-100k",
    ),
    ("methods: {}\ndatasets:\n  ml-100k: {}\n", "methods: no methods, so the matrix is empty"),
    ("methods:\n  pop: {}\ndatasets: {}\n", "datasets: no datasets, so the matrix is empty"),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nseeds: []\n",
        "seeds: the list is empty, so the matrix expands to zero trials",
    ),
    (
        "methods:\n  sasrec:\n    grid:\n      hidden_size: []\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.grid.hidden_size: the list is empty",
    ),
    (
        "methods:\n  sasrec:\n    dropout: 0.1\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.dropout: unknown parameter of method 'sasrec'",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nevaluation:\n  test: z-test\n",
        "evaluation.test: unknown test 'z-test' (known: permutation, t-test, wilcoxon)",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nevaluation:\n  metrics: [ndcg@20]\n",
        "evaluation.metrics[0]: ndcg@20 needs K=20 in evaluation.ks [1, 5, 10]",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nresources: {cpu: -1}\n",
        "resources.cpu: must be positive, got -1",
    ),
    ("methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nseeds: [1, 1]\n", "seeds: duplicate seeds in [1, 1]"),
    (
        "methods:\n  sasrec:\n    hidden_act: mish\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.hidden_act: unknown value 'mish'",
    ),
    (
        "methods:\n  sasrec:\n    variants:\n      epochs: [1, 2]\ndatasets:\n  ml-100k: {}\n",
        "methods.sasrec.variants.epochs: changes training, so it belongs under grid:, not variants:",
    ),
    ("methods:\n  mine: {method: nope}\ndatasets:\n  ml-100k: {}\n", "methods.mine.method: unknown method 'nope'"),
    ("methods: [pop]\ndatasets:\n  ml-100k: {}\n", "methods: expected a mapping, got list ['pop']"),
    (
        "methods:\n  pop: {}\ndatasets:\n  mine: {loader: atomic}\n",
        "datasets.mine.path: required for a dataset that is not built in",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {history: 0}\n",
        "datasets.ml-100k.history: must be at least 1, got 0",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  ml-100k: {}\nexperiment: ../escape\n",
        "experiment: '../escape' is not a usable name",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  beauty: {loader: amazon-2018, path: /data, k_core: -5}\n",
        "datasets.beauty.k_core: must be at least 0, got -5",
    ),
    (
        "methods:\n  pop: {}\ndatasets:\n  beauty: {loader: amazon-2014, path: /data}\n",
        "datasets.beauty.loader: unknown dataset loader 'amazon-2014' (known: amazon-2018, amazon-2023, atomic, ml-1m)",
    ),
    ("methods: {pop: {}\n", "not valid YAML: line"),
    ("", "the file is empty"),
    ("- just\n- a list\n", "expected a mapping, got list"),
]


def write(tmp_path, text, name="bench.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_config_validates(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, GOOD))]) == 0
    assert capsys.readouterr().out.strip() == "ok: 6 trials, 6 variants"


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)])
def test_bad_config_gives_one_line_and_exit_2(tmp_path, capsys, text, message):
    assert main(["validate", str(write(tmp_path, text))]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: bench.yaml: ")
    assert message in lines[0]
    assert captured.out == ""


def test_missing_file_names_the_path(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {missing}: no such file"


def test_non_utf8_file(tmp_path, capsys):
    path = tmp_path / "bench.yaml"
    path.write_bytes(b"methods:\n  pop: {}\n\xff\xfe\n")
    assert main(["validate", str(path)]) == 2
    assert "bench.yaml: not UTF-8 text" in capsys.readouterr().err


def test_yaml_tags_are_not_executed(tmp_path, capsys):
    path = write(tmp_path, "methods: !!python/object/apply:os.system ['echo hacked']\n")
    assert main(["validate", str(path)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_typed_objects(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.experiment == "ok"
    assert config.seeds == (0, 1)
    assert config.methods["sasrec"].params == {"epochs": 3}
    assert config.methods["sasrec"].grid == {"hidden_size": (32, 64)}
    assert config.datasets["ml-100k"].loader == "atomic"
    assert config.evaluation.test == "wilcoxon"


def test_amazon_loaders_default_to_5_core(tmp_path):
    text = (
        "methods:\n  pop: {}\ndatasets:\n"
        "  Beauty: {loader: amazon-2018, path: /data}\n"
        "  games: {loader: amazon-2023, path: /data, category: Video_Games, k_core: 10}\n"
        "  ml-1m: {loader: ml-1m, path: /data}\n"
    )
    datasets = load_config(write(tmp_path, text)).datasets
    assert (datasets["Beauty"].k_core, datasets["Beauty"].category) == (5, None)
    assert (datasets["games"].k_core, datasets["games"].category) == (10, "Video_Games")
    assert datasets["ml-1m"].k_core == 0


def test_baseline_is_one_method_or_a_list(tmp_path):
    text = "methods:\n  pop: {}\n  sasrec: {}\ndatasets:\n  ml-100k: {}\nevaluation: {baseline: %s}\n"
    assert load_config(write(tmp_path, text % "pop")).evaluation.baselines == ("pop",)
    assert load_config(write(tmp_path, text % "[pop, sasrec]")).evaluation.baselines == ("pop", "sasrec")


def test_int_is_accepted_where_a_float_is_expected(tmp_path):
    config = load_config(write(tmp_path, "methods:\n  sasrec: {learning_rate: 1}\ndatasets:\n  ml-100k: {}\n"))
    assert config.methods["sasrec"].params["learning_rate"] == 1.0


def test_tokenizer_choices_are_validated_and_merged_with_defaults(tmp_path):
    import suite.registry as registry
    from suite.registry import register

    @register("test-sid-method")
    class SidMethod(MethodBase):
        defaults = {"tokenizer": {"name": "rq-vae"}, "epochs": 1}
        inference_defaults: dict = {}

    try:
        config = load_config(
            write(
                tmp_path,
                """
            datasets: {ml-100k: {}}
            methods:
              test-sid-method:
                tokenizer: {name: rq-kmeans, codebook_size: 64}
                grid:
                  tokenizer: [{name: random}, {name: uiq, levels: 21}]
            tokenizers:
              opq: {}
              small-pq: {name: pq, codebook_size: 16}
              behaviour: {name: rq-kmeans, input: cooccurrence}
              text: {name: rq-kmeans, input: text}
              codes-only: {name: random, input: cooccurrence}
            """,
            )
        )
        method = config.methods["test-sid-method"]
        assert method.params["tokenizer"] == {"name": "rq-kmeans", "levels": 3, "codebook_size": 64, "iterations": 25}
        assert [t["name"] for t in method.grid["tokenizer"]] == ["random", "uiq"]
        assert method.grid["tokenizer"][1]["levels"] == 21
        assert config.tokenizers["small-pq"]["codebook_size"] == 16
        kmeans = get_tokenizer("rq-kmeans")
        assert config.tokenizers["behaviour"] == {
            **{k: v for k, v in kmeans.defaults.items() if k not in kmeans.keyless_at_default},
            "name": "rq-kmeans",
            "input": "cooccurrence",
        }
        assert "collisions" not in config.tokenizers["behaviour"]  # added later: at its default, keys stay
        assert "input" not in config.tokenizers["text"]  # the default, left out so keys stay as they were
        assert "input" not in config.tokenizers["codes-only"]  # random codes read no embeddings
        assert (
            main(
                [
                    "validate",
                    str(
                        write(
                            tmp_path,
                            """
            datasets: {ml-100k: {}}
            methods:
              test-sid-method: {tokenizer: {name: rq-vae, codebook_size: many}}
            """,
                        )
                    ),
                ]
            )
            == 2
        )
        bad = [
            ("tokenizers: {nope: {}}", "tokenizers.nope: unknown tokenizer 'nope' (known: item-id, mh-vqvae, opq"),
            ("tokenizers: {uiq: {flow: 1}}", "tokenizers.uiq.flow: expected bool, got int 1"),
            ("tokenizers: {uiq: {depth: 3}}", "tokenizers.uiq.depth: unknown parameter of tokenizer 'uiq'"),
            ("tokenizers: {uiq: {input: title}}", "tokenizers.uiq.input: unknown value 'title' (choose from: text,"),
            (
                "tokenizers: {m: {name: mh-vqvae, collisions: merge}}",
                "tokenizers.m.collisions: unknown value 'merge' (choose from: dedup, sinkhorn",
            ),
        ]
        for text, message in bad:
            path = write(tmp_path, "datasets: {ml-100k: {}}\nmethods: {pop: {}}\n" + text + "\n")
            with pytest.raises(Exception, match=message.replace("(", r"\(")):
                load_config(path)
    finally:
        registry.methods.entries.pop("test-sid-method")


def test_set_overrides_any_key_path_and_is_validated_like_the_file(tmp_path):
    path = write(tmp_path, GOOD)
    config = load_config(
        path, ["methods.sasrec.epochs=5", "seeds=[3, 4]", "evaluation.alpha=0.01", "datasets.ml-100k.history=20"]
    )
    assert config.methods["sasrec"].params["epochs"] == 5
    assert config.seeds == (3, 4) and config.evaluation.alpha == 0.01
    assert config.datasets["ml-100k"].history == 20


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("methods.sasrec.epochs=ten", "bench.yaml: methods.sasrec.epochs: expected int, got 'ten'"),
        ("methods.sasrec", "bench.yaml: --set: expected KEY.PATH=VALUE (e.g. methods.sasrec.epochs=5), got"),
        ("seeds.first=1", "bench.yaml: --set: seeds.first: seeds is not a mapping, so it has no key 'first'"),
        ("methods..epochs=1", "bench.yaml: --set: expected KEY.PATH=VALUE"),
        ("evaluation.test=[unclosed", "bench.yaml: --set: evaluation.test: '[unclosed' is not a YAML value"),
    ],
)
def test_a_bad_override_is_one_error_line(tmp_path, capsys, override, message):
    assert main(["validate", str(write(tmp_path, GOOD)), "--set", override]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {message}")


def test_an_override_of_a_training_parameter_changes_the_keys_it_touches(tmp_path):
    from suite.matrix import expand

    path = write(tmp_path, GOOD)
    before = {spec.row: spec.key for spec in expand(load_config(path))}
    after = {spec.row: spec.key for spec in expand(load_config(path, ["methods.sasrec.epochs=7"]))}
    changed = {row for row in before if before[row] != after.get(row)}
    assert changed and all(row.startswith("sasrec") for row in changed)


def test_results_dir_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(write(tmp_path, GOOD + "results_dir: ~/runs\n"))
    assert config.results_dir == str(tmp_path / "runs")


def test_yaml_merge_keys_and_anchors_are_accepted(tmp_path):
    text = "methods:\n  sasrec: {<<: {epochs: 2, hidden_size: 32}, epochs: 3}\n  pop: {}\ndatasets: {ml-100k: {}}\n"
    config = load_config(write(tmp_path, text))
    assert config.methods["sasrec"].params == {"epochs": 3, "hidden_size": 32}


def test_a_config_path_with_a_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path, GOOD)
    assert load_config("~/bench.yaml").experiment == "ok"
