"""The one-line error path: what a command prints when it cannot go on, instead of a traceback.

Commands check their inputs up front and print one line naming the key, the value and what is
allowed. What they cannot check in advance (a full disk, a file that turns out to be corrupt, a
worker process killed by the system) reaches ``one_line_errors`` in ``sim.cli``: it prints one
line saying what failed and how to go on, and returns an exit code. ``SIM_DEBUG=1`` shows the
traceback as well, for bug reports.

SIGTERM (from a batch scheduler or ``timeout``) is turned into KeyboardInterrupt, so it is
handled exactly like Ctrl-C: staging directories are removed and a sweep prints its resume
command.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator

#: Exit code for input the command cannot use (as for a bad option).
BAD_INPUT = 2
#: Exit code for a failure of the machine rather than the input (disk full, worker killed).
FAILED = 1
DEBUG_VARIABLE = "SIM_DEBUG"


class CommandError(Exception):
    """A failure explained in one line; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt in the main thread, like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class ConfigError(ValueError):
    """A config value that is not allowed; the message names key, value and what is allowed."""


class CalibrationError(ValueError):
    """A mistake in a targets file, a calibration directory or an option; one line, exit 2."""


def exit_now(status: int) -> None:
    """End this process with `status` without the interpreter's teardown, which frees every
    object of every module one by one (pandas, pyarrow, SciPy: a good part of a second) with
    nothing to show for it. Only the standard streams may still hold text: they are flushed."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed, or no stream
            stream.flush()
    os._exit(status)


def one_line_errors(prog: str, main: Callable[[], int]) -> int:
    """Run a command's main; an expected failure becomes one line on stderr and an exit code.

    Args:
        prog: the command as typed, e.g. "python -m sim plot", to prefix the message.
        main: the command, returning its exit code.
    """
    try:
        return main()
    except Exception as error:  # noqa: BLE001 (each kind is explained below, else re-raised)
        message, code = explain(error)
        if message is None:
            raise
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        print(f"{prog}: error: {message}", file=sys.stderr)
        return code


def explain(error: BaseException) -> tuple[str | None, int]:
    """One line and an exit code for an expected failure; (None, 0) for anything else."""
    if isinstance(error, CommandError):
        return str(error), error.code
    if isinstance(error, BrokenPipeError):  # the reader left (`| head`): sim.cli handles it
        return None, 0
    if isinstance(error, OSError):
        return describe_os_error(error), FAILED
    if isinstance(error, MemoryError):
        return (
            "out of memory; use fewer runs (replicates), a shorter horizon (months) or fewer "
            "workers",
            FAILED,
        )
    name = type(error).__name__
    if name in ("BrokenProcessPool", "KilledWorker"):
        return f"a worker process died ({name}), e.g. killed for lack of memory", FAILED
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(error, OmegaConfBaseException):  # e.g. an option like months=[12 (unclosed)
        return f"cannot read a setting ({name}): {first_line(error)}", BAD_INPUT
    import yaml

    if isinstance(error, yaml.YAMLError):  # from a file, or an option such as months=[12
        return f"not valid YAML in an option or a file ({name}): {first_line(error)}", BAD_INPUT
    if _is_corrupt_input(error):
        return f"cannot read an input file ({name}): {first_line(error)}", BAD_INPUT
    return None, 0


def describe_os_error(error: OSError) -> str:
    """A filesystem error in words: which file, and what to do about it."""
    where = error.filename or ""
    # analyze, plot and compare have no output_root: they write into or beside a results
    # directory, so the advice names both ways out (review 2, case 14).
    elsewhere = "choose another output_root, or work on a copy of the results directory"
    reasons = {
        errno.ENOSPC: f"the disk is full; free space, or {elsewhere}",
        errno.EDQUOT: f"the disk quota is used up; free space, or {elsewhere}",
        errno.EROFS: f"the filesystem is read-only; {elsewhere}",
        errno.EACCES: f"permission denied; {elsewhere}",
        errno.EPERM: f"permission denied; {elsewhere}",
        errno.ENOTDIR: "a part of the path is a file, not a directory",
        errno.ENAMETOOLONG: "a file name is too long; use a shorter name",
        errno.EEXIST: "it already exists",
    }
    reason = reasons.get(error.errno or 0, error.strerror or first_line(error))
    return f"{where}: {reason}" if where else reason


def _is_corrupt_input(error: BaseException) -> bool:
    """Errors that come from reading a damaged Parquet, YAML or JSON file."""
    import pyarrow as pa
    import yaml

    return isinstance(error, pa.ArrowException | yaml.YAMLError | json.JSONDecodeError)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
