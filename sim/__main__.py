"""Allow `python -m sim <command> ...`."""

import atexit
import sys

from sim.cli import main
from sim.errors import exit_now


def _end_without_teardown(status: list[int]) -> None:
    """The last exit handler: end the process once every other exit handler has run.

    What is left after them is the interpreter's teardown (about 0.2 s of CPU at the end of
    `sim sweep`, the tables of a sweep included). Files are closed and the worker pool is shut
    down by then (``sim.errors.exit_now``).
    """
    if status:  # else main raised: let Python report it and tear down as usual
        exit_now(status[0])


_status: list[int] = []
atexit.register(_end_without_teardown, _status)  # first registered, so run last
_status.append(main())
sys.exit(_status[0])
