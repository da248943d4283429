"""The answer key. Each ``aN_name`` package is the source of ``assignments/aN_name`` (course release)."""
