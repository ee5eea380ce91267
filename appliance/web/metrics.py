"""Prometheus metrics of the API and the model queue (served at /metrics to admins),
and the usage ledger's all-time figures per collection and per group (never per user:
a label per person would put names in every scraper's database)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from appliance.llm.scheduler import Scheduler
from appliance.service.usage import UsageTotals
from appliance.store.usage import UsageFigures

# (metric name after appliance_usage_[group_], figures attribute, help)
USAGE_COUNTERS = (
    ("questions", "questions", "questions asked (ask, chat, /v1)"),
    ("documents", "documents", "documents ingested (added or replaced)"),
    ("prompt_tokens", "prompt_tokens", "prompt tokens of questions"),
    ("completion_tokens", "completion_tokens", "completion tokens of answers"),
    ("refusals", "refusals", "questions refused (no grant, too long, queue full, nothing found)"),
    ("pii_blocks", "pii_blocks", "questions blocked for personal data"),
)
USAGE_QUANTILES = (
    ("ttft", "ttft_p50_ms", "ttft_p95_ms", "time to the first text of answered questions"),
    ("latency", "latency_p50_ms", "latency_p95_ms", "time to the end of answered questions"),
)


class UsageCollector(Collector):
    """Families read from the usage ledger at each scrape (set :attr:`totals` first),
    so the figures are the database's: the same in every server process and after a
    restart."""

    def __init__(self) -> None:
        self.totals: UsageTotals | None = None

    def collect(self) -> Iterator[Metric]:
        totals = self.totals
        if totals is None:
            return
        for label, rows in (("collection", totals.by_collection), ("group", totals.by_group)):
            prefix = "appliance_usage_" if label == "collection" else "appliance_usage_group_"
            for name, attr, text in USAGE_COUNTERS:
                family = CounterMetricFamily(prefix + name, f"{text}, by {label}", labels=[label])
                for figures in rows:
                    family.add_metric([figures.key], getattr(figures, attr))
                yield family
        for name, p50, p95, text in USAGE_QUANTILES:
            gauge = GaugeMetricFamily(
                f"appliance_usage_{name}_seconds",
                f"{text} (all time), by collection",
                labels=["collection", "quantile"],
            )
            for figures in totals.by_collection:
                _add_quantiles(gauge, figures, p50, p95)
            yield gauge
        cost = totals.cost
        gauge = GaugeMetricFamily(
            "appliance_usage_cost_per_1000_questions",
            "cost per 1,000 questions (all time) on this appliance and at the API prices entered",
            labels=["basis", "currency"],
        )
        for basis, value in (("appliance", cost.hardware_per_1000), ("api", cost.api_per_1000)):
            if value is not None:
                gauge.add_metric([basis, cost.currency], value)
        yield gauge


def _add_quantiles(gauge: GaugeMetricFamily, figures: UsageFigures, p50: str, p95: str) -> None:
    for quantile, attr in (("0.5", p50), ("0.95", p95)):
        value = getattr(figures, attr)
        if value is not None:
            gauge.add_metric([figures.key, quantile], value / 1000)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "appliance_requests",
            "API requests by endpoint and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.errors = Counter("appliance_errors", "API errors by type", ["type"], registry=r)
        self.tokens_in = Counter("appliance_tokens_in", "prompt tokens", registry=r)
        self.tokens_out = Counter("appliance_tokens_out", "generated tokens", registry=r)
        self.ttft = Histogram(
            "appliance_time_to_first_token_seconds",
            "time from request to the first generated text",
            buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
            registry=r,
        )
        self.rate = Histogram(
            "appliance_tokens_per_second",
            "decoding speed of each generation",
            buckets=(1, 2, 5, 10, 20, 40, 80, 160, 320),
            registry=r,
        )
        self.queue_depth = Gauge("appliance_queue_depth", "requests waiting", registry=r)
        self.running = Gauge("appliance_generations_running", "generations running", registry=r)
        self.instances = Gauge("appliance_model_instances", "model instances", registry=r)
        self.rejected = Gauge(
            "appliance_queue_rejected", "requests refused because the queue was full", registry=r
        )
        self.usage = UsageCollector()
        r.register(self.usage)

    def render(self, scheduler: Scheduler | None, usage: UsageTotals | None = None) -> bytes:
        """The text format; ``usage``: the ledger's figures to expose (None: none)."""
        if scheduler is not None:
            stats = scheduler.stats
            self.queue_depth.set(stats.waiting)
            self.running.set(stats.running)
            self.instances.set(len(scheduler.engines))
            self.rejected.set(stats.rejected)
        self.usage.totals = usage
        return generate_latest(self.registry)
