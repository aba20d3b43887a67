"""gunicorn settings for `make run` and production: gevent workers hold live streams."""

import gc
import os
import resource
import signal

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "4000"))
# Open streams would otherwise hold a restart for the default 30 s.
graceful_timeout = 5
timeout = 60
accesslog = os.environ.get("ACCESS_LOG", "-")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    # Every open stream is a file descriptor: raise the soft limit to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def post_worker_init(worker):
    """Warm the templates; on SIGTERM, end this worker's live streams at once (browsers
    reconnect elsewhere).

    Without it, open streams keep the worker alive until ``graceful_timeout`` and are then
    cut off mid-write.
    """
    import gevent

    from mlc_events.live.services import stop_live

    app = worker.wsgi
    # Compile every template now rather than in the first request that needs it: the first
    # vote after a start would otherwise reach a thousand viewers ~100 ms late.
    for name in app.jinja_env.list_templates(extensions=["html", "txt", "ics"]):
        app.jinja_env.get_template(name)
    # What exists now lives as long as the worker: keep it out of every garbage collection.
    gc.collect()
    gc.freeze()
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        gevent.spawn(stop_live, app)  # blocking work does not belong in a signal handler
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)
