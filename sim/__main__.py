"""Allow `python -m sim <command> ...`."""

import atexit
import contextlib
import os
import sys

from sim.cli import main


def _end_without_teardown(status: list[int]) -> None:
    """The last exit handler: end the process once every other exit handler has run.

    What is left after them is the interpreter's teardown, which frees every object of every
    module one by one (pandas, pyarrow, SciPy, the tables of a sweep): about 0.2 s of CPU at
    the end of `sim sweep`, with nothing to show for it. Files are closed and the worker pool
    is shut down by then; only the standard streams may hold buffered text.
    """
    if not status:  # main raised: let Python report it and tear down as usual
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(status[0])


_status: list[int] = []
atexit.register(_end_without_teardown, _status)  # first registered, so run last
_status.append(main())
sys.exit(_status[0])
