"""Study configuration: typed schema, YAML loading with line numbers, overrides."""

from evaltool.config.loader import (
    apply_overrides,
    config_from_dict,
    config_hash,
    config_source,
    dump_config,
    load_config,
    resolve_path,
)
from evaltool.config.schema import StudyConfig

__all__ = [
    "StudyConfig", "load_config", "config_from_dict", "apply_overrides",
    "config_hash", "config_source", "dump_config", "resolve_path",
]
