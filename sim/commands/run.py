"""`python -m sim run scenario=<name> [overrides]`: run one scenario as an ensemble.

The command is a Hydra app, so every Hydra override, `--cfg job` and `--multirun` work. Before
Hydra starts, the overrides are checked here (each value of a --multirun sweep too), so that a
user error is one short line on stderr with exit code 2, instead of a Hydra stack trace, and no
results directory is ever started for a config that cannot run.

Each run writes ``<run.output_root>/runs/<scenario>/<timestamp>/`` through
``sim.engine.store.staged_directory``: the directory appears under its final name only once every
file
in it is complete.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import string
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

from sim import config as C
from sim.config import paths as safety
from sim.engine import resources as guards
from sim.errors import explain, first_line
from sim.model.params import PARAMS, ParamError

# Hydra, pandas and the model are imported where they are used, so that `--help` and a bad
# override answer at once (benchmarks/README.md, "Start-up").
if TYPE_CHECKING:
    from hydra.errors import HydraException
    from omegaconf import DictConfig

PROG = "python -m sim run"
#: Hydra flags after which no run happens, or the config comes from elsewhere: leave to Hydra.
_HYDRA_ONLY_FLAGS = frozenset(
    {
        "-h",
        "--help",
        "--hydra-help",
        "--version",
        "-i",
        "--info",
        "-sc",
        "--shell-completion",
        "-cp",
        "--config-path",
        "-cn",
        "--config-name",
        "-cd",
        "--config-dir",
        "--experimental-rerun",
    }
)
_argv: list[str] = []  # the command's arguments, for the manifest


class UsageError(ValueError):
    """A mistake in the command line; its message is printed as one line, exit code 2."""


# --- entry point -----------------------------------------------------------------------------
def main(argv: Sequence[str]) -> int:
    """Check the overrides, then hand the arguments to the Hydra app; return the exit code."""
    global _argv
    _argv = list(argv)
    if _argv in (["-h"], ["--help"]) and not C.user_folders():
        print(help_text())  # what Hydra's --help prints (a test compares them), without Hydra
        return 0
    try:
        if not any(_flag_name(a) in _HYDRA_ONLY_FLAGS for a in _argv):
            validate_overrides(overrides_of(_argv))
            if not any(_flag_name(a) in ("-c", "--cfg") for a in _argv):  # --cfg runs no job
                _import_model()
    except UsageError as error:
        return _fail(str(error))
    saved = sys.argv
    sys.argv = [PROG, *hydra_arguments(_argv)]  # Hydra reads its arguments from sys.argv
    try:
        _hydra_app()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        print("interrupted: no results directory was left behind", file=sys.stderr)
        return 130
    finally:
        sys.argv = saved
    return 0


def hydra_arguments(argv: Sequence[str]) -> list[str]:
    """The arguments for Hydra: every override (the user's, then --search-path's) before the
    flags. Hydra's parser takes the overrides as one run of positional arguments, so an
    override after a flag (`scenario=x --cfg job hydra.searchpath=[...]`) was refused as an
    unrecognised argument (new-user walkthrough 2, item 5)."""
    overrides = overrides_of(argv)
    flags = [a for a in argv if a not in overrides]
    return [*overrides, *C.hydra_search_path(), *flags]


def _import_model() -> None:
    """Import the model (and Mesa) now, near the bottom of the call stack.

    Mesa names its loggers by walking the stack (`inspect.stack()` in `mesa.mesa_logging`),
    which reads every frame's source and scans every loaded module: imported from inside
    Hydra's job, some 30 frames deep, that costs about 0.1-0.2 s more than imported here.
    """
    import sim.model.escalation  # noqa: F401


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _flag_name(argument: str) -> str:
    return argument.split("=", 1)[0] if argument.startswith("-") else ""


def overrides_of(argv: Sequence[str]) -> list[str]:
    """The Hydra overrides among the arguments (key=value or ~key, not flags or flag values)."""
    return [a for a in argv if ("=" in a or a.startswith("~")) and not a.startswith("-")]


def help_text() -> str:
    """The `hydra.help.template` of configs/config.yaml with its config groups filled in."""
    template = yaml.safe_load((C.CONFIG_DIR / "config.yaml").read_text())["hydra"]["help"]
    groups = "".join(f"{group}: {', '.join(options)}\n" for group, options in _config_groups())
    return string.Template(template["template"]).substitute(APP_CONFIG_GROUPS=groups)


def _config_groups(folder: Path | None = None, prefix: str = "") -> list[tuple[str, list[str]]]:
    """Each config group under configs/ and its options, sorted, as Hydra lists them."""
    folder = folder or C.CONFIG_DIR
    groups = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        options = sorted(p.stem for p in sub.glob("*.yaml"))
        if options:
            groups.append((prefix + sub.name, options))
        groups += _config_groups(sub, f"{prefix}{sub.name}/")
    return sorted(groups)


def _hydra_app() -> None:
    """Start the Hydra app, which composes the config and calls `_hydra_job` (once per job)."""
    import hydra

    C.register_schema()
    app = hydra.main(config_path=str(C.CONFIG_DIR), config_name="config", version_base="1.3")
    app(_hydra_job)()


def _hydra_job(cfg: DictConfig) -> None:
    """One Hydra job: run the composed scenario (each job of a --multirun calls this)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        safety.keep_literal(cfg)  # scenario text is never resolved (no ${oc.env:...})
        C.check(cfg)  # already checked in main; kept for Hydra paths main cannot see
        _check_scenario_file(HydraConfig.get().runtime.choices.get("scenario", "baseline"))
        _check_name(cfg.scenario.name)
        _check_label(cfg.run.label)
    except (C.ConfigError, ParamError, UsageError) as error:
        raise SystemExit(_fail(str(error))) from None
    _check_resources(cfg)
    warning = war_window_warning(cfg)
    if warning:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    try:
        directory = run_scenario(
            cfg,
            command=["python", "-m", "sim", "run", *_argv],
            overrides=_typed_overrides(),
        )
    except C.ConfigError as error:  # e.g. runs/<scenario> a symlink to elsewhere: refused
        raise SystemExit(_fail(str(error))) from None
    except Exception as error:  # noqa: BLE001 (a full disk...: one line, not Hydra's trace)
        message, code = explain(error)
        if message is None:
            raise
        print(f"{PROG}: error: {message}; nothing was written", file=sys.stderr)
        raise SystemExit(code) from None
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        _index_job(directory)


