"""Reading register extracts and validating their column roles."""

from evaltool.data.fingerprint import content_hash
from evaltool.data.readers import file_sha256, peek_columns, read_table
from evaltool.data.validate import (
    DataReport,
    DropRecord,
    apply_sample,
    coerce_binary,
    term_column_roles,
    validate_persons,
)

__all__ = [
    "read_table", "peek_columns", "content_hash", "file_sha256", "DataReport", "DropRecord",
    "validate_persons", "apply_sample", "coerce_binary", "term_column_roles",
]
