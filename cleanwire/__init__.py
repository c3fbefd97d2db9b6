"""cleanwire: boilerplate removal and near-duplicate detection for scraped news text.

The ``cleanwire`` package holds the pure text and matching logic (no Beam); the
``transforms`` package wires it into Apache Beam stages and ``pipelines`` assembles
and runs them.
"""

__version__ = "0.1.0"
