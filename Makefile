# One entry point for a newcomer: `make demo` and `make test`.
# `install` builds .venv; run as root it first installs the Debian packages
# the platform needs (speech synthesis, audio tools, PortAudio, Chromium).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEB_PACKAGES := espeak-ng sox libsox-fmt-all libsndfile1 libportaudio2 \
	chromium ffmpeg libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 \
	libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-wqy-microhei
HOST ?= 127.0.0.1
PORT ?= 8000
SERVER ?= http://$(HOST):$(PORT)
ROOM ?= R01
SEAT ?= A01
AUDIO ?=

# PostgreSQL and Redis for the tests that need real servers; CI starts both.
EXAM_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
EXAM_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export EXAM_TEST_POSTGRES_URL EXAM_TEST_REDIS_URL

.PHONY: install deb demo client test check bench bench-scoring bench-pe \
	bench-drivers clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory deb; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

deb:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: install
	$(BIN)/python -m exam_server demo --host $(HOST) --port $(PORT)

client: install
	$(BIN)/python -m exam_client seat --server $(SERVER) --room $(ROOM) \
		--seat $(SEAT) $(if $(AUDIO),--audio-input $(AUDIO))

test: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy exam_client scoring_engine pe_sensors exam_server standards

bench: install
	$(BIN)/python bench/run_all.py

bench-scoring: install
	taskset -c 0 $(BIN)/python bench/scoring_bench.py

bench-pe: install
	$(BIN)/python bench/pe_bench.py

bench-drivers: install
	$(BIN)/python bench/drivers_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
