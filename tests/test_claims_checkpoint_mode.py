"""End to end: `pytest claims/ --base --tuned` on planted checkpoints of known sparsity and overlap.

Each test writes a planted family (fixtures/planted_family.py), runs the real claims suite in a
subprocess, and checks the exit status, the verdicts in report.json, and that report.html exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fixtures.planted_family import write_planted_family

ROOT = Path(__file__).resolve().parents[1]


def run_claims(
    tmp_path: Path, family, target: str = "claims/", *extra: str, report: str = "report"
) -> tuple[int, str, dict]:
    args = [
        sys.executable,
        "-m",
        "pytest",
        target,
        "-p",
        "no:cacheprovider",
        "-q",
        *extra,
        "--base",
        str(family.base),
        "--report-dir",
        str(tmp_path / report),
    ]
    for tuned in family.tuned:
        args += ["--tuned", str(tuned)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    report_path = tmp_path / report / "report.json"
    data = json.loads(report_path.read_text()) if report_path.is_file() else {}
    return done.returncode, done.stdout + done.stderr, data


def verdicts(report: dict) -> dict[str, str]:
    return {claim["id"]: claim["verdict"] for claim in report["claims"]}


def test_sparse_overlapping_checkpoints_reproduce_every_checkpoint_claim(tmp_path):
    family = write_planted_family(tmp_path / "ckpt", [0.20, 0.25], shared=0.5, seed=3)
    code, output, report = run_claims(tmp_path, family)
    assert code == 0, output
    assert verdicts(report) == {
        "C1": "reproduced",
        "C3": "reproduced",
        "C7": "reproduced",
        "C8": "reproduced",
    }
    c1 = report["claims"][0]
    assert sorted(case["measured"]["sparsity"] for case in c1["cases"]) == pytest.approx(
        sorted(family.sparsity(i) for i in range(2)), abs=1e-12
    )
    assert set(c1["measured"]["sparsity_by_tolerance"]) == {"0", "1e-08", "1e-05"}
    assert "not measured in checkpoint mode" in c1["reason"]
    assert report["mode"] == "checkpoints" and report["provenance"]["hashes"]["tuned_hash"]
    html = (tmp_path / "report" / "report.html").read_text()
    assert all(f'<section id="{c}"' in html for c in ("C1", "C3", "C7", "C8"))


def test_c1_decides_at_the_tolerance_of_the_published_range(tmp_path):
    """80% unchanged at 1e-5 but 60% bitwise (small weights moved by one ULP, under 1e-5):
    inside 68.5%-96.0%, the range published at 1e-5."""
    from fixtures.planted_updates import write_small_weight_pair

    pair = write_small_weight_pair(tmp_path / "ckpt")
    code, output, report = run_claims(tmp_path, pair, "claims/test_c1_sparsity_range.py")
    (case,) = report["claims"][0]["cases"]
    assert (code, case["verdict"]) == (0, "reproduced"), output[-2000:]
    by_tolerance = case["measured"]["sparsity_by_tolerance"]
    assert by_tolerance["0"] == pytest.approx(0.6, abs=1e-3)
    assert by_tolerance["1e-05"] == pytest.approx(0.8, abs=1e-3)
    assert case["measured"]["decided_at_atol"] == 1e-5
    assert case["measured"]["sparsity"] == by_tolerance["1e-05"]
    names = {t["name"]: t for t in case["statistics"]["thresholds"]}
    assert names["sparsity-range"]["value"] == [0.685, 0.96]
    assert names["sparsity-atol"]["source"] == "paper"


def test_a_dense_checkpoint_refutes_c1_and_fails_the_run(tmp_path):
    family = write_planted_family(tmp_path / "ckpt", [0.9], seed=4)
    code, output, report = run_claims(tmp_path, family)
    assert code == 1
    assert verdicts(report)["C1"] == "not_reproduced"
    assert "C1 [t1-tuned-0] not reproduced" in output and "denser than claimed" in output
    (skip,) = [s for s in report["skipped"] if s["id"] == "C3"]
    assert "at least two tuned checkpoints" in skip["reason"]


def test_independent_masks_do_not_reproduce_the_overlap_claim(tmp_path):
    family = write_planted_family(tmp_path / "ckpt", [0.20, 0.25], shared=0.0, seed=5)
    code, output, report = run_claims(tmp_path, family, "claims/test_c3_overlap.py")
    assert code == 1
    (c3,) = report["claims"]
    assert c3["verdict"] == "not_reproduced"
    assert c3["measured"]["excess_stratified"]["value"] == pytest.approx(0.0, abs=0.05)
    (source,) = {
        t["source"] for t in c3["statistics"]["thresholds"] if t["name"] == "min-overlap-excess"
    }
    assert source == "paper"  # the paper's figure, compared with the independent-null excess


def write_members(directory: Path, base: dict, members: list[dict]):
    """A base and tuned checkpoints (bf16) from arrays, as a planted family."""
    from types import SimpleNamespace

    from fixtures.planted import write_checkpoint

    tuned = [
        write_checkpoint(directory / f"tuned-{i}", m, dtype="bfloat16")
        for i, m in enumerate(members)
    ]
    return SimpleNamespace(
        base=write_checkpoint(directory / "base", base, dtype="bfloat16"), tuned=tuned
    )


def subset_pair(directory: Path):
    """Tuned B changes half of the entries tuned A changes (B is a subset of A)."""
    rng = np.random.default_rng(7)
    base = {
        f"model.layers.{i}.mlp.up_proj.weight": rng.integers(-48, 49, (64, 32)) / 64.0
        for i in range(2)
    }
    a, b = {}, {}
    for name, w in base.items():
        mask_a = rng.random(w.shape) < 0.3
        mask_b = mask_a & (rng.random(w.shape) < 0.5)
        a[name], b[name] = w + mask_a / 8.0, w + mask_b / 8.0
    return base, a, b


@pytest.mark.parametrize("order", ["a-then-b", "b-then-a"])
def test_a_subset_pair_reproduces_the_overlap_claim_in_either_order(tmp_path, order):
    base, a, b = subset_pair(tmp_path)
    family = write_members(tmp_path / "ckpt", base, [a, b] if order == "a-then-b" else [b, a])
    code, output, report = run_claims(tmp_path, family, "claims/test_c3_overlap.py")
    (c3,) = report["claims"]
    assert c3["verdict"] == "reproduced", output[-2000:]
    assert c3["measured"]["excess_stratified"]["value"] == pytest.approx(1.0)
    (case,) = c3["cases"]
    assert case["reason"].count("n=1 pair, within-pair bound") == 2  # one per null
    assert case["measured"]["excess_independent"]["value"] > 0


def test_c7_is_decided_against_updates_of_the_same_size_stored_alike(tmp_path):
    """Three updates of one bf16 base (two 64 x 64 weights): about one ULP on 40% of entries
    (iid: cannot show rank above rounding), a rank-1 update of many ULPs, and a full-rank
    (iid) update of many ULPs."""
    from fixtures.planted_updates import bf16, next_ulp

    rng = np.random.default_rng(8)
    names = ("model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight")
    base = {n: bf16(rng.normal(0, 0.02, (64, 64))) for n in names}
    ulp = 2.0**-13  # bf16 ULP of values in [2**-6, 2**-5), e.g. 0.02
    one_ulp, rank_one, full = {}, {}, {}
    for n, w in base.items():
        step = np.where(rng.random(w.shape) < 0.5, -1, 1) * (rng.random(w.shape) < 0.4)
        one_ulp[n] = next_ulp(w, step)
        rank_one[n] = bf16(w + 30 * ulp * np.outer(rng.normal(size=64), rng.normal(size=64)))
        full[n] = bf16(w + rng.normal(0, 30 * ulp, w.shape))
    family = write_members(tmp_path / "ckpt", base, [one_ulp, rank_one, full])
    code, output, report = run_claims(tmp_path, family, "claims/test_c7_rank.py")
    cases = {c["case"]: c for c in report["claims"][0]["cases"]}
    small, low, high = (cases[f"t{i}-tuned-{i - 1}"] for i in (1, 2, 3))
    assert small["verdict"] == "inconclusive", output[-2000:]
    assert "too small to measure rank above bf16 rounding" in small["reason"]
    assert low["verdict"] == "not_reproduced"
    assert low["measured"]["mean_rank_ratio"] < 0.05 < 0.5 < low["measured"]["full_rank_reference"]
    assert low["measured"]["published_style_mean_rank_ratio"] > 0.5  # rounding counted as rank
    assert high["verdict"] == "reproduced"
    assert 0.9 < high["measured"]["full_rank_reference"] < 1.0  # the floor takes a few
    (threshold,) = high["statistics"]["thresholds"]
    assert (threshold["name"], threshold["source"]) == ("rank-reference-margin", "harness")


def test_a_missing_checkpoint_is_a_usage_error_naming_it(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "claims/",
            "-p",
            "no:cacheprovider",
            "--base",
            str(tmp_path / "nope"),
            "--tuned",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert str(tmp_path / "nope") in done.stderr


@pytest.mark.slow
def test_two_workers_write_the_same_claims_as_one_process(tmp_path):
    family = write_planted_family(tmp_path / "ckpt", [0.20, 0.25, 0.3], shared=0.5, seed=6)
    _, _, serial = run_claims(tmp_path, family, "claims/", "-n", "0", report="serial")
    _, _, parallel = run_claims(tmp_path, family, "claims/", "-n", "2", report="parallel")
    assert serial["claims"] == parallel["claims"] and serial["skipped"] == parallel["skipped"]
