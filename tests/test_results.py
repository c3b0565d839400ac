from rlsparse_check.results import ClaimResult, Verdict, decide, worst


def test_too_few_replicates_is_inconclusive_even_when_supported():
    assert decide(supports=True, refutes=False, n=1, min_n=2).verdict is Verdict.INCONCLUSIVE


def test_support_reproduces_and_refutation_does_not():
    assert decide(supports=True, refutes=False, n=3, min_n=2).verdict is Verdict.REPRODUCED
    assert decide(supports=False, refutes=True, n=3, min_n=2).verdict is Verdict.NOT_REPRODUCED
    assert decide(supports=False, refutes=False, n=3, min_n=2).verdict is Verdict.INCONCLUSIVE


def test_the_reason_quotes_the_numbers():
    assert "p=0.01" in decide(supports=True, refutes=False, n=2, why="p=0.01").reason


def test_worst_case_decides_a_claim():
    assert worst([Verdict.REPRODUCED, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert worst([Verdict.INCONCLUSIVE, Verdict.NOT_REPRODUCED]) is Verdict.NOT_REPRODUCED
    assert worst([]) is Verdict.INCONCLUSIVE


def test_claim_result_round_trips_through_json():
    import json

    import numpy as np

    result = ClaimResult(
        id="C1",
        title="t",
        case="grpo",
        verdict="reproduced",
        reason="r",
        measured={"sparsity": np.float32(0.5), "ci": (0.4, 0.6), "nan": float("nan")},
    )
    data = json.loads(json.dumps(result.to_json()))
    assert data["measured"] == {"sparsity": 0.5, "ci": [0.4, 0.6], "nan": None}
    assert ClaimResult.from_json(data).verdict is Verdict.REPRODUCED
