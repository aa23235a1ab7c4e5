"""The interactive app on Mesa's SolaraViz: choose a scenario, set parameters, step or play.

Run it with ``python -m sim app`` or ``solara run sim.app`` (needs the ``viz`` extra). The page
is Mesa's own `SolaraViz` around ``AppModel``, an ensemble of R runs (default 1,000) stepped
at once as the model always is:

* ``model_params`` are generated from the parameter table: each path in ``CONTROLS`` becomes a
  menu (a choice parameter) or a slider over its range with its unit; the number of runs, the
  seed, the posterior the calibrated parameters are drawn from (the shipped one unless another
  is named, ``none`` for the hand-set values, as in ``sim run``) and a second scenario to
  compare with are parameters too. As everywhere in Mesa, a change takes effect at
  Reset; the seed stays put, so two settings are compared on common random numbers.
* two charts from Mesa's ``make_plot_component`` over the model's DataCollector: P(rung >= k by
  month) and the share of runs at each rung, each with its 95 % Wilson band;
* three components of this app: the status line, the comparison of the two settings side by
  side (same seeds, paired differences) and the event feed of one chosen run.

Choosing a scenario (the menu above Mesa's controls) remounts the page with that scenario's
values as the parameters' defaults.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import matplotlib
import mesa
import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from mesa.visualization import SolaraViz, make_plot_component

from sim import config as C
from sim.analysis.stats import paired_proportion_difference, wilson_interval
from sim.analysis.variance_split import parameter_interval
from sim.engine import posterior_draws
from sim.engine.posterior_draws import RUNS_PER_DRAW, Posterior
from sim.errors import CalibrationError
from sim.model.escalation import EscalationModel, month_dates
from sim.model.event_log import events_frame
from sim.model.ladder import TOP_RUNG
from sim.model.mesa_api import MAX_SEED, ensemble_reporters, keyword_params
from sim.model.params import PARAMS_BY_PATH, ParamSet
from sim.model.rng import derive_seeds
from sim.plots.style import RUNG_COLOURS

matplotlib.use("Agg")  # figures are drawn to PNG on the server


@dataclass(frozen=True)
class Control:
    """A parameter the page lets the user set; `low`/`high` narrow the parameter's range."""

    path: str
    low: float | None = None
    high: float | None = None


#: The parameters on the page, in order. A choice parameter becomes a menu, a number a slider.
CONTROLS: tuple[Control, ...] = (
    Control("war.outcome"),
    Control("war.end_month", 0, 120),
    Control("kazakhstan.multivector"),
    Control("kazakhstan.initial_cpc_share"),
    Control("china.reliability"),
    Control("turkey.reliability"),
)
DEFAULT_SCENARIO = "baseline"
DEFAULT_RUNS = 1000
MAX_RUNS = 5000
SEED = 20221028
NO_COMPARISON = "(none)"
FEED_LENGTH = 12
SHOWN_RUNGS = (1, 3, 5)  # the rungs of the comparison table


#: The scenario chosen in the menu above Mesa's controls; the default of AppModel's scenario.
chosen_scenario = solara.reactive(DEFAULT_SCENARIO)


# --- the simulation side, plain Python (tested without a browser) ----------------------------
@cache
def scenario_settings(name: str) -> tuple[dict[str, Any], int]:
    """(flat model parameters, horizon in months) of a scenario, as `sim run` composes it."""
    cfg = C.compose([f"scenario={name}"])
    return C.model_values(cfg), int(cfg.run.months)


def slider_range(control: Control) -> tuple[float, float]:
    """The range a control offers: its own, else the parameter's allowed range."""
    spec = PARAMS_BY_PATH[control.path]
    low = spec.low if control.low is None else control.low
    high = spec.high if control.high is None else control.high
    return low, high


def slider_step(low: float, high: float) -> float:
    """A round step of about a hundredth of the range, so round defaults lie on the grid."""
    return 10.0 ** math.floor(math.log10((high - low) / 100))


def keyword(path: str) -> str:
    """The keyword of a parameter path (``war.end_month`` -> ``war_end_month``)."""
    return path.replace(".", "_")


def control_param(control: Control, value: Any) -> dict[str, Any]:
    """One entry of SolaraViz's ``model_params``: a menu or a slider labelled with its unit."""
    spec = PARAMS_BY_PATH[control.path]
    if spec.choices:
        return {"type": "Select", "value": value, "values": list(spec.choices), "label": spec.path}
    low, high = slider_range(control)
    label = f"{spec.path} ({spec.unit})" if spec.unit != "1" else spec.path  # "1": no unit
    if spec.integer:
        return {"type": "SliderInt", "value": int(value), "min": int(low), "max": int(high),
                "step": 1, "label": label}  # fmt: skip
    return {"type": "SliderFloat", "value": float(value), "min": low, "max": high,
            "step": slider_step(low, high), "label": label}  # fmt: skip


