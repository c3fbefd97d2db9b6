"""The run report: aggregates read from a cleanwire output with pyarrow, word diffs of
clustered passages, inline SVG charts and one self-contained HTML page.

Nothing here knows of Beam; ``pipelines/report.py`` is the command that uses it.
"""
