"""Invariants that must hold for every parameter set within the ranges of sim.model.params.PARAMS.

Hypothesis draws parameter sets uniformly within each parameter's range (integers as integers,
choices from their choices, nullable months sometimes null), either one set for a whole batch
or one per run (ParamSet.per_run), and runs small ensembles. The float64 state is checked month
by month through EscalationModel; the float32 tables are checked at the end.

Initial export shares that are each in range but together no possible split of exports are
refused by sim.model.params (tests at the end of this file); the random search draws consistent
ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import make_consistent
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from sim import EscalationModel, ParamSet
from sim.model.ladder import PARTNERS, TOP_RUNG
from sim.model.params import DRAW_RANGES, PARAMS, PARAMS_BY_PATH, Param, ParamError

RUNS = 8
MONTHS = 48
SHARES = ("cpc_share", "other_russian_share", "trans_caspian_share", "china_route_share")
UNIT_COLUMNS = (
    *SHARES,
    "alignment",
    "nationalism",
    "reform",
    "leader_support",
    "sanctions_enforcement",
    "economic_offer",
    "credibility",
    "war_stance",
    "trade_restriction",
    "halt",
    "credibility_china",
    "credibility_turkey",
    "credibility_eu",
)
NON_NEGATIVE_COLUMNS = (
    "oil_revenue",
    "defence",
    "corridor_cargo",
    "free_capacity",
    "gray_reexports",
    "leverage",
    "backing",
)
FINAL_COLUMNS = {
    "final_rung": "rung",
    "final_alignment": "alignment",
    "final_cpc_share": "cpc_share",
    "final_trans_caspian_share": "trans_caspian_share",
    "final_defence": "defence",
    "final_nationalism": "nationalism",
    "final_leverage": "leverage",
    "final_corridor_cargo": "corridor_cargo",
}
CPC, TC, CN = (f"kazakhstan.initial_{x}_share" for x in ("cpc", "trans_caspian", "china"))
#: Rounding allowed on bounds: with initial shares summing to exactly 1, the model's CPC fraction
#: of the Russian routes is 1 + 2e-16 and other_russian_share is -1e-16 (float64 rounding).
ROUNDING = 1e-12


def value_strategy(param: Param) -> st.SearchStrategy[Any]:
    """Values uniformly within a parameter's allowed set."""
    if param.choices:
        return st.sampled_from(param.choices)
    if param.integer:
        values = st.integers(int(param.low), int(param.high))
    else:
        values = st.floats(param.low, param.high, allow_nan=False, allow_infinity=False)
    return st.one_of(st.none(), values) if param.nullable else values


@st.composite
def param_rows(draw) -> dict[str, Any]:
    """One full parameter set whose initial export shares are consistent (see module doc)."""
    return make_consistent({p.path: draw(value_strategy(p)) for p in PARAMS})


@st.composite
def param_sets(draw) -> ParamSet:
    """Either one parameter set for all runs, or one per run."""
    if draw(st.booleans()):
        return ParamSet.uniform(draw(param_rows()), size=RUNS)
    return ParamSet.per_run(draw(st.lists(param_rows(), min_size=RUNS, max_size=RUNS)))


def check_state(model: EscalationModel) -> None:
    """Invariants of the float64 state after a month."""
    kz, russia = model.kazakhstan, model.russia
    shares = (kz.cpc_share, kz.other_russian_share, kz.trans_caspian_share, kz.china_share)
    for share in shares:
        assert np.all((share >= -ROUNDING) & (share <= 1.0 + ROUNDING))
    np.testing.assert_allclose(sum(shares), 1.0, rtol=0, atol=1e-9)
    unit = [
        kz.alignment,
        kz.nationalism,
        kz.reform,
        kz.leader_support,
        kz.sanctions_enforcement,
        model.economic_offer,
        russia.halt_cut,
        russia.restriction_cut,
        russia.seen_alignment,
        russia.credibility,
        kz.war_stance,
        *(russia.security_belief[a] for a in PARTNERS),
        *(russia.economic_belief[a] for a in PARTNERS),
    ]
    for value in unit:
        assert np.all(np.isfinite(value))
        assert np.all((value >= 0.0) & (value <= 1.0))
    assert np.all((russia.rung >= 0) & (russia.rung <= TOP_RUNG))
    for flow in model.trade.flows.values():
        assert np.all(flow >= 0.0)
    assert np.all(kz.oil_revenue >= 0.0)
    assert np.all(np.isfinite(russia.motivation) & np.isfinite(russia.war_surplus))


def run_checked(params: ParamSet, seeds: np.ndarray) -> EscalationModel:
    model = EscalationModel(params, seeds=seeds, months=MONTHS)
    while model.running and model.month < MONTHS:
        model.step()
        check_state(model)
    return model


def check_finite(table: pd.DataFrame) -> None:
    numeric = table.select_dtypes("number")
    values = numeric.to_numpy(dtype=float, na_value=0.0)
    assert np.all(np.isfinite(values)), numeric.columns[~np.isfinite(values).all(axis=0)]


def check_trajectories(traj: pd.DataFrame) -> None:
    check_finite(traj)
    for column in UNIT_COLUMNS:
        assert traj[column].between(-ROUNDING, 1.0 + ROUNDING).all(), column
    for column in NON_NEGATIVE_COLUMNS:
        assert (traj[column] >= 0).all(), column
    for column in [c for c in traj.columns if c.startswith("trade_")]:
        assert (traj[column] >= 0).all(), column
    np.testing.assert_allclose(traj[list(SHARES)].sum(axis=1), 1.0, rtol=0, atol=1e-5)
    assert traj["rung"].between(0, TOP_RUNG).all()


