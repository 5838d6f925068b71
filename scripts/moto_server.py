"""moto_server, answering one request at a time.

moto's own `moto_server` serves each request on its own thread, and moto's DynamoDB has no
locking: two conditional writes racing on one item can both pass their condition, which real
DynamoDB never allows. Serving requests one at a time makes every write atomic, as in DynamoDB,
so the tests that race overlapping invocations test credwatch and not the emulator. (Each
response closes its connection, HTTP/1.0, and a connection that sends nothing for
IDLE_TIMEOUT_SECS is dropped: one stalled client, a process frozen or killed mid-request, can
delay the others, never hold the server for good.)

Usage: python scripts/moto_server.py HOST PORT
"""

import os
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

IDLE_TIMEOUT_SECS = 20


class TimeoutRequestHandler(MotoRequestHandler):
    # socketserver's StreamRequestHandler applies this to every socket operation of a
    # connection: a read that waits longer ends that connection with "Request timed out".
    timeout = IDLE_TIMEOUT_SECS


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=TimeoutRequestHandler)


if __name__ == "__main__":
    main()
