"""The baseline for fanout_bench.py: a bare gevent fan-out with nothing of the app in it.

    gunicorn -k gevent --worker-connections 4000 bench.bare_fanout:app

``GET /events/<n>/stream`` opens a stream (a gevent queue per viewer); ``POST /vote?count=N``
broadcasts one ~600-byte fragment carrying the tally "N votes" to every open stream, once
per vote, and answers. No database, no templates, no sign-in, no coalescing: what the machine
itself costs to reach N sockets. ``python bench/fanout_bench.py --bare`` runs it with the
same clients and measurements as the app.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from gevent.queue import Empty, Queue

streams: set[Queue] = set()
FILLER = "x" * 420  # with the markup around it, about the size of a tally message


def _fragment(count: int) -> bytes:
    tally = f"{count} vote" + ("" if count == 1 else "s")
    html = (
        f'<hx-partial hx-target="#tally-1" hx-swap="outerHTML"><span id="tally-1" class="tally"'
        f' data-version="{count}" data-note="{FILLER}">{tally}</span></hx-partial>'
    )
    return f"id: {count}\ndata: {html}\n\n".encode()


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path.startswith("/events/") and path.endswith("/stream"):
        queue: Queue = Queue()
        streams.add(queue)
        start_response(
            "200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
        )

        def stream():
            try:
                yield b": connected\n\n"
                while True:
                    try:
                        yield queue.get(timeout=15)
                    except Empty:
                        yield b": ping\n\n"
            finally:
                streams.discard(queue)

        return stream()
    if path == "/vote" and environ.get("REQUEST_METHOD") == "POST":
        count = int(parse_qs(environ.get("QUERY_STRING", "")).get("count", ["0"])[0])
        message = _fragment(count)
        for queue in list(streams):
            queue.put(message)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"bare fan-out"]
