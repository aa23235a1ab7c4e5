"""The escalation ladder, the actors, and the kinds of event with their CAMEO codes.

Rungs are ordered by severity, measured by the Goldstein (1992) weight of the CAMEO action that
marks entry to the rung (the rung's *signature*), not by CAMEO number. An actual pipeline halt
is logged as CAMEO 163 (impose embargo, -8.0) even though it happens from rung 2 on: the rung is
the posture Moscow has taken, the halt one concrete act within it.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class Actor(IntEnum):
    """The five actors, in the order used for arrays and the event log."""

    RUSSIA = 0
    KAZAKHSTAN = 1
    CHINA = 2
    TURKEY = 3
    EU = 4
    OTHER = 5  # nature, the operator or a third party: disruptions that are not coercion

    @property
    def label(self) -> str:
        return "EU" if self is Actor.EU else self.name.capitalize()


PARTNERS: tuple[Actor, ...] = (Actor.CHINA, Actor.TURKEY, Actor.EU)


class Rung(IntEnum):
    """Russia's posture towards Kazakhstan."""

    NORMAL = 0
    RHETORIC = 1  # rhetoric and information operations
    ECONOMIC = 2  # economic coercion: pipeline halts, trade restrictions
    THREAT = 3  # explicit threats of force
    POSTURING = 4  # military posturing and mobilisation
    INTERVENTION = 5  # limited (the north) or full (topple the government)


TOP_RUNG = int(max(Rung))


class Action(Enum):
    """Every kind of event the model logs: (code, CAMEO code, Goldstein weight, description)."""

    # Russia towards Kazakhstan
    RUSSIA_DEESCALATE = (1, "03", 4.0, "steps down the ladder (intent to cooperate)")
    RUSSIA_INFO_OPS = (2, "16", -4.0, "rhetoric and information operations (reduce relations)")
    RUSSIA_ECONOMIC_COERCION = (3, "1312", -5.8, "threatens sanctions or an embargo")
    PIPELINE_HALT = (4, "163", -8.0, "halts CPC oil flows under a pretext (coercion)")
    TRADE_RESTRICTION = (9, "163", -8.0, "restricts trade: import bans, transit curbs (coercion)")
    RUSSIA_DEMAND = (16, "10", -5.0, "demands a change of Kazakh policy")
    JOINT_PROJECT = (17, "061", 6.4, "offers a large joint project (inducement)")
    RUSSIA_THREATEN_FORCE = (5, "138", -7.0, "threatens force")
    RUSSIA_MOBILIZE = (6, "154", -7.2, "mobilises and exhibits force posture")
    INTERVENTION_LIMITED = (7, "192", -10.0, "occupies the Russian-speaking north")
    INTERVENTION_FULL = (8, "19", -10.0, "intervenes to topple the government")
    # Kazakhstan
    KAZAKH_COMPLY = (10, "03", 4.0, "placates Moscow (complies with a demand)")
    KAZAKH_RESIST = (11, "12", -4.0, "refuses a demand (rejects)")
    KAZAKH_STATEMENT = (18, "12", -4.0, "publicly refuses to back the war (statement, UN vote)")
    KAZAKH_QUIET_DEED = (19, "03", 4.0, "accommodates quietly in deed: re-exports tolerated")
    ROUTE_INVESTMENT = (12, "061", 6.4, "commissions export-route capacity")
    LEAVE_CSTO = (13, "16", -4.0, "leaves the CSTO")
    LEAVE_EAEU = (14, "16", -4.0, "leaves the EAEU")
    UNREST = (15, "14", -6.5, "mass protest and unrest (domestic)")
    # Partners towards Kazakhstan
    SECURITY_PLEDGE = (20, "0334", 6.0, "pledges support for sovereignty and territorial integrity")
    PLEDGE_DELIVERED = (21, "057", 8.0, "delivers on a pledge (agreement signed)")
    ARMS_DELIVERY = (22, "072", 8.3, "delivers military aid")
    TRANSIT_INVESTMENT = (23, "061", 6.4, "invests in transit routes")
    PLEDGE_BROKEN = (24, "16", -4.0, "fails to deliver on a pledge")
    SECONDARY_SANCTIONS_THREAT = (25, "1312", -5.8, "threatens secondary sanctions")
    # Not a political act: storms, maintenance and third parties stop the CPC too. It is
    # logged beside the halts so that every disruption carries its cause; no CAMEO code.
    CPC_DISRUPTION = (30, "", 0.0, "CPC flows stop for a cause that is not coercion")

    def __init__(self, code: int, cameo: str, goldstein: float, description: str) -> None:
        self.code = code
        self.cameo = cameo
        self.goldstein = goldstein
        self.description = description


#: The action that marks entry to each rung; its Goldstein weight is the rung's severity.
RUNG_SIGNATURE: dict[Rung, Action] = {
    Rung.NORMAL: Action.RUSSIA_DEESCALATE,
    Rung.RHETORIC: Action.RUSSIA_INFO_OPS,
    Rung.ECONOMIC: Action.RUSSIA_ECONOMIC_COERCION,
    Rung.THREAT: Action.RUSSIA_THREATEN_FORCE,
    Rung.POSTURING: Action.RUSSIA_MOBILIZE,
    Rung.INTERVENTION: Action.INTERVENTION_LIMITED,
}


class Pretext(IntEnum):
    """The official reasons given for CPC stoppages in 2022 (source analysis, Oct 28, 2022)."""

    STORM_DAMAGE = 0  # March 2022: storm damage to loading moorings
    WARTIME_ORDNANCE = 1  # June 2022: Second World War ordnance found near the terminal
    COURT_ORDER = 2  # July 2022: environmental court order, overturned days later
    MOORING_REPAIRS = 3  # August 2022: unplanned repairs at two of three moorings


class Demand(IntEnum):
    """What a Russian demand asks of Kazakhstan."""

    ENDORSE_WAR = 0  # endorse the war, or at least stop opposing it (while it lasts)
    EVADE_SANCTIONS = 1  # leave Western sanctions unenforced, keep gray routes open
    BLOC_LOYALTY = 2  # stay close: alignment, CSTO and EAEU


class Cause(IntEnum):
    """Why the CPC (or trade) stopped: coercion, or a cause Moscow does not control."""

    COERCION = 0
    WEATHER = 1  # storms at the Novorossiysk terminal, November-March
    MAINTENANCE = 2  # unplanned technical repairs
    THIRD_PARTY = 3  # strikes or sabotage by others


def severity(rung: Rung) -> float:
    """The Goldstein weight of a rung's signature action (0 for normal relations)."""
    return 0.0 if rung is Rung.NORMAL else RUNG_SIGNATURE[rung].goldstein
