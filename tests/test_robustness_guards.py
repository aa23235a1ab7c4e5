"""Resource guards and processes: work that cannot fit is refused up front (D16), a bad Dask
scheduler is found before any directory exists (D18), unwritable output fails before the
simulation (D24), a killed sweep leaves no workers behind (D17), SIGTERM is Ctrl-C (D19), and
a sweep that fails part way says how to resume it (D24, D25).

In-process cases call ``sim.cli.main`` (fast); the process cases start ``python -m sim``.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import HANG_GUARD

from sim.cli import main

REPO = Path(__file__).resolve().parents[1]
SMALL_SWEEP = ["experiment=escalation_threshold", "months=6", "progress=false"]


def one_line_refusal(code: int, err: str, *words: str) -> None:
    """Exit code 2, exactly one line on stderr, no traceback, and the expected words."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]


def nothing_under(root: Path) -> bool:
    return not root.exists() or not any(root.rglob("*"))


# --- D16: resource guards ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["replicates=1000000000"], ["replicates", "at most 10,000,000"]),
        (["replicates=2", "months=1000000"], ["months", "at most 600"]),
        (["replicates=2", "months=700"], ["months = 700", "at most 600"]),
        (
            ["replicates=1", "factors.kazakhstan.multivector.levels=100000000"],
            ["400,000,000 points", "at most"],
        ),
        (["replicates=2", "workers=1000"], ["workers", "memory"]),
    ],
    ids=["replicates", "months-huge", "months-700", "levels", "workers"],
)
def test_a_sweep_too_large_is_refused_before_anything_is_made(
    args, words, tmp_path: Path, capsys
) -> None:
    code = main(["sweep", *SMALL_SWEEP, *args, f"output_root={tmp_path / 'out'}"])
    one_line_refusal(code, capsys.readouterr().err, *words)
    assert nothing_under(tmp_path / "out")


def test_a_sobol_design_too_large_is_refused(tmp_path: Path, capsys) -> None:
    code = main(
        ["sweep", "experiment=sensitivity", "design.n=100000000", f"output_root={tmp_path}"]
    )
    one_line_refusal(code, capsys.readouterr().err, "points", "design.n")
    assert nothing_under(tmp_path)


def test_a_run_too_large_for_memory_is_refused_with_its_estimate(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["run", "run.replicates=10000000", f"run.output_root={tmp_path / 'out'}"])
    one_line_refusal(code, capsys.readouterr().err, "GB of memory", "run.replicates", "computing")
    assert nothing_under(tmp_path / "out")


def test_estimates_grow_with_the_work() -> None:
    from sim.engine import resources as guards

    small = guards.run_estimate(1000, 120, True, True)
    big = guards.run_estimate(100_000, 120, True, True)
    assert big.memory - guards.BASE_MEMORY == pytest.approx(
        100 * (small.memory - guards.BASE_MEMORY)
    )
    assert 3 * guards.GB < big.memory < 5 * guards.GB  # measured: 3.8 GB at its peak
    assert guards.run_estimate(1000, 120, False, False).disk < small.disk
    sweep = guards.sweep_estimate(44, 500, 120, 5000, False, 2)
    assert sweep.memory < 2 * guards.GB and sweep.disk < 100 * guards.MB


# --- D18: Dask scheduler -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "words"),
    [("tcp://127.0.0.1:1", "no scheduler answers"), ("notanaddress", "scheduler")],
)
def test_a_bad_dask_scheduler_is_refused_before_the_directory_exists(
    address, words, tmp_path: Path, capsys
) -> None:
    pytest.importorskip("distributed")
    code = main(
        [
            "sweep",
            *SMALL_SWEEP,
            "replicates=2",
            "executor=dask",
            f"scheduler={address}",
            f"output_root={tmp_path}",
        ]
    )
    one_line_refusal(code, capsys.readouterr().err, words)
    assert nothing_under(tmp_path)


