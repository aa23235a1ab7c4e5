"""Studies: validation, ablation, calibration and policy search.

Each is a recipe of ensembles, run through the engine and read through analysis.
"""
