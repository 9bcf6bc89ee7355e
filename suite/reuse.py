"""Trials whose model is already stored: a trial's key includes its decoding variants and its
row's names, so a configuration that asks another set of variants of the same training (the
same method class, parameters, data, seed and selection), or asks it under another row name (an
ablation's setting made the default), names a new trial. Instead of training it again:

- where a complete trial of that training holds every variant asked, the new trial is written
  from its files: the asked variants' ranked lists, the same log and summary (`derived_from`
  names the source), at no cost;
- otherwise, where such a trial kept its final checkpoint (`final.pt`), the new trial starts from
  a copy of it: the training loop finds training over, restores the best epoch and decodes
  every variant, so only decoding runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from suite.matrix import TrialSpec
from suite.store import Store


@dataclass
class Reuse:
    """What `reuse_stored_trainings` did: the keys written from a stored trial, and the keys
    given a stored final checkpoint to decode from, each with its source's key."""

    derived: dict[str, str] = field(default_factory=dict)
    primed: dict[str, str] = field(default_factory=dict)


def _variant_set(spec: TrialSpec) -> set[tuple[str, str]]:
    return {(variant.name, variant.overrides_json) for variant in spec.variants}


def stored_trainings(store: Store) -> dict[str, list[TrialSpec]]:
    """The complete trials of `store` by training key (a spec file that does not read is skipped)."""
    found: dict[str, list[TrialSpec]] = {}
    for key in store.trial_keys():
        try:
            spec = TrialSpec.from_dict(store.read_spec(key))
        except (KeyError, TypeError, ValueError, OSError):
            continue
        found.setdefault(spec.training_key, []).append(spec)
    return found


def derive_trial(store: Store, source: str, spec: TrialSpec) -> None:
    """Write trial `spec` from the complete trial `source`, which holds every variant it asks."""
    names = [variant.name for variant in spec.variants]
    per_user = store.read_per_user(source)
    per_user = per_user[per_user["variant"].isin(names)].reset_index(drop=True)
    summary = store.read_summary(source)
    summary = {
        **summary,
        "key": spec.key,
        "method": spec.method,
        "row": spec.row,
        "variants": {name: summary["variants"][name] for name in names},
        "derived_from": source,
    }
    # an epoch checkpoint of this key (a run of it stopped before the source existed) is not
    # this trial's model, and write_trial would keep it as the final one
    store.checkpoint_file(spec.key).unlink(missing_ok=True)
    store.copy_semantic_ids(spec.key, source)
    store.write_trial(spec.key, spec.to_dict(), per_user, store.read_log(source), summary)


def reuse_stored_trainings(store: Store, derivable: Iterable[TrialSpec], decodable: Iterable[TrialSpec]) -> Reuse:
    """Write each trial of `derivable` that a stored trial of its training covers; give each
    trial of `decodable` still unwritten, and not yet in training, a stored final checkpoint of
    its training to decode from."""
    trainings = stored_trainings(store)
    reuse = Reuse()
    for spec in derivable:
        asked = _variant_set(spec)
        source = next((s for s in trainings.get(spec.training_key, []) if asked <= _variant_set(s)), None)
        if source is not None and source.key != spec.key:
            derive_trial(store, source.key, spec)
            reuse.derived[spec.key] = source.key
    for spec in decodable:
        if spec.key in reuse.derived or store.checkpoint_file(spec.key).exists():
            continue
        kept = [s.key for s in trainings.get(spec.training_key, []) if store.final_checkpoint_file(s.key).is_file()]
        if kept and kept[0] != spec.key:
            store.start_from_final_checkpoint(spec.key, kept[0])
            reuse.primed[spec.key] = kept[0]
    return reuse
