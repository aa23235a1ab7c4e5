"""The five actors, one Mesa agent each; every state variable is an array over the runs."""

from sim.model.agents.kazakhstan import Kazakhstan
from sim.model.agents.partners import EU, China, Partner, Turkey
from sim.model.agents.russia import Russia

__all__ = ["EU", "China", "Kazakhstan", "Partner", "Russia", "Turkey"]
