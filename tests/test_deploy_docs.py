"""docs/deploy.md stays true: every command in its ``sh`` blocks runs, in order, against a
private PostgreSQL primary and replica on loopback (tests/kit_postgres.py).

Only what cannot run in a test is translated, visibly, in ``TRANSLATE``: host names become
127.0.0.1, the documented ports become free ones, system folders become temporary ones,
``sudo -u postgres`` becomes ``runuser -u postgres --``, ``apt-get install`` becomes a check
that those packages are installed, long-running ``serve`` processes go to the background and
``jobs work`` stops when the queue is empty.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import REFERENCE_DATE, REPO, SAMPLE_JSON
from kit_postgres import _prepare_folder, free_port, start_cluster

DOC = REPO / "docs" / "deploy.md"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BIN = Path(sys.executable).parent


def blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def commands() -> list[str]:
    found = []
    for block in blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                found.append(line)
    return found


def test_the_page_has_commands_for_every_topic():
    text = "\n".join(commands())
    for needle in ("CREATE ROLE kaart", "init", "serve", "/readyz", "/healthz", "jobs work",
                   "pg_basebackup", "DATABASE_REPLICA_URLS", "backup", "restore",
                   "index rebuild", "index warm", "pg_prewarm",
                   "SOCIALE_KAART_TEST_DATABASE=postgresql"):
        assert needle in text, needle


def test_the_nginx_example_matches_the_documented_nodes():
    (nginx,) = blocks("nginx")
    served = set(re.findall(r"serve --host 127\.0\.0\.1 --port (\d+)", "\n".join(commands())))
    upstream = set(re.findall(r"server 127\.0\.0\.1:(\d+)", nginx))
    assert upstream and upstream <= served
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert header in nginx
    assert "SOCIALE_KAART_PROXY_COUNT=1" in "\n".join(commands())
    assert "/readyz" in DOC.read_text() and "proxy_next_upstream" in nginx


def test_every_documented_command_runs_against_loopback(tmp_path):
    primary = start_cluster(tmp_path / "db1")
    replica_dir = _prepare_folder(None)
    replica_port, ports = free_port(), {p: str(free_port()) for p in ("8001", "8002", "8003")}
    srv = tmp_path / "srv"
    srv.mkdir()
    shutil.copy(SAMPLE_JSON, srv / "aanbod.json")
    # The bulk-import example gets the same listings under new ids (a second data set).
    text = SAMPLE_JSON.read_text(encoding="utf-8")
    fresh: dict[str, str] = {}
    (srv / "landelijk.json").write_text(UUID.sub(
        lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text), encoding="utf-8")
    translate = [
        ("apt-get install -y", "dpkg -s"),
        ("sudo -u postgres ", "runuser -u postgres -- "),
        ("/var/lib/postgresql/15/replica.log", str(replica_dir / "replica.log")),
        ("/var/lib/postgresql/15/replica", str(replica_dir / "data")),
        ("/srv/sociale-kaart", str(srv)),
        ("/var/backups/sociale-kaart", str(tmp_path / "backups")),
        ("db1.intern", "127.0.0.1"), ("db2.intern", "127.0.0.1"),
        ("5432", str(primary.port)), ("5433", str(replica_port)),
        *ports.items(),
        ("SOCIALE_KAART_TEST_DATABASE=postgresql make test",
         f"SOCIALE_KAART_TEST_DATABASE=postgresql {sys.executable} -m pytest "
         "-p no:cacheprovider tests/test_postgres_mode.py"),
    ]
    lines = ["set -euo pipefail", "PIDS=()", "trap 'kill ${PIDS[@]} 2>/dev/null || true' EXIT"]
    for command in commands():
        for old, new in translate:
            command = command.replace(old, new)
        if re.search(r"sociale-kaart .* serve ", command):
            port = command.rsplit(" ", 1)[-1]
            command += f" > {tmp_path}/serve-{port}.log 2>&1 & PIDS+=($!)"
        elif command.endswith("jobs work"):
            command += " --once --idle-sleep 0"
        lines.append("echo " + shlex.quote(f"$ {command}"))
        lines.append(command)
    (tmp_path / "deploy.sh").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "PGHOST": "127.0.0.1",
           "PGPORT": str(primary.port), "PGUSER": "postgres",
           "SOCIALE_KAART_TODAY": REFERENCE_DATE.isoformat(), "SOCIALE_KAART_SEMANTIC": "off"}
    for name in ("SOCIALE_KAART_DATABASE_URL", "SOCIALE_KAART_INSTANCE",
                 "SOCIALE_KAART_TEST_DATABASE"):
        env.pop(name, None)
    replica_ctl = ["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl",
                   "-D", str(replica_dir / "data"), "-m", "immediate", "stop"]
    try:
        result = subprocess.run(["bash", str(tmp_path / "deploy.sh")], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=900)
        logs = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
        (tmp_path.parent / "deploy-stderr.txt").write_text(result.stdout + result.stderr)
        assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:],
                                        logs[-3000:])
        out = result.stdout
        assert '"status":"ok"' in out.replace(" ", "")  # /readyz and /healthz answered
        assert "streaming" in out  # pg_stat_replication shows the replica
        assert "Back-up teruggezet" in out and "Zoekindex opnieuw opgebouwd" in out
        assert "Zoektabellen opgewarmd" in out  # pg_prewarm, created as the postgres user
        assert "sociale-kaart test database: postgresql" in out and " passed" in out
        assert (tmp_path / "backups" / "kaart.tar.gz").exists()
        assert primary.execute("SELECT count(*) FROM service", "kaart")[0][0] >= 150
    finally:
        subprocess.run(replica_ctl, capture_output=True)
        shutil.rmtree(replica_dir, ignore_errors=True)
        primary.stop(remove=True)