def check_rung_months(summary: pd.DataFrame) -> None:
    """month_rung_k is set exactly for k <= max_rung, and is non-decreasing in k."""
    assert summary["max_rung"].between(0, TOP_RUNG).all()
    previous = pd.Series(-1, index=summary.index)
    for k in range(1, TOP_RUNG + 1):
        month = summary[f"month_rung_{k}"]
        assert (month.notna() == (summary["max_rung"] >= k)).all(), k
        set_ = month.notna()
        assert (month[set_] >= previous[set_]).all(), k
        assert month[set_].between(0, MONTHS - 1).all()
        previous = month.fillna(-1)
    intervened = summary["intervention"].astype(str) != "none"
    assert (intervened == (summary["max_rung"] == TOP_RUNG)).all()
    assert (summary.loc[intervened, "final_rung"] == TOP_RUNG).all()


def check_summary_against_tables(summary, traj, events) -> None:
    """Summary counts and final values agree with the trajectories and the event log."""
    for column, actions in (
        ("pipeline_halts_russia", ["pipeline_halt"]),
        ("pipeline_halts_other", ["cpc_disruption"]),
        ("pipeline_halts", ["pipeline_halt", "cpc_disruption"]),
        ("trade_restrictions", ["trade_restriction"]),
        ("demands", ["russia_demand"]),
        ("refusals", ["kazakh_resist"]),
    ):
        counts = events[events["action"].isin(actions)].groupby("run_id").size()
        expected = counts.reindex(summary["run_id"], fill_value=0).to_numpy()
        assert np.array_equal(summary[column].to_numpy(), expected), column
    disruptions = events[events["action"].isin(["pipeline_halt", "cpc_disruption"])]
    assert disruptions["cause"].notna().all()
    assert (
        (disruptions["actor"].astype(str) == "Russia")
        .eq(disruptions["cause"].astype(str) == "coercion")
        .all()
    )
    last = traj[traj["month"] == MONTHS - 1].set_index("run_id").loc[summary["run_id"]]
    for final, column in FINAL_COLUMNS.items():
        assert np.array_equal(
            summary[final].to_numpy().astype(np.float32), last[column].to_numpy().astype(np.float32)
        ), final
    max_rung = traj.groupby("run_id")["rung"].max().loc[summary["run_id"]].to_numpy()
    assert np.array_equal(summary["max_rung"].to_numpy(), max_rung)
    assert events["month"].between(0, MONTHS - 1).all()
    assert events["run_id"].isin(summary["run_id"]).all()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(params=param_sets(), first_seed=st.integers(0, 2**40))
def test_invariants_hold_for_any_parameters(params, first_seed):
    """Shares, bounds, rung months, halt counts and final values are consistent for any draw."""
    note(f"parameters: {params.columns}")
    model = run_checked(params, np.arange(first_seed, first_seed + RUNS))
    result = model.results()
    check_finite(result.summary)
    check_trajectories(result.trajectories)
    check_rung_months(result.summary)
    check_summary_against_tables(result.summary, result.trajectories, result.events)


def shares_of(values: dict[str, Any]) -> tuple[np.ndarray, ...]:
    kz = EscalationModel(values, seeds=[0], months=1).kazakhstan
    return kz.cpc_share, kz.other_russian_share, kz.trans_caspian_share, kz.china_share


def test_default_initial_shares_reproduce_parameters():
    """With defaults, the initial route shares are the parameters and sum to 1."""
    cpc, other, tc, cn = shares_of({})
    assert cpc[0] == pytest.approx(0.8) and tc[0] == pytest.approx(0.005)
    assert cn[0] == pytest.approx(0.015) and other[0] == pytest.approx(0.18)


def test_initial_shares_summing_above_one_are_refused():
    """CPC 0.95, Trans-Caspian 0.2, China 0.2 are each in range but no possible split."""
    with pytest.raises(ParamError, match="initial_cpc_share"):
        shares_of({CPC: 0.95, TC: 0.2, CN: 0.2})


def test_initial_route_share_above_its_lowest_ceiling_is_refused():
    """A route that starts above the lowest ceiling of its capacity is no possible state."""
    with pytest.raises(ParamError, match="caspian_ceiling_low"):
        shares_of({CPC: 0.6, TC: 0.2, "kazakhstan.caspian_ceiling_low": 0.1})


def test_ceiling_range_running_backwards_is_refused():
    with pytest.raises(ParamError, match="china_ceiling_high"):
        shares_of({"kazakhstan.china_ceiling_low": 0.2, "kazakhstan.china_ceiling_high": 0.1})


@pytest.mark.parametrize(("low", "high"), DRAW_RANGES)
def test_drawn_range_running_backwards_is_refused_in_one_line(low, high):
    """Lead times and corridor capacity are drawn per run between low and high."""
    spec = PARAMS_BY_PATH[high]
    with pytest.raises(ParamError, match=f"model.{high} = .* at least") as caught:
        ParamSet.uniform({low: spec.default + 1, high: spec.default})
    assert "\n" not in str(caught.value)


def test_trade_flows_non_negative_under_a_full_halt():
    """A full halt of all CPC oil to the EU cannot make Kazakh-EU trade negative."""
    model = EscalationModel({"trade.oil_share_eu": 1.0}, seeds=[0], months=2)
    model.russia.halt_cut = np.ones(1)
    model.trade.update()
    assert model.trade.flows["kz_eu"][0] >= 0.0
