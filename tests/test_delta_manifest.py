import copy

import pytest

from rlsparse_check.delta.codec import BITMASK, DIFF, IMPLIED, RAW
from rlsparse_check.delta.manifest import Manifest, Side, TensorRecord

SHA = "ab" * 32


def _manifest() -> Manifest:
    side = Side("bfloat16", (4, 5), SHA)
    changed = TensorRecord(
        "w",
        "changed",
        side,
        100,
        side,
        [[3, BITMASK, 9, DIFF, 7], [0, 0, 0, 0, 0], [4, IMPLIED, 0, RAW, 5]],
    )
    added = TensorRecord(
        "b", "added", Side("float32", (3,), SHA), 300, None, [[3, IMPLIED, 0, RAW, 6]]
    )
    files = [{"name": "model.safetensors", "size": 400, "header": 100, "tensors": ["w", "b"]}]
    return Manifest(
        8,
        "base",
        "tuned",
        "folder",
        files,
        {"config.json": {"size": 2, "sha256": SHA}},
        {"big.bin": 10},
        {"w": changed, "b": added},
        {"old": side},
        500,
        {"k": SHA},
    )


def test_a_manifest_survives_its_json():
    manifest = _manifest()
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert (manifest.tensors["w"].changed, manifest.tensors["w"].nbytes) == (7, 21)


def _broken(edit) -> dict:
    data = copy.deepcopy(_manifest().to_json())
    edit(data)
    return data


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["files"][0].update(name="../escape"), "not a relative path"),
        (lambda d: d["files"][0].update(name="/etc/x"), "not a relative path"),
        (lambda d: d["carried"].update({"../../x": {"size": 1, "sha256": SHA}}), "relative path"),
        (lambda d: d["files"][0]["tensors"].pop(), "every tensor exactly once"),
        (lambda d: d["tensors"]["w"].update(kind="unchanged"), "rows, expected 0"),
        (lambda d: d["tensors"]["w"].update(kind="replaced"), "does not match the dtypes"),
        (lambda d: d["tensors"]["w"]["chunks"].pop(), "2 rows, expected 3"),
        (lambda d: d["tensors"]["w"]["chunks"][0].__setitem__(0, 9), "inconsistent"),
        (lambda d: d["tensors"]["w"]["chunks"][2].__setitem__(0, 3), "inconsistent"),
        (lambda d: d["tensors"]["b"]["chunks"][0].__setitem__(3, DIFF), "inconsistent"),
        (lambda d: d["tensors"]["w"]["tuned"].update(dtype="float7"), "unknown dtype"),
        (lambda d: d["tensors"]["w"]["tuned"].update(sha256="xyz"), "not a sha256"),
        (lambda d: d["tensors"]["w"].update(offset=-1), "not a non-negative integer"),
        (lambda d: d.update(chunk=12), "multiple of 8"),
        (
            lambda d: d["carried"].update({"model.safetensors": {"size": 1, "sha256": SHA}}),
            "a file name is listed twice",
        ),
    ],
)
def test_a_damaged_manifest_raises_value_error(edit, message):
    with pytest.raises(ValueError, match=message):
        Manifest.from_json(_broken(edit))
