"""moto_server, answering one request at a time.

moto's own `moto_server` serves each request on its own thread, and moto's DynamoDB has no
locking: two conditional writes racing on one item can both pass their condition, which real
DynamoDB never allows. Serving requests one at a time makes every write atomic, as in DynamoDB,
so the tests that race overlapping invocations test credwatch and not the emulator. (Each
response closes its connection, HTTP/1.0, and a connection that sends nothing for
IDLE_TIMEOUT_SECS is dropped: one stalled client, a process frozen or killed mid-request, can
delay the others, never hold the server for good.)

Lambda functions exist in moto once a test deploys the SAM template as a stack; moto's own
record of everything (/moto-api/data.json, which tests read to see what SNS published) reads
each function's Docker client, which fails where no Docker runs and made the whole record
answer HTTP 500. Without Docker that attribute is now absent instead (it is never used: the
tests run the functions themselves, under a Lambda Runtime API stand-in).

Usage: python scripts/moto_server.py HOST PORT
"""

import os
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
import docker.errors
from moto.utilities import docker_utilities
from werkzeug.serving import run_simple

IDLE_TIMEOUT_SECS = 20


class TimeoutRequestHandler(MotoRequestHandler):
    # socketserver's StreamRequestHandler applies this to every socket operation of a
    # connection: a read that waits longer ends that connection with "Request timed out".
    timeout = IDLE_TIMEOUT_SECS


_docker_client = docker_utilities.DockerModel.docker_client


class NoDocker(docker.errors.DockerException, AttributeError):
    """No Docker daemon: an absent attribute to /moto-api/data.json, and still the
    DockerException moto's Lambda handles when something asks it to run a function (a stream
    mapping, an SNS subscription)."""


def _docker_client_if_running(self):
    try:
        return _docker_client.fget(self)
    except docker.errors.DockerException as error:
        raise NoDocker(f"no Docker: {error}") from error


docker_utilities.DockerModel.docker_client = property(_docker_client_if_running)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=TimeoutRequestHandler)


if __name__ == "__main__":
    main()
