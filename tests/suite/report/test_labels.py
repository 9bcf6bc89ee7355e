"""Labels: how tables and figures show rows, never part of a trial key; every user string in a
`.tex` table escaped, so a label with LaTeX's special characters keeps the table's columns."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from suite.config import parse_config
from suite.errors import ConfigError
from suite.matrix import ablation_manifest, expand, row_labels
from suite.report.build import build_report
from suite.report.render import latex_escape
from suite.store import Store
from suite.types import EvaluationConfig

NASTY = "w/o L_his & 50% #2 {x} ~y^ \\z $"
BASE = {
    "seeds": [0],
    "datasets": {"ml-100k": {}},
    "methods": {"pop": {}, "sasrec": {"epochs": 2}},
    "ablations": {"size": {"method": "sasrec", "rows": {"small": {"hidden_size": 32}}}},
}


def labelled(method_label=None, row_label=None):
    raw = {**BASE, "methods": {**BASE["methods"], "sasrec": {"epochs": 2}}}
    if method_label:
        raw["methods"]["sasrec"]["label"] = method_label
    if row_label:
        raw["ablations"] = {"size": {"method": "sasrec", "rows": {"small": {"hidden_size": 32, "label": row_label}}}}
    return parse_config(raw, "labels.yaml")


def test_renaming_a_label_never_re_keys_a_trial():
    keys = {spec.key for spec in expand(labelled())}
    assert {spec.key for spec in expand(labelled("SASRec", "half the width"))} == keys
    assert {spec.key for spec in expand(labelled(NASTY, NASTY))} == keys


def test_labels_reach_the_store_manifests():
    config = labelled("SASRec", "half the width")
    assert row_labels(config, expand(config)) == {"sasrec": "SASRec", "sasrec [small]": "SASRec [small]"}
    rows = ablation_manifest(config)["size"]["rows"]
    assert rows["small"] == {"row": "sasrec [small]", "variant": "default", "label": "half the width"}
    assert "label" not in rows["full model"]


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ({"pop": {"label": "Same"}, "sasrec": {"label": "Same"}}, "'pop' and 'sasrec' would both be shown as 'Same'"),
        ({"pop": {"label": "sasrec"}, "sasrec": {}}, "'pop' and 'sasrec' would both be shown as 'sasrec'"),
        ({"pop": {"label": "  "}}, "methods.pop.label: a label cannot be empty"),
        ({"pop": {"label": 3}}, "methods.pop.label: expected a string, got int 3"),
    ],
)
def test_bad_labels_are_one_line_errors(methods, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config({"datasets": {"ml-100k": {}}, "methods": methods}, "labels.yaml")


def test_escaping_covers_every_special_character():
    assert latex_escape("a & b % c $ d # e _ f { g } h ~ i ^ j \\ k") == (
        "a \\& b \\% c \\$ d \\# e \\_ f \\{ g \\} h \\textasciitilde{} i \\textasciicircum{} j \\textbackslash{} k"
    )


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path)
    rng = np.random.default_rng(0)
    for row, rate in (("pop", 0.2), ("sasrec", 0.6)):
        hits = (rng.random(50) < rate).astype(float)
        per_user = pd.DataFrame({"user": [f"u{i}" for i in range(50)], "variant": "default", "recall@10": hits})
        summary = {"dataset": "toy_set", "row": row, "seed": 0, "users": 50, "n_parameters": 1, "train_seconds": 1.0}
        summary["variants"] = {"default": {"inference_seconds": 0.1}}
        store.write_trial(row, {}, per_user, pd.DataFrame({"epoch": []}), summary)
    store.write_evaluation(EvaluationConfig(ks=(10,), metrics=("recall@10",), select_metric="recall@10"))
    store.write_labels({"sasrec": NASTY})
    build_report(store.root)
    return store


def tabular_rows(tex: str) -> list[int]:
    """The number of cells of each row of the tabular, as a LaTeX parser reads them."""
    from pylatexenc.latexwalker import LatexEnvironmentNode, LatexMacroNode, LatexSpecialsNode, LatexWalker

    nodes, _, _ = LatexWalker(tex, tolerant_parsing=False).get_latex_nodes()

    def find(found):
        for node in found or []:
            if isinstance(node, LatexEnvironmentNode):
                if node.environmentname == "tabular":
                    return node
                inner = find(node.nodelist)
                if inner is not None:
                    return inner
        return None

    cells, rows = 1, []
    for node in find(nodes).nodelist:
        if isinstance(node, LatexSpecialsNode) and node.specials_chars == "&":
            cells += 1
        elif isinstance(node, LatexMacroNode) and node.macroname == "\\":
            rows.append(cells)
            cells = 1
    return rows


def test_a_label_with_every_special_character_keeps_the_tables_columns(store):
    pytest.importorskip("pylatexenc")
    tex = (store.root / "leaderboard.tex").read_text()
    assert latex_escape(NASTY) in tex
    counts = tabular_rows(tex)
    assert len(counts) == 3 and len(set(counts)) == 1  # the header and both rows
    markdown = store.read_markdown("leaderboard")
    assert f"| {NASTY} " in markdown and "| sasrec " not in markdown


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_table_compiles(store, tmp_path):
    document = tmp_path / "paper.tex"
    document.write_text(
        "\\documentclass{article}\\usepackage{booktabs}\\begin{document}\n"
        f"\\input{{{store.root / 'leaderboard.tex'}}}\n\\end{{document}}\n"
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000