def _typed_overrides() -> list[str]:
    """This job's overrides as typed: Hydra resolves `${oc.env:...}` when its config is read,
    which would copy an environment variable's value into manifest.json (review 2, D7)."""
    from hydra.core.hydra_config import HydraConfig

    return [str(o) for o in OmegaConf.to_container(HydraConfig.get().overrides.task)]


def war_window_warning(cfg: DictConfig) -> str | None:
    """A warning when the war's end months, spread around war.end_month, leave the horizon,
    or lie before the month through which the war is known to go on (war.ongoing_through).

    End months are drawn within war.end_month_spread of war.end_month and clipped at 0, so a
    spread that reaches below month 0 piles many runs up at month 0 (the war ends at once).
    """
    end = OmegaConf.select(cfg, "model.war.end_month")
    spread = OmegaConf.select(cfg, "model.war.end_month_spread")
    outcome = OmegaConf.select(cfg, "model.war.outcome")
    known = OmegaConf.select(cfg, "model.war.ongoing_through")
    by_window = outcome != "uncertain" or OmegaConf.select(cfg, "model.war.timing") == "window"
    ends = outcome != "ongoing" and end is not None
    if ends and by_window and known is not None and end + (spread or 0) <= known:
        return (
            f"model.war.end_month = {end} lies before model.war.ongoing_through = {known} "
            f"(the war is known to go on through that month), so the war ends in month "
            f"{known + 1}; set model.war.ongoing_through=null for a war that ends at month {end}"
        )
    if end is None or not spread or outcome == "ongoing":
        return None
    if end - spread < 0:
        share = (spread - end + 0.5) / (2 * spread + 1)
        return (
            f"model.war.end_month = {end} with model.war.end_month_spread = {spread}: end months "
            f"are drawn from {end - spread} to {end + spread} and clipped at 0, so about "
            f"{share:.0%} of runs end the war at month 0; set model.war.end_month_spread=0 (or "
            f"at most {end}) for a war that ends at month {end}"
        )
    return None


