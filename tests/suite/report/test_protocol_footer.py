from suite.report.render import protocol_sentence, stopping_phrase

CAP_100 = {"epochs": 100, "patience": 30}


def test_terms_every_trained_row_shares_are_said_once():
    phrase = stopping_phrase({"sasrec": CAP_100, "tiger": CAP_100})
    assert phrase == " (at most 100 epochs, stopped after 30 without a gain, for every trained row)"


def test_rows_on_other_terms_are_named_by_their_labels():
    phrase = stopping_phrase({"sasrec": CAP_100, "tiger": {"epochs": 50, "patience": 10}, "greed": CAP_100}, str.upper)
    assert phrase == (
        " (SASREC, GREED: at most 100 epochs, stopped after 30 without a gain;"
        " TIGER: at most 50 epochs, stopped after 10 without a gain)"
    )


def test_a_board_without_trained_rows_says_nothing_of_stopping():
    assert stopping_phrase({}) == ""


def test_the_protocol_sentence_states_split_context_tuning_stopping_and_seeds():
    sentence = protocol_sentence(
        {
            "split": "leave-one-out",
            "seeds": [0, 1, 2],
            "select_metric": "ndcg@10",
            "history": {"ml-100k": 20},
            "tuning": {
                "search": "random",
                "samples": 8,
                "max_epochs": 50,
                "scheduler": "asha",
                "select_metric": "ndcg@10",
                "dataset": "ml-100k",
                "seed": 0,
            },
            "stopping": {"tiger": CAP_100},
        }
    )
    assert "leave-one-out split" in sentence
    assert "the dataset's history (ml-100k: 20)" in sentence
    assert "random search over each method's space, 8 configurations per method, at most 50 epochs each" in sentence
    assert "early-stopped on validation ndcg@10 (at most 100 epochs, stopped after 30 without a gain" in sentence
    assert sentence.endswith("Seeds: 0, 1, 2.")


def test_a_store_without_tuning_says_so():
    sentence = protocol_sentence({"split": "leave-one-out", "seeds": [0], "select_metric": "ndcg@10", "history": {}})
    assert "No tuning: every row runs at its configured parameters (Tuned 0)." in sentence
