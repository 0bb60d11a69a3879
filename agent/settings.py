"""The one settings class, read from the environment and `.env`."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SHOP_DIR = Path(__file__).parent / "demo_shop"


class Settings(BaseSettings):
    """Everything the product can be told from outside; `env.example` documents each."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./salesagent.db"
    database_echo: bool = False
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_overflow: int = Field(default=20, ge=0)
    database_pool_timeout: float = Field(default=30.0, gt=0)
    max_parallel_turns: int = Field(default=8, ge=1)
    max_parallel_intake: int = Field(default=8, ge=1)
    """How many incoming messages one process stores or queues at once (webhooks, the task
    queue, the turn engine: one bound, agent/turn/admission.py); the rest of a burst waits in
    memory, holding no connection, instead of failing on the pool's timeout."""
    max_parallel_deliveries: int = Field(default=8, ge=1)
    """How many replies one process hands to their channel at once (Twilio, Telegram, Odoo, the
    web chat, staff notifications); the rest wait in memory, in order per chat, or are sent by
    the outbox loop from the database (agent/turn/admission.py)."""
    task_queue: Literal["local", "postgres"] = "local"
    """Where turns and periodic jobs run: in this process (`local`), or queued in PostgreSQL for
    `salesagent worker` processes (`postgres`, with REDIS_URL; README "Scaling out")."""
    redis_url: str | None = None
    """Redis, shared by every process when TASK_QUEUE=postgres: the live feed, turn notices;
    and whenever set, the rate-limit buckets (chat, sender throttle, console logins)."""
    redis_prefix: str = "salesagent:"
    """The prefix of every Redis channel this shop uses (several shops may share one Redis)."""
    redis_pool_size: int = Field(default=50, ge=2)
    """Redis connections one process opens at most; a command waits for a free one."""
    turn_wait_seconds: float = Field(default=30.0, gt=0)
    """How long `POST /chat/text` waits for a worker to finish the turn before it says so."""
    worker_concurrency: int = Field(default=16, ge=1)
    """How many queued jobs one `salesagent worker` runs at once."""
    worker_heartbeat_seconds: float = Field(default=2.0, gt=0)
    """How often a worker says it is alive; one silent for 3 beats has its turns run again."""

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    shop_name: str = "Extintores y Seguridad Industrial del Risaralda"
    company_file: Path = DEMO_SHOP_DIR / "company.yaml"
    shop_words_dir: Path | None = None
    """A folder of `words.es.po`/`words.en.po` changing the wording of replies (README "Words")."""
    default_language: Literal["es", "en"] = "es"
    currency: str = "COP"

    session_idle_hours: float = Field(default=24.0, gt=0)
    memory_messages: int = Field(default=10, ge=1, le=100)
    max_message_chars: int = Field(default=4000, ge=100)
    nlu_confidence_threshold: float = Field(default=0.6, ge=0, le=1)
    nlu_model_dir: Path = Path("./data/nlu")
    """Where the intent classifier trained from agent/nlu/corpus/ is kept between starts."""
    search_results: int = Field(default=5, ge=1, le=20)
    catalog_refresh_seconds: float = Field(default=1.0, ge=0)
    catalog_language: Literal["es", "en"] = "es"
    """The language the product names are written in, when a name's own words do not say: a
    name's head (what the product is) is its first word in Spanish, its last in English
    (agent/catalog/name_language.py). With ODOO_SHOP, the Odoo company's language."""
    catalog_synonyms_file: Path | None = None
    """The shop's own groups of words for the same product (YAML), on top of the built-in
    Spanish-English vocabulary (agent/catalog/vocabulary.py)."""
    auto_seed_demo: bool = True

    web_allowed_origins: str = ""
    """Sites (comma-separated origins) whose pages may open the web chat; its own always may."""
    web_heartbeat_seconds: float = Field(default=25.0, gt=0)
    """How often the web chat socket sends a `ping` event to keep the connection alive."""

    # Rate limits (token buckets): a sustained rate per minute and a burst; 0 turns one off.
    api_rate_limit_per_minute: float = Field(default=600, ge=0)
    api_rate_limit_burst: int = Field(default=100, ge=1)
    api_key_failures_per_minute: float = Field(default=10, ge=0)
    api_key_failures_burst: int = Field(default=10, ge=1)
    """Wrong API keys one address may try (at once, then a minute) before its keys are not read."""
    chat_rate_limit_per_minute: float = Field(default=60, ge=0)
    chat_rate_limit_burst: int = Field(default=20, ge=1)
    forwarded_allow_ips: str = ""
    """Proxies (IPs or CIDRs, comma-separated) trusted to set X-Forwarded-For; none if empty."""

    # Language models (README "LLM"). offline: no model; gemini: Google's API (GOOGLE_API_KEY);
    # ollama: a model on the shop's own machine (OLLAMA_HOST).
    llm_provider: Literal["offline", "gemini", "ollama"] = "offline"
    llm_mode: Literal["fallback", "always"] = "fallback"
    """fallback: ask the model only when the offline reading is unsure; always: every message."""
    llm_phrasing: Literal["off", "unsure", "always"] = "unsure"
    """Rephrase replies with the model: never, on the turns the model read, or every turn."""
    llm_phrase_handlers: str = "inventory,company,customers,smalltalk"
    """Handlers whose replies may be rephrased (comma-separated); sales replies stay templates."""
    llm_model: str | None = None
    """The model; empty picks the provider's default (gemini-3.5-flash, qwen2.5:3b)."""
    google_api_key: SecretStr | None = None
    gemini_base_url: str | None = None
    """Another endpoint for the Gemini API (a proxy, or the tests' local server)."""
    ollama_host: str = "http://127.0.0.1:11434"
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_understanding_timeout: float = Field(default=10.0, gt=0)
    llm_phrasing_timeout: float = Field(default=20.0, gt=0)
    llm_image_timeout: float = Field(default=30.0, gt=0)
    llm_retries: int = Field(default=2, ge=0, le=5)
    llm_retry_base_delay: float = Field(default=0.5, ge=0)
    llm_breaker_failures: int = Field(default=5, ge=1)
    llm_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    llm_privacy: bool | None = None
    """Replace cédula, phone, e-mail and address by placeholders; default on for gemini only."""
    llm_cache_size: int = Field(default=512, ge=0)
    llm_cache_ttl_seconds: float = Field(default=3600.0, gt=0)
    llm_history_tokens: int = Field(default=400, ge=0)
    llm_facts_tokens: int = Field(default=1200, ge=100)
    llm_top_facts: int = Field(default=5, ge=1)
    llm_max_output_tokens: int = Field(default=1024, ge=64)
    llm_price_input_per_mtok: float | None = Field(default=None, ge=0)
    llm_price_output_per_mtok: float | None = Field(default=None, ge=0)
    image_dir: Path = Path("./media/images")
    """Where customers' photos are kept (a person looks at them when no model can)."""
    max_image_bytes: int = Field(default=8_000_000, ge=1000)
    max_body_bytes: int = Field(default=262_144, ge=1024)
    """The largest request body but an upload's (413 above it, before it is read)."""

    # Odoo (README "Odoo"). ODOO_LIVECHAT_ENABLED serves the livechat of Odoo's website through
    # the salesagent_livechat addon; ODOO_SYNC_PRODUCTS_MINUTES and ODOO_PUSH_ORDERS make Odoo
    # the shop's system of record. Each needs ODOO_URL, ODOO_DB and credentials: ODOO_API_KEY
    # (Odoo 19), plus ODOO_USER on Odoo 18 (with the key or ODOO_PASSWORD).
    odoo_livechat_enabled: bool = False
    odoo_url: str | None = None
    odoo_db: str | None = None
    odoo_api_key: SecretStr | None = None
    odoo_user: str | None = None
    odoo_password: SecretStr | None = None
    odoo_webhook_secret: SecretStr | None = None
    """The addon's shared secret: webhooks signed with anything else are refused (403)."""
    odoo_version: Literal["auto", "18", "19"] = "auto"
    """auto: JSON-2 on Odoo 19 and JSON-RPC on 18, chosen from the server's version."""
    odoo_timeout: float = Field(default=10.0, gt=0)
    odoo_sync_products_minutes: float = Field(default=0.0, ge=0)
    """Import Odoo's products every so many minutes (0: only `salesagent odoo sync-products`)."""
    odoo_catch_up_minutes: float = Field(default=5.0, ge=0)
    """Ask Odoo for the livechat messages no webhook brought (the agent down, a wrong secret)
    on start and every so many minutes (0: on start only)."""
    odoo_push_orders: bool = False
    """Push every new order to Odoo as a quotation (sale.order), retried from the outbox."""
    odoo_push_leads: bool = False
    """Push every lead to Odoo as a CRM lead (crm.lead), retried from the outbox, and each later
    change of it (items, amount, assignee, won or lost) as an update of the same crm.lead."""
    odoo_salesperson_id: int | None = Field(default=None, ge=1)
    """The Odoo user (res.users id) quotations and new CRM leads are assigned to; empty: the
    agent's own user."""
    odoo_salespeople: dict[str, int] = Field(default_factory=dict)
    """Staff usernames and their Odoo users (res.users ids), as JSON (`{"ana": 7}`): a lead
    assigned to one of them in the console is assigned to that user in Odoo."""
    odoo_shop: bool = False
    """The shop runs on Odoo: no demo shop; its name, contact facts, currency and language are
    the Odoo company's (README "A shop that runs on Odoo")."""

    delivery_horizon_hours: float = Field(default=12.0, gt=0)
    """A reply its channel cannot take (down, 5xx, timeouts) is retried this long, in order per
    chat; then it is given up and staff are told (README "Delivery")."""

    # Messaging channels (README "WhatsApp and Telegram"). A channel is on when its credentials
    # are set; half a set stops the start-up naming the missing variable.
    public_base_url: str | None = None
    """The address the vendors reach this service at (https://...); Twilio signs against it."""
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    """The shop's WhatsApp sender, `whatsapp:+573001234567`."""
    twilio_content_sid: str | None = None
    """An approved WhatsApp template (HX...) sent instead of a reply outside the 24-hour window."""
    twilio_content_variables: str | None = None
    """The template's variables as JSON (`{"1": "..."}`), when it has any."""
    twilio_api_base_url: str | None = None
    """Another endpoint for Twilio's REST API (a proxy, or the tests' local server)."""
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    """The Bot API server (a self-hosted one, or the tests' local server)."""
    whatsapp_part_chars: int = Field(default=900, ge=100, le=1600)
    """A longer WhatsApp reply is sent in parts of at most this many characters."""
    whatsapp_max_parts: int = Field(default=3, ge=1, le=10)
    """At most this many parts; the last one is shortened."""
    ignore_senders: str = ""
    """Senders (comma-separated: WhatsApp numbers, Telegram user ids) never answered: the
    shop's own numbers and bots."""
    sender_rate_per_minute: float = Field(default=20, ge=0)
    """Messages a minute one chat may send before it is throttled (0: no limit)."""
    sender_burst: int = Field(default=10, ge=1)

    # Voice notes (agent/voice): faster-whisper on the CPU.
    whisper_model: str = "base"
    """A local folder with the model, or a size name (tiny, base, small...) fetched once by
    `salesagent voice fetch-model`; the service itself never downloads it."""
    whisper_download_root: Path | None = None
    """Where size names are fetched into and looked for (Hugging Face's cache layout); empty:
    the Hugging Face cache (HF_HOME)."""
    whisper_threads: int = Field(default=0, ge=0)
    """CPU threads of a transcription; 0: all cores but one."""
    whisper_beam_size: int = Field(default=1, ge=1, le=10)
    voice_max_seconds: float = Field(default=180.0, gt=0)
    voice_max_bytes: int = Field(default=16_000_000, ge=1000)
    audio_dir: Path = Path("./media/audio")
    """Where voice notes sent to the web chat are kept."""

    # Handoff to staff and the staff console (README "Staff console").
    handoff_triggers: str = (
        "request,misunderstanding,frustration,complaint,order_amount,unservable,model_down"
    )
    """The triggers (comma-separated) that hand a conversation to a person; others are off."""
    handoff_order_amount: Decimal = Field(default=Decimal(5_000_000), ge=0)
    """A cart above this total goes to a person (0: never)."""
    handoff_misunderstandings: int = Field(default=2, ge=1, le=10)
    """The same misunderstanding this many times in a row goes to a person."""
    handoff_wait_seconds: float = Field(default=300.0, gt=0)
    """Nobody took a waiting conversation within this time: the customer is told honestly."""
    lead_cart_idle_minutes: float = Field(default=60.0, gt=0)
    """A cart left this long without a message (and no order) becomes an abandoned-cart lead."""
    lead_wholesale_quantity: int = Field(default=50, ge=1)
    """Asking for this many units of a product (or more) makes a wholesale lead, and a wholesale
    price asked for them a special quote (README "Proposals")."""
    proposal_ttl_minutes: float = Field(default=60.0, gt=0)
    """A proposal no manager decided within this time expires, and the customer is told."""
    proposal_discount_threshold: Decimal = Field(default=Decimal(0), ge=0, le=90)
    """A discount asked up to this percentage is granted by the shop's rule (recorded like an
    approval); above it the agent proposes it to a manager (README "Proposals")."""
    shop_timezone: str = "America/Bogota"
    """The time zone of the company file's hours (staff hours in the customer messages)."""
    staff_session_hours: float = Field(default=12.0, gt=0)
    """A console login lasts this long."""
    staff_login_rate_limit_per_minute: float = Field(default=10, gt=0)
    staff_login_rate_limit_burst: int = Field(default=5, ge=1)
    """Login attempts per client address and per user name: a burst, then a rate a minute."""
    staff_telegram_chat_id: str | None = None
    """A Telegram chat (a staff group's id) told of every conversation waiting for a person."""
    staff_telegram_bot_token: SecretStr | None = None
    """The bot that writes to the staff chat; empty: TELEGRAM_BOT_TOKEN."""

    # Storage and exports (README "Reports"). Exported files go to one backend: local (a folder;
    # links signed by this service), s3 (boto3; any S3-compatible endpoint) or minio (the minio
    # SDK). A backend chosen without its credentials stops the start-up naming the variable.
    storage_backend: Literal["local", "s3", "minio"] = "local"
    storage_local_dir: Path = Path("./data/storage")
    storage_signing_key: SecretStr | None = None
    """Signs local download links; empty: a random key kept in STORAGE_LOCAL_DIR (made once)."""
    storage_bucket: str = "salesagent"
    """The bucket of the s3 and minio backends (created when missing)."""
    s3_endpoint_url: str | None = None
    """An S3-compatible endpoint (path-style addressing); empty: AWS itself."""
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    minio_endpoint: str | None = None
    """host:port of the MinIO server."""
    minio_access_key: str | None = None
    minio_secret_key: SecretStr | None = None
    minio_secure: bool = True
    minio_region: str = "us-east-1"
    export_link_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    """How long a download link of an export works."""
    export_retention_hours: float = Field(default=72.0, gt=0)
    """Exported files older than this are deleted."""
    export_daily_at: str | None = None
    """Run the daily exports at this local time (HH:MM, SHOP_TIMEZONE); empty: no schedule."""
    export_daily_kinds: str = "sales"
    """The reports (comma-separated) of the daily run, each covering the day before."""
    export_concurrency: int = Field(default=1, ge=1, le=8)
    """How many exports one process writes at a time (each reads the database and writes a file)."""
    # Knowledge base (README "Knowledge base"): the shop's documents, searched by keyword and,
    # with KB_EMBEDDINGS, by meaning too (Gemini with GOOGLE_API_KEY, or Ollama at OLLAMA_HOST).
    kb_embeddings: Literal["off", "gemini", "ollama"] = "off"
    kb_embedding_model: str | None = None
    """The embedding model; empty picks the provider's default (gemini-embedding-001,
    nomic-embed-text)."""
    kb_min_match: float = Field(default=0.5, ge=0, lt=1)
    """A passage answers a question only when it holds more than this share of the question's
    weight (rarer words weigh more, a word no passage holds as much as the rarest held one);
    otherwise the agent says it does not know."""
    kb_chunk_chars: int = Field(default=900, ge=200, le=8000)
    kb_chunk_overlap: int = Field(default=150, ge=0, le=2000)
    """Characters a passage repeats from the end of the one before it."""
    kb_max_bytes: int = Field(default=50_000_000, ge=1000)
    """The largest document (file, upload or page) the knowledge base takes."""
    kb_fetch_timeout: float = Field(default=20.0, gt=0)
    metrics_token: SecretStr | None = None
    """A bearer token that Prometheus sends to read /metrics; empty: /metrics is not served."""

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the usual URL spellings and pick the async driver for them."""
        if url.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url

    @property
    def is_sqlite(self) -> bool:
        """True when the embedded SQLite database is in use."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
