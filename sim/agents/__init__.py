"""The five actors, one Mesa agent each; every state variable is an array over the runs."""

from sim.agents.kazakhstan import Kazakhstan
from sim.agents.partners import EU, China, Partner, Turkey
from sim.agents.russia import Russia

__all__ = ["EU", "China", "Kazakhstan", "Partner", "Russia", "Turkey"]
