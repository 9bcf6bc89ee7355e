"""Item texts and their embeddings with the sentence encoder that ships in a package."""

import numpy as np
import pytest

from suite.data.prepare import PreparedData, prepare
from suite.embed import embed_items, item_texts, resolve_encoder
from suite.errors import DataError, SuiteError
from suite.types import DatasetConfig


def test_ml100k_text_has_title_year_and_genres():
    data = prepare(DatasetConfig(name="ml-100k", loader="atomic"))
    texts = item_texts(data)
    toy_story = texts[list(data.item_tokens).index("1")]
    assert toy_story == "title: Toy Story; year: 1995; genres: Animation Children's Comedy"


def test_items_without_fields_fall_back_to_their_id():
    data = PreparedData(
        name="x",
        item_tokens=np.array(["a", "b"]),
        user_tokens=np.array([]),
        sequences=[],
        item_features={"title": ["Alpha", ""]},
    )
    assert item_texts(data) == ["title: Alpha", "item b"]


def test_real_encoder_embeds_offline_and_caches(tmp_path):
    data = PreparedData(
        name="x",
        item_tokens=np.array(["a", "b", "c"]),
        user_tokens=np.array([]),
        sequences=[],
        item_features={"title": ["space adventure", "outer space adventure", "cooking show"]},
    )
    first = embed_items(data)
    assert first.shape == (3, 384) and first.dtype == np.float32
    similarity = first @ first.T
    assert similarity[0, 1] > similarity[0, 2]  # real semantics, not noise
    np.testing.assert_array_equal(embed_items(data), first)


def test_unknown_encoder_is_a_clear_error():
    with pytest.raises(SuiteError, match="neither a local model folder nor an installed package"):
        resolve_encoder("no-such-encoder-package")


def test_a_dataset_without_any_item_text_is_an_error_for_text_sids():
    data = PreparedData(name="ids", item_tokens=np.array(["a", "b"]), user_tokens=np.array([]), sequences=[])
    with pytest.raises(DataError, match="dataset ids: no item text .* fit the tokenizer on input: cooccurrence"):
        item_texts(data)
