"""End to end: `pytest claims/ --base --tuned` on planted checkpoints of known sparsity and overlap.

Each test writes a planted family (fixtures/planted_family.py), runs the real claims suite in a
subprocess, and checks the exit status, the verdicts in report.json, and that report.html exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.planted_family import write_planted_family

ROOT = Path(__file__).resolve().parents[1]


def run_claims(tmp_path: Path, family, target: str = "claims/", *extra: str,
               report: str = "report") -> tuple[int, str, dict]:
    args = [sys.executable, "-m", "pytest", target, "-p", "no:cacheprovider", "-q", *extra,
            "--base", str(family.base), "--report-dir", str(tmp_path / report)]
    for tuned in family.tuned:
        args += ["--tuned", str(tuned)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    report_path = tmp_path / report / "report.json"
    data = json.loads(report_path.read_text()) if report_path.is_file() else {}
    return done.returncode, done.stdout + done.stderr, data


def verdicts(report: dict) -> dict[str, str]:
    return {claim["id"]: claim["verdict"] for claim in report["claims"]}


def test_sparse_overlapping_checkpoints_reproduce_every_checkpoint_claim(tmp_path):
    family = write_planted_family(tmp_path / "ckpt", [0.20, 0.25], shared=0.5, seed=3)
    code, output, report = run_claims(tmp_path, family)
    assert code == 0, output
    assert verdicts(report) == {"C1": "reproduced", "C3": "reproduced", "C7": "reproduced",
                                "C8": "reproduced"}
    c1 = report["claims"][0]
    assert sorted(case["measured"]["sparsity"] for case in c1["cases"]) == pytest.approx(
        sorted(family.sparsity(i) for i in range(2)), abs=1e-12)
    assert set(c1["measured"]["tolerances"]) == {"0", "1e-08", "1e-05"}
    assert "not measured in checkpoint mode" in c1["reason"]
    assert report["mode"] == "checkpoints" and report["provenance"]["hashes"]["tuned_hash"]
    html = (tmp_path / "report" / "report.html").read_text()
    assert all(f'<section id="{c}"' in html for c in ("C1", "C3", "C7", "C8"))


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
    assert c3["measured"]["min_ratio_stratified"] == pytest.approx(1.0, abs=0.1)


def test_a_missing_checkpoint_is_a_usage_error_naming_it(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "claims/", "-p", "no:cacheprovider",
                           "--base", str(tmp_path / "nope"), "--tuned", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert str(tmp_path / "nope") in done.stderr


@pytest.mark.slow
def test_two_workers_write_the_same_claims_as_one_process(tmp_path):
    family = write_planted_family(tmp_path / "ckpt", [0.20, 0.25, 0.3], shared=0.5, seed=6)
    _, _, serial = run_claims(tmp_path, family, "claims/", "-n", "0", report="serial")
    _, _, parallel = run_claims(tmp_path, family, "claims/", "-n", "2", report="parallel")
    assert serial["claims"] == parallel["claims"] and serial["skipped"] == parallel["skipped"]
