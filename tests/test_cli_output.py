import json

import numpy as np
import pytest

from rlsparse_check.cli.output import atol, output_path, write_json
from rlsparse_check.errors import OptionError


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "x", ""])
def test_a_tolerance_must_be_a_finite_non_negative_number(text):
    with pytest.raises(OptionError, match="--atol"):
        atol(text)


def test_a_tolerance_is_parsed_as_a_float():
    assert atol("0") == 0.0 and atol("1e-5") == 1e-5


def test_an_output_path_that_is_a_folder_names_the_option(tmp_path):
    with pytest.raises(OptionError, match="--masks .*is a folder"):
        output_path(tmp_path, "--masks")


def test_an_output_paths_missing_folder_is_created(tmp_path):
    assert output_path(tmp_path / "a" / "b.json", "--json").parent.is_dir()


def test_json_output_takes_numpy_scalars_and_names_the_option_when_it_cannot_write(tmp_path):
    write_json(tmp_path / "r.json", {"n": np.int64(3), "x": np.float32(0.5)})
    assert json.loads((tmp_path / "r.json").read_text()) == {"n": 3, "x": 0.5}
    with pytest.raises(OptionError, match="--json .*cannot write"):
        write_json(tmp_path / "missing" / "r.json", {})
