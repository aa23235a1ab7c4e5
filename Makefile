# Two commands do all the set-up on a fresh machine:
#   make run    # build .venv with a Python >= 3.12, install, run scenario=war_favorable_russia
#   make test   # same set-up, then the test suite
# Extra arguments for the run go in ARGS, e.g. make run ARGS="run.replicates=5000".

VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= war_favorable_russia
ARGS ?=

.PHONY: run test lint bench bench-engine posterior app-screenshot clean-venv

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	@echo "installing the package and its dependencies into $(VENV) (a minute or two the first time) ..."
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,cluster,discovery,viz]"
	@touch $@

run: $(VENV)/.installed
	$(PY) -m sim run scenario=$(SCENARIO) $(ARGS)

# -n auto: one pytest worker per core (pytest-xdist); --dist loadfile keeps each test file on one
# worker, so a module's fixture (a run, a sweep made once for its tests) is built only once.
test: $(VENV)/.installed
	$(PY) -m pytest -n auto --dist loadfile

# ruff for style; import-linter for the layers of sim/ (contracts in pyproject.toml).
lint: $(VENV)/.installed
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(VENV)/bin/lint-imports

# After a model change that alters the parameter table: calibrate on seed_2022, ship the posterior
# every run command draws from (configs/posteriors/seed_2022/), and regenerate docs/calibration.md
# (the report refuses a posterior that did not converge or misses a target).
posterior: $(VENV)/.installed
	$(PY) -m sim calibrate targets=seed_2022 ship=true
	$(PY) scripts/calibration_report.py

# The app's picture in docs/app.md, taken by its browser test at the end of its walk-through.
app-screenshot: $(VENV)/.installed
	APP_SCREENSHOT=$(CURDIR)/docs/figures/app.png $(PY) -m pytest -p no:xdist -q tests/test_app_browser.py

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_model.py

# The engine's three goals at full size, each with pass or fail (about 10 minutes on an idle
# 2-core machine; benchmarks/README.md). ARGS="--scale 0.1" for a quick look.
bench-engine: $(VENV)/.installed
	$(PY) benchmarks/bench_goals.py $(ARGS)

clean-venv:
	rm -rf $(VENV)
