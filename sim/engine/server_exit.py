"""Imported first by a process pool's forkserver: the server then ends without tearing down.

The forkserver inherits the command's output streams, so whoever reads them through a pipe
(``python -m sim sweep ... | tee sweep.log``, a test, a workflow manager, a notebook's
subprocess) sees the command end only when the server has ended too. The server ends when the
command does; its interpreter would then free every object of every module it preloaded
(pandas, pyarrow, Mesa, SciPy): 0.3 s after the command's last line, measured, for nothing.
This module makes the server's last exit handler end the process at once instead. The server
has nothing to flush or close by then (its workers are gone; it writes no file).

Only a forkserver's preload imports this module (``sim.engine.executors``); imported anywhere
else it does nothing. The workers the server forks clear its exit handlers before they run.
"""

from __future__ import annotations

import atexit
import sys
from multiprocessing import forkserver

from sim.errors import exit_now


def in_forkserver() -> bool:
    """Whether this code runs inside a forkserver's preload (its `main` is on the stack)."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


#: Whether this process's exit skips the teardown: in a forkserver (and the workers it forks,
#: which inherit the flag but not the handler).
ENDS_WITHOUT_TEARDOWN = in_forkserver()
if ENDS_WITHOUT_TEARDOWN:
    atexit.register(exit_now, 0)  # first of the preload's: runs last
