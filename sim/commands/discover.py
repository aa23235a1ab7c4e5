"""`python -m sim discover <dir> rung=4 month=120 [key=value ...]`: PRIM on a sweep.

Which box of factor values holds the cases where Russia escalates to rung k or higher within
the first T months? Prints the box in plain words with its coverage and density, and writes
<dir>/discovery/rung<k>_month<T>_<unit>/{trajectory,limits}.{parquet,csv}, boxes.txt,
settings.json, tradeoff.png and limits_box<i>.png.

Options (defaults in brackets):
  rung=, month=          the escalation of interest (required)
  unit=points|runs       cases are design points (of interest when P >= threshold) or runs;
                         runs add the war outcome each run drew as a factor [points]
  threshold=0.5          P(rung >= k by T) that makes a design point a case of interest
  density=0.8            report the step with the most coverage at this density or more
  box=<step>             report this step of the peeling trajectory instead
  boxes=1                how many boxes to find
  mass_min=0.05          smallest share of cases a box may hold
  peel_alpha=0.05, paste_alpha=0.05
  allow_incomplete=true  use the chunks of an unfinished sweep
Needs EMA Workbench (the extra `discovery`); without it, says how to install it (exit 2).
See docs/sensitivity.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from sim.commands.options import as_bool

OPTIONS = {
    "rung",
    "month",
    "unit",
    "threshold",
    "density",
    "box",
    "boxes",
    "mass_min",
    "peel_alpha",
    "paste_alpha",
    "allow_incomplete",
}


def parse(argv: list[str]) -> tuple[Path, dict[str, Any]]:
    """The directory and the options; raises ValueError naming a bad or missing key."""
    directory, rest = Path(argv[0]), argv[1:]
    bad = [a for a in rest if "=" not in a]
    if bad:
        raise ValueError(f"{bad[0]!r} is not key=value")
    options = OmegaConf.to_container(OmegaConf.from_dotlist(rest))
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise ValueError(
            f"unknown option {unknown[0]!r}: expected one of {', '.join(sorted(OPTIONS))}"
        )
    for key in ("rung", "month"):
        if not isinstance(options.get(key), int):
            raise ValueError(f"{key}= is required and must be an integer (e.g. rung=4 month=120)")
    check_prim_options(options)
    if "allow_incomplete" in options:  # "maybe" was taken as true (review 2, D15)
        options["allow_incomplete"] = as_bool(
            "allow_incomplete", str(options["allow_incomplete"]), ValueError
        )
    if "box" in options:
        options["step"] = int(options.pop("box"))
    return directory, options


def check_prim_options(options: dict[str, Any]) -> None:
    """boxes, box, mass_min and density must make sense, else PRIM reports nonsense.

    (boxes=0 would report "no case of interest" beside a count of them; mass_min=2 would
    report that no factor is restricted.)
    """

    def integer(key: str, low: int) -> None:
        value = options[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{key} = {value!r} is not allowed: expected an integer >= {low}")

    def share(key: str, low_open: bool) -> None:
        value = options[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        inside = number and (0 < value <= 1 if low_open else 0 <= value <= 1)
        if not inside:
            allowed = "in (0, 1]" if low_open else "in [0, 1]"
            raise ValueError(f"{key} = {value!r} is not allowed: expected a number {allowed}")

    for key, low in (("boxes", 1), ("box", 0)):
        if key in options:
            integer(key, low)
    for key, low_open in (("mass_min", True), ("density", False)):
        if key in options:
            share(key, low_open)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    from sim.analysis.discovery import MissingDependency, discover
    from sim.analysis.sweep_analysis import IncompleteSweep
    from sim.engine.result_dirs import check_directory

    try:
        directory, options = parse(argv)
        check_directory(directory, ("sweep",), "discover", ValueError)  # a run, a damaged file
        check_numbers(options)
        if not (directory / "config.yaml").exists():
            raise ValueError(f"{directory} is not a sweep directory (no config.yaml)")
        check_where_written(directory, options)
        boxes, settings = discover(directory, **options)
    except MissingDependency as error:
        print(f"python -m sim discover: error: {error}", file=sys.stderr)
        return 2
    except IncompleteSweep as error:  # the input cannot be used as it is: exit code 2
        print(f"python -m sim discover: error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"python -m sim discover: error: {error}", file=sys.stderr)
        return 2
    print(report(boxes, settings))
    out = write(directory, boxes, settings)
    print(f"\ntables and figures in {out}")
    return 0


def check_where_written(directory: Path, options: dict[str, Any]) -> None:
    """config.yaml as made, and discovery/<question>/ real folders inside the sweep."""
    from sim.analysis.discovery import output_directory
    from sim.config.paths import output_folder
    from sim.engine.store import check_config

    check_config(directory)
    question = output_directory(directory, {"unit": "points", **options})
    output_folder(directory, "discovery")
    output_folder(question.parent, question.name)


#: Numeric options and the interval each must lie in (low, high, whether low is allowed).
NUMBER_RANGES = {
    "threshold": (0.0, 1.0, False),
    "peel_alpha": (0.0, 0.5, False),
    "paste_alpha": (0.0, 0.5, True),
}


def check_numbers(options: dict[str, Any]) -> None:
    """threshold and the PRIM alphas must be numbers in range (EMA only asserts on them)."""
    for key, (low, high, closed) in NUMBER_RANGES.items():
        if key not in options:
            continue
        value = options[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        inside = number and (low <= value <= high if closed else low < value <= high)
        if not inside:
            interval = f"{'[' if closed else '('}{low:g}, {high:g}]"
            raise ValueError(f"{key} = {value!r} is not allowed: expected a number in {interval}")


def report(boxes: list, settings: dict[str, Any]) -> str:
    """The boxes in plain words, preceded by what counted as a case of interest."""
    from sim.analysis.discovery import describe_box, target_words

    target = target_words(settings)
    head = (
        f"{settings['cases_of_interest']} of {settings['cases']} {settings['unit']} are cases "
        f"of interest ({target})."
    )
    if not boxes:
        return head + "\nNo box: there is no case of interest."
    described = [
        describe_box(b, i + 1, target) + _density_note(b, settings) for i, b in enumerate(boxes)
    ]
    return head + "\n\n" + "\n\n".join(described)


#: PRIM's settings when not given (sim.analysis.discovery.find_boxes), recorded in settings.json.
PRIM_DEFAULTS = {
    "density": 0.8,
    "boxes": 1,
    "mass_min": 0.05,
    "peel_alpha": 0.05,
    "paste_alpha": 0.05,
}


def _density_note(box: Any, settings: dict[str, Any]) -> str:
    """A line when the chosen step falls short of the density target (it is the densest)."""
    target = float(settings.get("density", PRIM_DEFAULTS["density"]))
    reached = float(box.trajectory.iloc[box.chosen]["density"])
    if "step" in settings or reached >= target:
        return ""
    return (
        f"\n  note: no step reaches the density target {target:.0%}; this is the densest step "
        f"({reached:.0%}). Lower density= or read the trade-off figure."
    )


def write(directory: Path, boxes: list, settings: dict[str, Any]) -> Path:
    """Tables (Parquet and CSV), the words, the settings and the figures; returns the folder."""
    from sim.analysis.discovery import discovery_tables, output_directory
    from sim.analysis.sweep_analysis import write_analysis
    from sim.engine.store import recorded_run_dir, write_text
    from sim.plots import save_figure
    from sim.plots.sensitivity import discovery_figures

    out = output_directory(directory, settings)
    write_analysis(out, discovery_tables(boxes), recorded_run_dir(directory))
    write_text(report(boxes, settings) + "\n", out / "boxes.txt")
    recorded = {**PRIM_DEFAULTS, **settings}  # every setting the boxes depend on
    write_text(json.dumps(recorded, indent=2, default=str) + "\n", out / "settings.json")
    for old in out.glob("limits_box*.png"):  # a run with more boxes left these
        old.unlink()
    for name, fig in discovery_figures(out).items():
        save_figure(fig, out / (name.removeprefix(f"discovery_{out.name}_") + ".png"))
    return out