def _check_resources(cfg: DictConfig) -> None:
    """Refuse, before simulating, an output_root that cannot be written or work too large."""
    run = cfg.run
    try:
        guards.check_output_root(run.output_root, "run.output_root")
        guards.check_name_length(str(cfg.scenario.name), "scenario.name", run.output_root)
        if run.label is not None:
            name = run_directory_name(run.label)
            guards.check_name_length(name, "run.label", run.output_root)
        guards.check_run(run.replicates, run.months, run.trajectories, run.events, run.output_root)
    except ValueError as error:
        raise SystemExit(_fail(str(error))) from None


def _index_job(directory: Path) -> None:
    """Append this job to the sweep directory's jobs.tsv, the index of a --multirun."""
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    index = Path(hc.sweep.dir) / "jobs.tsv"
    new = not index.exists()
    with index.open("a") as out:
        if new:
            out.write("job\toverrides\tresults\n")
        out.write(f"{hc.job.num}\t{' '.join(hc.overrides.task)}\t{directory}\n")


# --- checking the command line ---------------------------------------------------------------
def known_keys() -> set[str]:
    """Every key an override may set, and the groups above them ("run", "model.russia", ...)."""
    leaves = {"scenario", "calibration", "targets"}
    leaves |= {f"run.{f.name}" for f in dataclasses.fields(C.RunConfig)}
    leaves |= {f"scenario.{f.name}" for f in dataclasses.fields(C.ScenarioInfo)}
    leaves |= {f"model.{p.path}" for p in PARAMS}
    groups = {key.rsplit(".", i)[0] for key in leaves for i in (1, 2) if "." in key}
    return leaves | groups


