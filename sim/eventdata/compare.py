"""Hold observed monthly event aggregates against the model's distribution of the same aggregates.

For each dyad, measure (see `sim.eventdata.readers.MEASURES`) and month the model gives R values,
one per
run; the observed series gives one. Four things are computed from them:

- the model's median and its central 50% and 90% bands (quantiles 0.05, 0.25, 0.75, 0.95);
- whether the observed value lies inside each band (coverage: a well-calibrated model has
  about 90% of observed months inside its 90% band);
- the probability integral transform (PIT). Counts have ties, so the PIT of an observation y
  is the interval [F(y-), F(y)] = [P(X < y), P(X <= y)] under the ensemble X, and the PIT
  histogram is the non-randomised one of Czado, Gneiting and Held (2009, Biometrics 65:1254):
  each observation spreads its unit mass uniformly over its interval. A flat histogram means
  the observations look like draws from the model; a U shape means the model is too narrow, a
  hump too wide, mass piled at one end that it is biased. Its mean (the mid-PIT,
  (F(y-) + F(y)) / 2, averaged) is 0.5 without bias, below 0.5 when the observations sit low;
- the continuous ranked probability score (CRPS) of the ensemble, E|X - y| - E|X - X'| / 2
  (Gneiting and Raftery 2007), in the measure's own unit: 0 for a perfect point forecast,
  lower is better; computed by the `scoringrules` library.

The scores come from `sim.analysis.scores`, which `sim score` uses too: one implementation each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.scores import bands, coverage, crps, pit_histogram, pit_interval
from sim.eventdata.readers import BASIC_MEASURES, ROOT_MEASURES

MEASURE_LABELS: dict[str, str] = {
    "events": "all events",
    "quad_1": "verbal cooperation (CAMEO 01-05)",
    "quad_2": "material cooperation (06-08)",
    "quad_3": "verbal conflict (09-13)",
    "quad_4": "material conflict (14-20)",
    "goldstein": "sum of Goldstein weights",
    **{m: f"CAMEO root {m[-2:]}" for m in ROOT_MEASURES},
}


def _matrix(table: pd.DataFrame, dyad: str, measure: str, months: Sequence[int]) -> np.ndarray:
    """(runs, months) values of one dyad and measure from a model aggregate table."""
    part = table[table["dyad"] == dyad]
    wide = part.pivot(index="run_id", columns="month", values=measure)
    return wide.reindex(columns=list(months)).to_numpy(dtype=float)


def compared_measures(model: pd.DataFrame, observed: pd.DataFrame, dyad: str) -> list[str]:
    """The basic measures, and the CAMEO roots that either side has for the dyad."""
    roots = [
        m
        for m in ROOT_MEASURES
        if model.loc[model["dyad"] == dyad, m].any()
        or observed.loc[observed["dyad"] == dyad, m].any()
    ]
    return [*BASIC_MEASURES, *roots]


def monthly_bands(
    model: pd.DataFrame, observed: pd.DataFrame, dyads: Sequence[str]
) -> pd.DataFrame:
    """Per dyad, measure and month: the observed value, the model's quantiles, coverage,
    PIT interval and CRPS.

    Args:
        model: `sim.eventdata.readers.monthly_aggregates` of the run's events (with run_id).
        observed: `monthly_aggregates` of the observed events, same months and dyads.
        dyads: the dyads to compare.
    """
    months = sorted(observed["month"].unique())
    dates = observed.drop_duplicates("month").set_index("month")["date"]
    rows = []
    for dyad in dyads:
        seen = observed[observed["dyad"] == dyad].set_index("month")
        for measure in compared_measures(model, observed, dyad):
            ensemble = _matrix(model, dyad, measure, months)
            y = seen.loc[months, measure].to_numpy(dtype=float)
            q05, q25, q50, q75, q95 = bands(ensemble)
            inside_50, inside_90 = coverage(ensemble, y)
            low, high = pit_interval(ensemble, y)
            rows.append(
                pd.DataFrame(
                    {
                        "dyad": dyad,
                        "measure": measure,
                        "month": months,
                        "date": dates.loc[months].to_numpy(),
                        "observed": y,
                        "q05": q05,
                        "q25": q25,
                        "median": q50,
                        "q75": q75,
                        "q95": q95,
                        "inside_50": inside_50,
                        "inside_90": inside_90,
                        "pit_low": low,
                        "pit_high": high,
                        "crps": crps(ensemble, y),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def coverage_table(bands: pd.DataFrame, model: pd.DataFrame) -> pd.DataFrame:
    """Per dyad and measure: months compared, observed and model totals, the share of observed
    months inside the model's 50% and 90% bands, the mean mid-PIT and the mean CRPS."""
    totals = model.groupby(["dyad", "run_id"], observed=True).sum(numeric_only=True)
    rows = []
    for (dyad, measure), part in bands.groupby(["dyad", "measure"], sort=False):
        runs = totals.loc[dyad, measure]
        rows.append(
            {
                "dyad": dyad,
                "measure": measure,
                "what": MEASURE_LABELS[measure],
                "months": len(part),
                "observed_total": part["observed"].sum(),
                "model_median_total": float(np.median(runs)),
                "model_90_total_low": float(np.quantile(runs, 0.05)),
                "model_90_total_high": float(np.quantile(runs, 0.95)),
                "inside_50": part["inside_50"].mean(),
                "inside_90": part["inside_90"].mean(),
                "pit_mean": ((part["pit_low"] + part["pit_high"]) / 2).mean(),
                "crps_mean": part["crps"].mean(),
            }
        )
    return pd.DataFrame(rows)


def pit_histograms(bands: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """The PIT histogram of each dyad, pooling its months and basic measures."""
    rows = []
    basic = bands[bands["measure"].isin(BASIC_MEASURES)]
    for dyad, part in basic.groupby("dyad", sort=False):
        density = pit_histogram(part["pit_low"], part["pit_high"], bins)
        for j, value in enumerate(density):
            rows.append(
                {"dyad": dyad, "bin_low": j / bins, "bin_high": (j + 1) / bins, "density": value}
            )
    return pd.DataFrame(rows)
