"""Tests of the reasoning-gym tasks: the fixed disjoint split, the full-score-only reward on the
last <answer> tag, the pinned version and the settings in the run cache key, and (slow) GRPO
and PPO runs of a tiny BPE model on one."""

from __future__ import annotations

import pytest
import tasks_support

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.cache import cache_key
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.tasks import get_task, gym

tiny_bpe_model = tasks_support.tiny_bpe_model
SMALL = "rg:chain_sum:min_terms=2,max_terms=2,max_digits=1,max_new_tokens=8"
LEGS = "rg:leg_counting"


@pytest.fixture(autouse=True)
def fresh_tasks():
    get_task.cache_clear()
    yield
    get_task.cache_clear()


def test_the_split_is_fixed_disjoint_and_of_the_documented_sizes():
    task = get_task("rg:chain_sum:min_terms=3,max_terms=5")
    assert len(task.eval) == gym.EVAL_SIZE
    assert gym.TRAIN_SIZE - 10 <= len(task.train) <= gym.TRAIN_SIZE  # repeats of eval dropped
    assert not {p.prompt for p in task.train} & {p.prompt for p in task.eval}
    first = [(p.prompt, p.answer) for p in task.eval[:5]]
    get_task.cache_clear()
    assert [
        (p.prompt, p.answer) for p in get_task("rg:chain_sum:min_terms=3,max_terms=5").eval[:5]
    ] == first
    assert task.kind == "rg" and task.max_new_tokens == gym.MAX_NEW_TOKENS


def test_settings_reach_the_data_set_and_max_new_tokens_the_task():
    task = get_task(
        "rg:chain_sum:min_terms=2,max_terms=2,min_digits=3,max_digits=3,max_new_tokens=64"
    )
    assert task.max_new_tokens == 64
    for p in task.eval:
        expression = p.prompt.rsplit(":", 1)[1].strip(" =")
        terms = expression.replace("-", "+").split("+")
        assert len(terms) == 2 and all(len(t.strip()) == 3 for t in terms), p.prompt


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("The sum is 10. <answer>{answer}</answer>", 1.0),
        ("<answer>{answer}</answer>", 1.0),
        ("<answer>0</answer> then <answer>{answer}</answer>", 1.0),  # the last tag counts
        ("<answer>{answer}</answer> no, <answer>99999</answer>", 0.0),
        ("<answer>99999</answer>", 0.0),
        ("{answer}", 0.0),  # no tags
        ("", 0.0),
    ],
)
def test_reward_reads_the_last_answer_tag(completion, expected):
    task = get_task(SMALL)
    problem = task.eval[0]
    assert task.score(completion.format(answer=problem.answer), problem) == expected


def test_partial_credit_counts_as_zero():
    task = get_task(LEGS)
    problem = task.eval[0]
    partial = f"{problem.answer} legs"
    assert 0 < _library_score(problem, partial) < 1  # the default scorer's partial credit
    assert task.score(f"<answer>{partial}</answer>", problem) == 0.0
    assert task.score(f"<answer>{problem.answer}</answer>", problem) == 1.0


def _library_score(problem, answer):
    import reasoning_gym

    data_set = reasoning_gym.create_dataset("leg_counting", size=gym.EVAL_SIZE, seed=gym.EVAL_SEED)
    return data_set.score_answer(answer, data_set[int(problem.ref.split("/")[1])])


@pytest.mark.parametrize(
    "name, needle",
    [
        ("rg:no_such_set", "no reasoning-gym data set 'no_such_set'"),
        ("rg:chain_sum:bogus=1", "reasoning-gym rejects the settings"),
        ("rg:chain_sum:min_terms=5,max_terms=2", "max_terms must be >= min_terms"),
        ("rg:chain_sum:max_new_tokens=0", "max_new_tokens=0"),
        ("rg:chain_sum:shots=-1", "shots=-1: an integer of at least 0"),
        ("rg:chain_sum:shots=two", "shots=two"),
        ("rg:chain_sum:min_terms", "is not key=value"),
    ],
)
def test_bad_names_and_settings_are_option_errors(name, needle):
    with pytest.raises(OptionError, match="--task") as error:
        RunSpec(model="tiny-qwen2", task=name)
    assert needle in str(error.value)


def test_another_installed_version_is_refused_with_what_to_do(monkeypatch):
    monkeypatch.setattr(gym, "installed_version", lambda: "0.1.30")
    with pytest.raises(OptionError, match=r"reasoning-gym==0\.1\.25 \(0\.1\.30 is installed\)"):
        get_task(SMALL)


def _key(task: str) -> str:
    return cache_key(RunSpec(model="local", task=task).resolved(builtin=False).to_dict())


def test_the_cache_key_changes_with_the_settings_and_the_version(monkeypatch):
    one, other = _key(SMALL), _key(SMALL.replace("max_digits=1", "max_digits=2"))
    assert one != other
    identity = {"reasoning-gym": "0.1.25", "prompt": "answer tags, 2 shots"}
    assert (
        RunSpec(task=SMALL).to_dict()["task_identity"] == identity == dict(get_task(SMALL).identity)
    )
    assert _key(f"{SMALL},shots=0") != one
    get_task.cache_clear()
    monkeypatch.setattr(gym, "RG_VERSION", "0.1.26")
    monkeypatch.setattr(gym, "installed_version", lambda: "0.1.26")
    assert _key(SMALL) != one


def test_the_demonstrations_are_train_problems_no_run_trains_or_evaluates_on():
    task = get_task(SMALL)
    assert len(task.shots) == 2 and all(p.ref.startswith("train/") for p in task.shots)
    asked = {p.prompt for p in task.shots}
    assert not asked & ({p.prompt for p in task.train} | {p.prompt for p in task.eval})
    bare = get_task(f"{SMALL},shots=0")
    assert bare.shots == () and bare.eval == task.eval
    assert len(get_task(f"{SMALL},shots=5").shots) == 5


def test_the_built_in_models_refuse_a_gym_task():
    with pytest.raises(OptionError, match="built-in tiny models read only digits"):
        RunSpec(task=SMALL).resolved(builtin=True)


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_a_tiny_bpe_model_trains_two_steps_on_a_gym_task(algo, tiny_bpe_model, tmp_path):
    from rlsparse_check.recipes import RunCache, train

    spec = RunSpec(
        model=str(tiny_bpe_model),
        algo=algo,
        task=SMALL,
        steps=2,
        batch_size=2,
        num_generations=2,
        device="cpu",
    )
    run = train(spec, cache=RunCache(tmp_path / "cache"))
    record = run.record.to_json()
    assert record["task"] == SMALL and record["spec"]["task_identity"] == {
        "reasoning-gym": "0.1.25",
        "prompt": "answer tags, 2 shots",
    }
    assert record["eval"]["before"]["n"] == gym.EVAL_SIZE
    assert record["trainer_args"]["max_steps"] == 2
    steps = [entry for entry in record["log_history"] if "reward" in entry]
    assert len(steps) == 2 and all(entry["reward"] == 0.0 for entry in steps)  # random: no tags
    moved = record["weights_sha256"] != record["base"]["weights_sha256"]
    assert moved == (algo == "ppo")  # GRPO: all-wrong groups have no advantage; PPO's critic does
