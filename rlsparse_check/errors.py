"""Errors that reach a user. Every message names the file, tensor or option and says what to do.

The command line prints ``str(error)`` on one line and exits with ``error.exit_code``; no traceback.
"""

__all__ = [
    "RlsparseError",
    "CheckpointError",
    "MismatchError",
    "OptionError",
    "ModelUnavailableError",
    "StatsInputError",
    "TrainingError",
]


class RlsparseError(Exception):
    """Base class: bad input or an environment problem the user can fix."""

    exit_code = 2


class CheckpointError(RlsparseError):
    """A checkpoint path is missing, truncated, corrupt or of an unknown format."""


class MismatchError(RlsparseError):
    """Two checkpoints disagree on keys, shapes or dtypes."""


class OptionError(RlsparseError, ValueError):
    """An option or argument value is out of range or inconsistent."""


class ModelUnavailableError(RlsparseError):
    """A model name cannot be resolved offline (not a built-in, local path or cached hub id)."""


class StatsInputError(RlsparseError, ValueError):
    """Masks or samples given to a statistic are of the wrong shape, size or kind."""


class TrainingError(RlsparseError):
    """A training recipe cannot run with the given model, task or options."""
