# Praxis — the two commands of the README's Quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# Debian packages the demo needs to render its manual's PDF: the Chinese font and pango for
# WeasyPrint. The tests need those too, plus the browser for Playwright and poppler to read PDFs.
DEBIAN_DEMO_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
DEBIAN_TEST_PACKAGES := chromium poppler-utils $(DEBIAN_DEMO_PACKAGES)

.PHONY: demo test lint system-packages demo-packages translations vendor clean

# A venv without pip (Debian's python3 lacking python3-venv) is removed and made again.
$(BIN)/pip:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Praxis needs Python 3.11 or newer")'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Cannot create a virtual environment: install python3-venv" >&2; exit 1; fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	@touch $@ $(VENV)/.installed

demo: demo-packages $(VENV)/.installed
	$(BIN)/lms demo --port $(PORT)

demo-packages:
	@$(MAKE) --no-print-directory system-packages DEBIAN_TEST_PACKAGES="$(DEBIAN_DEMO_PACKAGES)"

system-packages:
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages:$$missing — run as root, or: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

test: system-packages $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check lms sandbox tests benchmarks wsgi.py

translations: $(VENV)/.installed
	$(BIN)/lms translate update
	$(BIN)/lms translate compile

# Refresh the vendored CSS framework from the npm registry (pinned version).
BOOTSTRAP_VERSION := 5.3.8
vendor:
	rm -rf /tmp/praxis-vendor && mkdir -p /tmp/praxis-vendor
	cd /tmp/praxis-vendor && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) && tar xzf bootstrap-$(BOOTSTRAP_VERSION).tgz
	cp /tmp/praxis-vendor/package/dist/css/bootstrap.min.css* /tmp/praxis-vendor/package/dist/js/bootstrap.bundle.min.js* \
	   /tmp/praxis-vendor/package/LICENSE lms/static/vendor/bootstrap/

clean:
	rm -rf $(VENV) instance .pytest_cache
