"""Run by Python at start-up in the DirectRunner's worker processes of ``cleanwire run``
(see ``pipelines.direct_runner.worker_environment``).

When the user set ``CLEANWIRE_WORKER_TRIM_SECONDS``, it starts the thread that gives the
worker's freed heap memory back to the system at that interval (``pipelines.memory``).

In a quiet run (``CLEANWIRE_QUIET_WORKER``) it also keeps Beam's start-up messages off
the terminal: importing Beam logs a warning about optional cloud clients through the
root logger; with no handler installed, that call makes logging print to stderr from
then on, so every worker printed it and its later start-up messages on the user's
terminal.  A ``NullHandler`` on the root logger keeps them off stderr; the worker's own
log handler, installed a moment later, still forwards its messages to the runner, where
cleanwire's logging settings apply.

Workers ignore Ctrl-C (SIGINT, which the terminal sends to the whole process group):
the driver handles it, removes the run's staging directory and stops the workers, so
one line says what happened instead of every worker's traceback.

A ``sitecustomize`` that this one shadows on ``sys.path`` is run afterwards, as Python
would have run it.
"""

import importlib.machinery
import importlib.util
import logging
import os
import signal
import sys

signal.signal(signal.SIGINT, signal.SIG_IGN)

if os.environ.get("CLEANWIRE_QUIET_WORKER"):
    logging.getLogger().addHandler(logging.NullHandler())

try:
    from pipelines.memory import trimming_from_environment
except ImportError:  # cleanwire is not importable here: nothing to start
    pass
else:
    trimming_from_environment()

_HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [entry for entry in sys.path if os.path.abspath(entry or ".") != _HERE])
if _spec is not None and _spec.loader is not None:
    _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
