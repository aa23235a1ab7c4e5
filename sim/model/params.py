"""Every model parameter, with its unit, range, default and source, in one table.

This table is the single source of truth: the model reads its parameters through it, the
Hydra schema and the input checks are built from it, and ``docs/ODD.md`` must list every entry
(a test checks that). A parameter's value may be a scalar (the same for every run of a batch) or
an array of shape (R,) (one value per run), so one ensemble can hold many parameter sets.

Sources are cited by short key; ``docs/ODD.md`` gives the full references:
``seed`` is the source analysis "The Risks of Kazakhstan's Slow Drift From Russia" (Oct 28, 2022);
``Fearon 1995``, ``Powell 2006``, ``Axelrod 1995``, ``Drezner 1998`` are the theory papers;
``calibration`` marks a value set so the 2022 baseline reproduces a fact named in the ODD;
``assumption`` marks a modelling choice with no direct empirical anchor.

Independently of its source, a parameter whose value the evidence leaves open is *uncertain*:
it carries a ``prior``, the range that evidence allows, which is what calibration infers it
within. A parameter without one is either sourced (a number taken from a named source) or a
choice that moves no outcome much. ``docs/ODD.md`` marks the uncertain ones in its table.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

NEVER = math.inf  # internal value of a month parameter set to null ("never")


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Attributes:
        path: "group.name", e.g. "russia.demand_alignment"; the config key is "model.<path>".
        default: the baseline value (a string for a choice, None for a month that never comes).
        low, high: the allowed closed range (None for choices).
        unit: the unit, or "1" for a dimensionless number.
        source: where the default comes from (see the module docstring).
        doc: what the parameter means, in one sentence.
        choices: the allowed values of a categorical parameter.
        integer: whether the value must be a whole number.
        nullable: whether null ("never") is allowed (month parameters).
        prior: for an *uncertain* parameter, the range of values its evidence leaves open (the
            calibration prior); None for a value that is sourced, or a choice nobody need infer.
    """

    path: str
    default: float | str | None
    low: float | None
    high: float | None
    unit: str
    source: str
    doc: str
    choices: tuple[str, ...] = ()
    integer: bool = False
    nullable: bool = False
    prior: tuple[float, float] | None = None

    @property
    def uncertain(self) -> bool:
        """Whether the evidence leaves the value open: then ``prior`` is the range it allows."""
        return self.prior is not None

    @property
    def group(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.path.split(".", 1)[1]

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.integer else "a number"
        text = f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"
        return text + " or null (never)" if self.nullable else text

    def encode(self, value: Any) -> float:
        """Check one value and return it as the float the model uses (raises ParamError)."""
        if self.choices:
            if value not in self.choices:
                raise ParamError(self.path, value, self.allowed())
            return float(self.choices.index(value))
        if value is None:
            if self.nullable:
                return NEVER
            raise ParamError(self.path, value, self.allowed())
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ParamError(self.path, value, self.allowed())
        number = float(value)
        if not math.isfinite(number) or not (self.low <= number <= self.high):
            raise ParamError(self.path, value, self.allowed())
        if self.integer and number != round(number):
            raise ParamError(self.path, value, self.allowed())
        return number


class ParamError(ValueError):
    """A parameter value that is not allowed; the message names key, value and what is allowed."""

    def __init__(self, path: str, value: Any, allowed: str) -> None:
        self.path, self.value, self.allowed = path, value, allowed
        super().__init__(f"model.{path} = {value!r} is not allowed: expected {allowed}")


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


SEED = "seed"
ASSUME = "assumption"
CALIB = "calibration"
WAR_OUTCOMES = ("ongoing", "favorable", "unfavorable", "frozen", "uncertain")
WAR_TIMINGS = ("duration_prior", "window")
P = Param

#: The switchable mechanisms: name -> what turning it off removes (docs/mechanisms.md).
MECHANISMS: dict[str, str] = {
    "instrument_costs": "Russia weighs each instrument's own cost (off: every instrument is free).",
    "credibility": "Punishing refusals earns credibility and unpunished refusals spend it "
    "(off: credibility stays at its initial level).",
    "audience_costs": "Backing down from a refused public threat costs Moscow (off: no cost).",
    "deterrence": "Moscow expects partners to act against force and coercion, from what they "
    "have delivered (off: it expects nothing).",
    "partner_offers": "Kazakhstan counts partners' credible offers when it answers a demand and "
    "when it hedges (off: it ignores them).",
    "closing_window": "Projected loss of leverage adds value to acting now (off: no window).",
    "diversification": "Halts speed Kazakh orders of export capacity (off: only the base pace).",
    "capacity_limits": "Export routes and the corridor grow only within capacity that existed or "
    "was contracted by October 2022 (off: no ceilings on oil routes or corridor cargo).",
    "hedging": "Alignment follows a hedging target that trade, joint projects, nationalism and "
    "coercion move both ways (off: alignment only takes shocks, demands and unrest).",
    "domestic": "Reforms and pressure feed nationalism (off: nationalism stays at its 2022 level).",
    "tied_forces": "Forces tied down in Ukraine raise the cost and lower the odds of military "
    "options (off: Russia counts all its forces as free).",
    "other_disruptions": "Storms, maintenance and third parties stop the CPC too (off: only "
    "coercion does).",
    "unrest": "Mass unrest can break out and push Kazakhstan's course away from Moscow (off: "
    "never).",
    "episodes": "Demands open on a trigger and close on compliance, a drop or a moot gap, "
    "with a deadline and an assurance (off: Moscow renews its demand every month and "
    "compliance ends nothing).",
    "quantal_choice": "Moscow picks among doing nothing, a disruption, a restriction and an "
    "inducement by a quantal response over their expected net values (off: the best reply, "
    "an argmax).",
    "learning": "Moscow learns each instrument's effect and Astana's resolve from the answers "
    "it sees (Beta-Bernoulli), and Astana learns whether compliance ends the pressure "
    "(off: both keep their priors).",
    "deeds": "Astana can accommodate quietly in deed (tolerate re-exports, not enforce "
    "sanctions) while refusing in word, and Moscow credits deeds by the demand's content "
    "(off: Astana only complies or refuses).",
    "costly_signals": "Moscow judges partners by costly acts: open pledges carry no engagement, "
    "each delivery moves its beliefs in proportion to its cost, broken pledges lower them, and "
    "China's expected cost to Moscow grows with Russia's dependence on China and China's "
    "stake (off: v2, an open pledge is full engagement, beliefs move only on arms or "
    "investment, China's cost is fixed).",
    "attribution": "A disruption under a pretext is attributed to Moscow only with a "
    "pretext-dependent chance, and stoppages with other causes are sometimes read as "
    "coercion (off: every coercive disruption is attributed and no other one is).",
}


# One parameter per entry reads best as a table, so the formatter leaves it alone.
# fmt: off
PARAMS: tuple[Param, ...] = (
    # --- The war in Ukraine (exogenous) ----------------------------------------------------------
    P("war.outcome", "uncertain", None, None, "1", SEED,
      "How the war ends: ongoing (not within the horizon), favorable or unfavorable to "
      "Russia, frozen, or uncertain (each run draws one of the four with the "
      "probabilities below).", choices=WAR_OUTCOMES),
    P("war.timing", "duration_prior", None, None, "1", "Slantchev 2004",
      "When an uncertain war ends: duration_prior (a log-logistic duration law of interstate "
      "wars, conditioned on the war lasting through war.ongoing_through) or window (uniform "
      "within war.end_month_spread of war.end_month). A fixed outcome always ends in that "
      "window.", choices=WAR_TIMINGS),
    P("war.duration_median", 4.6, 0.5, 120.0, "month", "COW 1816-2007",
      "Median duration of interstate wars (139 days in the Correlates of War interstate war "
      "data, v4.0): the scale of the duration law.", prior=(3.0, 12.0)),
    P("war.duration_shape", 1.4, 0.5, 4.0, "1", "Slantchev 2004",
      "Shape of the log-logistic duration law; above 1 the hazard of ending peaks early and "
      "then falls with duration (1.4 gives the COW mean of 408 days with its median).",
      prior=(1.0, 2.0)),
    P("war.initiator_decline", 0.5, 0.0, 2.0, "1", "Slantchev 2004",
      "Elasticity of the odds of an end favourable to Russia, the initiator, to the war's "
      "duration under the duration prior: initiators do worse the longer the war (the sign "
      "is Slantchev's finding, the size is not).", prior=(0.0, 1.0)),
    P("war.end_month", 36, 0, 600, "month", ASSUME,
      "Month (0 = March 2022) in which the war ends with a fixed outcome, or with timing "
      "window; ignored while the outcome is ongoing.", integer=True),
    P("war.end_month_spread", 0, 0, 120, "month", ASSUME,
      "Each run's end month is drawn uniformly within this many months of "
      "war.end_month.", integer=True),
    P("war.ongoing_through", 7, 0, 600, "month", SEED,
      "Condition every run on the war still going on through this month (null: no "
      "condition; 7 = October 2022, when the source analysis was written): ended outcomes "
      "are reweighted by their chance of ending later, and end months are drawn after it.",
      integer=True, nullable=True),
    P("war.p_favorable", 0.3, 0.0, 1.0, "probability", ASSUME,
      "Chance of a favourable end when the outcome is uncertain.", prior=(0.15, 0.45)),
    P("war.p_unfavorable", 0.2, 0.0, 1.0, "probability", ASSUME,
      "Chance of an unfavourable end when the outcome is uncertain.", prior=(0.05, 0.35)),
    P("war.p_frozen", 0.3, 0.0, 1.0, "probability", ASSUME,
      "Chance of a frozen conflict when the outcome is uncertain (the rest: ongoing; "
      "probabilities summing to more than 1 are rescaled).", prior=(0.15, 0.45)),
    P("war.free_capacity_during", 0.2, 0.0, 1.0, "share of forces", "US DoD 2022",
      "Share of Russian ground forces free for other theatres while the war lasts: 1 minus "
      "the share committed in Ukraine (Western estimates of 2022: about 120 of some 170 "
      "battalion tactical groups in spring, more later).", prior=(0.1, 0.3)),
    P("war.free_capacity_favorable", 0.75, 0.0, 1.0, "share of forces", ASSUME,
      "Free share that Russia reconstitutes after a favourable end of the war (garrisons "
      "still hold what it took).", prior=(0.5, 0.9)),
    P("war.free_capacity_unfavorable", 0.35, 0.0, 1.0, "share of forces", ASSUME,
      "Free share after an unfavourable end (losses, depleted stocks).", prior=(0.2, 0.5)),
    P("war.free_capacity_frozen", 0.45, 0.0, 1.0, "share of forces", ASSUME,
      "Free share after a frozen conflict (forces still tied along the line).",
      prior=(0.3, 0.6)),
    P("war.reconstitution_months", 24, 1, 240, "month", ASSUME,
      "Time constant with which free capacity and resolve move to their post-war "
      "levels.", prior=(12, 48)),
    P("war.resolve_favorable", 0.4, -1.0, 1.0, "1", SEED,
      "Change in Russia's resolve after a favourable end (emboldened; the seed's main "
      "risk).", prior=(0.2, 0.8)),
    P("war.resolve_unfavorable", -0.3, -1.0, 1.0, "1", ASSUME,
      "Change in Russia's resolve after an unfavourable end."),
    P("war.resolve_frozen", 0.1, -1.0, 1.0, "1", ASSUME,
      "Change in Russia's resolve after a frozen conflict."),
    # --- Military balance (forces in thousands of troops) ---------------------------------------
    P("forces.russia_ground", 360.0, 100.0, 1000.0, "thousand troops", "IISS 2022",
      "Russian ground forces before the war: Army 280, Airborne 45, Naval Infantry 35 (The "
      "Military Balance 2022)."),
    P("forces.kazakhstan_active", 39.0, 10.0, 200.0, "thousand troops", "IISS 2022",
      "Kazakh active forces at the 2021 budget: Army 20, Air 12, Navy 3, MoD 4 (The Military "
      "Balance 2022; paramilitaries left out on both sides)."),
    P("forces.defender_advantage", 2.0, 1.0, 5.0, "1", "Mearsheimer 1989",
      "Force ratio at which an attack on a defender on its own ground has even odds (the "
      "3:1 rule at the point of attack; 1.3-1.6 for defence in Dupuy's model).",
      prior=(1.5, 3.0)),
    P("forces.decisiveness", 1.5, 0.5, 3.0, "1", "Hirshleifer 1989",
      "Exponent of the force ratio in the odds of winning (1: Lanchester's linear law, 2: "
      "his square law).", prior=(1.0, 2.0)),
    # --- Russia ----------------------------------------------------------------------------------
    P("russia.initial_rung", 2, 0, 4, "rung", SEED,
      "Rung in March 2022: economic coercion (the first CPC stoppage came that month).",
      integer=True),
    P("russia.base_resolve", 1.0, 0.2, 3.0, "1", SEED,
      "Multiplier of Russia's stakes in Kazakhstan (losing it would be 'catastrophic', "
      "seed)."),
    P("russia.demand_alignment", 0.75, 0.3, 1.0, "alignment", SEED,
      "Bloc loyalty Moscow demands: the alignment it treats as an acceptable status quo."),
    P("russia.war_demand", 0.7, 0.0, 1.0, "stance", SEED,
      "War stance Moscow demands while the war lasts (0 open opposition, 0.5 silence, 1 "
      "endorsement); Astana's refusals in 2022 drew the CPC stoppages."),
    P("russia.sanctions_demand", 0.9, 0.0, 1.0, "evasion", SEED,
      "Share of Western sanctions Moscow wants Kazakhstan to leave unenforced (gray routes "
      "open)."),
    P("russia.war_value", 1.5, 0.0, 5.0, "value/stance", CALIB,
      "Value to Moscow of closing one unit of the war-stance gap (sets rung 2 in 2022)."),
    P("russia.sanctions_value", 0.6, 0.0, 5.0, "value/evasion", ASSUME,
      "Value to Moscow of closing one unit of the sanctions-evasion gap."),
    P("russia.bloc_value", 4.0, 0.0, 20.0, "value/alignment", "Fearon 1995",
      "Value to Moscow of closing one unit of the bloc-loyalty (alignment) gap."),
    P("russia.csto_breach", 1.0, 0.0, 5.0, "value", SEED,
      "Value Moscow puts on bringing Kazakhstan back while it is outside the CSTO."),
    P("russia.eaeu_breach", 0.8, 0.0, 5.0, "value", SEED,
      "Value Moscow puts on bringing Kazakhstan back while it is outside the EAEU."),
    P("russia.observation_noise", 0.03, 0.0, 0.2, "index", ASSUME,
      "Standard deviation of Russia's monthly reading of each Kazakh position."),
    P("russia.trend_memory", 0.1, 0.01, 1.0, "1/month", ASSUME,
      "Weight of the newest month in Russia's moving estimate of its leverage trend."),
    P("russia.window_horizon", 60, 6, 240, "month", "Powell 2006",
      "Horizon over which Russia projects the decline of its leverage (closing window)."),
    P("russia.window_weight", 6.0, 0.0, 40.0, "value/leverage", "Powell 2006",
      "Value of acting now per unit of leverage projected to be lost within the horizon."),
    P("russia.review_rate", 0.35, 0.05, 1.0, "1/month", ASSUME,
      "Monthly chance that Moscow reviews its posture (bureaucratic and political "
      "inertia)."),
    P("russia.choice_precision", 33.0, 1.0, 1000.0, "1/value", "McKelvey & Palfrey 1995",
      "Precision of Moscow's quantal-response choices (posture, opening and reviewing a "
      "demand, instrument): option i is chosen with probability proportional to "
      "exp(precision * U_i); large values approach the best reply (33: v2's logistic noise "
      "of 0.03)."),
    P("russia.rhetoric_cost", 0.01, 0.0, 1.0, "value/month", ASSUME,
      "Monthly cost to Russia of information operations against Kazakhstan."),
    P("russia.economic_cost", 0.03, 0.0, 1.0, "value/month", ASSUME,
      "Monthly cost of an economic-coercion posture (friction in EAEU trade and transit)."),
    P("russia.threat_cost", 0.2, 0.0, 1.0, "value/month", "Fearon 1994",
      "Monthly cost of a public threat of force (diplomatic isolation, partners' notice)."),
    P("russia.posture_cost", 0.3, 0.0, 2.0, "value/month", ASSUME,
      "Monthly cost of military posturing with all the forces it needs free; dearer by the "
      "ratio of forces needed to forces free (docs/ODD.md 7.5).", prior=(0.1, 0.6)),
    P("russia.audience_cost", 0.25, 0.0, 3.0, "value", "Fearon 1994",
      "Cost of backing down from a public threat (rung 3 or higher) that was refused."),
    P("russia.initial_credibility", 0.5, 0.0, 1.0, "probability", ASSUME,
      "Kazakhstan's belief in March 2022 that Moscow carries out what it threatens."),
    P("russia.credibility_gain", 0.25, 0.0, 1.0, "1", "Schelling 1966",
      "Share of the distance to full credibility gained when Moscow punishes a refusal."),
    P("russia.credibility_loss", 0.25, 0.0, 1.0, "1", "Schelling 1966",
      "Share of credibility lost when a refusal goes unpunished."),
    P("russia.credibility_horizon", 36.0, 0.0, 120.0, "month", CALIB,
      "Months of future demands over which Moscow values credibility it earns by "
      "punishing (sets four disruptions March-October 2022)."),
    P("russia.demand_deadline", 1, 1, 24, "month", CALIB,
      "Months Moscow gives Kazakhstan to comply before it reviews a refused demand "
      "(escalate, renew or drop; 2022: stoppages one to three months apart).", integer=True),
    P("russia.demand_cost", 0.02, 0.0, 1.0, "value", ASSUME,
      "Cost to Moscow of opening or renewing a demand (diplomatic friction)."),
    P("russia.need_step", 0.25, 0.0, 5.0, "1", ASSUME,
      "Relative rise of Moscow's stake since its last episode closed that opens an episode "
      "on its own need."),
    P("russia.effect_prior", 0.25, 0.01, 0.99, "probability", "Drezner 1999",
      "Moscow's prior mean that an instrument (halt, restriction, inducement) is followed by "
      "compliance at the next answer; coercers expect little of coercing a partner."),
    P("russia.effect_strength", 4.0, 0.5, 100.0, "observations", ASSUME,
      "Weight, in observed answers, of Moscow's prior on each instrument's effect and on "
      "Astana's resolve (Beta prior strength)."),
    P("russia.belief_memory", 0.97, 0.5, 1.0, "1/month", ASSUME,
      "Monthly retention of the answers behind Moscow's beliefs (older evidence fades and "
      "the prior returns)."),
    P("russia.inducement_offset", 0.3, 0.0, 3.0, "cost", "Cooley 2012",
      "Fall of Astana's cost of complying with the next answer brought by a joint project "
      "offered as an inducement."),
    P("russia.inducement_cost", 0.05, 0.0, 1.0, "value", ASSUME,
      "Cost to Moscow of a joint project offered as an inducement."),
    P("russia.exposure_cost", 0.1, 0.0, 2.0, "value", "Carson 2018",
      "Cost to Moscow of a coercive act attributed to it (an ally coerced in the open: EAEU "
      "and CSTO cohesion, partners' notice), paid in expectation: times the chance of "
      "attribution (1 for a trade restriction, an official act)."),
    P("russia.deed_value_war", 0.5, 0.0, 1.0, "1", "Kuik 2008",
      "Share of the value of compliance on the war Moscow credits to quiet accommodation in "
      "deed (re-exports tolerated, sanctions not enforced) while Astana refuses in word."),
    P("russia.deed_value_sanctions", 1.0, 0.0, 1.0, "1", SEED,
      "Share credited on a demand to leave sanctions unenforced: the deed is the content "
      "(Kazakhstan enforces only selectively, 2022)."),
    P("russia.deed_value_bloc", 0.3, 0.0, 1.0, "1", "Cooley 2012",
      "Share credited on a demand of bloc loyalty."),
    P("russia.attribution_storm", 0.4, 0.0, 1.0, "probability", SEED,
      "Chance that a disruption under a storm-damage pretext is attributed to Moscow (storms "
      "do stop the terminal in winter; the March 2022 account drew observers' skepticism)."),
    P("russia.attribution_ordnance", 0.7, 0.0, 1.0, "probability", SEED,
      "Chance that a disruption under a wartime-ordnance pretext is attributed to Moscow "
      "(the June 2022 stoppage was widely read in Kazakhstan as political)."),
    P("russia.attribution_court", 0.9, 0.0, 1.0, "probability", SEED,
      "Chance that a disruption under a court-order pretext is attributed to Moscow (the July "
      "2022 order was overturned within days)."),
    P("russia.attribution_repairs", 0.5, 0.0, 1.0, "probability", "Rid & Buchanan 2015",
      "Chance that a disruption under a mooring-repairs pretext is attributed to Moscow."),
    P("russia.cpc_cost", 0.05, 0.0, 1.0, "value", "Newnham 2011",
      "Cost to Russia of a CPC disruption at full severity: lost transit fees and its own "
      "crude shipped through the CPC."),
    P("russia.shareholder_cost", 0.03, 0.0, 1.0, "value", SEED,
      "Cost per recent disruption of friction with the CPC's foreign shareholders."),
    P("russia.friction_memory", 0.95, 0.0, 0.999, "1", ASSUME,
      "Monthly retention of the shareholders' memory of disruptions."),
    P("russia.diversification_foresight", 0.5, 0.0, 5.0, "1", "Drezner 1999",
      "Weight Moscow gives to the leverage a disruption costs it by speeding Kazakh "
      "diversification."),
    P("russia.restriction_cost", 0.6, 0.0, 5.0, "value", CALIB,
      "Cost to Russia of a trade restriction per unit of its own dependence on Kazakh "
      "transit and re-exports (Farrell & Newman 2019; sets Kazakh-Russian trade up about 5% "
      "in January-August 2022: no restrictions cut it)."),
    P("russia.restriction_severity", 0.3, 0.0, 1.0, "share of trade", ASSUME,
      "Share of Kazakh-Russian trade a restriction (import bans, transit curbs) cuts."),
    P("russia.restriction_months", 3, 1, 24, "month", ASSUME,
      "Duration of a trade restriction.", integer=True),
    P("russia.halt_severity", 0.4, 0.05, 1.0, "share of flow", SEED,
      "Mean share of a month's CPC flow lost while a disruption lasts (2022 stoppages were "
      "partial)."),
    P("russia.halt_mean_months", 1.0, 1.0, 6.0, "month", SEED,
      "Mean duration of a disruption (2022 stoppages lasted days to weeks)."),
    P("russia.project_rate", 0.02, 0.0, 0.5, "1/month", "Cooley 2012",
      "Monthly chance that Moscow offers a large joint project while a loyalty gap "
      "persists (inducement)."),
    P("russia.project_pull", 0.05, 0.0, 0.3, "alignment", "Kuik 2008",
      "Rise of Kazakhstan's hedging target brought by a joint project."),
    P("russia.project_memory", 0.98, 0.0, 0.999, "1", ASSUME,
      "Monthly retention of a joint project's pull."),
    P("russia.stakes", 1.0, 0.1, 3.0, "value", SEED,
      "Value to Russia of full control over Kazakhstan."),
    P("russia.war_cost", 0.3, 0.0, 3.0, "value", "Fearon 1995",
      "Cost of intervention with the forces it needs free, before partners act; dearer by "
      "the ratio of forces needed to forces free.", prior=(0.1, 1.0)),
    P("russia.war_window_weight", 2.0, 0.0, 10.0, "value/leverage", "Powell 2006",
      "Value, in units of stakes, of acting now rather than after the projected "
      "leverage loss.", prior=(1.0, 4.0)),
    P("russia.war_noise", 0.1, 0.01, 1.0, "value", ASSUME,
      "Scale of the logistic noise in the decision to intervene."),
    P("russia.war_rate", 0.1, 0.0, 1.0, "1/month", ASSUME,
      "Highest monthly chance of intervening from rung 4 when war pays."),
    P("russia.full_intervention_odds", 0.6, 0.0, 1.0, "probability", SEED,
      "Chance of prevailing above which an intervention aims to topple the government."),
    # --- CPC disruptions that are not coercion -------------------------------------------------
    P("disruptions.weather_rate", 0.06, 0.0, 0.5, "1/month", "CPC record 2014-2021",
      "Monthly chance of a storm stopping loadings at the CPC terminal, November-March."),
    P("disruptions.maintenance_rate", 0.02, 0.0, 0.5, "1/month", "CPC record 2014-2021",
      "Monthly chance of an unplanned technical stoppage."),
    P("disruptions.third_party_rate", 0.005, 0.0, 0.5, "1/month", ASSUME,
      "Monthly chance of a stoppage caused by a third party (strike, sabotage) while the "
      "war lasts."),
    P("disruptions.severity", 0.2, 0.0, 1.0, "share of flow", "CPC record 2014-2021",
      "Share of a month's CPC flow lost to a stoppage that is not coercion."),
    # --- Kazakhstan ------------------------------------------------------------------------------
    P("kazakhstan.initial_alignment", 0.72, 0.0, 1.0, "alignment", SEED,
      "Alignment with Moscow in March 2022 (close ties, CSTO and EAEU, no formal "
      "break)."),
    P("kazakhstan.initial_war_stance", 0.3, 0.0, 1.0, "stance", SEED,
      "War stance in March 2022: neither endorsement nor open opposition (anti-war rally "
      "allowed, no recognition of the statelets)."),
    P("kazakhstan.stance_adjust", 0.05, 0.0, 1.0, "1/month", ASSUME,
      "Monthly share of the gap closed between the war stance and its domestic level."),
    P("kazakhstan.alignment_adjust", 0.03, 0.0, 0.5, "1/month", "Kuik 2008",
      "Monthly share of the gap closed between alignment and the hedging target."),
    P("kazakhstan.multivector", 0.25, 0.0, 1.0, "1", SEED,
      "Weight of partners' offers against Russia's returns in the hedging target (the "
      "multi-vector policy)."),
    P("kazakhstan.trade_pull", 1.0, 0.0, 5.0, "alignment/share", "Kuik 2008",
      "Rise of the hedging target per unit rise of Russia's share of Kazakh trade."),
    P("kazakhstan.nationalism_push", 0.5, 0.0, 3.0, "alignment", SEED,
      "Fall of the hedging target per unit of nationalism above its 2022 level."),
    P("kazakhstan.coercion_push", 0.1, 0.0, 2.0, "alignment", "Drezner 1999",
      "Fall of the hedging target per unit of remembered coercion (rung / 5)."),
    P("kazakhstan.alignment_volatility", 0.006, 0.0, 0.05, "alignment/month", ASSUME,
      "Standard deviation of monthly shocks to alignment from events the model does not "
      "carry."),
    P("kazakhstan.unrest_rate", 0.002, 0.0, 0.05, "1/month", SEED,
      "Monthly chance of mass unrest at 2022 nationalism and full leader support "
      "(January 2022)."),
    P("kazakhstan.unrest_sensitivity", 3.0, 0.0, 10.0, "1", SEED,
      "Log-rise of the unrest chance per unit of nationalism gained and leader support "
      "lost."),
    P("kazakhstan.unrest_shock", 0.1, 0.0, 1.0, "alignment", SEED,
      "Fall of the hedging target after unrest brings a more nationalist course (Moscow's "
      "fear)."),
    P("kazakhstan.comply_step", 0.1, 0.0, 0.5, "1", "Axelrod 1995",
      "Share of the distance to Moscow's demand closed when Kazakhstan complies."),
    P("kazakhstan.damage_scale", 2.0, 0.0, 10.0, "cost", "Axelrod 1995",
      "Cost to Kazakhstan of refusing at rung 5 with full exposure, certain punishment "
      "and no partner offers."),
    P("kazakhstan.sovereignty_cost", 1.0, 0.0, 10.0, "cost", SEED,
      "Domestic cost of complying on the war or on bloc loyalty per unit of (nationalism "
      "+ reform) / 2, raised when the leader looks subservient."),
    P("kazakhstan.war_stance_cost", 0.6, 0.0, 5.0, "cost", SEED,
      "Extra cost of endorsing the war: Western partners' and the public's reaction."),
    P("kazakhstan.secondary_sanctions_cost", 0.6, 0.0, 5.0, "cost", SEED,
      "Cost of complying on sanctions evasion per unit of EU pressure (secondary sanctions "
      "risk)."),
    P("kazakhstan.protection", 0.6, 0.0, 1.0, "1", "Crawford 2003",
      "Share of the damage of refusing that fully credible partner offers offset."),
    P("kazakhstan.comply_noise", 0.3, 0.05, 3.0, "cost", ASSUME,
      "Scale of the logistic noise in the comply-or-refuse decision."),
    P("kazakhstan.statement_rate", 0.08, 0.0, 1.0, "1/month", ASSUME,
      "Monthly chance, while the war lasts and at the 2022 war stance, of a public refusal to "
      "back it (a statement or a UN vote); falls as the stance moves towards endorsement."),
    P("kazakhstan.scripted_statements", 1, 0, 1, "switch", SEED,
      "Replay the public refusals of 2022 the source analysis records (1) or not (0): the "
      "anti-war rally and the ban on war symbols (March), the cancelled Victory Day parades "
      "(May), the refusal to recognise the statelets (June) and the annexations (September).",
      integer=True),
    P("kazakhstan.enforcement_step", 0.01, 0.0, 1.0, "1", ASSUME,
      "Monthly rise of sanctions enforcement that Moscow reads as a step to enforce "
      "sanctions (a trigger)."),
    P("kazakhstan.assurance_prior", 0.9, 0.01, 0.99, "probability", "Sechser 2011",
      "Astana's prior that complying ends the pressure of a demand (Moscow's assurance)."),
    P("kazakhstan.assurance_strength", 4.0, 0.5, 100.0, "observations", ASSUME,
      "Weight, in observed compliances, of Astana's prior on the assurance (Beta prior)."),
    P("kazakhstan.assurance_window", 6, 1, 60, "month", "Schelling 1966",
      "Months after a compliance within which a new demand on the same content counts as a "
      "broken assurance.", integer=True),
    P("kazakhstan.quiet_cost_share", 0.5, 0.0, 1.0, "1", "Kuik 2008",
      "Cost of quiet accommodation in deed as a share of the cost of complying openly on "
      "sanctions (a deed draws less notice from the West and the public than a statement)."),
    P("kazakhstan.misattribution", 0.25, 0.0, 1.0, "probability", "Rid & Buchanan 2015",
      "Chance that Astana reads a CPC stoppage with another cause (storm, repairs, third "
      "party) as Russian coercion."),
    P("kazakhstan.halt_memory", 0.9, 0.0, 0.999, "1", "Drezner 1998",
      "Monthly retention of the memory of pipeline halts that drives diversification."),
    P("kazakhstan.diversification_base", 0.02, 0.0, 0.2, "1/month", SEED,
      "Share of the spare route capacity (ceiling minus built and ordered) ordered per "
      "month without pressure."),
    P("kazakhstan.diversification_halt", 0.05, 0.0, 3.0, "1/month", "Drezner 1998",
      "Extra share of spare capacity ordered per month per unit of halt memory."),
    P("kazakhstan.caspian_lead_low", 6, 1, 120, "month", "Caspian ports 2005-2021",
      "Shortest lead time of new Trans-Caspian oil capacity: chartering tankers and reopening "
      "idle oil berths at Aktau; each run draws its lead time uniformly between low and "
      "high.", integer=True),
    P("kazakhstan.caspian_lead_high", 36, 1, 120, "month", "Caspian ports 2005-2021",
      "Longest lead time of new Trans-Caspian oil capacity: new tankers and berths (Kuryk's "
      "ferry complex took from April 2015 to December 2016 to build).", integer=True),
    P("kazakhstan.china_lead_low", 12, 1, 120, "month", "KCP 2004-2009",
      "Shortest lead time of new capacity for Kazakh oil to China (pumping and reversal on "
      "the existing Kazakhstan-China pipeline).", integer=True),
    P("kazakhstan.china_lead_high", 48, 1, 120, "month", "KCP 2004-2009",
      "Longest lead time of new capacity to China (Atasu-Alashankou, 2004-2006, and "
      "Kenkiyak-Kumkol, 2007-2009, each took about two years to build after years of "
      "negotiation).", integer=True),
    P("kazakhstan.caspian_ceiling_low", 0.04, 0.0, 1.0, "share of exports", ASSUME,
      "Lowest ceiling of Trans-Caspian oil capacity existing or contracted in 2022 (about 3 "
      "Mt/year of some 68 Mt of exports: the tankers and Baku reception Kazakhstan can count "
      "on); each run draws its ceiling uniformly between low and high."),
    P("kazakhstan.caspian_ceiling_high", 0.15, 0.0, 1.0, "share of exports", "Aktau port 2006",
      "Highest ceiling of Trans-Caspian oil capacity: about 10 Mt/year, the oil Aktau port "
      "shipped in 2006 (9.96 Mt, TACIS feasibility study), of some 68 Mt of exports."),
    P("kazakhstan.china_ceiling_low", 0.03, 0.0, 1.0, "share of exports", ASSUME,
      "Lowest ceiling of Kazakh oil exports to China by pipeline (about 2 Mt/year); drawn "
      "per run as above."),
    P("kazakhstan.china_ceiling_high", 0.13, 0.0, 1.0, "share of exports", "KCP 2013",
      "Highest ceiling of Kazakh oil exports to China: about 9 Mt/year, the pipeline's 20 "
      "Mt/year less the 10 Mt/year of Russian transit agreed in 2013 and 1 Mt of Kazakh oil."),
    P("kazakhstan.initial_cpc_share", 0.8, 0.5, 0.95, "share of exports", SEED,
      "CPC share of Kazakh oil exports in 2022 (more than 80%)."),
    P("kazakhstan.initial_trans_caspian_share", 0.005, 0.0, 0.2, "share of exports", SEED,
      "Trans-Caspian (tanker) share of oil exports in 2022 (well under 1%)."),
    P("kazakhstan.initial_china_share", 0.015, 0.0, 0.2, "share of exports", ASSUME,
      "Share of oil exports going by pipeline to China in 2022."),
    P("kazakhstan.tc_pipeline_month", None, 0, 600, "month", SEED,
      "Month a trans-Caspian oil pipeline opens (null: never; the seed reports a "
      "study).", integer=True, nullable=True),
    P("kazakhstan.tc_pipeline_capacity", 0.2, 0.0, 0.6, "share of exports", ASSUME,
      "Capacity of that pipeline as a share of oil exports."),
    P("kazakhstan.oil_revenue_base", 4.5, 0.5, 20.0, "bn USD/month", ASSUME,
      "Monthly oil export revenue with no halt (order of magnitude of 2022 exports)."),
    P("kazakhstan.alternative_route_cost", 0.15, 0.0, 0.5, "1", ASSUME,
      "Revenue discount on oil shipped by routes avoiding Russia (longer, costlier)."),
    P("kazakhstan.initial_defence", 1.0, 0.5, 3.0, "2021 budget", SEED,
      "Defence effort in March 2022, in units of the 2021 budget ($1.7 bn)."),
    P("kazakhstan.war_alarm", 0.25, 0.0, 1.0, "threat", SEED,
      "Threat Kazakhstan perceives from Russia's war next door while it lasts."),
    P("kazakhstan.defence_response", 2.0, 0.0, 5.0, "1/threat", CALIB,
      "Rise of the defence target per unit of perceived threat (about 1.5x by end "
      "2022)."),
    P("kazakhstan.defence_adjust", 0.12, 0.0, 1.0, "1/month", CALIB,
      "Monthly share of the gap to the defence target closed (budget cycles)."),
    P("kazakhstan.initial_reform", 0.2, 0.0, 1.0, "1", SEED,
      "Reform level in 2022 (mostly cosmetic changes, seed)."),
    P("kazakhstan.reform_pace", 0.004, 0.0, 0.05, "1/month", SEED,
      "Share of the remaining distance to full reform covered per month."),
    P("kazakhstan.initial_nationalism", 0.3, 0.0, 1.0, "1", ASSUME,
      "Public nationalism in 2022."),
    P("kazakhstan.reform_to_nationalism", 0.5, 0.0, 2.0, "1", SEED,
      "Rise of the long-run nationalism level per unit of reform (participation feeds "
      "it)."),
    P("kazakhstan.pressure_to_nationalism", 0.3, 0.0, 2.0, "1", ASSUME,
      "Rise of the long-run nationalism level per unit of Russian pressure (rally "
      "effect)."),
    P("kazakhstan.pressure_adjust", 0.1, 0.0, 1.0, "1/month", ASSUME,
      "Monthly share of the gap closed by the slow memory of Russian pressure (rung / "
      "5)."),
    P("kazakhstan.nationalism_adjust", 0.02, 0.0, 0.5, "1/month", ASSUME,
      "Monthly share of the gap to the long-run nationalism level closed (slow)."),
    P("kazakhstan.initial_sanctions_enforcement", 0.3, 0.0, 1.0, "1", SEED,
      "Share of Western sanctions enforced in 2022 (selective)."),
    P("kazakhstan.sanctions_adjust", 0.05, 0.0, 1.0, "1/month", ASSUME,
      "Monthly share of the gap to the enforcement target closed."),
    P("kazakhstan.enforcement_alignment", 0.5, 0.0, 2.0, "1/alignment", SEED,
      "Fall of the enforcement target per unit of alignment gained (close ties, less "
      "zeal)."),
    P("kazakhstan.subservience_penalty", 0.15, 0.0, 1.0, "1", SEED,
      "Leader support lost per compliance, per unit of nationalism."),
    P("kazakhstan.support_recovery", 0.03, 0.0, 0.5, "1/month", ASSUME,
      "Monthly recovery of leader support towards full."),
    P("kazakhstan.exit_alignment", 0.3, 0.0, 1.0, "alignment", SEED,
      "Alignment below which leaving the CSTO or EAEU becomes thinkable."),
    P("kazakhstan.exit_width", 0.05, 0.01, 0.5, "alignment", ASSUME,
      "Width of the logistic ramp of the exit chance around kazakhstan.exit_alignment."),
    P("kazakhstan.exit_hazard", 0.02, 0.0, 0.5, "1/month", ASSUME,
      "Highest monthly chance of leaving a bloc once alignment is well below that "
      "level."),
    P("kazakhstan.csto_exit_month", None, 0, 600, "month", ASSUME,
      "Month Kazakhstan leaves the CSTO by decision of the scenario (null: never "
      "forced).", integer=True, nullable=True),
    P("kazakhstan.eaeu_exit_month", None, 0, 600, "month", ASSUME,
      "Month Kazakhstan leaves the EAEU by decision of the scenario (null: never "
      "forced).", integer=True, nullable=True),
    # --- China -----------------------------------------------------------------------------------
    P("china.pledge_rate", 0.01, 0.0, 0.5, "1/month", ASSUME,
      "Monthly chance of a new pledge with no Russian pressure."),
    P("china.threat_response", 0.1, 0.0, 1.0, "1/month", SEED,
      "Rise of that chance per unit of rung / 5, before rupture aversion."),
    P("china.rupture_aversion", 0.6, 0.0, 1.0, "1", SEED,
      "Share of its response China withholds at rung 5, and of its deliveries it withholds "
      "at rung 5 (it avoids an open rupture with Moscow)."),
    P("china.reliability", 0.6, 0.0, 1.0, "probability", ASSUME,
      "Chance that a Chinese pledge is delivered when due, with Russia at rung 0."),
    P("china.security_belief", 0.15, 0.0, 1.0, "probability", "Huth 1988",
      "Moscow's belief in March 2022 that China acts if Russia uses force."),
    P("china.economic_belief", 0.5, 0.0, 1.0, "probability", ASSUME,
      "Moscow's belief in March 2022 that China offsets economic coercion (buys, invests)."),
    P("china.security_capability", 1.0, 0.0, 5.0, "value", "Crawford 2003",
      "Cost to Russia if China acts against Russian force."),
    P("china.economic_capability", 0.5, 0.0, 1.0, "share of damage", SEED,
      "Share of the damage of economic coercion China offsets if it acts (BRI, trade)."),
    P("china.stake_weight", 1.0, 0.0, 10.0, "1/delivery", "Crawford 2011",
      "Rise of the cost Moscow expects from China per unit of China's own delivered stake in "
      "Kazakhstan (transit investment): the pivot's interest in the target."),
    P("china.delivery_lag", 6, 1, 60, "month", ASSUME,
      "Months from a pledge to its due delivery.", integer=True),
    P("china.route_investment", 0.2, 0.0, 1.0, "1", SEED,
      "Share of the spare export capacity (BRI transit) ordered when a pledge is "
      "delivered."),
    P("china.arms", 0.0, 0.0, 0.5, "2021 budget", ASSUME,
      "Defence added by a delivered pledge."),
    P("china.scripted_pledge_month", 6, 0, 600, "month", SEED,
      "Month of a pledge given outside the model (Sept 2022, Xi in Astana; null: none).",
      integer=True, nullable=True),
    # --- Turkey ----------------------------------------------------------------------------------
    P("turkey.pledge_rate", 0.02, 0.0, 0.5, "1/month", ASSUME,
      "Monthly chance of a new pledge with no Russian pressure."),
    P("turkey.threat_response", 0.15, 0.0, 1.0, "1/month", SEED,
      "Rise of that chance per unit of rung / 5, before rupture aversion (Turkic "
      "solidarity, its defence industry)."),
    P("turkey.rupture_aversion", 0.3, 0.0, 1.0, "1", ASSUME,
      "How much Turkey holds back pledges and deliveries as Russia escalates."),
    P("turkey.reliability", 0.7, 0.0, 1.0, "probability", SEED,
      "Chance that a Turkish pledge is delivered (ANKA production agreed in May 2022)."),
    P("turkey.security_belief", 0.25, 0.0, 1.0, "probability", "Huth 1988",
      "Moscow's belief in March 2022 that Turkey acts if Russia uses force (arms, "
      "support)."),
    P("turkey.economic_belief", 0.3, 0.0, 1.0, "probability", ASSUME,
      "Moscow's belief in March 2022 that Turkey offsets economic coercion."),
    P("turkey.security_capability", 0.4, 0.0, 5.0, "value", "Crawford 2003",
      "Cost to Russia if Turkey acts against Russian force."),
    P("turkey.economic_capability", 0.15, 0.0, 1.0, "share of damage", ASSUME,
      "Share of the damage of economic coercion Turkey offsets if it acts (corridor)."),
    P("turkey.delivery_lag", 8, 1, 60, "month", ASSUME,
      "Months from a pledge to its due delivery.", integer=True),
    P("turkey.route_investment", 0.05, 0.0, 1.0, "1", SEED,
      "Share of the spare corridor capacity ordered when a pledge is delivered."),
    P("turkey.arms", 0.08, 0.0, 0.5, "2021 budget", SEED,
      "Defence added by a delivered pledge (drones, joint production)."),
    P("turkey.scripted_pledge_month", 7, 0, 600, "month", SEED,
      "Month of a pledge given outside the model (Oct 2022, Erdogan in Astana; null: "
      "none).", integer=True, nullable=True),
    # --- The EU ----------------------------------------------------------------------------------
    P("eu.pledge_rate", 0.005, 0.0, 0.5, "1/month", ASSUME,
      "Monthly chance of a new support pledge with no Russian pressure."),
    P("eu.threat_response", 0.05, 0.0, 1.0, "1/month", ASSUME,
      "Rise of that chance per unit of rung / 5, before rupture aversion."),
    P("eu.rupture_aversion", 0.0, 0.0, 1.0, "1", ASSUME,
      "How much the EU holds back pledges and deliveries as Russia escalates."),
    P("eu.sanctions_agenda", 0.02, 0.0, 0.5, "1/month", SEED,
      "Rise of the EU's monthly pledge chance per unit of Kazakh sanctions enforcement "
      "(it rewards enforcement)."),
    P("eu.reliability", 0.6, 0.0, 1.0, "probability", ASSUME,
      "Chance that an EU pledge (investment) is delivered when due."),
    P("eu.security_belief", 0.02, 0.0, 1.0, "probability", "Huth 1988",
      "Moscow's belief that the EU acts militarily if Russia uses force (no guarantee)."),
    P("eu.economic_belief", 0.5, 0.0, 1.0, "probability", ASSUME,
      "Moscow's belief in March 2022 that the EU offsets economic coercion."),
    P("eu.security_capability", 0.5, 0.0, 5.0, "value", "Crawford 2003",
      "Cost to Russia if the EU acts against Russian force (new sanctions)."),
    P("eu.economic_capability", 0.35, 0.0, 1.0, "share of damage", SEED,
      "Share of the damage of economic coercion the EU offsets if it acts (corridor, "
      "investment)."),
    P("eu.delivery_lag", 12, 1, 60, "month", ASSUME,
      "Months from a pledge to its due delivery.", integer=True),
    P("eu.route_investment", 0.2, 0.0, 1.0, "1", SEED,
      "Share of the spare corridor capacity ordered when a pledge is delivered (the "
      "corridor's end point)."),
    P("eu.arms", 0.0, 0.0, 0.5, "2021 budget", ASSUME,
      "Defence added by a delivered pledge."),
    P("eu.scripted_pledge_month", None, 0, 600, "month", ASSUME,
      "Month of a pledge given outside the model (null: none).", integer=True, nullable=True),
    P("eu.sanctions_pressure", 0.3, 0.0, 1.0, "1", SEED,
      "Rise of the Kazakh enforcement target the EU obtains by pressing (secondary "
      "sanctions)."),
    P("eu.secondary_threshold", 0.06, 0.0, 1.0, "share of trade", SEED,
      "Gray re-exports, as a share of Kazakh-Russian trade, above which the EU "
      "threatens."),
    # --- Partners' shared parameters -------------------------------------------------------------
    P("partners.belief_update", 0.3, 0.0, 1.0, "1", "Huth 1988",
      "Share of the distance to the observed outcome (delivered 1, broken 0) by which "
      "beliefs in a partner move when a pledge falls due."),
    P("partners.pledge_weight", 0.0, 0.0, 1.0, "1", "Fearon 1997",
      "Engagement an open, undelivered pledge carries, against 1 for fresh delivered "
      "support: cheap talk does not deter (used while mechanisms.costly_signals is on)."),
    P("partners.arms_scale", 0.1, 0.01, 1.0, "2021 budget", ASSUME,
      "Arms delivery (in 2021 Kazakh defence budgets) that counts as a full costly "
      "security signal; smaller deliveries move Moscow's security belief proportionally."),
    P("partners.investment_scale", 0.2, 0.01, 1.0, "1", ASSUME,
      "Route investment (share of spare capacity ordered) that counts as a full costly "
      "economic signal; smaller investments move the economic belief proportionally."),
    P("partners.support_decay", 0.03, 0.0, 0.5, "1/month", ASSUME,
      "Monthly decay of delivered support that is not renewed."),
    # --- Trade -----------------------------------------------------------------------------------
    P("trade.kz_ru", 2.0, 0.0, 100.0, "bn USD/month", "KZ statistics 2021",
      "Kazakhstan-Russia trade in 2021 (about $24 bn in the Kazakh statistics)."),
    P("trade.kz_cn", 2.0, 0.0, 100.0, "bn USD/month", "KZ statistics 2021",
      "Kazakhstan-China trade in 2021 (about $18 bn in the Kazakh statistics, $25 bn in the "
      "Chinese: mirror statistics differ).", prior=(1.5, 2.1)),
    P("trade.kz_tr", 0.4, 0.0, 100.0, "bn USD/month", "KZ statistics 2021",
      "Kazakhstan-Turkey trade in 2021 (order of magnitude)."),
    P("trade.kz_eu", 3.0, 0.0, 100.0, "bn USD/month", "KZ statistics 2021",
      "Kazakhstan-EU trade in 2021, mostly oil (Eurostat and the Kazakh statistics differ by "
      "where oil is counted).", prior=(2.4, 3.6)),
    P("trade.ru_cn", 12.0, 0.0, 200.0, "bn USD/month", ASSUME,
      "Russia-China trade in 2021."),
    P("trade.ru_tr", 2.8, 0.0, 200.0, "bn USD/month", ASSUME,
      "Russia-Turkey trade in 2021."),
    P("trade.ru_eu", 22.0, 0.0, 200.0, "bn USD/month", ASSUME,
      "Russia-EU trade in 2021."),
    P("trade.cn_tr", 3.0, 0.0, 200.0, "bn USD/month", ASSUME,
      "China-Turkey trade in 2021."),
    P("trade.cn_eu", 70.0, 0.0, 500.0, "bn USD/month", ASSUME,
      "China-EU trade in 2021."),
    P("trade.tr_eu", 16.0, 0.0, 200.0, "bn USD/month", ASSUME,
      "Turkey-EU trade in 2021."),
    P("trade.alignment_elasticity", 1.0, 0.0, 3.0, "1", ASSUME,
      "Elasticity of Kazakh-Russian trade to alignment (and of partner trade to "
      "distance)."),
    P("trade.eaeu_uplift", 0.3, 0.0, 1.0, "1", ASSUME,
      "Customs-union uplift of Kazakh-Russian trade, lost on leaving the EAEU."),
    P("trade.gray_reexport", 0.1, 0.0, 0.5, "share of trade", CALIB,
      "Gray re-exports of Western goods via Kazakhstan to Russia with no enforcement "
      "(sets EAEU trade about +5% in 2022)."),
    P("trade.oil_share_eu", 0.7, 0.0, 1.0, "share of trade", ASSUME,
      "Share of Kazakh-EU trade that is CPC oil (cut by halts)."),
    P("trade.sanctions_cut", 0.5, 0.0, 1.0, "share of trade", ASSUME,
      "Share of Russia-EU trade cut by Western sanctions."),
    P("trade.redirection", 0.3, 0.0, 1.0, "share of trade", ASSUME,
      "Rise of Russia's trade with China and Turkey after sanctions."),
    P("trade.partner_uplift", 0.5, 0.0, 3.0, "1", ASSUME,
      "Rise of Kazakh trade with a partner per unit of that partner's delivered "
      "support."),
    P("trade.corridor_2021", 0.53, 0.0, 10.0, "Mt/year", SEED,
      "Trans-Caspian corridor cargo in 2021 (one sixth of the 3.2 Mt expected for 2022)."),
    P("trade.corridor_diversion", 8.5, 0.0, 30.0, "1", CALIB,
      "Multiple of 2021 corridor cargo that sanctions divert to the corridor (sets the 2022 "
      "projection of sixfold)."),
    P("trade.corridor_adjust", 0.25, 0.0, 1.0, "1/month", CALIB,
      "Monthly share of the gap to the corridor's target cargo closed."),
    P("trade.corridor_volatility", 0.15, 0.0, 0.5, "1", "TITR 2017-2021",
      "Standard deviation of the monthly (mean-one, uniform) shock to corridor demand (ferry "
      "schedules, weather, rail): cargo through Kuryk ran from 0.9 Mt in nine months of 2017 "
      "to about 1.3-1.5 Mt/year, unevenly.", prior=(0.05, 0.3)),
    P("trade.corridor_capacity_low", 6.0, 0.0, 50.0, "Mt/year", "Kuryk port 2016-2021",
      "Lowest capacity of the Kazakh Caspian ports for corridor cargo in 2022: Kuryk's rail "
      "ferry berth (4.1 Mt/year) and Aktau's ferry berth (about 2, a third of the total once "
      "Kuryk opened); each run draws its capacity uniformly between low and high."),
    P("trade.corridor_capacity_high", 8.0, 0.0, 50.0, "Mt/year", "Kuryk port 2016-2021",
      "Highest capacity for corridor cargo in 2022, with Kuryk's road-ferry berths (two rail "
      "and two road berths: 6 Mt/year at Kuryk)."),
    P("trade.corridor_expansion", 1.75, 0.0, 20.0, "Mt/year", "Kuryk port 2021",
      "Capacity contracted by 2022: Kuryk's announced addition of 1.5-2 Mt/year for "
      "2022-2023 (August 2021)."),
    P("trade.corridor_lead_low", 9, 0, 120, "month", "Kuryk port 2021",
      "Earliest month (0 = March 2022) the contracted expansion opens; each run draws its "
      "month uniformly between low and high.", integer=True),
    P("trade.corridor_lead_high", 33, 0, 120, "month", "Kuryk port 2021",
      "Latest month the contracted expansion opens (end of 2024: a year's slip past the "
      "announced 2022-2023).", integer=True),
    # --- Leverage index --------------------------------------------------------------------------
    P("leverage.route_weight", 0.4, 0.0, 1.0, "1", "Drezner 1998",
      "Weight of the share of oil exports crossing Russia in Russia's leverage."),
    P("leverage.trade_weight", 0.2, 0.0, 1.0, "1", "Drezner 1998",
      "Weight of Russia's share of Kazakh trade in Russia's leverage."),
    P("leverage.bloc_weight", 0.2, 0.0, 1.0, "1", SEED,
      "Weight of CSTO and EAEU membership (half each) in Russia's leverage."),
    P("leverage.alignment_weight", 0.2, 0.0, 1.0, "1", SEED,
      "Weight of political alignment in Russia's leverage."),
    # --- How the 2022 event file observes the model (read by the calibration's event targets,
    # never by the dynamics: sim.studies.calibration.targets.cameo_events) ----------------------
    P("eventfile.refusals_recorded", 1.0, 0.0, 1.0, "1", ASSUME,
      "Share of Astana's refusals in word (its answers to Moscow's demands, which in 2022 were "
      "mostly implicit) that the 2022 event file records as a dated act: each refusal is in the "
      "file with this chance. 1 (the default, model v3's reading) records every refusal."),
    # --- Mechanism switches (1 on, 0 off; `python -m sim ablate` turns each off in turn) ---------
    *(P(f"mechanisms.{name}", 1, 0, 1, "switch", "ablation", doc, integer=True)
      for name, doc in MECHANISMS.items()),
)
# fmt: on

PARAMS_BY_PATH: dict[str, Param] = {p.path: p for p in PARAMS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in PARAMS))


