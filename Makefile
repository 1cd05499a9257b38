# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv with the project installed; nothing else is required
# but Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test check bench screenshot screenshots setup clean dist frozen-screenshot

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m app --demo

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: check
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# The pictures of docs/: the window on the demo, and forms of the gallery
# manifest (pickers, lists in lists, variants) drawn by `python -m app preview`.
GALLERY := docs/examples/form-gallery.json
PREVIEW := QT_QPA_PLATFORM=offscreen $(BIN)/python -m app preview $(GALLERY)

# The window is drawn with settings of its own, not the user's (a download
# folder of theirs would show in the picture).
screenshots: $(STAMP)
	data=$$(mktemp -d) && \
	PEGASUS_REPORTS_DATA_DIR=$$data QT_QPA_PLATFORM=offscreen \
		$(BIN)/python -m app --demo --screenshot docs/main-window.png; \
	status=$$?; rm -rf "$$data"; exit $$status
	$(PREVIEW) --script speeding --png docs/form-pickers.png
	$(PREVIEW) --script route_plan --png docs/form-nested-lists.png
	$(PREVIEW) --script alert_rule --png docs/form-variants.png

screenshot: screenshots

# The one-folder app for this OS: dist/pegasus-reports-<version>/ (see
# packaging/README.md). PyInstaller and Pillow come with the `build` extra.
BUILD_STAMP := $(VENV)/.build-stamp

$(BUILD_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[build]'
	touch $(BUILD_STAMP)

dist: $(BUILD_STAMP)
	$(BIN)/python packaging/build.py

# The built app's main window under Xvfb, as docs/frozen-main-window.png.
frozen-screenshot: dist
	$(BIN)/python packaging/screenshot_frozen.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
