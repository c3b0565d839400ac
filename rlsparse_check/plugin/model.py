"""``--model`` resolved once at the start of a claims session, before collection.

Collection needs the model (C5's variants depend on it) and captures what is printed meanwhile,
so a GGUF converted there would be silent and a model that cannot be had would end in an
internal error. Here, once the terminal reporter's header is out, a GGUF is converted with its
progress lines on the terminal, and a model that cannot be had (a missing package, a truncated
or non-model GGUF, a hub id not cached) ends the session with exit status 2 and what to do.
Later lookups find the converted folder without reading the GGUF again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

__all__ = ["pytest_sessionstart"]


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Iterator[None]:
    """Resolve a training session's ``--model`` once the header is out (see module doc)."""
    from rlsparse_check.errors import ModelUnavailableError
    from rlsparse_check.models import resolve_model
    from rlsparse_check.phase import use_sink
    from rlsparse_check.plugin import SETTINGS_KEY, claims_requested

    yield  # the terminal reporter's header first
    config = session.config
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.mode != "training" or hasattr(config, "workerinput"):
        return
    if not claims_requested(config):
        return
    tr = config.pluginmanager.get_plugin("terminalreporter")
    try:
        with use_sink(tr.write_line if tr is not None else print):
            resolve_model(settings.model)
    except ModelUnavailableError as error:
        pytest.exit(f"rlsparse-check: {error}", returncode=2)
