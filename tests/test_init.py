"""The flat public API: lazily imported, and never pulling torch in for the diff path."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rlsparse_check


def test_every_public_name_resolves_to_the_object_of_its_module():
    from importlib import import_module

    expected = {
        name: getattr(import_module(module), name) for name, module in rlsparse_check._API.items()
    }
    found = {name: getattr(rlsparse_check, name) for name in rlsparse_check.__all__}
    assert found == {"__version__": "0.1.0", **expected}


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        rlsparse_check.no_such_thing  # noqa: B018


def test_importing_the_package_and_the_diff_api_does_not_import_torch():
    code = (
        "import sys, rlsparse_check as rc; rc.diff_checkpoints; rc.overlap_checkpoints; "
        "rc.make_patch; rc.MaskSet; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
