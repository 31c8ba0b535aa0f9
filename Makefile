# cxoffice: `make demo` serves a demo on SQLite, `make test` runs every check. Both start from
# a clean clone: they create .venv, install what is missing (apt packages included) and go.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_ADDR ?= 127.0.0.1:8000

.PHONY: demo test serve messages lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

messages:
	scripts/system_deps.sh gettext
	cd $(CURDIR) && $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=staticfiles -v 0

demo: $(VENV)/.installed messages
	env -u DATABASE_URL $(BIN)/python manage.py migrate --noinput -v 0
	env -u DATABASE_URL $(BIN)/python manage.py load_demo
	env -u DATABASE_URL $(BIN)/python manage.py runserver $(DEMO_ADDR) --noreload

test: $(VENV)/.installed-dev
	scripts/system_deps.sh gettext postgresql chromium redis
	$(MAKE) messages
	scripts/test.sh

# The production process model (Procfile: gunicorn, celery worker, celery beat) on this machine,
# against DATABASE_URL and CELERY_BROKER_URL (a PostgreSQL database and a Redis broker).
serve: $(VENV)/.installed-dev messages
	@test -n "$$DATABASE_URL" -a -n "$$CELERY_BROKER_URL" || { echo "make serve: set DATABASE_URL (postgres://…) and CELERY_BROKER_URL (redis://…); see README"; exit 2; }
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
	find locale -name '*.mo' -delete