def model_params(scenario: str) -> dict[str, Any]:
    """SolaraViz's ``model_params`` for a scenario: its values are the controls' defaults."""
    values, _ = scenario_settings(scenario)
    scenarios = [name for name, _ in C.list_scenarios()]
    return {
        **{keyword(c.path): control_param(c, values[c.path]) for c in CONTROLS},
        "runs": {
            "type": "SliderInt",
            "value": DEFAULT_RUNS,
            "min": 1,
            "max": MAX_RUNS,
            "step": 1,
            "label": "runs in the ensemble",
        },  # fmt: skip
        "seed": {"type": "InputText", "value": str(SEED), "label": "seed (same seed: CRN)"},
        "calibration": {
            "type": "InputText",
            "value": "",
            "label": "posterior (blank: shipped; none: hand-set)",
        },  # fmt: skip
        "compare_with": {
            "type": "Select",
            "value": NO_COMPARISON,
            "values": [NO_COMPARISON, *scenarios],
            "label": "compare with scenario",
        },  # fmt: skip
    }


def parse_seed(text: str | int) -> int:
    """The seed typed into the page; ValueError naming the value and what is allowed."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        seed = -1
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed = {text!r} is not allowed: expected an integer in [0, {MAX_SEED}]")
    return seed


def interval_reporters(runs: int) -> dict[str, Any]:
    """Ensemble reporters plus 95 % Wilson bounds of each share ("<name> low" / "<name> high")."""
    reporters = ensemble_reporters()
    for name in [n for n in reporters if n.startswith("share_")]:
        share = reporters[name]
        reporters[f"{name} low"] = lambda m, s=share: _bound(s(m), runs, 0)
        reporters[f"{name} high"] = lambda m, s=share: _bound(s(m), runs, 1)
    return reporters


def _bound(share: float, runs: int, side: int) -> float:
    return float(wilson_interval(round(share * runs), runs)[side])


class AppModel(EscalationModel):
    """The page's ensemble: a scenario, control values, runs, a seed, maybe a posterior, and
    maybe a second scenario on the same seeds, stepped along in lockstep for the comparison.

    The parameters are those of ``sim run`` with the same scenario, runs and seed: the
    calibrated ones drawn from the posterior (`calibration`: empty for the shipped one, a name
    or a calibration directory, ``none`` for the hand-set values), except those the scenario
    or a control sets away from the table's default, which keep that value
    (``posterior_draws.set_explicitly``).

    ``notice`` holds a problem the page shows (a posterior that cannot be used: the runs then
    use the hand-set values, and the status line says so).
    """

    def __init__(
        self,
        scenario_name: str | None = None,
        runs: int = DEFAULT_RUNS,
        seed: str | int = SEED,
        calibration: str = "",
        compare_with: str = NO_COMPARISON,
        scenario: Any = None,
        **controls: Any,
    ) -> None:
        # `scenario` is Mesa's own (experimental) Scenario object, which SolaraViz's Reset passes
        # back to every model; this app does not use it: its scenario is `scenario_name`.
        del scenario
        scenario_name = scenario_name or chosen_scenario.value  # Reset passes only what changed
        values, months = scenario_settings(scenario_name)
        self.scenario_name, self.seed, self.notice = scenario_name, parse_seed(seed), ""
        self.controls = {c.path: values[c.path] for c in CONTROLS} | keyword_params(controls)
        self.posterior = self._posterior(calibration.strip() or None)
        seeds = derive_seeds(self.seed, np.arange(int(runs)))
        params = self._params({**values, **self.controls}, seeds.size)
        super().__init__(params, seeds=seeds, months=months, trajectories=False, collect=False)
        # Mesa's Play steps in a thread while the page draws: the lock keeps a drawing from
        # seeing half a month (the DataCollector's columns appended one by one).
        self.lock = threading.RLock()
        self.datacollector = LockedCollector(self.lock, interval_reporters(seeds.size))
        self.datacollector.collect(self)
        self.compare_name = None if compare_with == NO_COMPARISON else compare_with
        self.other = None
        if self.compare_name:
            other_values, _ = scenario_settings(self.compare_name)
            self.other = EscalationModel(
                self._params(other_values, seeds.size), seeds=seeds, months=months,
                trajectories=False, events=False,
            )  # fmt: skip

    def _posterior(self, calibration: str | None) -> Posterior | None:
        """The posterior `calibration` names (None: the shipped one), or None for the hand-set
        values, with the reason in `notice` when one was meant but cannot be used."""
        default_notice = posterior_draws.default_notice() if calibration is None else None
        directory = posterior_draws.resolve(calibration)
        if directory is None:
            if default_notice:
                self.notice = f"posterior not used: {default_notice}"
            return None
        try:
            return posterior_draws.load_cached(directory)
        except CalibrationError as error:
            self.notice = f"posterior not used: {error}"
            return None

    def _params(self, values: dict[str, Any], size: int) -> ParamSet:
        if self.posterior is None:
            return ParamSet.uniform(values, size=size)
        runs = np.arange(size)
        return posterior_draws.params_for_runs(self.posterior, values, self.seed, runs)[0]

    def step(self) -> None:
        with self.lock:
            if self.other is not None:
                self.other.step()
            super().step()

    def status(self) -> str:
        """The line the page and its browser test read: month, date, runs, scenario, seed."""
        with self.lock:
            month, months = self.month, self.months
        # Month m has simulated months 0..m-1: name the last of them, as `sim run` does
        # ("Mar 2022 - Feb 2032" for 120 months), not the month about to start.
        dates = month_dates(months)
        when = f"through {dates[month - 1]:%b %Y}" if month else f"starts {dates[0]:%b %Y}"
        text = (
            f"Month {month} of {months} ({when}), "
            f"{self.seeds.size:,} runs, scenario {self.scenario_name}, seed {self.seed}"
        )
        if self.posterior is not None:
            text += f", posterior of {self.posterior.directory.name}"
        else:
            text += ", the hand-set values"
        return f"{text}. {self.notice}" if self.notice else text

    def settings(self) -> str:
        """The controls' values in force, with units (Mesa's sliders do not show them); on a
        posterior, a calibrated control left at the table's default says it is drawn."""
        drawn = set(self.posterior.names) if self.posterior is not None else set()
        drawn -= set(posterior_draws.set_explicitly(self.controls))
        shown = []
        for path, value in self.controls.items():
            if path in drawn:
                shown.append(f"{path} drawn from the posterior")
                continue
            unit = PARAMS_BY_PATH[path].unit
            number = isinstance(value, int | float) and not isinstance(value, bool)
            unit = "" if unit == "1" else f" {unit}"  # a dimensionless number has no unit
            shown.append(f"{path} = {value:.4g}{unit}" if number else f"{path} = {value}")
        return "Settings: " + "; ".join(shown)

    def comparison(self) -> pd.DataFrame:
        """P(rung >= k so far) in both settings and the paired difference, with 95 % bounds:
        the dice's [Wilson] and, with a posterior, the parameters' (low-high) beside them."""
        rows = []
        with self.lock:
            reached, other_reached = self.recorder.max_rung.copy(), self.other.recorder.max_rung
        for k in SHOWN_RUNGS:
            mine, theirs = reached >= k, other_reached >= k
            low, high = wilson_interval(mine.sum(), mine.size)
            other_low, other_high = wilson_interval(theirs.sum(), theirs.size)
            diff = paired_proportion_difference(mine, theirs)
            rows.append({
                "reached": f"rung >= {k}",
                f"{self.scenario_name} (this)":
                    f"{mine.mean():.3f} [{low:.3f}, {high:.3f}]{self._parameters_cell(mine)}",
                f"{self.compare_name} (compared)":
                    f"{theirs.mean():.3f} [{other_low:.3f}, {other_high:.3f}]"
                    f"{self._parameters_cell(theirs)}",
                "difference": f"{diff.value:+.3f} [{diff.lower:+.3f}, {diff.upper:+.3f}]",
            })  # fmt: skip
        return pd.DataFrame(rows)

    def _parameters_cell(self, reached: np.ndarray) -> str:
        """' (0.21-0.48)': with a posterior, the parameters' 95 % range of the share beside the
        dice's [Wilson] bounds (runs i // RUNS_PER_DRAW share a draw: ``params_for_runs``)."""
        if self.posterior is None:
            return ""
        draws = np.arange(reached.size) // RUNS_PER_DRAW
        low, high = parameter_interval(reached, draws)
        return " (n/a)" if np.isnan(low) else f" ({low:.2f}-{high:.2f})"

    def feed(self, run: int, length: int = FEED_LENGTH) -> pd.DataFrame:
        """The last `length` events of one run, newest first."""
        with self.lock:
            columns = self.events.columns()
        mine = columns["run"] == run
        events = events_frame(
            {k: v[mine] for k, v in columns.items()}, np.arange(mine.size), month_dates(self.months)
        )
        table = events[["month", "date", "actor", "action", "target", "rung"]].tail(length)
        table = table.assign(date=table["date"].dt.strftime("%b %Y"))
        return table.iloc[::-1].reset_index(drop=True)


