"""The model's calendar: month 0 of every run is March 2022.

Kept apart from `sim.model.escalation` so that reading and drawing results (reports, figures) can
date
months without importing Mesa, which only stepping the model needs.
"""

from __future__ import annotations

import pandas as pd

START_DATE = pd.Timestamp("2022-03-01")


def month_dates(months: int) -> pd.DatetimeIndex:
    """The first day of each simulated month, from March 2022."""
    return pd.date_range(START_DATE, periods=months, freq="MS")