def validate_overrides(overrides: Sequence[str]) -> None:
    """Raise UsageError for an unknown scenario or key, or a value of the wrong type or range.

    Sweep overrides (``a,b``, ``range(1,4)``) are expanded; every value is checked once, with
    the other overrides at their first value, so a --multirun fails before its first job.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            parsed += parser.parse_overrides([text])
        except HydraException as error:
            raise UsageError(f"cannot read override {text!r}: {first_line(error)}") from None
    scenarios = [name for name, _ in C.list_scenarios()]
    keys = known_keys()
    choices: list[tuple[str, list[str]]] = []
    for override in parsed:
        key = override.key_or_group
        if key.startswith("hydra"):
            _check_hydra_override(key)
            continue  # Hydra checks the value of the settings it allows
        if override.is_delete():
            raise UsageError(
                f"~{key}: keys cannot be deleted (every key is needed); set it instead, "
                f"e.g. {key}=<value> ({PROG} --cfg job shows the current values)"
            )
        values = _override_values(override, scenarios)
        if key == "scenario":  # scenario='my name' is compared without its quotes
            values = [v.strip("'\"") for v in values]
        if key == "run.output_root":
            _check_plain_path(key, override.input_line or "")
        if key == "scenario":
            for value in values:
                if value not in scenarios:
                    raise UsageError(
                        f"unknown scenario {value!r}; choose one of: "
                        f"{', '.join(scenarios)} (python -m sim list)"
                    )
                problem = C.scenario_problem(value)  # the file itself: YAML, keys, package line
                if problem:
                    raise UsageError(problem)
                _check_scenario_file(value)
        elif key not in keys:
            raise UsageError(_unknown_key(key, keys))
        choices.append((f"{'+' if override.is_add() else ''}{key}", values))
    for combination in _combinations(choices):
        _compose_or_explain(combination)


def _override_values(override: Any, scenarios: list[str]) -> list[str]:
    """The values an override stands for; glob() over the scenarios, as Hydra expands it.

    Hydra expands glob() and interval() only with its ConfigLoader or an optimising sweeper,
    so they are read here: glob() against the scenario list, interval() refused in one line.
    """
    from hydra.core.override_parser.types import Glob, IntervalSweep

    if not override.is_sweep_override():
        return [override.get_value_element_as_str()]
    key, value = override.key_or_group, override.value()
    if isinstance(value, IntervalSweep):
        raise UsageError(
            f"{key}=interval(...) is not allowed: interval() is a search range for an optimising "
            "sweeper plugin, which is not installed; give a list (a,b,c) or range(start,stop,step)"
        )
    if isinstance(value, Glob):
        if key != "scenario":
            raise UsageError(
                f"{key}=glob(...) is not allowed: glob() chooses among config files; "
                "use it for the scenario, e.g. 'scenario=glob(war_*)'"
            )
        chosen = value.filter(scenarios)
        if not chosen:
            raise UsageError(
                f"scenario=glob({','.join(value.include)}) matches no scenario; "
                f"choose among: {', '.join(scenarios)} (python -m sim list)"
            )
        return chosen
    return list(override.sweep_string_iterator())


#: The Hydra settings an override may change: none that moves output (hydra.run.dir,
#: hydra.sweep.dir, hydra.output_subdir), runs code (hydra.callbacks) or swaps a plugin
#: (hydra/launcher=...), so nothing is written outside run.output_root (review 2, D8).
HYDRA_OVERRIDES = ("hydra.verbose", "hydra.searchpath")


def _check_hydra_override(key: str) -> None:
    if key not in HYDRA_OVERRIDES:
        raise UsageError(
            f"{key} cannot be overridden: it would write or run outside run.output_root; "
            f"allowed Hydra settings: {', '.join(HYDRA_OVERRIDES)}"
        )


def _check_plain_path(key: str, text: str) -> None:
    """Refuse an interpolation in a path: Hydra would resolve it for its own --multirun index
    (`${oc.env:HOME}` puts it in $HOME) while the results stay under the literal text."""
    value = text.split("=", 1)[-1]
    if "${" in value:
        raise UsageError(
            f"{key} = {value!r} is not allowed: expected a path without ${{...}} "
            "(type the path itself; the shell expands $HOME)"
        )


def _combinations(choices: list[tuple[str, list[str]]]) -> list[list[str]]:
    """The first value of every override, then each further value alone (linear, not a grid)."""
    first = [f"{key}={values[0]}" for key, values in choices]
    result = [first]
    for i, (key, values) in enumerate(choices):
        result += [first[:i] + [f"{key}={v}"] + first[i + 1 :] for v in values[1:]]
    return result


def _compose_or_explain(overrides: list[str]) -> None:
    from hydra.errors import HydraException, MissingConfigException

    from sim.studies.calibration.targets import CalibrationError

    for override in overrides:
        key, _, value = override.partition("=")
        problem = C.scenario_problem(value) if key.lstrip("+") == "scenario" else None
        if problem:
            raise UsageError(problem)
    try:
        cfg = C.compose(overrides)
        from sim.engine.posterior_draws import load, resolve

        if resolve(cfg.get("calibration")):
            load(resolve(cfg.get("calibration")))
    except (C.ConfigError, ParamError, CalibrationError) as error:
        raise UsageError(str(error)) from None
    except MissingConfigException as error:
        raise UsageError(first_line(error)) from None
    except HydraException as error:
        raise UsageError(_explain(error)) from None


def _explain(error: HydraException) -> str:
    """One line for a Hydra composition error, naming the key, the value and what is allowed."""
    cause = _keyed_cause(error)
    where = re.search(r"In 'scenario/([^']+)'", str(error))
    prefix = f"{C.scenario_path(where.group(1))}: " if where else ""
    if isinstance(cause, ValidationError):
        return (
            f"{prefix}{cause.full_key} = {cause.value!r} is not allowed: expected "
            f"{C.allowed(cause.full_key)}"
        )
    if isinstance(cause, ConfigAttributeError | ConfigKeyError):
        return prefix + _unknown_key(str(cause.full_key), known_keys())
    return first_line(error)


def _keyed_cause(error: BaseException) -> BaseException | None:
    """The first error in the chain of causes that names the config key at fault."""
    seen = error
    while seen is not None:
        if isinstance(seen, ValidationError | ConfigAttributeError | ConfigKeyError) and getattr(
            seen, "full_key", None
        ):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _unknown_key(key: str, keys: set[str]) -> str:
    """Name the unknown key, with the nearest known keys, or the keys of its group."""
    leaves = sorted(k for k in keys if not any(other.startswith(k + ".") for other in keys))
    close = difflib.get_close_matches(key, leaves, n=3)
    group = key.rsplit(".", 1)[0]
    siblings = [k.rsplit(".", 1)[1] for k in leaves if k.rsplit(".", 1)[0] == group]
    if close:
        hint = f"; did you mean {', '.join(close)}?"
    elif siblings and len(siblings) <= 12:
        hint = f"; {group} has: {', '.join(siblings)}"
    else:
        hint = ""
    return f"unknown key {key!r}{hint} ({PROG} --cfg job lists every key)"


def _check_name(name: str) -> None:
    try:
        safety.check_name("scenario.name", name)
    except safety.UnsafePath as error:
        raise UsageError(str(error)) from None


def _check_label(label: Any) -> None:
    """run.label becomes part of a directory name: a plain name, or null for none."""
    if label is None:
        return
    try:
        safety.check_name("run.label", label)
    except safety.UnsafePath as error:
        raise UsageError(str(error)) from None


def run_directory_name(label: Any) -> str:
    """<timestamp>, or <timestamp>_<label>: sortable by time, and told apart by the label."""
    from sim.engine import store

    return store.timestamp() + (f"_{label}" if label is not None else "")


def _check_scenario_file(name: str) -> None:
    """The scenario file's own name must equal its file name (else results are misfiled),
    and it may set only scenario: and model: (checked again in each job of a --multirun)."""
    problem = C.scenario_problem(name)
    if problem:
        raise UsageError(problem)
    try:
        safety.check_scenario_file(C.scenario_path(name))
    except safety.UnsafePath as error:
        raise UsageError(str(error)) from None


# --- running ---------------------------------------------------------------------------------
def run_scenario(
    cfg: DictConfig,
    command: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    quiet: bool = False,
    chunk_size: int | None = None,
) -> Path:
    """Simulate a composed, checked config and write its results directory; return its path.

    The runs are simulated in chunks and their tables streamed to Parquet as each chunk
    finishes (``sim.engine.streaming``), so memory does not grow with the number of runs; the files
    are the same for any chunk size. With ``calibration=<dir>`` each run's calibrated
    parameters are drawn from the posterior (``sim.engine.posterior_draws``).

    Args:
        cfg: a config composed by Hydra or `sim.config.compose`.
        command: the command line, for the manifest (default: sys.argv).
        overrides: the Hydra overrides that made `cfg`, for the manifest.
        quiet: do not print the summary.
        chunk_size: runs per chunk (default: `sim.engine.streaming.chunk_runs`).
    """
    import numpy as np

    from sim.analysis import variance_split
    from sim.engine import config_file, posterior_draws, store
    from sim.engine.ensemble import Ensembles
    from sim.engine.streaming import FIGURE_RUNS, simulate_to_parquet
    from sim.model.rng import derive_seeds

    started = time.perf_counter()
    run, scenario = cfg.run, str(cfg.scenario.name)
    _check_name(scenario)
    run_ids = np.arange(run.replicates)
    seeds = derive_seeds(run.seed, run_ids)
    calibration = posterior_draws.resolve(cfg.get("calibration"))
    for line in posterior_draws.notices(cfg.get("calibration")):
        print(f"WARNING: {line}", file=sys.stderr)
    params, drawn = posterior_draws.calibrated_params(
        calibration, C.model_values(cfg), run.seed, run_ids
    )
    runs = Path(run.output_root) / "runs"
    _check_label(run.get("label"))
    name = run_directory_name(run.get("label"))
    final = safety.check_inside(runs, runs / scenario / name, "scenario.name")
    run_dir = store.run_dir_name(final, run.output_root)  # every table's first column
    facts = dict(
        seed=int(run.seed),
        scenario=scenario,
        replicates=int(run.replicates),
        months=int(run.months),
    )
    with (
        store.staged_directory(final) as staging,
        _progress(run.replicates, scenario) as bar,
        Ensembles(workers=run.get("workers")) as ensembles,
    ):
        streamed = simulate_to_parquet(
            params,
            seeds=seeds,
            months=run.months,
            directory=staging,
            scenario=scenario,
            trajectories=bool(run.trajectories),
            events=bool(run.events),
            chunk_size=chunk_size,
            announce=lambda size, measured: _announce(size, measured, final),
            progress=bar.update,
            facts=facts,
            ensembles=ensembles,
            figure_runs=FIGURE_RUNS if run.figures else 0,
            run_dir=run_dir,
            particles=None if drawn is None else drawn["particle"].to_numpy(),
        )
        summary = streamed.summary
        files: dict[str, int | None] = dict(streamed.files)
        if drawn is not None:
            files.update(
                variance_split.write_run_tables(staging, summary, drawn, run.months, run_dir)
            )
        config_file.write_config(cfg, staging)
        if run.figures:
            from sim.plots import run_figures

            figures = run_figures(
                _first_runs(summary, FIGURE_RUNS),
                streamed.trajectories,
                streamed.events,
                scenario,
                run.months,
                staging / "figures",
            )
            files.update({f"figures/{p.name}": None for p in figures})
        wall = time.perf_counter() - started
        fields: dict[str, Any] = dict(
            **facts,
            run_dir=run_dir,
            overrides=list(overrides),
            simulation_seconds=streamed.simulation_seconds,
            wall_seconds=wall,
            runs_per_second=run.replicates / max(streamed.simulation_seconds, 1e-9),
            seeds="run i has seed sim.model.rng.derive_seeds(seed, i)",
            chunk_size=streamed.chunk_size,
            figure_runs=min(int(run.replicates), FIGURE_RUNS) if run.figures else 0,
            files=files,
        )
        if command is not None:
            fields["command"] = list(command)
        if drawn is not None:
            fields["calibration"] = posterior_draws.load_cached(calibration).describe()
        else:
            fields["calibration"] = "none: the parameter table's hand-set values"
        store.write_manifest(staging, **fields)
    if not quiet:
        from sim.analysis.run_report import format_summary

        seconds = streamed.simulation_seconds
        split = None
        if drawn is not None:
            split = variance_split.run_variance_split(summary, drawn, run.months)
        print(format_summary(summary, scenario, run.months, run.seed, seconds, final, split))
        if run.figures and run.replicates > FIGURE_RUNS:
            print(f"Figures: drawn from the first {FIGURE_RUNS:,} of {run.replicates:,} runs.")
        if split is not None:
            print("\n".join(variance_split.format_variance_split(split)))
            from sim.commands.sweep import shown

            source = shown(calibration)
            print(f"Parameters drawn from {source}; calibration=none: the hand-set values.")
        else:
            print("Parameters: the hand-set values of the parameter table (no posterior).")
    return final


def _progress(runs: int, label: str) -> Any:
    """A bar of runs on stderr, shown only when stderr is a terminal (not in logs or tests)."""
    from tqdm import tqdm

    return tqdm(total=runs, desc=label, unit="run", file=sys.stderr, disable=None, leave=False)


def _first_runs(summary: Any, runs: int) -> Any:
    """The summary rows of runs 0..runs-1: the runs whose trajectories the figures show."""
    return summary if len(summary) <= runs else summary.iloc[:runs]


def _announce(size: int, runs: int, directory: Path) -> None:
    print(
        f"{PROG}: writing about {size / 1e9:.1f} GB of Parquet tables to {directory} "
        f"(estimated from the first {runs:,} runs); run.trajectories=false and "
        "run.events=false write far less",
        file=sys.stderr,
        flush=True,
    )
