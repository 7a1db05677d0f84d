"""gunicorn settings for operators who run draftlint under `gunicorn` themselves:

    gunicorn -c deploy/gunicorn.conf.py            # serves server.app:create_app() on :8000

`draftlint serve` (and so the container image, deploy/Containerfile) does not read this file: it
configures gunicorn itself (server/cli.py `cmd_serve`, server/gunicorn_server.py). The settings
below are the ones it uses, taken from there where they have a name, so that both ways of running
the server behave alike; tests/deploy/test_gunicorn_conf.py starts `draftlint serve`'s gunicorn
configuration and compares every setting with this file's.

Differences, on purpose:
- `wsgi_app`: gunicorn builds the app from the factory in each worker; `draftlint serve` builds it
  once in the arbiter and first refuses to start when `DRAFTLINT_API_KEYS` names an organisation
  the database does not hold. Run `draftlint serve` once, or check the keys another way.
- `worker_tmp_dir`: the workers' heartbeat files go to /dev/shm where there is one, gunicorn's
  advice for a disk-backed /tmp; the image instead sets TMPDIR=/tmp, mounted as a tmpfs.
- `on_starting`: logging as `draftlint serve` sets it up (the app's own loggers at INFO, text or
  `$DRAFTLINT_LOG_FORMAT=json`), and the metrics folder it prepares: `$PROMETHEUS_MULTIPROC_DIR`,
  emptied of an earlier run's files, or a temporary one (server/gunicorn_server.py). This file
  runs before any worker imports the app, as the folder must.

Access log: gunicorn's is off (`accesslog = None`, its default). The app logs one line per request
itself (logger `server.access`: method, path, status, duration; never the query string, a body
or a header, and the route instead of a one-time sign-in link's token, which gunicorn's `%(U)s`
would print). Do not add `logconfig_dict` or `logconfig` here: either one turns gunicorn's access
log on, whose default format holds the query string (`%(r)s`).
"""

import os

from server.config import environment_setting
from server.gunicorn_server import (
    THREADS,
    child_exit,
    prepare_metrics_folder,
    remove_metrics_folder,
)
from server.logs import configure_logging

# What `draftlint serve --host 0.0.0.0` binds (its default host is loopback; the image's command
# binds every interface, as a container must).
bind = "0.0.0.0:8000"
workers = 2  # `draftlint serve --workers` (2)
# gthread workers that read each request head in their event loop: slow clients cost a socket, not
# a thread (server/gunicorn_server.py). Its header timeout (10 s, then 408) is the class's own.
# Threads, not sync workers, so that a lint waiting on Graph or the Gmail API holds a thread, not
# the worker: `make bench` (tools/bench_serve.py) compares sync, gthread and this class.
worker_class = "server.gunicorn_server.HeadBufferingWorker"
threads = THREADS  # per worker (16), for requests whose head has arrived

# gunicorn's defaults, which `draftlint serve` keeps, written out:
timeout = 30  # s: a worker silent this long is killed and replaced
graceful_timeout = 30  # s: on SIGTERM, in-flight requests get this long before workers are killed
keepalive = 2  # s: an idle kept-alive connection is closed (a proxy's idle timeout must be shorter)
accesslog = None  # see the module doc
errorlog = "-"
loglevel = "info"

# gunicorn's runtime-control socket (`gunicornc`) sits at one path per user: off, as in
# `draftlint serve`, so that replicas on one machine do not fight over it.
control_socket_disable = True

# gunicorn's lines in `$DRAFTLINT_LOG_FORMAT` too; metrics of every worker added up at /metrics
# (prometheus-client's multiprocess mode: a worker that exits is marked dead, the temporary
# folder removed at exit). As in `draftlint serve`.
logger_class = "server.gunicorn_server.Logger"
child_exit = child_exit
on_exit = remove_metrics_folder

wsgi_app = "server.app:create_app()"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def on_starting(server):
    """The app's loggers (server.access among them) at INFO on stderr, formatted as by
    `draftlint serve`; gunicorn sets up only its own loggers. The workers' metrics folder."""
    configure_logging(environment_setting("LOG_FORMAT"))
    prepare_metrics_folder()
