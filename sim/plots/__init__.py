"""Figures: one module per kind of results directory, sharing one style.

- `sim.plots.style`: palettes, axis labels, saving figures (PNG, PDF, SVG);
- `sim.plots.run`: a scenario run (`python -m sim run`);
- `sim.plots.sweep`: a sweep (`python -m sim sweep`);
- `sim.plots.compare`: several scenario runs side by side (`python -m sim compare`);
- `sim.plots.sensitivity`: Sobol, Morris and PRIM results of a sweep.

Every figure function returns a `matplotlib.figure.Figure` and draws nothing else; the
names are re-exported here so callers write `plots.rung_share_figure`.
"""

from __future__ import annotations

from sim.plots.compare import (
    COMPARISON_VARIABLES,
    comparison_cumulative_figure,
    comparison_fan_figure,
    comparison_shares_figure,
    forest_figure,
)
from sim.plots.run import (
    cumulative_escalation,
    cumulative_rung_figure,
    event_timeline_figure,
    fan_chart_figure,
    fan_quantiles,
    halt_distribution_figure,
    halts_per_year,
    representative_run,
    representative_runs,
    run_figure_set,
    run_figures,
    rung_share_figure,
    rung_shares,
    stack_rung_shares,
)
from sim.plots.sensitivity import (
    PANEL,
    discovery_figures,
    limits_figure,
    morris_figure,
    sensitivity_figures,
    sobol_figure,
    tradeoff_figure,
)
from sim.plots.style import (
    FORMATS,
    KAZAKHSTAN_VARIABLES,
    OKABE_ITO,
    PARTNER_VARIABLES,
    QUANTILES,
    RUNG_COLOURS,
    UNIT_WORDS,
    VARIABLE_SPECS,
    axis_label,
    date_axis,
    figure_png,
    save_figure,
    save_figures,
    tidy_panels,
)
from sim.plots.sweep import (
    ANALYSIS_TABLES,
    Sweep,
    factor_curve_figure,
    factor_curves,
    factor_label,
    heatmap_data,
    heatmap_figure,
    heatmap_matrix,
    is_grid,
    km_curves,
    km_figure,
    load_sweep,
    reached_by_month,
    sweep_figure_set,
    threshold_figure,
    threshold_rows,
)

__all__ = [
    "ANALYSIS_TABLES",
    "COMPARISON_VARIABLES",
    "FORMATS",
    "KAZAKHSTAN_VARIABLES",
    "OKABE_ITO",
    "PANEL",
    "PARTNER_VARIABLES",
    "QUANTILES",
    "RUNG_COLOURS",
    "Sweep",
    "UNIT_WORDS",
    "VARIABLE_SPECS",
    "axis_label",
    "tidy_panels",
    "comparison_cumulative_figure",
    "comparison_fan_figure",
    "comparison_shares_figure",
    "cumulative_escalation",
    "cumulative_rung_figure",
    "date_axis",
    "discovery_figures",
    "event_timeline_figure",
    "factor_curve_figure",
    "factor_curves",
    "factor_label",
    "fan_chart_figure",
    "fan_quantiles",
    "figure_png",
    "forest_figure",
    "halt_distribution_figure",
    "halts_per_year",
    "heatmap_data",
    "heatmap_figure",
    "heatmap_matrix",
    "is_grid",
    "km_curves",
    "km_figure",
    "limits_figure",
    "load_sweep",
    "morris_figure",
    "reached_by_month",
    "representative_run",
    "representative_runs",
    "run_figure_set",
    "run_figures",
    "rung_share_figure",
    "rung_shares",
    "save_figure",
    "save_figures",
    "sensitivity_figures",
    "sobol_figure",
    "stack_rung_shares",
    "sweep_figure_set",
    "threshold_figure",
    "threshold_rows",
    "tradeoff_figure",
]
