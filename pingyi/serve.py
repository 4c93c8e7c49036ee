"""Serve the app in production: gunicorn with one worker process per core on Linux, waitress on Windows.

`make run` and the README's production command both call `python -m pingyi.serve`; `scripts/load.py`
starts the server the same way, so what is measured is what runs.
"""
import argparse
import os
import shutil
import sys


def gunicorn_command(host, port, workers, threads):
    """The gunicorn command line: `workers` processes of `threads` threads each, logging errors only."""
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
            "--bind", f"{host}:{port}", "--graceful-timeout", "20", "--timeout", "120",
            "--log-level", "warning", "app:app"]


def main(argv=None):
    parser = argparse.ArgumentParser(description="pingyi production server")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("PINGYI_WORKERS", os.cpu_count() or 1)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("PINGYI_THREADS", "4")))
    args = parser.parse_args(argv)
    if sys.platform != "win32" and shutil.which("gunicorn", path=os.path.dirname(sys.executable)) is not None:
        command = gunicorn_command(args.host, args.port, args.workers, args.threads)
        os.execv(command[0], command)
    from waitress import serve  # Windows: one process, several threads

    from app import app
    serve(app, host=args.host, port=args.port, threads=max(4, args.threads * args.workers))


if __name__ == "__main__":
    main()
