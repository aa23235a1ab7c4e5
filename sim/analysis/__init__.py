"""Reading results: probabilities and intervals, statistics, proper scores, sensitivity,
discovery and reports.

Pure functions take frames and return frames; the orchestrators that read a results directory
sit on top of them. Analysis reads what the engine wrote and never runs the model.
"""
