"""A fair, bounded queue in front of one or more model instances.

llama-cpp-python's high-level ``Llama`` decodes one sequence at a time, so
parallel generations need several instances; they share the GGUF's weights
(memory-mapped) and each has its own KV cache (setting ``engine_instances``).
Waiting requests are served user by user: the one served least recently goes
first, so one user's burst cannot starve the others. The queue is bounded
(:class:`Overloaded`, which the API answers with 429 and ``Retry-After``) and
every request has a deadline covering its wait and its generation.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from appliance.errors import GenerationCancelled, Overloaded, RequestTimedOut
from appliance.llm.engine import ChatMessage, GenerationParams


@dataclass
class _Ticket:
    user: str
    number: int
    cancel: threading.Event
    deadline: float
    engine: Any = None


@dataclass
class SchedulerStats:
    waiting: int = 0
    running: int = 0
    served: int = 0
    rejected: int = 0
    timed_out: int = 0
    per_user_served: dict[str, int] = field(default_factory=dict)


class Scheduler:
    def __init__(
        self,
        engines: Sequence[Any],
        *,
        max_queue: int = 64,
        timeout_s: float = 300.0,
        on_change: Callable[[SchedulerStats], None] | None = None,
    ) -> None:
        if not engines:
            raise ValueError("a scheduler needs at least one engine")
        self._free = list(engines)
        self.engines = list(engines)
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self._cond = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._numbers = itertools.count()
        self._last_served: dict[str, int] = {}
        self._served_counter = itertools.count(1)
        self.stats = SchedulerStats()
        self._on_change = on_change

    # -- turns -----------------------------------------------------------------

    def _next(self) -> _Ticket | None:
        """The waiting ticket of the user served least recently (new users first),
        their oldest request first."""
        if not self._waiting:
            return None
        return min(self._waiting, key=lambda t: (self._last_served.get(t.user, 0), t.number))

    def _changed(self) -> None:
        self.stats.waiting = len(self._waiting)
        self.stats.running = len(self.engines) - len(self._free)
        if self._on_change is not None:
            self._on_change(self.stats)

    @property
    def max_per_user(self) -> int:
        """One user may hold at most a quarter of the queue, so a burst leaves room."""
        return max(2, self.max_queue // 4)

    def check_room(self, user: str) -> None:
        """Raise :class:`Overloaded` now if a request of ``user`` would be refused, so
        a streamed answer can still be answered with 429 before it starts."""
        with self._cond:
            self._refuse_if_full(user)

    def _refuse_if_full(self, user: str) -> None:
        mine = sum(1 for t in self._waiting if t.user == user)
        if len(self._waiting) < self.max_queue and mine < self.max_per_user:
            return
        self.stats.rejected += 1
        self._changed()
        # A slot frees when a generation ends; a few seconds is a fair guess.
        raise Overloaded(
            f"the model is busy ({len(self._waiting)} requests waiting, {mine} of them "
            "yours); retry shortly.",
            retry_after=max(1, min(30, len(self._waiting) // max(1, len(self.engines)))),
        )

    def acquire(
        self, user: str, cancel: threading.Event | None = None, deadline: float | None = None
    ) -> _Ticket:
        """Wait for an engine (fairly); the ticket holds it until :meth:`release`."""
        cancel = cancel or threading.Event()
        deadline = deadline or time.monotonic() + self.timeout_s
        with self._cond:
            self._refuse_if_full(user)
            ticket = _Ticket(user, next(self._numbers), cancel, deadline)
            self._waiting.append(ticket)
            self._changed()
            try:
                while not (self._free and self._next() is ticket):
                    if cancel.is_set():
                        raise GenerationCancelled("cancelled while waiting for the model")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self.stats.timed_out += 1
                        raise RequestTimedOut("the request waited too long for the model.")
                    self._cond.wait(min(remaining, 0.2))
                ticket.engine = self._free.pop()
                self._last_served[user] = next(self._served_counter)
                self.stats.served += 1
                self.stats.per_user_served[user] = self.stats.per_user_served.get(user, 0) + 1
                return ticket
            finally:
                self._waiting.remove(ticket)
                self._changed()
                self._cond.notify_all()

    def release(self, ticket: _Ticket) -> None:
        with self._cond:
            if ticket.engine is not None:
                self._free.append(ticket.engine)
                ticket.engine = None
            self._changed()
            self._cond.notify_all()

    # -- generation --------------------------------------------------------------

    def stream_chat(
        self,
        messages: list[ChatMessage],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        *,
        user: str = "-",
        timeout_s: float | None = None,
        report: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Like :meth:`LlamaEngine.stream_chat`, on the next free instance, in turn.
        Waiting starts at the first ``next()``, so a caller can prepare first."""
        cancel = cancel or threading.Event()
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        ticket = self.acquire(user, cancel, deadline)
        # The deadline also ends a generation that runs past it.
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), cancel.set)
        timer.daemon = True
        timer.start()
        try:
            yield from ticket.engine.stream_chat(messages, params, cancel, report)
        except GenerationCancelled:
            if time.monotonic() >= deadline:
                with self._cond:
                    self.stats.timed_out += 1
                raise RequestTimedOut("the answer took longer than the time limit.") from None
            raise
        finally:
            timer.cancel()
            self.release(ticket)

    @property
    def queue_depth(self) -> int:
        with self._cond:
            return len(self._waiting)