# --- D24: filesystem ----------------------------------------------------------------------------
def test_an_output_root_that_is_a_file_is_refused_before_simulating(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.chdir(tmp_path)
    code = main(["run", "run.replicates=2", "run.months=2", f"run.output_root={blocker}/out"])
    one_line_refusal(code, capsys.readouterr().err, "is a file")
    code = main(["sweep", *SMALL_SWEEP, "replicates=2", f"output_root={blocker}"])
    one_line_refusal(code, capsys.readouterr().err, "is a file")
    code = main(["validate", "quick=true", f"output_root={blocker}"])
    one_line_refusal(code, capsys.readouterr().err, "is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_output_root_is_refused_before_simulating(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["run", "run.replicates=2", "run.months=2", f"run.output_root={locked}"])
        one_line_refusal(code, capsys.readouterr().err, "cannot be written")
        code = main(["sweep", *SMALL_SWEEP, "replicates=2", f"output_root={locked}"])
        one_line_refusal(code, capsys.readouterr().err, "cannot be written")
    finally:
        locked.chmod(0o700)


def test_a_scenario_name_too_long_for_the_filesystem_is_refused(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """300 characters (over a file name's 255 bytes) meet the name-length limit first: one line
    naming the key and the limit, before any folder is made."""
    monkeypatch.chdir(tmp_path)
    code = main(
        ["run", "run.replicates=2", "run.months=2", "scenario.name=" + "a" * 300,
         f"run.output_root={tmp_path / 'out'}"]
    )  # fmt: skip
    one_line_refusal(code, capsys.readouterr().err, "scenario.name", "at most 100 characters")
    assert nothing_under(tmp_path / "out")


def test_a_disk_error_during_a_sweep_ends_in_one_line_with_the_resume_command(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import errno

    from sim.engine import runner, sweep_chunk

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "part"))

    monkeypatch.setattr(sweep_chunk, "write_parts", full)  # a worker writes its chunk's parts
    monkeypatch.setattr(runner, "write_parts", full)  # or the parent does
    code = main(["sweep", *SMALL_SWEEP, "replicates=2", "workers=1", f"output_root={tmp_path}"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "disk is full" in err and "resume=" in err and len(err.strip().splitlines()) == 1


def test_a_dead_worker_ends_in_one_line_with_the_resume_command(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    from sim.engine import runner

    def broken(task):
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(runner, "run_sweep_chunk", broken)
    code = main(["sweep", *SMALL_SWEEP, "replicates=2", "workers=1", f"output_root={tmp_path}"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "worker process died" in err and "resume=" in err


# --- D17, D19: processes and signals ------------------------------------------------------------
def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(pids: list[int]) -> list[int]:
    import psutil

    return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


class Lines:
    """The lines a process prints on one stream, read in a thread as they come.

    The process says when it is ready (a line it prints); a test waits for that line, never for
    a fixed time, so a busy machine only makes it slower. `LIMIT` only ends a hung test.
    """

    LIMIT = float(HANG_GUARD)

    def __init__(self, stream) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, ""):
            self.queue.put(line)
        self.queue.put("")  # end of stream: the process ended

    def wait_for(self, text: str) -> str:
        """The first new line that contains `text`; AssertionError if the stream ends first."""
        while True:
            line = self.queue.get(timeout=self.LIMIT)
            self.seen.append(line)
            if not line:
                raise AssertionError(f"ended before a line with {text!r}: {self.text()}")
            if text in line:
                return line

    def text(self) -> str:
        """Everything read so far."""
        return "".join(self.seen)

    def until_end(self) -> str:
        """Everything, once the stream has ended."""
        while not self.seen or self.seen[-1]:
            self.seen.append(self.queue.get(timeout=self.LIMIT))
        return self.text()


WORKERS_SCRIPT = """
import os, sys, time
from sim.engine.executors import ProcessExecutor


def report_then_wait(seconds):
    # Printed from inside a task, so this worker's parent watch (the pool's initializer) runs.
    print(f"worker {os.getpid()}", flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    with ProcessExecutor(2) as pool:
        for _ in pool.map_unordered(report_then_wait, [600, 600]):
            pass
"""


def test_workers_end_when_the_sweep_process_is_killed(tmp_path: Path) -> None:
    import psutil

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = tmp_path / "pool.py"  # a file, not -c: forkserver workers import its function
    script.write_text(WORKERS_SCRIPT)
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    children: list[int] = []
    try:
        lines = Lines(parent.stdout)
        lines.wait_for("worker")
        lines.wait_for("worker")  # both workers run a task: ready
        children = _children(parent.pid)  # forkserver, resource tracker, workers
        assert len(children) >= 3
        parent.kill()
        parent.wait()
        _, alive = psutil.wait_procs([psutil.Process(p) for p in _alive(children)], timeout=60)
        assert not _alive([p.pid for p in alive]), "orphaned processes remain"
    finally:
        for pid in _alive(children or _children(parent.pid)):
            os.kill(pid, signal.SIGKILL)


def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    # One worker: this test is about the signal, not the process pool (tested above).
    args = ["run", "run.replicates=200000", "run.months=120", "run.workers=1",
            f"run.output_root={tmp_path}"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    lines = Lines(process.stderr)
    try:
        # `run` announces the size of its files after its first chunk: it is simulating,
        # inside its staging folder, which is what this test interrupts.
        lines.wait_for("writing about")
        process.send_signal(signal.SIGTERM)
        err = lines.until_end()
        process.wait(timeout=Lines.LIMIT)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "no results directory was left behind" in err and "Traceback" not in err
    assert (
        not list((tmp_path / "runs").rglob("*.partial")) if (tmp_path / "runs").exists() else True
    )


def test_staging_left_by_a_killed_writer_is_removed_by_the_next_one(tmp_path: Path) -> None:
    from sim.engine import store

    parent = tmp_path / "runs" / "baseline"
    dead = parent / ".20260101T000000_000000Z.999999999.partial"  # no such pid
    live = parent / f".20260101T000000_000001Z.{os.getpid()}.partial"
    plot = parent / ".plot-999999999-abc.partial"
    for folder in (dead, live, plot):
        folder.mkdir(parents=True)
        os.utime(folder, (time.time() - 3600, time.time() - 3600))
    with store.staged_directory(parent / "20260102T000000_000000Z") as staging:
        (staging / "x").write_text("x")
    assert not dead.exists() and not plot.exists()
    assert live.exists(), "a live writer's staging must stay"
    assert (parent / "20260102T000000_000000Z" / "x").is_file()


def test_two_multiruns_started_together_keep_separate_indexes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    args = ["run", "--multirun", "scenario=baseline,csto_exit", "run.replicates=2",
            "run.months=2", "run.figures=false", f"run.output_root={tmp_path}"]  # fmt: skip
    processes = [
        subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    for process in processes:
        assert process.wait(timeout=HANG_GUARD) == 0, process.stderr.read()
    indexes = sorted((tmp_path / "multirun").glob("*/jobs.tsv"))
    assert len(indexes) == 2
    for index in indexes:
        assert [line.split("\t")[0] for line in index.read_text().splitlines()[1:]] == ["0", "1"]


def test_a_full_disk_while_writing_tables_leaves_the_old_tables_whole(
    tmp_path: Path, monkeypatch
) -> None:
    import errno

    import pandas as pd

    from sim.analysis import sweep_analysis as analysis

    out = tmp_path / "analysis"
    analysis.write_analysis(
        out, {"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"x": [2]})}, "sweeps/s/t"
    )
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = analysis.write_text
    calls = []

    def fills_up(text, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(text, path)

    monkeypatch.setattr(analysis, "write_text", fills_up)
    new = {"a": pd.DataFrame({"x": [10]}), "b": pd.DataFrame({"x": [20]})}
    with pytest.raises(OSError):
        analysis.write_analysis(out, new, "sweeps/s/t")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no staging left either


@pytest.mark.parametrize("command", ["run", "sweep", "validate"])
def test_an_unwritable_output_root_is_refused_before_simulating(
    command, tmp_path: Path, monkeypatch, capsys
) -> None:
    """As root a chmod'ed folder stays writable, so os.access is made to say no."""
    from sim.engine import resources as guards

    monkeypatch.setattr(guards.os, "access", lambda path, mode: False)
    monkeypatch.chdir(tmp_path)
    args = {
        "run": ["run", "run.replicates=2", "run.months=2", f"run.output_root={tmp_path}"],
        "sweep": ["sweep", *SMALL_SWEEP, "replicates=2", f"output_root={tmp_path}"],
        "validate": ["validate", "quick=true", f"output_root={tmp_path}"],
    }[command]
    one_line_refusal(main(args), capsys.readouterr().err, "cannot be written")
    assert nothing_under(tmp_path)
