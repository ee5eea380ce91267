"""Prometheus metrics of the API and the model queue (served at /metrics to admins)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from appliance.llm.scheduler import Scheduler


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

    def render(self, scheduler: Scheduler | None) -> bytes:
        if scheduler is not None:
            stats = scheduler.stats
            self.queue_depth.set(stats.waiting)
            self.running.set(stats.running)
            self.instances.set(len(scheduler.engines))
            self.rejected.set(stats.rejected)
        return generate_latest(self.registry)
