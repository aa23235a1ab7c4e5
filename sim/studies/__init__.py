"""Studies: validation, ablation, calibration, policy search and forecast scoring.

Each is a recipe of ensembles, run through the engine and read through analysis.
"""
