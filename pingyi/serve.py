"""Serve the app in production: granian with one worker process per core on Linux, waitress on Windows.

`make run` and the README's production command both call `python -m pingyi.serve`; `scripts/load.py`
starts the server the same way, so what is measured is what runs.

Granian's HTTP layer is written in Rust. Under the questionnaire crowd of `make load`, a page of the public
questionnaire cost 0.4–0.5 ms of server CPU with it and 1.2 ms with gunicorn's threaded worker, whose Python
HTTP handling cost more than the app's own 0.3 ms.
"""
import argparse
import importlib.util
import os
import re
import sys

# Granian starts every request's WSGI environ from the process's environment, and a request lacking a header would
# take the variable of its name: HTTP_COOKIE set on the server would sign every cookieless visitor in as whoever
# that cookie belongs to. Such variables (the request's own CGI names) are not passed on to the server.
REQUEST_VARIABLES = re.compile(r"HTTP_.*|CONTENT_(TYPE|LENGTH)|REMOTE_.*|REQUEST_(METHOD|URI)|QUERY_STRING|PATH_INFO"
                               r"|SCRIPT_NAME|SERVER_(NAME|PORT|PROTOCOL|SOFTWARE)|AUTH_TYPE|GATEWAY_INTERFACE|wsgi\..*")


def server_environment(environ):
    """`environ` without the variables a request's environ would take as its own."""
    return {name: value for name, value in environ.items() if not REQUEST_VARIABLES.fullmatch(name)}


def granian_command(host, port, workers, threads):
    """The granian command line: `workers` processes of `threads` threads each for the app, a worker that dies
    replaced, errors only in the log, a stopping worker given 20 s to finish its requests."""
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host, "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws",
            "--respawn-failed-workers", "--workers-kill-timeout", "20", "--log-level", "warning", "app:app"]


def main(argv=None):
    parser = argparse.ArgumentParser(description="pingyi production server")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("PINGYI_WORKERS", os.cpu_count() or 1)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("PINGYI_THREADS", "4")))
    args = parser.parse_args(argv)
    if sys.platform != "win32" and importlib.util.find_spec("granian") is not None:
        command = granian_command(args.host, args.port, args.workers, args.threads)
        os.execve(command[0], command, server_environment(os.environ))
    from waitress import serve  # Windows: one process, several threads

    from app import app
    serve(app, host=args.host, port=args.port, threads=max(4, args.threads * args.workers))


if __name__ == "__main__":
    main()
