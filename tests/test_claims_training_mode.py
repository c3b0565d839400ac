"""End to end: `pytest claims/` in training mode (no --base) on the built-in tiny model.

One cold run with tiny settings (2 seeds, 4 steps, a fresh run cache: the smoke profile of the
main job, whose default is the faithful regime) trains every run the claims need and must report
all of C1-C9 and the regime; a second run from the same cache under pytest-xdist
(-n 2) must be served from the cache and give the same verdicts and key figures.
Exit status 1 is a valid outcome (a claim refuted on the tiny model); 2-4 never are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = [f"C{i}" for i in range(1, 10)]
VERDICTS = {"reproduced", "not_reproduced", "inconclusive"}
TINY = ("--seeds", "2", "--steps", "4")


def run_claims(cache: Path, report: Path, *extra: str) -> tuple[int, str, dict]:
    args = [
        sys.executable,
        "-m",
        "pytest",
        "claims/",
        "-p",
        "no:cacheprovider",
        "-q",
        *TINY,
        "--cache-dir",
        str(cache),
        "--report-dir",
        str(report),
        *extra,
    ]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    path = report / "report.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    return done.returncode, done.stdout + done.stderr, data


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, dict]:
    root = tmp_path_factory.mktemp("claims-training")
    code, output, report = run_claims(root / "cache", root / "cold")
    return root, code, output, report


def key_figures(report: dict) -> dict[str, object]:
    return {
        c["id"]: (
            c["verdict"],
            json.dumps(c["measured"].get(c["measured"].get("key")), sort_keys=True),
        )
        for c in report["claims"]
    }


def test_a_cold_training_run_reports_a_verdict_for_every_claim(cold):
    root, code, output, report = cold
    assert code in (0, 1), output[-3000:]
    assert report["mode"] == "training" and not report["errors"], report.get("errors")
    verdicts = {c["id"]: c["verdict"] for c in report["claims"]}
    skipped = {s["id"]: s["reason"] for s in report["skipped"]}
    assert set(verdicts) | set(skipped) == set(CLAIMS), (verdicts, skipped)
    assert set(verdicts.values()) <= VERDICTS
    assert all(reason for reason in skipped.values())
    assert (code == 1) == ("not_reproduced" in verdicts.values())
    assert (root / "cold" / "report.html").is_file()


def test_every_trained_run_is_recorded_with_seed_hashes_and_eval(cold):
    _, _, _, report = cold
    planned = {run["label"]: run for run in report["regime"]["runs"]}
    for claim in report["claims"]:
        assert claim["runs"], claim["id"]
        for run in claim["runs"]:
            record = run["record"]
            assert run["source"] == "training" and run["seed"] in (0, 1)
            assert record["weights_sha256"] and record["cache_key"] and run["tuned_hash"]
            assert set(record["eval"]) == {"before", "after", "gain", "gain_se", "gain_se_problems"}
            assert max(record["eval"]["before"]["se"], record["eval"]["after"]["se"]) <= 0.02
            assert record["spec"]["seed"] == run["seed"]
            regime = planned[run["label"].removesuffix("-fp32")]
            assert (record["spec"]["lr"], record["spec"]["steps"]) == (
                regime["lr"],
                regime["steps"],
            )


def test_the_regime_lists_every_run_and_checks_the_rate_saving(cold):
    _, _, _, report = cold
    regime = report["regime"]
    assert regime["rule"] and regime["rate_factor"] == 2.0
    usual = {r["label"]: r for r in regime["runs"]}["grpo-seed0"]
    assert usual["lr"] == 2e-6 and usual["steps"] == 4 and 0 < usual["flip_share"] < 1
    checks = regime["invariance"]["by_algorithm"]
    assert set(checks) == {"grpo", "sft"} and regime["invariance"]["verdict"] in VERDICTS
    grpo = checks["grpo"]
    assert grpo["rates"] == [2e-6, 1e-6] and grpo["lr_x_steps"] == pytest.approx(2e-6 * 4)
    assert checks["sft"]["rates"] == [2e-5, 1e-5] and grpo["sparsity"]["ci_level"] == 0.9
    published = {r["label"]: r for r in regime["runs"]}["grpo-lr1e-06-s8-seed0"]
    assert published["lr_x_steps"] == pytest.approx(grpo["lr_x_steps"])
    assert regime["invariance"]["unchecked"] == ["dpo", "ppo", "prime", "sft-self", "simpo"]


def test_c2_is_decided_at_matched_gain_on_the_frontier(cold):
    _, _, _, report = cold
    (c2,) = [c for c in report["claims"] if c["id"] == "C2"]
    frontier = c2["measured"]["frontier"]
    assert set(frontier) == {"grpo", "sft"}
    for points in frontier.values():
        assert len({p["steps"] for p in points}) >= 3 and {p["seed"] for p in points} == {0, 1}
        assert {p["lr"] for p in points} == {2e-6}
    assert set(c2["measured"]["matched_gain"]) == {"gain", "per_pair", "differences"}
    learned = c2["measured"]["learned"]
    assert set(learned) == {"learned", "run_sets"} and set(learned["run_sets"]) <= {"rl", "sft"}
    assert all(isinstance(r["learned"], bool) for r in learned["run_sets"].values())
    assert c2["measured"]["eval_se"]["max"] <= 0.02


def test_c4_c6_and_c9_carry_their_references(cold):
    _, _, _, report = cold
    claims = {c["id"]: c for c in report["claims"]}
    c4 = claims["C4"]["cases"][0]
    assert len(c4["measured"]["relative_l2"]["seed"]) == 2
    assert c4["measured"]["reference"] == "full run of another seed"
    assert set(claims["C6"]["cases"][0]["measured"]["headroom"]) >= {"floor", "above_floor", "room"}
    c9 = {case["case"]: case for case in claims["C9"]["cases"]}
    prediction = c9["c-prediction"]["measured"]["prediction"]
    assert prediction["rows"] and set(prediction["algorithm_effect"]) >= {"estimate", "p", "ci"}
    assert set(c9["b-learning-rate"]["measured"]["effects"]) == {"grpo", "sft"}


def test_c1_aggregates_seeds_per_algorithm_and_reports_the_eval_gain(cold):
    _, _, _, report = cold
    (c1,) = [c for c in report["claims"] if c["id"] == "C1"]
    assert sorted(case["case"] for case in c1["cases"]) == ["dpo", "grpo", "ppo", "prime", "simpo"]
    for case in c1["cases"]:
        assert len(case["measured"]["sparsity"]["per_seed"]) == 2
        assert case["statistics"]["n"] == 2 and "eval_gain" in case["measured"]
        assert case["statistics"]["correction"] == "holm"


def test_the_runs_are_trained_up_front_with_one_line_as_each_starts_and_ends(cold):
    _, _, output, report = cold
    runs = len(report["regime"]["runs"])
    assert f"rlsparse-check: {runs} training runs for C1, C2" in output
    assert output.count("train start ") == runs and output.count("train trained ") == runs
    assert "grpo-seed0: grpo, 4 steps, lr 2e-06" in output


def test_a_warm_rerun_under_xdist_is_served_from_the_cache_with_the_same_verdicts(cold):
    root, code, _, report = cold
    warm_code, output, warm = run_claims(root / "cache", root / "warm", "-n", "2")
    assert warm_code == code, output[-3000:]
    assert (
        output.count("train cached ") == len(warm["regime"]["runs"]) and "train start" not in output
    )
    assert key_figures(warm) == key_figures(report)
    assert all(run["record"]["cached"] for claim in warm["claims"] for run in claim["runs"])
    assert (root / "warm" / "report.html").is_file()
