"""Worker processes that end with the sweep, and a Dask scheduler checked before use.

A process-pool worker waits for its next chunk on a pipe that it holds open itself, so when the
sweep's process dies without shutting the pool down (SIGKILL, the out-of-memory killer) the
worker would wait forever, orphaned, holding its memory. ``exit_with_parent`` runs in each
worker as it starts and ends it as soon as the sweep's process is gone.
"""

from __future__ import annotations

import importlib.util
import os
import select
import socket
import threading
import time

DEFAULT_SCHEDULER_PORT = 8786
#: What a sweep's process-pool workers need, imported once by the pool's forkserver, so that
#: each worker starts with the model loaded instead of importing Mesa itself. Named here, apart
#: from the chunk code, so the sweep command can start the forkserver before its own imports.
SWEEP_WORKER_MODULES = ("sim.engine.sweep_chunk", "sim.model.escalation", "sim.model.recording")


def exit_with_parent(parent: int) -> None:
    """Pool initializer: end this worker process when process `parent` ends.

    Args:
        parent: the pid of the sweep's own process (not the forkserver that started us).
    """
    threading.Thread(target=_wait_then_exit, args=(parent,), daemon=True).start()


def _wait_then_exit(parent: int) -> None:
    try:  # Linux: a pidfd becomes readable when the process ends (no polling, no pid reuse)
        fd = os.pidfd_open(parent)
        select.select([fd], [], [])
    except (AttributeError, OSError):
        while is_running(parent):
            time.sleep(1.0)
    os._exit(1)


def is_running(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (zombies count as ended)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def require_dask() -> None:
    """Refuse executor=dask in one line, before anything is written, when the cluster extra
    (dask and distributed) is not installed."""
    missing = [m for m in ("dask", "distributed") if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(
            f"executor = 'dask' is not allowed here: {' and '.join(missing)} not installed; "
            'pip install "kz-escalation-sim[cluster]" (or use executor=process)'
        )


def check_scheduler(address: str | None, timeout: float = 5.0) -> None:
    """Refuse a Dask scheduler address that is malformed or where nothing answers.

    None and "threads" start a local cluster and need no check.

    Raises:
        ValueError: naming the address and what is wrong with it.
    """
    if address in (None, "threads"):
        return
    from distributed.comm import parse_address, parse_host_port

    expected = "expected tcp://host:port of a running scheduler (or no scheduler: a local one)"
    try:
        scheme, location = parse_address(str(address))
        host, port = parse_host_port(location, default_port=DEFAULT_SCHEDULER_PORT)
    except (ValueError, TypeError):
        raise ValueError(f"scheduler = {address!r} is not allowed: {expected}") from None
    if scheme not in ("tcp", "tls") or not host:
        if scheme in ("inproc", "ucx", "ws", "wss"):
            return  # other transports: leave the check to Dask
        raise ValueError(f"scheduler = {address!r} is not allowed: {expected}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise ValueError(
            f"scheduler = {address!r}: no scheduler answers there ({error.strerror or error}); "
            "start one (dask scheduler) or leave scheduler unset for a local cluster"
        ) from None
