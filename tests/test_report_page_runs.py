"""Every run listed once, by a unique label that claims and cases refer to."""

from __future__ import annotations

from rlsparse_check.report.page.runs import run_index


def training_run(label, seed, lr=2e-5, cached=False):
    return {
        "label": label,
        "algo": "grpo",
        "seed": seed,
        "tuned_hash": f"h{seed}",
        "base_hash": "b",
        "gain": {"before": 0.46, "after": 0.61, "gain": 0.15, "p": 0.022},
        "record": {
            "cached": cached,
            "train_time_s": 3.83,
            "spec": {"lr": lr, "steps": 20, "save_dtype": "bfloat16"},
        },
    }


def claim(claim_id, *runs):
    return {"id": claim_id, "runs": list(runs), "cases": [{"case": "x", "runs": list(runs)}]}


def test_a_run_used_by_several_claims_is_listed_once_with_its_users():
    run = training_run("grpo-seed0", 0)
    index = run_index([claim("C1", run), claim("C3", run)])
    (row,) = index.rows
    assert row["label"] == "grpo-seed0" and row["claims"] == ["C1", "C3"]
    assert index.refs([run]) == [{"label": "grpo-seed0", "anchor": "run-grpo-seed0"}]


def test_the_table_shows_what_a_reviewer_checks_first():
    index = run_index([claim("C1", training_run("grpo-seed0", 0))])
    cells = dict(zip(index.columns, index.rows[0]["cells"], strict=True))
    assert cells["algo"] == "grpo" and cells["lr"] == "2e-05" and cells["steps"] == "20"
    assert cells["save_dtype"] == "bfloat16" and cells["tuned_hash"] == "h0"
    assert cells["eval"] == "46.0% to 61.0% (+15.0 pp, p 0.022)"
    assert cells["trained"] == "3.83 s"
    assert "sparsity" not in index.columns and "checkpoint" not in index.columns


def test_different_runs_sharing_a_label_get_distinct_labels():
    index = run_index(
        [
            claim("C1", training_run("grpo-seed0", 0)),
            claim("C9", training_run("grpo-seed0", 0, lr=1e-6)),
        ]
    )
    assert [row["label"] for row in index.rows] == ["grpo-seed0", "grpo-seed0 (2)"]


def test_unlabelled_checkpoints_are_named_by_their_folder():
    given = {"base": "/ckpt/base", "tuned": "/ckpt/rl-step-400", "tuned_hash": "t"}
    index = run_index([claim("C1", given)])
    assert index.rows[0]["label"] == "rl-step-400"
    assert dict(zip(index.columns, index.rows[0]["cells"], strict=True))["checkpoint"] == (
        "/ckpt/rl-step-400"
    )


def test_a_cached_run_says_so():
    index = run_index([claim("C1", training_run("r", 0, cached=True))])
    assert "from cache" in index.rows[0]["cells"]
