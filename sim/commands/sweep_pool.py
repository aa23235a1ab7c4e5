"""Start a sweep's process pool before `python -m sim sweep` imports anything heavy.

The pool's forkserver imports the model once for all workers (Mesa, pandas: over a second),
and that import is what the first chunk waits for. `sim.cli` calls `start_pool_early` before
it imports the sweep command (OmegaConf, numpy, the engine), so the two imports overlap from
the first moment. Only the standard library, PyYAML and ``sim.search_path`` are loaded here.

The executor and workers are read as `load_experiment` reads them (the file, then the
overrides); `run_sweep` starts the forkserver again, which does nothing when it runs, once the
experiment is checked. A file or value that cannot be read here starts nothing: the command
then says what is wrong.
"""

from __future__ import annotations

import yaml

from sim.engine.executors import start_workers_early
from sim.engine.workers import SWEEP_WORKER_MODULES
from sim.errors import ConfigError
from sim.search_path import experiment_entries, experiment_file, read_yaml_mapping

POOL_KEYS = ("executor", "workers")


def start_pool_early(argv: list[str]) -> None:
    """Start the forkserver of the sweep that `argv` (the sweep command's arguments) runs."""
    if any(a in ("-h", "--help", "--cfg") for a in argv):
        return  # nothing runs
    names = [a.split("=", 1)[1] for a in argv if a.startswith("experiment=")]
    if not names:
        return
    try:
        data = read_yaml_mapping(experiment_file(names[0], experiment_entries(), "experiments"))
        given = {
            key: yaml.safe_load(value)
            for key, _, value in (a.partition("=") for a in argv)
            if key in POOL_KEYS
        }
    except (ConfigError, yaml.YAMLError):
        return  # load_experiment says what is wrong
    merged = {"executor": "process", "workers": None, **data, **given}  # the schema's defaults
    executor, workers = merged["executor"], merged["workers"]
    if isinstance(executor, str) and (workers is None or type(workers) is int):
        start_workers_early(executor, workers, SWEEP_WORKER_MODULES)
