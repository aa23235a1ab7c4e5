"""The interactive app: choose a scenario, move a few parameters, step or play, watch it unfold.

Run it with ``python -m sim app`` or ``solara run sim.app`` (needs the ``viz`` extra). The page
holds one ensemble of R runs (default 1,000), stepped at once as the model always is, and shows:

* the share of runs at each rung of the escalation ladder, month by month;
* P(rung >= k by month): the share of runs that have reached rung k so far;
* the event feed of one run (the last events, newest first).

Both charts come from the model's own `mesa.DataCollector` (``collect=True``, ensemble
reporters, see sim/model/mesa_api.py). The sliders are data, ``CONTROLS`` below: a parameter path
and, if the parameter's own range is too wide for a slider, the range to offer. Choosing a
scenario resets the controls to that scenario's values; changing a control restarts the
ensemble at month 0 with the same seeds, so two settings are compared on common random numbers.
"""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from sim import config as C
from sim.model.escalation import EscalationModel, month_dates
from sim.model.event_log import events_frame
from sim.model.ladder import TOP_RUNG
from sim.model.params import PARAMS_BY_PATH
from sim.model.rng import derive_seeds

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
PLAY_PAUSE_SECONDS = 0.15  # between months while playing: time to send the page its update
FEED_LENGTH = 12
RUNG_COLOURS = ("#d9d9d9", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026", "#67000d")


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


class Ensemble:
    """One ensemble on the page: the model, and a lock so drawing never sees half a step."""

    def __init__(self, values: dict[str, Any], runs: int, months: int, seed: int = SEED) -> None:
        self.lock = threading.Lock()
        self.model = EscalationModel(
            values,
            seeds=derive_seeds(seed, np.arange(runs)),
            months=months,
            trajectories=False,
            collect=True,
        )

    def step(self) -> bool:
        """Advance one month; False once the horizon is reached."""
        with self.lock:
            self.model.step()
            return self.model.running

    def collected(self) -> pd.DataFrame:
        """The DataCollector's table, one row per month so far (month 0 = the start)."""
        with self.lock:
            return self.model.datacollector.get_model_vars_dataframe().copy()

    def feed(self, run: int, length: int = FEED_LENGTH) -> pd.DataFrame:
        """The last `length` events of one run, newest first."""
        with self.lock:
            columns = self.model.events.columns()
            months = self.model.months
        mine = columns["run"] == run
        events = events_frame(
            {k: v[mine] for k, v in columns.items()}, np.arange(mine.size), month_dates(months)
        )
        table = events[["month", "date", "actor", "action", "target", "rung"]].tail(length)
        table = table.assign(date=table["date"].dt.strftime("%b %Y"))
        return table.iloc[::-1].reset_index(drop=True)


def _figure() -> tuple[Figure, Any]:
    """A small figure with room for the legend on the right (fixed margins: a layout engine
    would double the drawing time, which is what limits how fast the page can play)."""
    figure = Figure(figsize=(6.0, 3.0), dpi=80)
    figure.subplots_adjust(left=0.1, right=0.8, bottom=0.16, top=0.9)
    return figure, figure.subplots()


def rung_share_figure(frame: pd.DataFrame, months: int) -> Figure:
    """Stacked shares of runs at each rung, by month."""
    figure, axes = _figure()
    shares = [frame[f"share_at_rung_{k}"].to_numpy() for k in range(TOP_RUNG + 1)]
    axes.stackplot(
        frame["month"], shares, colors=RUNG_COLOURS, labels=[f"rung {k}" for k in range(6)]
    )
    axes.set(xlim=(0, months), ylim=(0, 1), xlabel="month", ylabel="share of runs")
    axes.set_title("Share of runs at each rung", loc="left", fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)
    return figure


def reached_figure(frame: pd.DataFrame, months: int) -> Figure:
    """P(rung >= k by month) for k = 1..5."""
    figure, axes = _figure()
    for k in range(1, TOP_RUNG + 1):
        axes.plot(
            frame["month"],
            frame[f"share_reached_rung_{k}"],
            color=RUNG_COLOURS[k],
            label=f"rung >= {k}",
            lw=2,
        )
    axes.set(xlim=(0, months), ylim=(0, 1), xlabel="month", ylabel="probability")
    axes.set_title("P(rung >= k by month)", loc="left", fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)
    return figure


# --- the page ---------------------------------------------------------------------------------
scenario = solara.reactive(DEFAULT_SCENARIO)
overrides: solara.Reactive[dict[str, Any]] = solara.reactive({})
runs = solara.reactive(DEFAULT_RUNS)
feed_run = solara.reactive(0)
playing = solara.reactive(False)
generation = solara.reactive(0)  # bumped by Reset: a new ensemble with the same settings
tick = solara.reactive(0)  # bumped after each step, so the page redraws


def choose_scenario(name: str) -> None:
    playing.value = False
    overrides.value = {}
    scenario.value = name


def set_control(path: str, value: Any) -> None:
    playing.value = False
    overrides.value = {**overrides.value, path: value}


def slider_step(low: float, high: float) -> float:
    """A round step of about a hundredth of the range, so round defaults lie on the grid."""
    return 10.0 ** math.floor(math.log10((high - low) / 100))


@solara.component
def ControlInput(control: Control, value: Any) -> None:
    """A menu for a choice parameter, a slider under a `path = value unit` line for a number."""
    spec = PARAMS_BY_PATH[control.path]

    def on_value(new: Any) -> None:
        set_control(control.path, new)

    if spec.choices:
        solara.Select(label=control.path, values=list(spec.choices), value=value, on_value=on_value)
        return
    low, high = slider_range(control)
    solara.Text(f"{control.path} = {value:.4g} {spec.unit}", style={"font-size": "0.85em"})
    if spec.integer:
        solara.SliderInt("", value=int(value), min=int(low), max=int(high), on_value=on_value)
    else:
        step = slider_step(low, high)
        solara.SliderFloat("", value=float(value), min=low, max=high, step=step, on_value=on_value)


@solara.component
def Page() -> None:
    base, months = scenario_settings(scenario.value)
    values = {**base, **overrides.value}
    ensemble = solara.use_memo(
        lambda: Ensemble(values, runs.value, months),
        dependencies=[
            scenario.value,
            tuple(sorted(overrides.value.items())),
            runs.value,
            generation.value,
        ],
    )

    async def play() -> None:
        """Step while playing, on the server's event loop: each month is drawn before the next.

        The sleep hands the loop back, so the page's update is sent and a click on Pause is
        seen between two months (a month is never cut in half).
        """
        while playing.value and ensemble.step():
            tick.value += 1
            await asyncio.sleep(PLAY_PAUSE_SECONDS)
        tick.value += 1
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value, ensemble])

    def step_once() -> None:
        playing.value = False
        ensemble.step()
        tick.value += 1

    def reset() -> None:
        playing.value = False
        generation.value += 1

    frame = solara.use_memo(ensemble.collected, dependencies=[ensemble, tick.value])
    month = ensemble.model.month
    solara.Title("kz-escalation-sim")
    with solara.Sidebar():
        solara.HTML("h3", "Scenario and parameters")
        solara.Select(
            label="Scenario",
            values=[name for name, _ in C.list_scenarios()],
            value=scenario.value,
            on_value=choose_scenario,
        )
        for control in CONTROLS:
            ControlInput(control, values[control.path])
        solara.Text(f"runs in the ensemble = {runs.value:,}", style={"font-size": "0.85em"})
        solara.SliderInt("", value=runs, min=1, max=MAX_RUNS, step=1)
    with solara.Column():
        with solara.Row():
            solara.Button("Step", on_click=step_once, disabled=not ensemble.model.running)
            solara.Button(
                "Pause" if playing.value else "Play",
                on_click=lambda: playing.set(not playing.value),
                disabled=not ensemble.model.running,
            )
            solara.Button("Reset", on_click=reset)
            solara.Text(
                f"Month {month} of {months} ({month_dates(months + 1)[month]:%b %Y}), "
                f"{runs.value:,} runs, scenario {scenario.value}",
                classes=["sim-status"],
            )
        with solara.Row():
            solara.FigureMatplotlib(
                rung_share_figure(frame, months), dependencies=[frame], format="png"
            )
            solara.FigureMatplotlib(
                reached_figure(frame, months), dependencies=[frame], format="png"
            )
        solara.HTML("h3", "Events of one run")
        solara.InputInt("Run shown", value=feed_run)
        run = min(max(feed_run.value, 0), runs.value - 1)
        feed = ensemble.feed(run)
        if feed.empty:
            solara.Text(f"No events in run {run} yet.")
        else:
            solara.DataFrame(feed, items_per_page=FEED_LENGTH)
