"""recbole's SASRec pipeline in `make bench` sees the suite's leave-one-out split, row for row."""

from pathlib import Path

import numpy as np

from bench.sasrec_vs_recbole import recbole_split
from suite.data.prepare import prepare
from suite.types import DatasetConfig

# User u2's last two items are one second apart, the later one first in the file. recbole
# scales timestamps by the largest one and sorts them as float32, where the two coincide, so
# its stable sort would keep the file order and make `b2` the test item; the suite's is `a2`.
INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n" + "".join(
    f"{user}\t{item}\t1\t{time}\n"
    for user, item, time in [
        ("u1", "a1", 1),
        ("u1", "b1", 2),
        ("u1", "c1", 3),
        ("u1", "d1", 4),
        ("u2", "c1", 100),
        ("u2", "d1", 200),
        ("u2", "a2", 893286638),
        ("u2", "b2", 893286637),
        ("u3", "a1", 7),
        ("u3", "b1", 7),  # an exact tie: file order breaks it in both pipelines
        ("u3", "c1", 8),
        ("u3", "a2", 9),
    ]
)


def test_recbole_splits_as_the_suite_does(tmp_path: Path) -> None:
    source = tmp_path / "raw" / "tiny.inter"
    source.parent.mkdir()
    source.write_text(INTER)
    ours = prepare(DatasetConfig(name="tiny", loader="atomic", path=str(source.parent)))
    _, dataset, (_, valid, test) = recbole_split(tmp_path / "recbole", seed=0, source=source)

    def targets(loader) -> dict[str, tuple[str, list[str]]]:
        rows = loader.dataset.inter_feat
        users = dataset.id2token("user_id", rows["user_id"].numpy())
        items = dataset.id2token("item_id", rows["item_id"].numpy())
        histories = [
            list(dataset.id2token("item_id", history[:length]))
            for history, length in zip(rows["item_id_list"].numpy(), rows["item_length"].numpy(), strict=True)
        ]
        return {user: (item, history) for user, item, history in zip(users, items, histories, strict=True)}

    theirs_valid, theirs_test = targets(valid), targets(test)
    for user, sequence in zip(ours.user_tokens, ours.sequences, strict=True):
        items = list(np.asarray(ours.item_tokens)[sequence])
        assert theirs_valid[user] == (items[-2], items[:-2]), user
        assert theirs_test[user] == (items[-1], items[:-1]), user
    assert theirs_test["u2"][0] == "a2"
