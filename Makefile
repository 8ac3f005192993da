# The README's two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
INSTANCE ?= instance

.PHONY: demo serve test lint fmt bench translations clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed  ## install, load the demo data and serve http://127.0.0.1:5000
	$(BIN)/sociale-kaart --instance $(INSTANCE) demo

serve: $(BIN)/.installed  ## serve an existing instance
	$(BIN)/sociale-kaart --instance $(INSTANCE) serve

test: $(BIN)/.installed  ## the whole test suite
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .

fmt: $(BIN)/.installed
	$(BIN)/ruff check --fix .

bench: $(BIN)/.installed  ## relevance and speed figures
	$(BIN)/python benchmarks/relevance.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/dashboard.py

TRANSLATIONS = sociale_kaart/translations
translations: $(BIN)/.installed  ## extract the Dutch texts, update the English catalog, compile it
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 \
	  --add-comments=Translators: --sort-by-file --project=sociale-kaart \
	  --copyright-holder="Sociale Kaart" -o $(TRANSLATIONS)/messages.pot sociale_kaart templates
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
	  --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS)

clean:
	rm -rf $(VENV) *.egg-info
