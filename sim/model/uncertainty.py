"""What we do not know: the parameters marked uncertain, each with a prior range and a reason.

The parameter table (``sim.model.params``) gives every parameter one default. Where that
default is a guess (``assumption``) or was tuned by hand to a 2022 fact (``calibration``),
the honest statement is a range. This table marks those parameters *uncertain* with the range
a calibration starts from (a uniform prior) and the reason for the range. A targets file that
says ``parameters: uncertain`` calibrates every parameter listed here, so a model change that
adds or drops an uncertain parameter changes the calibration with no other edit; and because
the model version hashes this table too (``sim.model.version``), the shipped posterior then
reads as stale until it is recalibrated (``make posterior``).

Which assumptions are listed was decided by a Morris screening of every remaining
``assumption`` constant (``experiments/screening_assumptions.yaml``; docs/calibration.md,
"Which constants are uncertain"): a constant whose elementary effect on P(rung >= k by T)
averages above ``SCREENING_THRESHOLD`` over its screening range is listed; the others keep their
defaults. Every range here is stated from knowledge available by October 2022.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.params import ASSUME, PARAMS, PARAMS_BY_PATH, Param

#: mu* (Morris, in probability) above which a screened assumption enters the prior.
SCREENING_THRESHOLD = 0.05


@dataclass(frozen=True)
class Uncertain:
    """A prior range [low, high] of one parameter and why it is that wide."""

    low: float
    high: float
    why: str


def screening_range(param: Param) -> tuple[float, float]:
    """The range an assumption is screened over: half to twice its default, inside its
    allowed range (a default of 0 spans the lowest quarter of the allowed range)."""
    default = float(param.default)
    if default == 0.0:
        low, high = param.low, param.low + 0.25 * (param.high - param.low)
    else:
        low, high = sorted((default * 0.5, default * 2.0))
        low, high = max(low, param.low), min(high, param.high)
    if param.integer:
        low, high = float(round(low)), float(round(high))
    return float(low), float(high)


#: Export shares and route ceilings are bound together (``params.check_export_shares``): varied
#: one at a time they leave the allowed set, so they are not screened; they are 2021-22 route
#: facts more than assumptions.
JOINTLY_BOUND = frozenset(
    f"kazakhstan.{name}"
    for name in (
        "initial_china_share",
        "caspian_ceiling_low",
        "caspian_ceiling_high",
        "china_ceiling_low",
        "china_ceiling_high",
    )
)


def screened_assumptions() -> list[Param]:
    """The numeric assumptions a screening covers (switches, choices, null months and the
    jointly bound export shares left out)."""
    return [
        p
        for p in PARAMS
        if p.source == ASSUME
        and p.path not in JOINTLY_BOUND
        and not p.choices
        and p.default is not None
        and screening_range(p)[0] < screening_range(p)[1]
    ]


_HALF_TO_DOUBLE = "an assumption with no direct 2022 anchor; half to twice the default"


def _screened(low: float, high: float, mu_star: float, outcome: str) -> Uncertain:
    """An assumption the screening kept: its range is the screening range."""
    return Uncertain(low, high, f"screening mu* {mu_star:.2f} on {outcome}; {_HALF_TO_DOUBLE}")


_TUNED = "hand-tuned to a 2022 fact (the targets file now carries that fact); "

# fmt: off
UNCERTAIN: dict[str, Uncertain] = {
    # --- hand-tuned to a 2022 fact: the calibration replaces the tuning ----------------------
    "russia.war_value": Uncertain(0.3, 4.0, _TUNED + "rung 2 in 2022 bounds it only loosely"),
    "russia.credibility_horizon": Uncertain(3.0, 36.0, _TUNED + "from a quarter to three years "
                                            "of future demands"),
    "kazakhstan.defence_response": Uncertain(0.5, 4.0, _TUNED + "about 1.5-fold defence "
                                             "spending in 2022 (seed, Oct 28, 2022)"),
    "kazakhstan.defence_adjust": Uncertain(0.02, 0.5, _TUNED + "budget cycles: a gap closed "
                                           "in two months to four years"),
    "trade.gray_reexport": Uncertain(0.0, 0.3, _TUNED + "EAEU trade +5% Jan-Aug 2022 (seed)"),
    "trade.corridor_diversion": Uncertain(2.0, 20.0, _TUNED + "2022 corridor cargo six times "
                                          "2021's (seed)"),
    "trade.corridor_adjust": Uncertain(0.05, 0.8, _TUNED + "how fast cargo moved to the corridor"),
    # --- decisive constants named by the first calibration review (issue 22) -----------------
    "russia.cpc_cost": Uncertain(0.0, 0.3, "Newnham 2011 gives the channel, not the size: "
                                 "transit fees and Russia's own crude in the CPC"),
    "russia.posture_cost": Uncertain(0.1, 1.0, "an assumption: the monthly cost of posturing "
                                     "is not observed; a third to three times the default"),
    "russia.threat_cost": Uncertain(0.05, 0.6, "Fearon 1994 gives the sign, not the size"),
    "russia.war_cost": Uncertain(0.1, 1.0, "Fearon 1995 gives the sign, not the size"),
    "russia.audience_cost": Uncertain(0.05, 1.0, "Fearon 1994 gives the sign, not the size"),
    "forces.defender_advantage": Uncertain(
        1.3, 3.5, "Mearsheimer 1989's 3:1 rule against Dupuy's 1.3-1.6: the force ratio a "
        "defender on its own ground needs is contested"
    ),
    "forces.decisiveness": Uncertain(
        0.8, 2.5, "Hirshleifer 1989: between Lanchester's linear and square laws; which holds "
        "for a war in Kazakhstan is not known"
    ),
    "russia.base_resolve": Uncertain(0.5, 2.0, "the seed says losing Kazakhstan would be "
                                     "'catastrophic' for Moscow but gives no scale"),
    "russia.window_weight": Uncertain(2.0, 12.0, "Powell 2006 gives the mechanism, not the size"),
    "russia.initial_credibility": Uncertain(0.2, 0.8, "Kazakhstan's belief in Russian threats "
                                            "in March 2022 is not observed"),
    "kazakhstan.sovereignty_cost": Uncertain(0.3, 3.0, "the seed names the domestic cost of "
                                             "looking subservient, not its size"),
    "kazakhstan.war_stance_cost": Uncertain(0.1, 2.0, "the seed names the cost of endorsing "
                                            "the war, not its size"),
    "kazakhstan.multivector": Uncertain(0.05, 0.6, "the multi-vector policy (seed) has no "
                                        "measured weight; one ablation flips a policy claim"),
    "kazakhstan.protection": Uncertain(0.2, 0.9, "Crawford 2003 gives the mechanism; how much "
                                       "of the damage partners offset is not measured"),
    "china.security_capability": Uncertain(0.2, 3.0, "Crawford 2003: the cost China could "
                                           "impose on Russia is not measured"),
    "turkey.security_capability": Uncertain(0.1, 1.5, "Crawford 2003: the cost Turkey could "
                                            "impose on Russia is not measured"),
    "eu.security_capability": Uncertain(0.1, 1.5, "Crawford 2003: the cost the EU could impose "
                                        "(new sanctions) is not measured"),
    "china.reliability": Uncertain(0.3, 0.9, "no record of Chinese security pledges to "
                                   "Kazakhstan being tested by October 2022"),
    "turkey.reliability": Uncertain(0.4, 0.95, "one delivered agreement (ANKA, May 2022) is "
                                    "all the record there is"),
    # --- assumptions the Morris screening found to matter (mu* - its 95% conf > 0.05) -------
    "kazakhstan.comply_noise": _screened(0.15, 0.6, 0.55, "P(4+ by 120)"),
    "russia.review_rate": _screened(0.175, 0.7, 0.29, "P(3+ by 36)"),
    "russia.sanctions_value": _screened(0.3, 1.2, 0.13, "P(3+ by 120)"),
    "kazakhstan.initial_nationalism": _screened(0.15, 0.6, 0.14, "P(3+ by 36)"),
    "russia.economic_cost": _screened(0.015, 0.06, 0.12, "P(3+ by 120)"),
    "partners.support_decay": _screened(0.015, 0.06, 0.10, "P(3+ by 120)"),
    "kazakhstan.pressure_to_nationalism": _screened(0.15, 0.6, 0.09, "P(3+ by 120)"),
    # --- assumptions the Morris screening on model v3 found to matter (same rule, v3's
    # constants; docs/calibration.md, "Which constants are uncertain") -----------------------
    "russia.trend_memory": _screened(0.05, 0.2, 0.26, "P(3+ by 36)"),
    "russia.need_step": _screened(0.125, 0.5, 0.10, "P(4+ by 120)"),
    "russia.war_rate": _screened(0.05, 0.2, 0.12, "P(5 by 120)"),
    "russia.observation_noise": _screened(0.015, 0.06, 0.08, "P(3+ by 36)"),
    "kazakhstan.sanctions_adjust": _screened(0.025, 0.1, 0.13, "P(3+ by 36)"),
    "kazakhstan.exit_width": _screened(0.025, 0.1, 0.10, "P(4+ by 120)"),
    "kazakhstan.alignment_volatility": _screened(0.003, 0.012, 0.10, "P(3+ by 36)"),
    "trade.alignment_elasticity": _screened(0.5, 2.0, 0.11, "P(4+ by 120)"),
    # the second screening of the nine borderline v3 constants (24 trajectories, 100
    # replicates): two passed the rule once their noise was resolved
    "kazakhstan.enforcement_step": _screened(0.005, 0.02, 0.46, "P(4+ by 120)"),
    "russia.project_memory": Uncertain(0.96, 0.99, "screening mu* 0.26 on P(4+ by 120); a "
                                       "monthly retention, so half to twice the default's "
                                       "half-life (34 months: 17-69), not of the rate, whose "
                                       "lower half would forget a joint project within months"),
    # 2021 observations the screening found to matter: pre-2022 history sets their range
    "trade.kz_ru": Uncertain(1.7, 2.4, "screening mu* 0.19 on P(3+ by 120); Kazakh-Russian trade "
                             "was about $24-25 bn in 2021 (Kazakh customs statistics, early "
                             "2022); the range allows for how re-exports and services count"),
    "trade.kz_eu": Uncertain(2.2, 3.6, "screening mu* 0.11 on P(3+ by 120); Kazakh-EU trade was "
                             "about $27-40 bn a year in 2019-2021 (Eurostat, Kazakh customs "
                             "statistics), oil prices moving it most"),
    # --- model v3's decision side: the uncertain constants that decide the 2022 record ---------
    "russia.restriction_cost": Uncertain(
        0.0, 5.0, _TUNED + "Farrell & Newman 2019 give the channel, not the size; the table's range"
    ),
    "russia.exposure_cost": Uncertain(
        0.0, 2.0, "Carson 2018: the cost of coercing an ally in the open is not measured; the "
        "table's range"
    ),
    "russia.effect_prior": Uncertain(
        0.01, 0.99, "Drezner 1999: Moscow's prior that coercion works is not observed; the "
        "table's range"
    ),
    "russia.choice_precision": Uncertain(
        10.0, 100.0, "quantal-response precision around v2's logistic noise of 0.03 (33); below "
        "10 choices are near random, above 100 near the best reply"
    ),
    "kazakhstan.assurance_prior": Uncertain(
        0.01, 0.99, "Sechser 2011: Astana's belief that complying ends the pressure is not "
        "observed; the table's range"
    ),
    # --- how the event file observes the model ---------------------------------------------
    "eventfile.refusals_recorded": Uncertain(
        0.1, 1.0, "no source before October 2022 says how many answers to Moscow's demands "
        "became reported acts: the demands of 2022 were mostly implicit, answers to them mostly "
        "quiet, and the event file is dated from one analysis (seed, Oct 28, 2022) that names "
        "the salient acts; from a tenth to all of them"
    ),
    # --- the war's course: nothing by October 2022 says how it ends --------------------------
    "war.p_favorable": Uncertain(0.1, 0.5, "how the war ends was unknown in October 2022"),
    "war.p_unfavorable": Uncertain(0.05, 0.4, "how the war ends was unknown in October 2022"),
    "war.resolve_favorable": Uncertain(0.1, 0.7, "the seed's main risk is an emboldened Russia "
                                       "after a win; it gives no size"),
    # --- what model v3 itself marks uncertain (its parameter table's prior, with its source)
    # and the v3 screening found to matter (mu* 0.10 and 0.21 on P(4+ by 120)) ----------------
    "war.p_frozen": Uncertain(0.15, 0.45, "how the war ends was unknown in October 2022; "
                              "model v3's range; screening on v3: mu* 0.10 on P(4+ by 120)"),
    "war.free_capacity_frozen": Uncertain(0.3, 0.6, "the forces a frozen line would still tie "
                                          "down were not public; model v3's range; screening "
                                          "on v3: mu* 0.21 on P(4+ by 120)"),
    # --- what model v3 marks uncertain and the calibration had left at its default -----------
    "war.duration_median": Uncertain(3.0, 12.0, "COW interstate wars 1816-2007 (v4.0): median "
                                     "139 days; model v3's range for a war already in its "
                                     "eighth month"),
    "war.duration_shape": Uncertain(1.0, 2.0, "Slantchev 2004: a hazard of ending that falls "
                                    "with duration; model v3's range around the COW mean"),
    "war.initiator_decline": Uncertain(0.0, 1.0, "Slantchev 2004 gives the sign (initiators do "
                                       "worse the longer the war), not the size"),
    "war.free_capacity_favorable": Uncertain(0.5, 0.9, "what Russia reconstitutes after a win "
                                             "was not known in 2022; model v3's range"),
    "war.free_capacity_unfavorable": Uncertain(0.2, 0.5, "losses and depleted stocks after a "
                                               "defeat were not known in 2022; model v3's range"),
    "war.reconstitution_months": Uncertain(12.0, 48.0, "how fast forces reconstitute after a "
                                           "war was not known in 2022; model v3's range"),
    "russia.war_window_weight": Uncertain(1.0, 4.0, "Powell 2006 gives the mechanism, not the "
                                          "size; model v3's range"),
    "trade.kz_cn": Uncertain(1.5, 2.1, "Kazakh-Chinese trade in 2021: about $18 bn in the "
                             "Kazakh statistics, $25 bn in the Chinese (mirror statistics differ)"),
    "trade.corridor_volatility": Uncertain(0.05, 0.3, "TITR cargo 2017-2021 through Kuryk ran "
                                           "unevenly (0.9 Mt in nine months of 2017, about "
                                           "1.3-1.5 Mt a year later); model v3's range"),
    "war.free_capacity_during": Uncertain(0.1, 0.35, "how much of Russia's ground force the "
                                          "war left free was not public"),
}
# fmt: on


def check_table() -> None:
    """Every entry names a numeric parameter and lies inside its allowed range (else raise)."""
    for path, entry in UNCERTAIN.items():
        param = PARAMS_BY_PATH.get(path)
        if param is None or param.choices:
            raise ValueError(f"uncertainty table: {path!r} is not a numeric model parameter")
        if not param.low <= entry.low < entry.high <= param.high:
            raise ValueError(
                f"uncertainty table: {path} prior [{entry.low:g}, {entry.high:g}] is not "
                f"within the allowed range [{param.low:g}, {param.high:g}]"
            )
        if not entry.why.strip():
            raise ValueError(f"uncertainty table: {path} has no reason for its range")
