# eksguard: `make check` gives the offline verdict on the reference stack, `make test` runs the suite.
# Both build .venv from nothing on a fresh machine (Python 3.11 and the locked requirements.txt).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: check test lint bench lock clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	# The repo root and policies/ go on the venv's path (what an editable install does, without a build step).
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/policies" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/eksguard-dev.pth"
	touch $(STAMP)

check: $(STAMP)
	$(PY) -m eksguard check

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(STAMP)
	$(PY) bench/pack_throughput.py --rounds 7
	$(PY) bench/check_scale.py
	$(PY) bench/audit_calls.py --clusters 1 2 4 8 16

lock:
	$(PYTHON) -m venv /tmp/eksguard-lock && /tmp/eksguard-lock/bin/pip install -r requirements.in
	( echo '# Locked from requirements.in on Python 3.11 (`make lock`). Do not edit by hand.'; \
	  /tmp/eksguard-lock/bin/pip freeze ) > requirements.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
