"""A small synthetic policy search directory, in the format `python -m sim policy` writes.

`make_policy_directory` builds results/policies/<experiment>/<timestamp>/ without running the
model: 4 levers, 3 objectives (the first P(rung >= 4)), 20 evaluated policies of which 6 form
the Pareto set, 7 re-evaluated policies (the Pareto set and the status quo) on 30 scenarios of
2 uncertainties, and the PRIM box of the chosen policy's failures. The numbers are made up but
consistent: the Pareto set is the non-dominated set of the evaluations, and the robustness
table is computed from the scenario table as the policy search defines it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

LEVERS = {
    "china.reliability": (0.2, 1.0),
    "turkey.arms": (0.0, 0.3),
    "eu.reliability": (0.2, 1.0),
    "kazakhstan.multivector": (0.0, 1.0),
}
UNCERTAINTIES = {"russia.base_resolve": (0.5, 2.0), "war.p_favorable": (0.0, 0.6)}
OBJECTIVES = ["p_rung4", "support_china", "kazakhstan_cost"]
REFERENCE = {  # the base scenario's own lever values: the status quo
    "china.reliability": 0.6,
    "turkey.arms": 0.08,
    "eu.reliability": 0.6,
    "kazakhstan.multivector": 0.25,
}
THRESHOLD = 0.1


def nested(ranges: dict[str, tuple[float, float]]) -> dict:
    """{"china.reliability": (lo, hi)} as the config's {china: {reliability: {range: [lo, hi]}}}."""
    tree: dict = {}
    for path, (low, high) in ranges.items():
        group, name = path.split(".")
        tree.setdefault(group, {})[name] = {"range": [low, high]}
    return tree


