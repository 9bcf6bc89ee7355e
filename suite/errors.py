"""Errors that end a command with one clear line and a non-zero exit."""


def one_line(error: BaseException) -> str:
    """`Type: first line of the message` (or the type alone), to quote an error inside one line."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class SuiteError(Exception):
    """A user-facing error: its message is printed alone, without a traceback."""

    exit_code = 1


class ConfigError(SuiteError):
    """A benchmark YAML that cannot be used; the message names the file and key path."""

    exit_code = 2

    def __init__(self, source: str, key: str, message: str):
        self.source, self.key, self.message = source, key, message
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + message)


class DataError(SuiteError):
    """A dataset file that is missing or malformed; the message names the file and line."""

    exit_code = 3
