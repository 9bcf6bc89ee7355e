"""Search spaces in Ray Tune's grammar, as a YAML file spells them, and sampled values applied.

A method's `search:` maps a parameter to one domain:

    learning_rate: {loguniform: [0.0001, 0.01]}
    dropout: {uniform: [0.0, 0.5]}
    n_layers: {randint: [1, 5]}          # 1 to 4: the upper bound is excluded, as in Ray Tune
    attention: {choice: [bidirectional, causal]}
    tokenizer.input: {choice: [text, cooccurrence]}

A dotted name reaches inside a mapping parameter (a tokenizer's `input` or `codebook_size`).
`ray_domain` gives the `ray.tune` sampler; `apply` writes a sampled assignment into parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from suite.types import Domain

KINDS = ("choice", "uniform", "loguniform", "randint")


def ray_domain(domain: Domain) -> Any:
    """The `ray.tune` sampler of `domain`."""
    from ray import tune

    args = domain.args
    if domain.kind == "choice":
        return tune.choice(args)
    return {"uniform": tune.uniform, "loguniform": tune.loguniform, "randint": tune.randint}[domain.kind](*args)


def split_name(name: str) -> tuple[str, str | None]:
    """`tokenizer.input` -> (`tokenizer`, `input`); `learning_rate` -> (`learning_rate`, None)."""
    head, _, rest = name.partition(".")
    return head, rest or None


def apply(params: Mapping[str, Any], assignment: Mapping[str, Any]) -> dict[str, Any]:
    """`params` with each sampled value of `assignment` written in (a dotted name into its mapping)."""
    result = dict(params)
    for name, value in assignment.items():
        head, inner = split_name(name)
        if inner is None:
            result[head] = value
        else:
            result[head] = {**result[head], inner: value}
    return result


def nested(assignment: Mapping[str, Any]) -> dict[str, Any]:
    """A flat assignment as YAML writes method parameters: dotted names gathered under their head."""
    result: dict[str, Any] = {}
    for name, value in sorted(assignment.items()):
        head, inner = split_name(name)
        if inner is None:
            result[head] = value
        else:
            result.setdefault(head, {})[inner] = value
    return result
