"""The recbole compatibility shims, each in isolation."""

import numpy as np
import torch

from suite.compat import numpy_aliases, recbole_sasrec, trusted_trainer_checkpoints


def test_recbole_import_leaves_anomaly_detection_off():
    assert not torch.is_anomaly_enabled()
    cls = recbole_sasrec()
    assert cls.__name__ == "SASRec"
    assert not torch.is_anomaly_enabled()


def test_numpy_aliases_exist_only_inside_the_block():
    assert "float_" not in np.__dict__
    with numpy_aliases():
        assert np.float_ is np.float64 and np.unicode_ is np.str_
    assert "float_" not in np.__dict__


def test_recbole_config_builds_with_numpy_2():
    from recbole.config import Config

    with numpy_aliases():
        config = Config(
            model="SASRec",
            dataset="ml-100k",
            config_dict={"use_gpu": False, "state": "ERROR", "train_neg_sample_args": None},
        )
    assert config["MAX_ITEM_LIST_LENGTH"] == 50


def test_trainer_checkpoints_load_only_inside_the_block(tmp_path):
    import recbole.trainer.trainer as trainer_module

    path = tmp_path / "checkpoint.pth"
    torch.save({"config": {"a": np.float64(1.5)}, "state_dict": {}}, path)
    with trusted_trainer_checkpoints():
        assert trainer_module.torch.load(path)["config"]["a"] == 1.5
        assert torch.load is not trainer_module.torch.load  # the rest of the process keeps the safe default
    assert trainer_module.torch is torch