def defaults() -> dict[str, Any]:
    """The baseline values as a nested dict {group: {name: value}} (the config's `model` node)."""
    nested: dict[str, dict[str, Any]] = {g: {} for g in GROUPS}
    for p in PARAMS:
        nested[p.group][p.name] = p.default
    return nested


def flatten(nested: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{group: {name: v}} -> {"group.name": v}; unknown paths are kept for `check` to report."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def unknown_path_error(path: str) -> ParamError:
    """The error for a path that names no parameter, with the nearest valid ones."""

    close = difflib.get_close_matches(path, PARAMS_BY_PATH, n=3)
    hint = (
        f"did you mean {', '.join('model.' + c for c in close)}?"
        if close
        else ("see docs/ODD.md for the parameter table")
    )
    return ParamError(path, "<unknown key>", f"a known parameter path; {hint}")


def encode(values: Mapping[str, Any]) -> dict[str, float]:
    """Check a flat {path: value} mapping and return every parameter as a float.

    Missing parameters take their defaults. Raises ParamError naming the first bad key.
    """
    for path in values:
        if path not in PARAMS_BY_PATH:
            raise unknown_path_error(path)
    encoded = {p.path: p.encode(values.get(p.path, p.default)) for p in PARAMS}
    check_export_shares(encoded)
    check_draw_ranges(encoded)
    return encoded


#: Pairs of parameters between which each run draws a value: low must not exceed high.
DRAW_RANGES: tuple[tuple[str, str], ...] = (
    ("kazakhstan.caspian_lead_low", "kazakhstan.caspian_lead_high"),
    ("kazakhstan.china_lead_low", "kazakhstan.china_lead_high"),
    ("trade.corridor_capacity_low", "trade.corridor_capacity_high"),
    ("trade.corridor_lead_low", "trade.corridor_lead_high"),
)


def check_draw_ranges(encoded: Mapping[str, float]) -> None:
    """Each drawn range must run from low to high (the ceilings are checked with the shares)."""
    for low_path, high_path in DRAW_RANGES:
        low, high = encoded[low_path], encoded[high_path]
        if high < low:
            raise ParamError(high_path, high, f"at least {low_path.split('.', 1)[1]} = {low:g}")


def check_export_shares(encoded: Mapping[str, float]) -> None:
    """The initial oil-export shares must be a possible split of exports.

    Each share is checked against its own range above; together they must also leave a
    non-negative share for the other routes through Russia, and the routes avoiding Russia
    fit under the lowest ceiling of their capacity (else the model would start from other shares
    than asked), and each ceiling range must run from low to high.
    """
    kz = "kazakhstan."
    cpc, tc, cn = (
        encoded[kz + n]
        for n in ("initial_cpc_share", "initial_trans_caspian_share", "initial_china_share")
    )
    if cpc + tc + cn > 1.0 + 1e-12:
        raise ParamError(
            kz + "initial_cpc_share",
            cpc,
            f"at most 1 - initial_trans_caspian_share - initial_china_share "
            f"= {1.0 - tc - cn:g} (the three initial export shares sum above 1)",
        )
    for route, initial in (("caspian", tc), ("china", cn)):
        low, high = encoded[f"{kz}{route}_ceiling_low"], encoded[f"{kz}{route}_ceiling_high"]
        if high < low:
            raise ParamError(
                f"{kz}{route}_ceiling_high", high, f"at least {route}_ceiling_low = {low:g}"
            )
        if initial > low + 1e-12:
            raise ParamError(
                f"{kz}{route}_ceiling_low",
                low,
                f"at least the initial share of that route = {initial:g}",
            )


class ParamSet:
    """The parameters of an ensemble: each a float or an array of shape (R,).

    Access by group, as the agents do: ``params.russia.demand_alignment``.
    """

    def __init__(self, columns: Mapping[str, float | np.ndarray], size: int) -> None:
        self.size = size
        self.columns = dict(columns)
        for group in GROUPS:
            names = {p.name: self.columns[p.path] for p in PARAMS if p.group == group}
            setattr(self, group, SimpleNamespace(**names))

    @classmethod
    def uniform(cls, values: Mapping[str, Any] | None = None, size: int = 1) -> ParamSet:
        """One parameter set (flat {path: value}, defaults for the rest) for all R runs."""
        return cls(encode(values or {}), size)

    @classmethod
    def per_run(cls, rows: Iterable[Mapping[str, Any]]) -> ParamSet:
        """One parameter set per run: a column stays scalar where all runs agree."""
        encoded = [encode(row) for row in rows]
        if not encoded:
            raise ValueError("per_run needs at least one row")
        columns: dict[str, float | np.ndarray] = {}
        for p in PARAMS:
            column = np.array([row[p.path] for row in encoded])
            columns[p.path] = float(column[0]) if np.all(column == column[0]) else column
        return cls(columns, len(encoded))

    def take(self, index: np.ndarray) -> ParamSet:
        """The parameters of a subset of runs (used to split a batch into chunks)."""
        index = np.asarray(index)
        columns = {
            k: (v[index] if isinstance(v, np.ndarray) else v) for k, v in self.columns.items()
        }
        return ParamSet(columns, index.size)
