"""What the suite itself printed, apart from the lines Ray forwards from its worker processes."""

import re

# Ray prefixes each forwarded worker line with "(<actor or task> pid=<n>[, ip=<address>])",
# coloured when the terminal allows: "\x1b[36m(_tuning_trainable pid=28351)\x1b[0m ...".
WORKER_LINE = re.compile(r"^(\x1b\[[0-9;]*m)?\((\S+ )?pid=\d+(, ip=[^)]*)?\)")


def driver_output(text: str) -> str:
    """`text` without Ray's forwarded worker lines. A worker that Ray stops with SIGTERM while
    Tune winds down can print Python's "Exception ignored in ..." traceback from Ray's own signal
    handler (seen once in CI); that is Ray's shutdown, not the suite's command failing."""
    return "".join(line for line in text.splitlines(keepends=True) if not WORKER_LINE.match(line))