def objective_values(levers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Made-up objectives: partners' reliability lowers the risk and raises their costs."""
    backing = 0.5 * levers["china.reliability"] + 0.3 * levers["eu.reliability"]
    backing += levers["turkey.arms"]
    return pd.DataFrame(
        {
            "p_rung4": np.clip(0.35 - 0.3 * backing + rng.normal(0, 0.02, len(levers)), 0, 1),
            "support_china": 2.0 * levers["china.reliability"] + rng.uniform(0, 0.2, len(levers)),
            "kazakhstan_cost": 0.8 * levers["kazakhstan.multivector"] + 0.5 * backing,
        }
    )


def non_dominated(values: np.ndarray) -> np.ndarray:
    """Which rows no other row dominates (all objectives <=, at least one <)."""
    better_or_equal = (values[None, :, :] <= values[:, None, :]).all(axis=2)
    strictly = (values[None, :, :] < values[:, None, :]).any(axis=2)
    return ~(better_or_equal & strictly).any(axis=1)


def search_tables(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """20 evaluated policies (the first the reference) and their 6 non-dominated ones."""
    levers = pd.DataFrame({p: rng.uniform(lo, hi, 19) for p, (lo, hi) in LEVERS.items()})
    levers = pd.concat([pd.DataFrame([REFERENCE]), levers], ignore_index=True)
    evaluations = pd.concat([levers, objective_values(levers, rng)], axis=1)
    evaluations.insert(0, "generation", np.repeat(np.arange(4), 5)[: len(evaluations)])
    evaluations.insert(1, "policy", np.arange(len(evaluations)))
    evaluations.insert(2, "reference", evaluations["policy"] == 0)
    front = non_dominated(evaluations[OBJECTIVES].to_numpy())
    # Keep exactly 6 policies on the front: the surplus ones do a little worse than a kept one.
    kept = evaluations.index[front & ~evaluations["reference"]]
    for i, surplus in enumerate(kept[6:]):
        worse = evaluations.loc[kept[i % 6], OBJECTIVES] + rng.uniform(0.01, 0.05, len(OBJECTIVES))
        evaluations.loc[surplus, OBJECTIVES] = worse.to_numpy()
    front = non_dominated(evaluations[OBJECTIVES].to_numpy())
    pareto = evaluations[front & ~evaluations["reference"]].reset_index(drop=True)
    return evaluations, pareto


def scenario_table(policies: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each re-evaluated policy in each of 30 scenarios: resolve raises the risk, a war
    favourable to Russia too."""
    draws = pd.DataFrame({p: rng.uniform(lo, hi, 30) for p, (lo, hi) in UNCERTAINTIES.items()})
    rows = []
    for _, policy in policies.iterrows():
        frame = draws.copy()
        frame.insert(0, "policy", int(policy["policy"]))
        frame.insert(1, "sampled_scenario", np.arange(len(draws)))
        pressure = frame["russia.base_resolve"] * (0.6 + frame["war.p_favorable"])
        noise = rng.normal(0, 0.01, len(frame))
        frame["p_rung4"] = np.clip(policy["p_rung4"] * pressure + noise, 0, 1)
        for name in OBJECTIVES[1:]:
            frame[name] = policy[name] * (0.8 + 0.4 * frame["war.p_favorable"])
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def robustness_table(policies: pd.DataFrame, scenarios: pd.DataFrame) -> pd.DataFrame:
    """Mean, regret and threshold share per policy, computed from the scenario table."""
    table = policies[["policy", "reference", *LEVERS]].set_index("policy")
    for name in OBJECTIVES:
        wide = scenarios.pivot(index="sampled_scenario", columns="policy", values=name)
        regret = wide.sub(wide.min(axis=1), axis=0)
        table[name] = wide.mean()
        table[f"{name}_regret_mean"] = regret.mean()
        table[f"{name}_regret_max"] = regret.max()
    table["threshold_share"] = (
        (scenarios["p_rung4"] <= THRESHOLD).groupby(scenarios["policy"]).mean()
    )
    table["chosen"] = table.index == table["threshold_share"].idxmax()
    return table.reset_index()


def failure_box(scenarios: pd.DataFrame) -> pd.DataFrame:
    """A PRIM box's limits as sim.analysis.discovery.discovery_tables returns them ("limits")."""
    from sim.analysis.discovery import factor_label, factor_unit

    rows = []
    for path in UNCERTAINTIES:
        restricted = path == "russia.base_resolve"  # failures: high resolve
        full_low, full_high = float(scenarios[path].min()), float(scenarios[path].max())
        rows.append(
            {
                "factor": path,
                "kind": "numeric",
                "low": 1.2 if restricted else full_low,
                "high": full_high,
                "values": "",
                "full_low": full_low,
                "full_high": full_high,
                "full_values": "",
                "restricted": restricted,
                "qp_low": 0.001 if restricted else np.nan,
                "qp_high": np.nan,
                "label": factor_label(path),
                "unit": factor_unit(path),
                "box": 1,
                "step": 4,
            }
        )
    return pd.DataFrame(rows)


def make_policy_directory(path: Path, complete: bool = True) -> Path:
    """Write a synthetic policy result directory under `path`; return the directory.

    Args:
        path: the folder to make it in (e.g. pytest's tmp_path).
        complete: what manifest.json says; False makes the directory of an unfinished search.
    """
    from sim.engine.config_file import write_config
    from sim.engine.store import write_manifest, write_table

    rng = np.random.default_rng(15)
    run_dir = "policies/tiny_search/20260101T000000Z"
    directory = Path(path) / "results" / run_dir
    directory.mkdir(parents=True)
    cfg = OmegaConf.create(
        {
            "name": "tiny_search",
            "description": "A synthetic policy search for tests",
            "scenario": "baseline",
            "levers": nested(LEVERS),
            "uncertainties": nested(UNCERTAINTIES),
            "objectives": OBJECTIVES,
            "search": {"method": "nsga3", "population": 5, "generations": 4, "runs": 50},
            "robustness": {
                "objective": "p_rung4",
                "threshold": THRESHOLD,
                "scenarios": 30,
                "replicates": 10,
                "max_policies": 24,
            },
            "months": 120,
            "seed": 15,
        }
    )
    write_config(cfg, directory)
    evaluations, pareto = search_tables(rng)
    policies = pd.concat([pareto, evaluations[evaluations["reference"]]], ignore_index=True)
    scenarios = scenario_table(policies, rng)
    write_table(evaluations, directory / "evaluations.parquet", run_dir=run_dir)
    write_table(pareto, directory / "pareto.parquet", run_dir=run_dir)
    write_table(
        robustness_table(policies, scenarios), directory / "robustness.parquet", run_dir=run_dir
    )
    write_table(scenarios, directory / "scenarios.parquet", run_dir=run_dir)
    write_table(failure_box(scenarios), directory / "failure_boxes.parquet", run_dir=run_dir)
    write_manifest(
        directory,
        kind="policy",
        complete=complete,
        experiment="tiny_search",
        runs=len(evaluations) * 50 + len(scenarios) * 10,
        seconds=1.0,
        failure_box=(
            "Box 1 (step 4 of 6): P(rung ≥ 4) above 0.1 for the chosen policy when\n"
            "  Russia base resolve at least 1.2\n"
            "  coverage 80% (share of all failures inside the box), density 90%, mass 30%"
        ),
    )
    return directory
