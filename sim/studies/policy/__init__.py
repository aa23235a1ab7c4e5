"""Policy search: which commitments by Kazakhstan's partners keep escalation risk lowest.

A policy experiment (``experiments/policies/<name>.yaml``) separates *levers*, parameters an
actor controls (a partner's pledge policy, reliability, arms and transit investment; Astana's
hedging), from *uncertainties*, what nobody controls (Russian resolve, the war, costs,
capacities), sampled as an ensemble of scenarios. ``python -m sim policy experiment=<name>``
searches the lever space for the Pareto set over the objectives
(``sim.studies.policy.objectives``), then
re-evaluates that set on a fresh, larger ensemble and reports how robust each policy is
(docs/policy.md).
"""
