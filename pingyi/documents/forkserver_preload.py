"""Imported by the document builders' fork server when it starts (parallel.py's preload), never by the app: what
a builder process needs is made here once and every builder process forked from here has it, so a builder
builds its first document milliseconds after the batch asks for it.

- The builders (pingyi.documents.parallel, python-docx) and the skeleton document they start from (gbt9704.warm).
- The server process's main script, imported as multiprocessing imports it in each new process (as
  `__mp_main__`: its `if __name__ == "__main__"` part does not run). "__main__" in the fork server's preload
  list is meant to do this, but before Python 3.13.8 the fork server is never told the script's path
  (CPython gh-126631), so every builder process ran the script again itself before building anything: for a
  script that imports the app (`flask run`'s, scripts/bench.py) a second or more of every batch. The path
  comes from the server process (parallel.MAIN_VARIABLE: "pid:path", the pid being this process's parent's).
"""
import logging
import os
import sys
from multiprocessing import process, spawn

from pingyi.documents import parallel
from pingyi.documents.gbt9704 import warm

log = logging.getLogger(__name__)


def _main_path():
    """The script the server process was started with, when this process is its fork server; else None."""
    pid, _, path = os.environ.get(parallel.MAIN_VARIABLE, "").partition(":")
    if not path or pid != str(os.getppid()) or getattr(sys.modules["__main__"], "__file__", None) == path:
        return None
    return path


def _prepare():
    path = _main_path()
    if path is not None:
        process.current_process()._inheriting = True  # as multiprocessing's own fork server and spawn set it
        try:
            spawn.import_main_path(path)
        except Exception:  # each builder process imports it then, as before
            log.exception("document builders' fork server: importing %s failed", path)
        finally:
            del process.current_process()._inheriting
    warm()


_prepare()
