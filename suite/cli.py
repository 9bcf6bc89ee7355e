"""Command line: `python -m suite run|validate|report ...` (also installed as `suite`).

Each command imports what it needs when it runs, so `report` never loads torch or Ray.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from tabulate import tabulate

from suite.errors import SuiteError
from suite.ray_environment import set_ray_environment
from suite.store import LEADERBOARD, Store


def _load(path: str, experiment: str | None, overrides: list[str] | None = None, take_tuned: bool = True):
    from suite.config import load_config
    from suite.matrix import expand

    config = load_config(path, overrides or (), take_tuned)
    if experiment:
        from suite.config import check_name

        config = dataclasses.replace(config, experiment=check_name(experiment, "--experiment"))
    return config, expand(config)


def _trial_table(specs) -> str:
    rows = [
        [
            spec.key,
            spec.dataset.name,
            spec.row,
            spec.seed,
            ", ".join(v.name for v in spec.variants),
            f"cpu={spec.resources.cpu:g} gpu={spec.resources.gpu:g}",
        ]
        for spec in specs
    ]
    return tabulate(rows, headers=["trial", "dataset", "method", "seed", "variants", "resources"], tablefmt="simple")


def cmd_validate(args: argparse.Namespace) -> int:
    from suite.matrix import count_variants

    _, specs = _load(args.config, None, args.overrides)
    print(f"ok: {len(specs)} trials, {count_variants(specs)} variants")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from suite.matrix import count_variants, select_trials
    from suite.runner import run_experiment

    config, specs = _load(args.config, args.experiment, args.overrides)
    chosen = select_trials(specs, args.rows or (), args.seeds or (), config.source)
    entries = {spec.method: config.methods[spec.method] for spec in chosen}
    untuned = sorted(name for name, entry in entries.items() if entry.search and not entry.tuned_samples)
    if config.tuned and untuned:
        raise SuiteError(
            f"{config.source}: tuned: {config.tuned} chose nothing for {', '.join(untuned)}, whose search: has not"
            " finished (make tune goes on with it; --row runs the tuned rows alone)"
        )
    if args.dry_run:
        print(_trial_table(chosen))
        print(f"{len(chosen)} trials, {count_variants(chosen)} variants")
        return 0
    root = Path(config.results_dir) / config.experiment
    address = args.address or os.environ.get("RAY_ADDRESS")
    selected = {spec.key for spec in chosen} if len(chosen) < len(specs) else None
    if args.no_training:
        selected = set()
    text = Path(args.config).read_text(encoding="utf-8")  # kept in the store with the sitting's record
    text += "".join(f"# run with --set {override}\n" for override in args.overrides or ())
    outcome = run_experiment(
        config, specs, root, address=address, rerun=args.rerun, selected=selected, config_text=text
    )
    if outcome.reported:
        print(Store(root).read_markdown(LEADERBOARD))
    print(
        f"trained {outcome.trained}, skipped {outcome.skipped} complete, failed {len(outcome.failed)}"
        + (f", interrupted {len(outcome.interrupted)} (a rerun resumes them)" if outcome.interrupted else "")
        + (f", left {outcome.unselected} not selected for a later run" if outcome.unselected else "")
        + f"; results in {root}"
    )
    if outcome.failed:
        print(f"failed trials (see {root}/trials/<key>/error.txt): {', '.join(outcome.failed)}", file=sys.stderr)
        return 1
    return 1 if outcome.interrupted else 0


def cmd_tune(args: argparse.Namespace) -> int:
    from suite.tuning import TUNED_FILE, run_tuning

    config, _ = _load(args.config, args.experiment, args.overrides, take_tuned=False)
    root = Path(config.results_dir) / config.experiment
    chosen = run_tuning(config, root, args.rows, args.address or os.environ.get("RAY_ADDRESS"))
    for name, params in chosen.items():
        print(f"{name}: {params}")
    print(f"chosen parameters in {root / TUNED_FILE}; every configuration in {root / 'tuning'}")
    return 0


def cmd_tokenizers(args: argparse.Namespace) -> int:
    from suite.report.tokenizers import write_tokenizer_report
    from suite.tokenizers.quality import tokenizer_rows, tokenizers_to_report

    config, _ = _load(args.config, args.experiment, args.overrides)
    rows = tokenizer_rows(config, tokenizers_to_report(config))
    print(write_tokenizer_report(Store(Path(config.results_dir) / config.experiment), rows))
    return 0


REPORT_CHOICES = ("metrics", "ks", "test", "correction", "alpha", "baseline", "ci")


def _listed(text: str) -> list:
    return [item.strip() for item in text.split(",") if item.strip()]


def cmd_report(args: argparse.Namespace) -> int:
    from suite.config import evaluation_with
    from suite.report.build import build_report
    from suite.store import Store

    root = Path(args.results_dir).expanduser()
    changes = {name: getattr(args, name) for name in REPORT_CHOICES if getattr(args, name) is not None}
    evaluation = None
    if changes:
        if "ks" in changes:
            changes["ks"] = [int(k) if k.isdigit() else k for k in changes["ks"]]
        evaluation = evaluation_with(Store(root).read_evaluation(), changes, "suite report")
    print(build_report(root, evaluation))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from suite.report.export import export_lists

    out = Path(args.out).expanduser() if args.out else None
    out, skipped = export_lists(Path(args.results_dir).expanduser(), out)
    if skipped:
        print(f"skipped {len(skipped)} trials stored without ranked lists: {', '.join(skipped)}", file=sys.stderr)
    print(f"ranked lists written to {out} (TREC runs and qrels, lists.parquet)")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from suite.report.compare import compare_folders

    print(compare_folders(Path(args.before).expanduser(), Path(args.after).expanduser(), args.metric), end="")
    return 0


def _add_overrides(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--set",
        action="append",
        dest="overrides",
        metavar="KEY.PATH=VALUE",
        help="override a YAML setting, VALUE read as YAML (repeatable), e.g. --set methods.sasrec.epochs=5",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="suite", description="Benchmark generative recommenders from one YAML file.")
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run every trial of a benchmark YAML and write its tables")
    run.add_argument("config")
    run.add_argument("--experiment", help="results folder name (default: the YAML's experiment)")
    run.add_argument("--address", help="join this Ray cluster (default: $RAY_ADDRESS, else a local Ray)")
    run.add_argument("--dry-run", action="store_true", help="print the expanded trial table and exit")
    run.add_argument(
        "--rerun",
        action="store_true",
        help="train the trials from the start, complete ones and those with an epoch checkpoint alike",
    )
    run.add_argument(
        "--row",
        action="append",
        dest="rows",
        metavar="ROW",
        help="run only this table row (repeatable; as --dry-run names it)",
    )
    run.add_argument(
        "--seed", action="append", dest="seeds", type=int, metavar="N", help="run only this seed (repeatable)"
    )
    run.add_argument(
        "--no-training",
        action="store_true",
        help="run no trial: take in what the store holds (trials copied in, and those a stored training gives),"
        " record the configuration's trials and write the tables",
    )
    _add_overrides(run)
    run.set_defaults(handler=cmd_run)
    tune = commands.add_parser(
        "tune", help="search each method's search: space on validation, one budget for all (tuning:)"
    )
    tune.add_argument("config")
    tune.add_argument("--experiment", help="results folder name (default: the YAML's experiment)")
    tune.add_argument("--row", action="append", dest="rows", metavar="ROW", help="tune only this methods: entry")
    tune.add_argument("--address", help="join this Ray cluster (default: $RAY_ADDRESS, else a local Ray)")
    _add_overrides(tune)
    tune.set_defaults(handler=cmd_tune)
    validate = commands.add_parser("validate", help="check a benchmark YAML and count its trials")
    validate.add_argument("config")
    _add_overrides(validate)
    validate.set_defaults(handler=cmd_validate)
    tokenizers = commands.add_parser("tokenizers", help="fit every tokenizer of a YAML and report their quality")
    tokenizers.add_argument("config")
    tokenizers.add_argument("--experiment", help="results folder name (default: the YAML's experiment)")
    _add_overrides(tokenizers)
    tokenizers.set_defaults(handler=cmd_tokenizers)
    report = commands.add_parser("report", help="rebuild every table from a results folder, without training")
    report.add_argument("results_dir")
    report.add_argument("--metrics", type=_listed, metavar="M,M", help="metrics to show, e.g. recall@10,mrr@20")
    report.add_argument("--ks", type=_listed, metavar="K,K", help="cut-offs (default: those of the metrics)")
    report.add_argument("--test", help="paired test: wilcoxon, t-test, permutation, or a plugin's")
    report.add_argument("--correction", help="multiple-comparison correction: holm, bonferroni, none, or a plugin's")
    report.add_argument("--alpha", type=float, help="significance level")
    report.add_argument("--baseline", type=_listed, metavar="ROW,ROW", help="rows to add leaderboard-vs-ROW for")
    report.add_argument("--ci", type=float, metavar="LEVEL", help="add a bootstrap interval over users, e.g. 0.95")
    report.set_defaults(handler=cmd_report)
    export = commands.add_parser("export", help="write every variant's ranked lists as TREC runs and parquet")
    export.add_argument("results_dir")
    export.add_argument("--out", help="folder to write (default: RESULTS_DIR/export)")
    export.set_defaults(handler=cmd_export)
    compare = commands.add_parser(
        "compare", help="two reported results folders side by side: means, places, and the tests that changed"
    )
    compare.add_argument("before")
    compare.add_argument("after")
    compare.add_argument("--metric", default="ndcg@10", help="the metric to compare (default: ndcg@10)")
    compare.set_defaults(handler=cmd_compare)
    return top


def main(argv: list[str] | None = None) -> int:
    set_ray_environment()  # before any command imports Ray
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except SuiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM turned into it by the runner
        print(
            "interrupted: the same command resumes (a trial in training from its last finished epoch)", file=sys.stderr
        )
        return 130
