"""`python -m suite tokenizers CONFIG` on a small atomic dataset with the real text encoder."""

import pandas as pd

from suite.cli import main

TITLES = ["Alien", "Aliens", "Toy Story", "Toy Story 2", "Heat", "Fargo", "Babe", "Casino", "Se7en", "Twister"]


def test_tokenizer_report_files(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    rows = [f"u{u}\ti{(u + j) % 10}\t{j}" for u in range(6) for j in range(4)]
    (data / "films.inter").write_text("user_id:token\titem_id:token\ttimestamp:float\n" + "\n".join(rows) + "\n")
    items = [f"i{i}\t{title}" for i, title in enumerate(TITLES)]
    (data / "films.item").write_text("item_id:token\ttitle:token_seq\n" + "\n".join(items) + "\n")
    config = tmp_path / "bench.yaml"
    config.write_text(
        f"experiment: tok\nresults_dir: {tmp_path / 'results'}\n"
        f"datasets: {{films: {{loader: atomic, path: {data}}}}}\n"
        "methods: {pop: {}}\n"
        "tokenizers:\n  random: {codebook_size: 4}\n  coarse: {name: rq-kmeans, codebook_size: 2, levels: 2}\n"
    )
    assert main(["tokenizers", str(config)]) == 0
    markdown = (tmp_path / "results" / "tok" / "tokenizers.md").read_text()
    assert "| films     | coarse" in markdown and "| films     | random" in markdown
    frame = pd.read_csv(tmp_path / "results" / "tok" / "tokenizers.csv")
    coarse = frame.set_index("tokenizer").loc["coarse"]
    assert coarse["max_items_per_sid"] >= 3  # 10 items in 2 x 2 codes must collide
    assert 0 < coarse["collision_rate"] < 1
    assert coarse["reconstruction_mse"] > 0
    assert "Collisions" in capsys.readouterr().out
