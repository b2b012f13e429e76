"""gunicorn's settings for ``make run`` (``gunicorn -c python:portal.serving``).

``make run`` serves the portal as production does, through gunicorn, not Flask's development
server: no development-server warning, several workers, and no response names the server
software or its version (the ``Server`` header says only "portal").
"""

from __future__ import annotations

import os

import gunicorn.http.wsgi

# gunicorn writes "Server: gunicorn" itself, from this module attribute, on every response.
gunicorn.http.wsgi.SERVER = "portal"

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# SQLite in WAL mode lets any number of readers overlap one writer, and writers queue on the
# busy timeout (each writing transaction begins IMMEDIATE): a few processes with a few threads
# each keep pages answering while one request writes or renders a letter, without a crowd of
# writers waiting on the one lock. With PostgreSQL, raise PORTAL_WEB_WORKERS to the cores.
workers = int(os.environ.get("PORTAL_WEB_WORKERS", "2"))
threads = int(os.environ.get("PORTAL_WEB_THREADS", "4"))
worker_class = "gthread"
accesslog = "-"
# A letter renders in a request when an officer issues one now: allow it time.
timeout = 120
