"""Which tokenizers `suite tokenizers CONFIG` reports: every one the YAML names, anywhere."""

from suite.config import load_config
from suite.tokenizers.quality import tokenizers_to_report


def test_the_ablations_file_reports_every_tokenizer_its_methods_and_ablations_name():
    chosen = tokenizers_to_report(load_config("configs/ablations.yaml"))
    names = {config["name"] for config in chosen.values()}
    # all but mh-vqvae and rq-kmeans (the full models') appear only in the tokenizer ablation
    assert {"opq", "random", "rq-vae", "mh-vqvae", "rq-kmeans", "uiq", "item-id"} <= names
    assert all(label == label.strip() for label in chosen)


def test_a_tokenizer_named_twice_is_reported_once(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text(
        "datasets: {ml-100k: {}}\n"
        "methods:\n"
        "  tiger: {tokenizer: {name: random}}\n"
        "  tiger-2: {method: tiger, tokenizer: {name: random, codebook_size: 32}}\n"
        "ablations:\n"
        "  sid:\n    method: tiger\n    vary: {tokenizer: [{name: random}, {name: pq}]}\n"
    )
    chosen = tokenizers_to_report(load_config(path))
    assert sorted(chosen) == ["pq", "random"]
