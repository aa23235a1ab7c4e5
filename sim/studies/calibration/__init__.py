"""Calibration as inference: targets, priors, ABC-SMC, and runs drawn from a posterior.

``targets`` reads a targets file and measures each target on a batch of runs; ``priors`` turns
the parameter table's ranges into priors; ``abc`` is the batched ABC-SMC sampler; ``calibrate``
ties them to the model and writes a calibration directory; ``posterior`` reads one back and
draws each run's parameters from it. See docs/calibration.md.
"""
