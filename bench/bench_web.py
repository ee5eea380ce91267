"""The web UI's answer path: a question asked in the browser's way (HTTP POST,
server-sent events through uvicorn on loopback, sign-in session, CSRF, access check,
sealed history) vs the same question through ``Appliance.ask`` in-process, same
model, same documents, greedy decoding so both produce the same answer.

Prints time to the first streamed text, total time and decoding rate, with the
ratio web / in-process (1.0 = no overhead).

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_web.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from benchkit import (
    REPO,
    interleave,
    make_appliance,
    median,
    print_footer,
    print_header,
    ratio,
    table,
)

from appliance.accounts import Accounts
from appliance.caller import Caller
from appliance.web import create_app

QUESTION = "How long must the bank keep customer transaction records?"
PASSWORD = "quiet-harbour-lantern-77"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print_header("Web UI answer path vs in-process Appliance.ask")
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        app = make_appliance(Path(tmp) / "data", temperature=0.0, chat_rate_per_minute=1000)
        app.ingest([REPO / "samples"])
        who = Caller.local()
        accounts = Accounts(app.db, app.audit, app.settings)
        accounts.create_user("bench", "staff", who, password=PASSWORD)
        accounts.grant("default", who, user="bench")
        engine = app.engine_loaded()
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(app, maintenance=False), host="127.0.0.1", port=port, log_level="error"
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300)
        page = client.get("/signin").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/signin", data={"username": "bench", "password": PASSWORD, "csrf": token})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/chat").text).group(1)  # type: ignore[union-attr]
        first: dict[str, list[float]] = {"web (SSE)": [], "in-process": []}
        tokens: dict[str, list[int]] = {"web (SSE)": [], "in-process": []}

        def web() -> float:
            start = time.perf_counter()
            got_first, text = None, ""
            with client.stream(
                "POST",
                "/chat/ask",
                data={"question": QUESTION, "collection": "default", "csrf": csrf},
                headers={"Accept": "text/event-stream"},
            ) as response:
                for line in response.iter_lines():
                    if line.startswith("data: ") and got_first is None:
                        got_first = time.perf_counter() - start
                    if line.startswith("data: ") and '"conversation_id"' in line:
                        text = re.sub(r"<[^>]+>", "", json.loads(line[6:])["html"])
            total = time.perf_counter() - start
            first["web (SSE)"].append(got_first or total)
            tokens["web (SSE)"].append(engine.count_tokens(text))
            return total

        def direct() -> float:
            start = time.perf_counter()
            got_first = None
            stream = app.ask(QUESTION, "default", who=Caller("bench", "staff"))
            for _delta in stream:
                if got_first is None:
                    got_first = time.perf_counter() - start
            answer = stream.result()
            total = time.perf_counter() - start
            first["in-process"].append(got_first or total)
            tokens["in-process"].append(engine.count_tokens(answer.text))
            return total

        web()  # warm both paths (model load, lexical index, first session touch)
        direct()
        for side in first:
            first[side].clear()
            tokens[side].clear()
        totals = interleave({"web (SSE)": web, "in-process": direct}, args.rounds)
        server.should_exit = True
        app.close()
    rows = []
    for side in totals:
        t, f, n = median(totals[side]), median(first[side]), median(tokens[side])
        rows.append([side, f, t, n, n / max(t - f, 1e-9)])
    w, d = rows[0], rows[1]
    print(table(["path", "first text s", "total s", "answer tokens", "tokens/s after first"], rows))
    print(
        f"\nweb / in-process: first text {ratio(w[1], d[1]):.3f}, total {ratio(w[2], d[2]):.3f}, "
        f"decoding rate {ratio(w[4], d[4]):.3f} (rate: higher is better)"
    )
    print_footer()


if __name__ == "__main__":
    main()
