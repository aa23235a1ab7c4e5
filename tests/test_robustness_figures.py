"""Figures: names from users are drawn as text, never parsed as mathtext (D28), and two factors
with the same last name get figures and labels of their own (new-user report, defect 5).
"""

from __future__ import annotations

from matplotlib.figure import Figure


def test_dollar_signs_in_a_title_are_drawn_as_text() -> None:
    from sim.plots import figure_png

    fig = Figure()
    fig.add_subplot().set_title(r"Sweep risk$\frac{1}{$ (baseline, 10 runs)")
    assert figure_png(fig)[:4] == b"\x89PNG"


def test_factors_sharing_a_last_name_keep_their_own_names() -> None:
    import types

    import pandas as pd

    from sim.plots.sweep import file_part, short_name

    columns = ["design_point", "scenario", "turkey.reliability", "china.reliability"]
    sweep = types.SimpleNamespace(design=pd.DataFrame(columns=[*columns, "kazakhstan.drift_pace"]))
    names = [short_name(f, sweep) for f in columns[2:]]
    assert names == ["turkey.reliability", "china.reliability"]
    assert [file_part(n) for n in names] == ["turkey_reliability", "china_reliability"]
    assert short_name("kazakhstan.drift_pace", sweep) == "drift_pace"
