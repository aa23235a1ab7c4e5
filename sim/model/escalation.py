"""The Mesa model: five actors, one month per step, R runs stepped at once.

A month runs in this order (docs/ODD.md, "Process overview and scheduling"):

1. the war timeline sets Russia's free military capacity and resolve;
2. trade flows and corridor cargo are recomputed from the state at the start of the month;
3. China, Turkey and the EU pledge, deliver or break pledges (Moscow learns from it; the EU
   presses on sanctions); the partners' offers are summed as Moscow and Astana weigh them;
4. Russia reads Kazakhstan, values the gaps, chooses its posture and issues a demand;
5. Kazakhstan complies or refuses;
6. Russia punishes a refusal or lets it pass; storms, repairs and third parties may stop the CPC;
7. Kazakhstan diversifies, earns, arms, reforms, hedges, enforces sanctions, decides on blocs;
8. the recorder stores the month.

Every state variable is a numpy array with one entry per run, so a sweep is one big batch.
R = 1 is an ordinary single run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.model.agents import EU, China, Kazakhstan, Partner, Russia, Turkey
from sim.model.dates import month_dates
from sim.model.episodes import EpisodeBook, Outcome, episodes_frame
from sim.model.event_log import EventLog, events_frame
from sim.model.ladder import PARTNERS, TOP_RUNG, Actor
from sim.model.mesa_api import ensemble_collector, keyword_params, mesa_seed, seed_from_rng
from sim.model.params import WAR_OUTCOMES, ParamSet
from sim.model.recording import TRAJECTORY_VARIABLES, Recorder
from sim.model.rng import RunStreams
from sim.model.trade import TradeNetwork
from sim.model.war import WarTimeline

INTERVENTION_KINDS = ("none", "limited", "full")


@dataclass
class EnsembleResult:
    """The tables of one batch: summary (one row per run), trajectories, events, episodes."""

    summary: pd.DataFrame
    trajectories: pd.DataFrame | None
    events: pd.DataFrame | None
    episodes: pd.DataFrame | None = None


class EscalationModel(mesa.Model):
    """Russia-Kazakhstan relations with China, Turkey and the EU, for R runs at once.

    Args:
        params: a ParamSet, or a flat {"group.name": value} mapping applied to every run.
        seeds: one seed per run; a run's trajectory depends only on its seed and parameters.
        months: the horizon (month 0 is March 2022).
        run_ids: the ids written to the tables (default 0..R-1).
        trajectories: record monthly trajectories (memory: 4 bytes x variables x months x R).
        events: record the event log.
        episodes: record the episode table, one row per demand episode (default: as `events`).
        rng: any of Mesa's `rng` forms, used when `seeds` is None: an int is the run's seed,
            None draws a fresh one, others draw it from the generator (sim.model.mesa_api).
        collect: keep a `mesa.DataCollector` of ensemble reporters (``model.datacollector``);
            default: on for a Mesa-style model (no `seeds`, as `mesa.batch_run` builds it).
        seed: Mesa's deprecated form of ``rng=<int>``, with Mesa's FutureWarning.
        **parameters: flat model parameters, ``war_end_month=24`` or ``**{"war.end_month": 24}``
            (applied on top of a `params` mapping), as `mesa.batch_run` passes them.
    """

    def __init__(
        self,
        params: ParamSet | Mapping[str, Any] | None = None,
        seeds: Sequence[int] | np.ndarray | None = None,
        months: int = 120,
        run_ids: Sequence[int] | np.ndarray | None = None,
        trajectories: bool = True,
        events: bool = True,
        episodes: bool | None = None,
        rng: Any = None,
        collect: bool | None = None,
        seed: int | None = None,
        **parameters: Any,
    ) -> None:
        rng = mesa_seed(seed, rng)
        mesa_style = seeds is None
        if mesa_style:
            seeds = [seed_from_rng(rng)]
        seeds = np.asarray(seeds, dtype=np.int64)
        super().__init__(rng=int(seeds[0]) if seeds.size else 0)
        if parameters:
            if isinstance(params, ParamSet):
                raise TypeError("keyword parameters need `params` as a mapping, not a ParamSet")
            params = {**(params or {}), **keyword_params(parameters)}
        if not isinstance(params, ParamSet):
            params = ParamSet.uniform(params, size=seeds.size)
        if params.size != seeds.size:
            raise ValueError(f"{params.size} parameter sets for {seeds.size} seeds")
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        self.params = params
        self.seeds = seeds
        self.months = int(months)
        self.run_ids = np.arange(seeds.size) if run_ids is None else np.asarray(run_ids)
        self.month = 0
        self.streams = RunStreams(seeds)
        self.events = EventLog(enabled=events)
        self.episodes = EpisodeBook(params.size, enabled=events if episodes is None else episodes)
        self.war = WarTimeline(params, self.streams, horizon=self.months)
        self.economic_offer = np.zeros(params.size)  # share of economic damage offset
        self.security_offer = np.zeros(params.size)  # partners' expected action against force
        self.expected_response = np.zeros(params.size)  # its expected cost to Russia (value)

        # The agents, in the order they act within a month.
        self.partners: dict[Actor, Partner] = {
            a.actor: a for a in (China(self), Turkey(self), EU(self))
        }
        self.russia = Russia(self)
        self.kazakhstan = Kazakhstan(self)
        self.trade = TradeNetwork(self)
        self.russia.start()
        self.recorder = Recorder(self, self.months, trajectories)
        if collect is None:
            collect = mesa_style
        self.datacollector = ensemble_collector(self) if collect else None
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def step(self) -> None:
        """Advance every run by one month; past the horizon, only set `running` to False."""
        if self.month >= self.months:
            self.running = False
            return
        month = self.month
        self.war.update(month)
        self.trade.update()
        self.trade.move_corridor(month)
        for actor in PARTNERS:
            self.partners[actor].act(month)
        self.weigh_offers()
        self.russia.act(month)
        self.kazakhstan.answer(month)
        self.russia.enforce(month)
        self.kazakhstan.act(month)
        self.recorder.record(month)
        self.month += 1
        self.running = self.month < self.months
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def params_of(self, actor: Actor):
        """The parameter group of a partner."""
        return getattr(self.params, actor.name.lower())

    def weigh_offers(self) -> None:
        """Partners' offers: engagement x Moscow's belief that they act x their capability.

        economic_offer: share of the damage of economic coercion they would offset;
        security_offer = expected_response: the cost Moscow expects them to impose on force.
        """
        economic, security = zip(*(self.partners[a].offers() for a in PARTNERS), strict=True)
        self.economic_offer = np.minimum(sum(economic), 1.0)
        self.security_offer = sum(security)
        self.expected_response = self.security_offer

    def run(self) -> EnsembleResult:
        """Step to the horizon and return the tables."""
        while self.month < self.months:
            self.step()
        return self.results()

    # --- tables ------------------------------------------------------------------------------
    def results(self) -> EnsembleResult:
        dates = month_dates(self.months)
        trajectories = None
        if self.recorder.trajectories is not None:
            trajectories = self._trajectory_frame(dates[: self.month])
        events = episodes = None
        if self.events.enabled:
            events = events_frame(self.events.columns(), self.run_ids, dates)
        if self.episodes.enabled:
            episodes = episodes_frame(self.episodes.columns(), self.run_ids)
        return EnsembleResult(self.summary(), trajectories, events, episodes)

    def summary(self) -> pd.DataFrame:
        """One row per run: outcomes that answer 'how far and how soon did Russia escalate'."""
        rec, kz, russia, book = self.recorder, self.kazakhstan, self.russia, self.episodes

        def month_or_null(values: np.ndarray) -> pd.array:
            return pd.arrays.IntegerArray(values.astype(np.int32), mask=values < 0)

        table = {
            "run_id": self.run_ids,
            "seed": self.seeds,
            "max_rung": rec.max_rung,
            **{
                f"month_rung_{k}": month_or_null(rec.first_month[k]) for k in range(1, TOP_RUNG + 1)
            },
            "war_outcome": pd.Categorical.from_codes(
                self.war.outcome, categories=WAR_OUTCOMES[:-1]
            ),
            "war_end_month": month_or_null(
                np.where(np.isfinite(self.war.end_month), self.war.end_month, -1).astype(int)
            ),
            "pipeline_halts": russia.halts + russia.other_halts,
            "pipeline_halts_russia": russia.halts,
            "pipeline_halts_other": russia.other_halts,
            "pipeline_halts_attributed": russia.halts_attributed,
            "stoppages_misread": russia.misread,
            "trade_restrictions": russia.restrictions,
            "inducements": russia.inducements,
            "demands": russia.demands,
            "refusals": russia.refusals,
            "quiet_deeds": kz.quiet_deeds,
            "public_refusals": kz.statements,
            "episodes": book.count,
            "episodes_complied": book.outcomes[Outcome.COMPLIED],
            "episodes_dropped": book.outcomes[Outcome.DROPPED],
            "intervention": pd.Categorical.from_codes(
                russia.intervention, categories=INTERVENTION_KINDS
            ),
            "month_csto_exit": month_or_null(rec.csto_exit_month),
            "month_eaeu_exit": month_or_null(rec.eaeu_exit_month),
            "final_rung": russia.rung,
            "final_alignment": kz.alignment,
            "final_cpc_share": kz.cpc_share,
            "final_trans_caspian_share": kz.trans_caspian_share,
            "final_defence": kz.defence,
            "final_nationalism": kz.nationalism,
            "final_leverage": russia.leverage,
            "final_credibility": russia.credibility,
            "final_war_stance": kz.war_stance,
            "final_corridor_cargo": self.trade.corridor_cargo,
            "oil_revenue_lost": kz.revenue_lost,
            "oil_route_cost": kz.route_cost,
            **{
                f"deliveries_{actor.name.lower()}": self.partners[actor].deliveries
                for actor in PARTNERS
            },
            **{
                f"arms_delivered_{actor.name.lower()}": self.partners[actor].arms_delivered
                for actor in PARTNERS
            },
        }
        return pd.DataFrame(table)

    def _trajectory_frame(self, dates: pd.DatetimeIndex) -> pd.DataFrame:
        months, size = len(dates), self.params.size
        table: dict[str, Any] = {
            "run_id": np.repeat(self.run_ids, months),
            "month": np.tile(np.arange(months, dtype=np.int16), size),
            "date": np.tile(dates.values, size),
        }
        for v in TRAJECTORY_VARIABLES:
            table[v.name] = self.recorder.trajectories[v.name][:, :months].reshape(-1)
        table["rung"] = table["rung"].astype(np.int8)
        return pd.DataFrame(table, copy=False)  # one block per column: no consolidation copy


def simulate(
    params: ParamSet | Mapping[str, Any] | None = None,
    seeds: Sequence[int] | np.ndarray = (0,),
    months: int = 120,
    **options: Any,
) -> EnsembleResult:
    """Run an ensemble to the horizon and return its tables (see EscalationModel for options)."""
    return EscalationModel(params, seeds=seeds, months=months, **options).run()
