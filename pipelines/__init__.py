"""Pipeline assembly, command line and local-run support of cleanwire."""

import logging


class _BigQueryClientNotice(logging.Filter):
    """Drops the warning Beam logs when it is imported without Google's optional
    BigQuery client ("apitools not found ...").  cleanwire never uses BigQuery, and the
    warning would open every ``python -m pipelines.clean_dedup`` run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("apitools not found")


logging.getLogger().addFilter(_BigQueryClientNotice())
