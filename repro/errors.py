"""User-facing errors: each names the file, key or value at fault and how to fix it.

The CLI prints a ReproError as one line and exits with status 2; anything else is a bug and keeps its traceback.
"""

import difflib


def did_you_mean(name: str, options, n: int = 1) -> str:
    """' (did you mean 'x'?)' for the closest option, or ' (did you mean 'x', 'y' or 'z'?)' for the `n` closest
    (a long list of options is no help in a one-line error), or ''."""
    close = list(map(repr, difflib.get_close_matches(name, list(options), n=n)))
    if not close:
        return ""
    return f" (did you mean {close[0] if len(close) == 1 else ', '.join(close[:-1]) + ' or ' + close[-1]}?)"


def choose(what: str, value, options):
    """`value` if it is one of `options`, else a ConfigError naming `what`, the options and the closest one."""
    if value not in options:
        raise ConfigError(f"{what} {value!r}: choose one of {', '.join(map(str, options))}"
                          f"{did_you_mean(str(value), list(map(str, options)))}")
    return value


class ReproError(Exception):
    """Base class of every error caused by user input rather than by a bug."""


class ConfigError(ReproError):
    """A profile or command-line value that is unknown, mistyped or out of range."""


class DataError(ReproError):
    """Missing or unreadable data."""


class ResumeError(ReproError):
    """A run directory that cannot be resumed with the requested configuration."""