class LockedCollector(mesa.DataCollector):
    """Mesa's DataCollector whose table is read under the model's lock (never mid-collect)."""

    def __init__(self, lock: threading.RLock, reporters: dict[str, Any]) -> None:
        super().__init__(model_reporters=reporters)
        self.lock = lock

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        with self.lock:
            return super().get_model_vars_dataframe()


# --- the charts: Mesa's make_plot_component, bands drawn from the "low"/"high" series ---------
def draw_bands(axes: Axes) -> None:
    """Turn each "<name> low"/"<name> high" line pair into a shaded band of <name>'s colour."""
    lines = {line.get_label(): line for line in axes.get_lines()}
    for label, line in lines.items():
        if label in lines and f"{label} low" in lines:
            low, high = lines[f"{label} low"], lines[f"{label} high"]
            axes.fill_between(
                low.get_xdata(), low.get_ydata(), high.get_ydata(), color=line.get_color(),
                alpha=0.25, linewidth=0,
            )  # fmt: skip
            low.remove()
            high.remove()
    for line in axes.get_lines():  # "share_reached_rung_3" -> "rung 3"
        line.set_label(f"rung {line.get_label().rsplit('_', 1)[1]}")
    axes.set_ylim(0, 1)
    axes.legend(loc="upper left", fontsize=8, frameon=False)


