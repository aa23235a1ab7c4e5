"""Observed events (ICEWS, GDELT, CSV): reading them, and holding a run's event log against them."""
