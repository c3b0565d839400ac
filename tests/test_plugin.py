"""The pytest plugin, driven through pytester on small fake claims suites."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import time

import pytest

pytest_plugins = ["pytester"]

CLAIM_MODULE = """
import pytest
from rlsparse_check.results import ClaimResult

CASES = {cases!r}

def make(claim_id, case, verdict, value):
    return ClaimResult(
        id=claim_id, title=f"title of {{claim_id}}", case=case, verdict=verdict,
        reason=f"{{verdict}} because value={{value}}",
        paper={{"summary": "70%-95%", "criterion": "sparsity within [0.70, 0.95]"}},
        measured={{"key": "sparsity", "sparsity": value, "ci": [value - 0.01, value + 0.01]}},
        statistics={{"test": "one-sample t", "p": 0.004, "p_adjusted": 0.012,
                     "correction": "holm", "alpha": 0.05, "n": 3}},
        runs=[{{"path": f"/ckpt/{{case}}", "seed": len(case), "model_hash": "m1",
                "data_hash": "d" + case}}],
    )

@pytest.mark.parametrize("case", sorted(CASES))
def test_claim(record_claim, case):
    verdict, value = CASES[case]
    record_claim(make("{claim_id}", case, verdict, value))
"""


def claims_suite(pytester: pytest.Pytester, **claims: dict[str, tuple[str, float]]) -> None:
    """Write claims/test_cN_fake.py modules: ``c1={"grpo": ("reproduced", 0.8)}``."""
    (pytester.path / "claims").mkdir(exist_ok=True)
    for claim, cases in claims.items():
        number = claim.lstrip("c")
        source = CLAIM_MODULE.format(cases=cases, claim_id=f"C{number}")
        (pytester.path / "claims" / f"test_c{number}_fake.py").write_text(source)
    shutil.rmtree(pytester.path / "claims" / "__pycache__", ignore_errors=True)  # no stale .pyc


def read_report(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports/latest/report.json").read_text())


def test_options_are_listed_under_one_heading_in_help(pytester):
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    start = text.index("rlsparse-check: test the")
    section = text[start:]
    end = re.search(r"\n\S[^\n]*:\n", section[1:])
    section = section[: end.start() + 1] if end else section
    from rlsparse_check.thresholds import THRESHOLDS

    for option in [
        "--model",
        "--device",
        "--report-dir",
        "--base",
        "--tuned",
        "--seeds",
        "--steps",
        "--algos",
        "--correction",
        "--baseline",
        "--drift-tolerance",
        "--no-cache",
        "--cache-dir",
        *(f"--{name}" for name in THRESHOLDS),
    ]:
        assert re.search(rf"\s{option}[ =]", section), option
    assert re.search(r"source:\s+paper", section) and re.search(r"source:\s+harness", section)
    from rlsparse_check.tasks import MODEL_TASKS

    flat = "".join(section.split())
    assert f"smollm2-135m:{MODEL_TASKS['smollm2-135m'][0]};" in flat  # --task's default, read


def test_command_line_beats_pyproject_which_beats_defaults(pytester):
    pytester.makepyprojecttoml(
        textwrap.dedent("""
        [tool.rlsparse-check]
        alpha = 0.01
        seeds = 5
        sparsity-range = [0.6, 0.9]
    """)
    )
    pytester.makepyfile(
        test_settings="""
        def test_show(rlsparse_settings):
            s = rlsparse_settings
            print("SETTINGS", s.alpha, s.seeds, s.sparsity_range, s.correction, s.model)
    """
    )
    result = pytester.runpytest("-s", "--alpha", "0.2", "--correction", "bh")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SETTINGS 0.2 5 (0.6, 0.9) bh tiny-qwen2"])


def test_an_unknown_pyproject_key_is_named(pytester):
    pytester.makepyprojecttoml("[tool.rlsparse-check]\nalhpa = 0.01\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown key(s) ['alhpa']" in result.stderr.str()


@pytest.mark.parametrize(
    "args, named",
    [
        (["--sparsity-range", "0.9,0.1"], "--sparsity-range"),
        (["--correction", "bonferroni"], "--correction"),
        (["--tuned", "somewhere"], "--tuned needs --base"),
        (["--baseline", "missing.json"], "--baseline"),
    ],
)
def test_a_bad_option_is_a_usage_error_that_names_it(pytester, args, named):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert named in result.stderr.str()


def test_header_shows_model_device_seeds_and_cache_for_claims_runs_only(pytester):
    claims_suite(pytester, c1={"a": ("reproduced", 0.8)})
    pytester.makepyfile(test_other="def test_x(): pass")
    claims_run = pytester.runpytest("claims", "--seeds", "4", "--cache-dir", "cachehere")
    claims_run.stdout.re_match_lines(
        [
            r"rlsparse-check: model=tiny-qwen2, device=auto -> \w+, "
            r"seeds=4, cache=.*cachehere.*"
        ]
    )
    other_run = pytester.runpytest("test_other.py")
    assert "rlsparse-check:" not in other_run.stdout.str()


def test_verdicts_decide_pass_xfail_and_fail_with_the_numbers(pytester):
    claims_suite(
        pytester,
        c1={
            "good": ("reproduced", 0.8),
            "unsure": ("inconclusive", 0.9),
            "dense": ("not_reproduced", 0.1),
        },
    )
    result = pytester.runpytest("claims", "-rx")
    result.assert_outcomes(passed=1, xfailed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "C1 [[]dense[]] not reproduced: *value=0.1",
            "  measured: sparsity=0.1",
            "  expected: sparsity within [[]0.70, 0.95[]]",
            "  test: one-sample t, p=0.012 (holm-adjusted), alpha=0.05, n=3",
        ]
    )
    result.stdout.fnmatch_lines(["*XFAIL*unsure*inconclusive*"])


def test_reproduced_and_inconclusive_claims_exit_zero(pytester):
    claims_suite(pytester, c1={"good": ("reproduced", 0.8), "unsure": ("inconclusive", 0.9)})
    result = pytester.runpytest("claims")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "C1   inconclusive    sparsity: good 80.0%, unsure 90.0% vs paper 70%-95%",
            "report: *report.html*",
        ]
    )


def test_report_json_aggregates_cases_per_claim_with_provenance(pytester):
    claims_suite(
        pytester,
        c1={"a": ("reproduced", 0.8), "b": ("reproduced", 0.85)},
        c3={"pairs": ("not_reproduced", 0.2)},
    )
    started = time.perf_counter()
    pytester.runpytest("claims")
    elapsed = time.perf_counter() - started
    report = read_report(pytester)
    assert report["schema"] == 1
    assert [c["id"] for c in report["claims"]] == ["C1", "C3"]
    c1, c3 = report["claims"]
    assert set(c1) >= {"id", "title", "verdict", "paper", "measured", "statistics", "runs", "cases"}
    assert (c1["verdict"], c3["verdict"]) == ("reproduced", "not_reproduced")
    assert [case["case"] for case in c1["cases"]] == ["a", "b"]
    assert report["summary"] == {
        "reproduced": 1,
        "not_reproduced": 1,
        "inconclusive": 0,
        "skipped": 0,
        "errors": 0,
    }
    provenance = report["provenance"]
    assert provenance["versions"]["python"] and "numpy" in provenance["versions"]
    assert provenance["hashes"] == {"data_hash": ["da", "db", "dpairs"], "model_hash": ["m1"]}
    assert provenance["seeds"] == [1, 5]
    assert provenance["hardware"]["cpu_count"] >= 1
    assert 0 < provenance["wall_times"]["session_s"] <= elapsed
    assert "claims" in provenance["command"]
    assert (pytester.path / "reports/latest/report.html").is_file()


def test_one_inconclusive_case_makes_the_claim_inconclusive(pytester):
    claims_suite(pytester, c1={"a": ("reproduced", 0.8), "b": ("inconclusive", 0.5)})
    pytester.runpytest("claims")
    (claim,) = read_report(pytester)["claims"]
    assert (claim["verdict"], claim["decisive_case"]) == ("inconclusive", "b")


def test_skips_and_crashes_of_claim_tests_are_reported_not_hidden(pytester):
    pytester.mkdir("claims")
    (pytester.path / "claims/test_c5_skip.py").write_text(
        "import pytest\ndef test_c5():\n    pytest.skip('needs training runs')\n"
    )
    (pytester.path / "claims/test_c7_crash.py").write_text(
        "def test_c7():\n    raise RuntimeError('boom')\n"
    )
    result = pytester.runpytest("claims")
    report = read_report(pytester)
    assert report["skipped"] == [
        {"id": "C5", "nodeid": "claims/test_c5_skip.py::test_c5", "reason": "needs training runs"}
    ]
    assert report["errors"][0]["id"] == "C7" and "boom" in report["errors"][0]["message"]
    result.stdout.fnmatch_lines(["C5   skipped         needs training runs", "C7   error*boom*"])


def test_unrelated_test_runs_write_no_report(pytester):
    pytester.makepyfile("def test_x(): pass")
    pytester.runpytest()
    assert not (pytester.path / "reports").exists()


def test_report_dir_option_moves_the_report(pytester):
    claims_suite(pytester, c1={"a": ("reproduced", 0.8)})
    pytester.runpytest("claims", "--report-dir", "out/here")
    assert (pytester.path / "out/here/report.json").is_file()


def test_two_xdist_workers_give_the_same_claims_as_one_process(pytester):
    claims_suite(
        pytester,
        c1={f"case{i}": ("reproduced", 0.7 + i / 100) for i in range(4)},
        c3={"x": ("inconclusive", 0.5)},
        c8={"y": ("not_reproduced", 0.1)},
    )
    pytester.runpytest_subprocess("claims", "--report-dir", "serial")
    result = pytester.runpytest_subprocess("claims", "-n", "2", "--report-dir", "parallel")
    assert "2 workers" in result.stdout.str()
    serial = json.loads((pytester.path / "serial/report.json").read_text())
    parallel = json.loads((pytester.path / "parallel/report.json").read_text())
    assert serial["claims"] == parallel["claims"]
    assert [c["verdict"] for c in parallel["claims"]] == [
        "reproduced",
        "inconclusive",
        "not_reproduced",
    ]


def test_drift_from_a_baseline_fails_the_run_with_a_clear_message(pytester):
    claims_suite(pytester, c1={"a": ("reproduced", 0.80)})
    pytester.runpytest("claims", "--report-dir", "base")
    same = pytester.runpytest("claims", "--baseline", "base/report.json")
    assert same.ret == pytest.ExitCode.OK

    claims_suite(pytester, c1={"a": ("reproduced", 0.90)})
    moved = pytester.runpytest("claims", "--baseline", "base/report.json")
    assert moved.ret == pytest.ExitCode.TESTS_FAILED
    moved.stdout.fnmatch_lines(
        ["DRIFT: C1: sparsity moved from 80.0% to 90.0% (tolerance 5.0 pp)*"]
    )
    assert read_report(pytester)["drift"]["findings"][0]["failure"] is True

    tolerant = pytester.runpytest(
        "claims", "--baseline", "base/report.json", "--drift-tolerance", "0.2"
    )
    assert tolerant.ret == pytest.ExitCode.OK


def test_a_changed_verdict_is_drift(pytester):
    claims_suite(pytester, c1={"a": ("reproduced", 0.80)})
    pytester.runpytest("claims", "--report-dir", "base")
    claims_suite(pytester, c1={"a": ("inconclusive", 0.80)})
    result = pytester.runpytest("claims", "--baseline", "base/report.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["DRIFT: C1: verdict changed from reproduced to inconclusive*"])