def reached_post(axes: Axes) -> None:
    draw_bands(axes)
    axes.set(ylabel="P(rung >= k by month), 95 % band")


def at_rung_post(axes: Axes) -> None:
    draw_bands(axes)
    axes.set(ylabel="share of runs at rung, 95 % band")


def band_measure(names: list[str]) -> dict[str, Any]:
    """{series: colour} with each series' low/high bounds in the same colour."""
    measure: dict[str, Any] = {}
    for name in names:
        colour = RUNG_COLOURS[int(name.rsplit("_", 1)[1])]
        measure |= {name: colour, f"{name} low": colour, f"{name} high": colour}
    return measure


REACHED_CHART = make_plot_component(
    band_measure([f"share_reached_rung_{k}" for k in range(1, TOP_RUNG + 1)]),
    post_process=reached_post,
)
AT_RUNG_CHART = make_plot_component(
    band_measure([f"share_at_rung_{k}" for k in range(TOP_RUNG + 1)]), post_process=at_rung_post
)


# --- the app's own components: plain functions of the model, which SolaraViz wraps into ----
# --- components redrawn after every step (as Mesa's own plot components are) ----------------
def RunPanel(model: AppModel) -> None:
    """The status line (the browser test's readiness signal), the settings in force, and the
    two settings side by side on the same seeds (choose "compare with", then Reset)."""
    solara.Text(model.status(), classes=["sim-status"])
    solara.Markdown(model.settings())
    if model.other is None:
        solara.Text("Choose a scenario under 'compare with' and press Reset to compare.")
        return
    solara.Markdown(f"**{model.scenario_name}** vs **{model.compare_name}**, same seeds")
    solara.DataFrame(model.comparison(), items_per_page=len(SHOWN_RUNGS))


def EventFeed(model: AppModel) -> None:
    """The last events of one chosen run, newest first."""
    run = solara.use_reactive(0)
    solara.InputInt("Run shown", value=run)
    shown = min(max(run.value, 0), model.seeds.size - 1)
    feed = model.feed(shown)
    if feed.empty:
        solara.Text(f"No events in run {shown} yet.")
    else:
        solara.DataFrame(feed, items_per_page=FEED_LENGTH)


COMPONENTS = [REACHED_CHART, AT_RUNG_CHART, RunPanel, EventFeed]

# --- the page ---------------------------------------------------------------------------------


@cache
def scenario_view(name: str) -> solara.component:
    """SolaraViz for one scenario, as a component of its own: choosing another scenario mounts
    another component, so Mesa's parameter state starts afresh from that scenario's values.
    (Mesa's Reset passes the parameters changed on the page; AppModel fills in the rest from
    the chosen scenario, and the run panel shows the settings in force.)"""

    @solara.component
    def ScenarioView() -> None:
        model = solara.use_memo(lambda: AppModel(scenario_name=name), dependencies=[])
        SolaraViz(
            model, components=COMPONENTS, model_params=model_params(name), name="kz-escalation-sim"
        )

    return ScenarioView


@solara.component
def Page() -> None:
    with solara.Sidebar(), solara.Card("Scenario"):
        solara.Select(
            label="Scenario",
            values=[n for n, _ in C.list_scenarios()],
            value=chosen_scenario.value,
            on_value=chosen_scenario.set,
        )
    scenario_view(chosen_scenario.value)()
