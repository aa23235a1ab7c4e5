"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

Every executor has one shape: ``map_unordered(function, tasks, in_flight=None)`` yields
results as chunks finish, with only a few tasks in flight at a time (two per worker unless the
caller says), so memory stays flat however many chunks a sweep has. The order in which chunks
finish never matters: each result carries its chunk index and is written to its own part file.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import forkserver
from typing import Any

from sim.engine.workers import exit_with_parent
from sim.search_path import REPO_ROOT

#: Imported first by every forkserver, before the tasks' modules: it ends the server without
#: tearing its modules down, which held a piped command's output open 0.3 s after it ended.
SERVER_EXIT = "sim.engine.server_exit"
IN_FLIGHT_PER_WORKER = 2  # enough to keep each worker busy while the parent writes
# A pool worker is replaced by a fresh one after this many tasks: a long-lived worker's
# allocator pools creep up (measured: 300 MB after 50 chunks, 370 MB after 500), a fresh
# fork from the forkserver costs milliseconds.
TASKS_PER_WORKER = 50


def ensure_importable() -> None:
    """Put the project root on PYTHONPATH so that worker processes can `import sim`.

    Spawned, forkserver and Dask worker processes start a fresh interpreter that unpickles task
    functions by module name; when the project is run from a checkout rather than installed,
    the checkout must be on their path.
    """
    root = str(REPO_ROOT)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


def local_workers(workers: int | None) -> int:
    """The requested number of workers, or every core this process may use."""
    if workers:
        return workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SerialExecutor:
    """Runs chunks one after the other in this process (workers=1; tests; debugging)."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(
        self, function: Callable[[Any], Any], tasks: Iterable[Any], in_flight: int | None = None
    ) -> Iterator:
        for task in tasks:
            yield function(task)


class ProcessExecutor:
    """A local process pool started with 'forkserver' (or 'spawn' where fork is missing).

    Forkserver workers start from a clean server process, so they do not inherit the parent's
    threads or open files, and they start faster than spawned ones. The server imports the
    `preload` modules once, before it forks the workers, so each worker starts with them loaded
    (the parent need not import them at all).
    """

    def __init__(self, workers: int | None = None, preload: Sequence[str] = ()) -> None:
        self.workers = local_workers(workers)
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn"
        )
        if self.context.get_start_method() == "forkserver":
            self.context.set_forkserver_preload([SERVER_EXIT, *preload])
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        ensure_importable()
        # Workers end with this process, even when it is killed (no orphans holding memory),
        # and are replaced after TASKS_PER_WORKER chunks (their memory creeps up).
        self.pool = ProcessPoolExecutor(
            self.workers,
            mp_context=self.context,
            initializer=exit_with_parent,
            initargs=(os.getpid(),),
            max_tasks_per_child=TASKS_PER_WORKER,
        )
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        if self.pool is not None:
            if exc_type is not None:  # interrupted (Ctrl-C, SIGTERM): stop the running chunks
                for process in list(getattr(self.pool, "_processes", {}).values()):
                    process.terminate()
                # The queue's feeder thread may be blocked writing a chunk that no worker will
                # now read; waiting for it at exit kept an interrupted `run` alive for ever
                # after it printed "interrupted" (seen with SIGTERM on a busy machine).
                call_queue = getattr(self.pool, "_call_queue", None)
                if call_queue is not None:
                    call_queue.cancel_join_thread()
            # On an interruption, drop the queued chunks rather than finish them.
            self.pool.shutdown(wait=True, cancel_futures=True)

    def map_unordered(
        self, function: Callable[[Any], Any], tasks: Iterable[Any], in_flight: int | None = None
    ) -> Iterator:
        assert self.pool is not None, "use ProcessExecutor as a context manager"
        limit = in_flight or self.workers * IN_FLIGHT_PER_WORKER
        yield from _bounded(self.pool.submit, function, tasks, limit)


def _bounded(
    submit: Callable[..., Future], function: Callable[[Any], Any], tasks: Iterable[Any], limit: int
) -> Iterator:
    """Submit at most `limit` tasks at a time; yield results as they complete."""
    pending: set[Future] = set()
    iterator = iter(tasks)
    for task in iterator:
        pending.add(submit(function, task))
        if len(pending) >= limit:
            break
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            next_task = next(iterator, None)
            if next_task is not None:
                pending.add(submit(function, next_task))
            yield future.result()


class DaskExecutor:
    """Chunks as tasks on a Dask distributed cluster.

    Args:
        scheduler: the address of a running scheduler (``tcp://host:8786``, e.g. one started
            by dask-jobqueue's SLURMCluster); None starts a LocalCluster of worker processes,
            "threads" a LocalCluster of threads inside this process.
        workers: workers of that LocalCluster (default: every local core).
        processes: whether the LocalCluster uses processes (False: threads in this process).
    """

    def __init__(
        self, scheduler: str | None = None, workers: int | None = None, processes: bool = True
    ) -> None:
        self.scheduler = scheduler
        self.workers = local_workers(workers)
        self.processes = processes
        self._stack = contextlib.ExitStack()
        self.client: Any = None

    def __enter__(self) -> DaskExecutor:
        from distributed import Client, LocalCluster

        ensure_importable()
        if self.scheduler == "threads":  # a LocalCluster of threads in this process (tests)
            self.processes = False
        if self.scheduler and self.scheduler != "threads":
            self.client = self._stack.enter_context(Client(self.scheduler))
        else:
            cluster = self._stack.enter_context(
                LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=self.processes,
                    dashboard_address=None,
                )
            )
            self.client = self._stack.enter_context(Client(cluster))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def map_unordered(
        self, function: Callable[[Any], Any], tasks: Iterable[Any], in_flight: int | None = None
    ) -> Iterator:
        from distributed import as_completed

        limit = in_flight or max(1, sum(self.client.nthreads().values())) * IN_FLIGHT_PER_WORKER
        iterator = iter(tasks)
        # range() first: zip stops on it without pulling (and losing) one more task.
        first = [
            self.client.submit(function, t, pure=False)
            for _, t in zip(range(limit), iterator, strict=False)
        ]
        queue = as_completed(first)
        for future in queue:
            next_task = next(iterator, None)
            if next_task is not None:
                queue.add(self.client.submit(function, next_task, pure=False))
            yield future.result()
            future.release()


def start_workers_early(kind: str, workers: int | None, preload: Sequence[str]) -> None:
    """Start the process pool's forkserver now, so it imports `preload` while the parent plans.

    Does nothing unless `make_executor` would build a forkserver process pool.
    """
    pool = kind == "process" and workers != 1 and local_workers(workers) > 1
    if pool and "forkserver" in multiprocessing.get_all_start_methods():
        multiprocessing.get_context("forkserver").set_forkserver_preload([SERVER_EXIT, *preload])
        ensure_importable()
        forkserver.ensure_running()


def make_executor(
    kind: str,
    workers: int | None = None,
    scheduler: str | None = None,
    preload: Sequence[str] = (),
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor named by the experiment's `executor` field.

    `preload` names modules the tasks need, for a process pool to import once for all workers.
    """
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    if kind == "serial" or (kind == "process" and workers == 1):
        return SerialExecutor()
    return ProcessExecutor(workers, preload)
