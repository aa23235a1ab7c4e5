"""Running ensembles: designs, chunks of runs, executors, the result store, resume and resources.

Above the model and the configuration; below analysis. It knows how to turn a plan of runs into
Parquet parts, never what the numbers mean.
"""
