"""Run by Python at start-up in the DirectRunner's worker processes of a quiet
``cleanwire run`` (see ``pipelines.direct_runner.worker_environment``).

Importing Beam logs a warning about optional cloud clients through the root logger;
with no handler installed, that call makes logging print to stderr from then on, so
every worker printed it and its later start-up messages on the user's terminal.  A
``NullHandler`` on the root logger keeps them off stderr; the worker's own log
handler, installed a moment later, still forwards its messages to the runner, where
cleanwire's logging settings apply.  A ``sitecustomize`` that this one shadows on
``sys.path`` is run afterwards, as Python would have run it.
"""

import importlib.machinery
import importlib.util
import logging
import os
import sys

logging.getLogger().addHandler(logging.NullHandler())

_HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [entry for entry in sys.path if os.path.abspath(entry or ".") != _HERE])
if _spec is not None and _spec.loader is not None:
    _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
