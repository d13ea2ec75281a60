"""What a job spends on the model and keeps between attempts, in milliseconds: the budget, the
request loop, the kept answer, the limit per PR and the permission that could not be read,
through `Reviewer.run` with an in-memory ledger and repository."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from bot.github.errors import GitHubError
from bot.model import kept as kept_answer
from bot.model.answer import ReviewAnswer
from bot.model.kept import KeptAnswer
from bot.model.metered import BudgetSpent, ask
from bot.model.reply import ModelError, ModelReply, model_error
from bot.model.spend import Budget, Spend, describe, exhausted, quick_wait
from bot.queue.request import Mode, ReviewRequest
from bot.review.comment import failure_note, limit_note
from bot.review.ledger import Recent, plan_key
from bot.review.permission import PermissionUnread
from bot.review.plan import RoundPlan
from bot.review.repo_config import parse_config
from bot.review.round import ReviewConfig, Reviewer
from tests.fakes.memory import HEAD, MemoryInstallations, MemoryModel, MemoryRepo, file_diff
from tests.fakes.model import reviewer_answer

ISSUE = {"id": "bd-a3f8", "title": "Validate widget sizes", "status": "open", "priority": 1}


@dataclass
class MemoryLedger:
    """The job's row, in memory: what bot/queue/book.py keeps in the store."""

    spend: Spend = field(default_factory=Spend)
    answer: KeptAnswer | None = None
    posted: int = 0
    noted: bool = False

    def spent(self) -> Spend:
        return self.spend

    def started(self) -> None:
        self.spend = Spend(self.spend.requests + 1, self.spend.seconds, self.spend.tokens)

    def ended(self, seconds: float, tokens: int) -> None:
        s = self.spend
        self.spend = Spend(s.requests, s.seconds + seconds, s.tokens + tokens)

    def kept(self) -> KeptAnswer | None:
        return self.answer

    def keep(self, kept: KeptAnswer) -> None:
        self.answer = kept_answer.load(kept_answer.dump(kept))  # through its JSON, as stored

    def recent(self) -> Recent:
        return Recent(self.posted, self.noted)


class Clock:
    """Each request takes `step` seconds of model time."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step  # read once as a request starts and once as it ends
        return self.now


def reply() -> ModelReply:
    answer = ReviewAnswer.model_validate(reviewer_answer(""))
    return ModelReply(answer=answer, model="m", prompt_tokens=100, completion_tokens=20)


def timeouts(n: int) -> list[Exception]:
    return [model_error("model API unreachable: APITimeoutError", transient=True)] * n


def ask_with(
    model: MemoryModel, ledger: MemoryLedger, budget: Budget, *, step: float = 1.0
) -> ModelReply:
    waits: list[float] = []
    return ask(
        model,
        ledger,
        budget,
        system="s",
        prompt="p",
        model_name="m",
        max_tokens=100,
        sleep=waits.append,
        clock=Clock(step),
        jitter=lambda: 0.5,
    )


# -- the budget and the request loop -------------------------------------------------------------


def test_exhausted_by_requests_or_by_time_and_described_for_the_note() -> None:
    budget = Budget(max_requests=3, max_seconds=900)
    assert exhausted(Spend(2, 899.0), budget) is None
    assert "BEADLE_MODEL_MAX_REQUESTS=3" in (exhausted(Spend(3, 1.0), budget) or "")
    assert "BEADLE_MODEL_MAX_SECONDS=900" in (exhausted(Spend(1, 900.0), budget) or "")
    assert describe(Spend(3, 905.2, 0)) == (
        "3 model requests, 905 s of model time, no tokens (no answer came back)"
    )
    assert describe(Spend(1, 2.34, 12345)) == "1 model request, 2.3 s of model time, 12,345 tokens"


def test_quick_retries_back_off_and_a_long_retry_after_is_left_to_the_queue() -> None:
    assert [quick_wait(n, None, jitter=0.5) for n in (1, 2, 3, 9)] == [0.5, 1.0, 2.0, 8.0]
    assert quick_wait(1, 3.0, jitter=0.5) == 3.0
    assert quick_wait(1, 120.0, jitter=0.5) is None


def test_a_hanging_model_is_asked_at_most_max_requests_times_over_all_attempts() -> None:
    model, ledger = MemoryModel(failures=timeouts(50)), MemoryLedger()
    budget = Budget(max_requests=3, max_seconds=10_000, retries=1)
    with pytest.raises(ModelError) as first:  # attempt one: a request and one quick retry
        ask_with(model, ledger, budget, step=300)
    assert not isinstance(first.value, BudgetSpent) and len(model.prompts) == 2
    with pytest.raises(BudgetSpent) as last:  # attempt two: the third request, then no more
        ask_with(model, ledger, budget, step=300)
    assert len(model.prompts) == 3 and ledger.spend == Spend(3, 900.0, 0)
    assert "APITimeoutError" in str(last.value)
    with pytest.raises(BudgetSpent):  # a later attempt asks nothing at all
        ask_with(model, ledger, budget)
    assert len(model.prompts) == 3


def test_model_time_is_bounded_too() -> None:
    model, ledger = MemoryModel(failures=timeouts(50)), MemoryLedger()
    budget = Budget(max_requests=100, max_seconds=900, retries=10)
    with pytest.raises(BudgetSpent, match="BEADLE_MODEL_MAX_SECONDS"):
        ask_with(model, ledger, budget, step=400)
    assert len(model.prompts) == 3 and ledger.spend.seconds == 1200.0  # 900 + under a request


def test_an_answer_after_a_retry_counts_both_requests_and_its_tokens() -> None:
    model, ledger = MemoryModel(failures=timeouts(1)), MemoryLedger()
    got = ask_with(model, ledger, Budget(retries=1))
    assert got.prompt_tokens == 100 and ledger.spend == Spend(2, 2.0, 120)


def test_a_refusal_is_not_retried() -> None:
    model = MemoryModel(failures=[model_error("refused", transient=False)])
    with pytest.raises(ModelError, match="refused"):
        ask_with(model, MemoryLedger(), Budget(retries=3))
    assert len(model.prompts) == 1


# -- the kept answer -------------------------------------------------------------------------------


def test_a_kept_answer_reads_back_as_it_was_and_anything_else_as_none() -> None:
    kept = KeptAnswer("round=1", reply())
    assert kept_answer.load(kept_answer.dump(kept)) == kept
    for text in (None, "", "not json", "[]", '{"v": 99}', json.dumps({"v": 1, "key": "k"})):
        assert kept_answer.load(text) is None


def test_the_key_is_the_round_its_range_and_its_head() -> None:
    one = RoundPlan(round=1, base="b", head="h1", whole_pr=True)
    assert plan_key(one) == plan_key(RoundPlan(round=1, base="b", head="h1", whole_pr=True))
    assert plan_key(one) != plan_key(RoundPlan(round=1, base="b", head="h2", whole_pr=True))
    assert plan_key(one) != plan_key(RoundPlan(round=2, base="b", head="h1", whole_pr=True))


# -- through Reviewer.run ---------------------------------------------------------------------------


def repo_with_change(**changes: object) -> MemoryRepo:
    repo = MemoryRepo(**changes)  # type: ignore[arg-type]
    repo.diffs["pull/1"] = file_diff("widgets/size.py", ["def check(size):", "    return size"])
    repo.files[(".beads/issues.jsonl", HEAD)] = json.dumps(ISSUE) + "\n"
    return repo


def reviewer(repo: MemoryRepo, model: MemoryModel) -> Reviewer:
    config = ReviewConfig(
        model="test-model", context_tokens=128_000, answer_tokens=8_000, budget=Budget(retries=0)
    )
    github = MemoryInstallations({repo.full_name: repo})
    return Reviewer(github=github, model=model, config=config, sleep=lambda _: None)


def request(mode: Mode = Mode.AUTO, **changes: object) -> ReviewRequest:
    fields: dict[str, object] = {
        "repo": "octo/widgets",
        "pr_number": 1,
        "installation_id": 7,
        "head_sha": HEAD,
        "mode": mode,
    }
    return ReviewRequest(**(fields | changes))  # type: ignore[arg-type]


def test_a_retry_posts_the_kept_answer_without_asking_the_model() -> None:
    repo, model, ledger = repo_with_change(), MemoryModel(), MemoryLedger()
    repo.fail("post_review", 502, times=3)
    run = reviewer(repo, model)
    with pytest.raises(GitHubError):
        run.run(request(), job_key="j", ledger=ledger)
    assert ledger.answer is not None and ledger.spend.requests == 1

    outcome = run.run(request(), job_key="j", ledger=ledger)
    assert outcome.posted and "kept from an earlier attempt" in outcome.detail
    assert len(model.prompts) == 1 and len(repo.reviews) == 1
    assert outcome.usage is not None and outcome.usage.prompt_tokens == 100


def test_a_kept_answer_for_another_round_is_not_posted() -> None:
    repo, model = repo_with_change(), MemoryModel()
    stale = KeptAnswer("round=1 base=x head=old whole=1", reply())
    ledger = MemoryLedger(answer=stale)
    outcome = reviewer(repo, model).run(request(), job_key="j", ledger=ledger)
    assert outcome.posted and "kept" not in outcome.detail and len(model.prompts) == 1
    assert ledger.answer is not None and ledger.answer.key != stale.key  # replaced


def test_over_the_limit_no_model_call_and_the_note_once() -> None:
    repo, model = repo_with_change(), MemoryModel()
    repo.files[(".github/beadle.yml", "main")] = "max_reviews_per_hour: 2\n"
    run = reviewer(repo, model)
    first = run.run(request(Mode.COMMAND), job_key="a", ledger=MemoryLedger(posted=2))
    later = run.run(request(Mode.COMMAND), job_key="b", ledger=MemoryLedger(posted=3, noted=True))
    assert (first.posted, first.noted, later.noted) == (False, True, False)
    assert "max_reviews_per_hour is 2" in first.detail
    assert model.prompts == [] and repo.reviews == [] and "create_check" not in repo.calls
    [(number, body)] = repo.notes
    assert number == 1 and "max_reviews_per_hour: 2" in body


def test_an_answer_already_paid_for_is_posted_even_over_the_limit() -> None:
    repo, model = repo_with_change(), MemoryModel()
    ledger = MemoryLedger(posted=50)
    run = reviewer(repo, model)
    plan = RoundPlan(round=1, base=repo.pulls[1].base_sha, head=HEAD, whole_pr=True)
    ledger.answer = KeptAnswer(plan_key(plan), reply())
    assert run.run(request(), job_key="j", ledger=ledger).posted and model.prompts == []


def test_a_permission_that_could_not_be_read_is_told_apart() -> None:
    repo, model = repo_with_change(), MemoryModel()
    repo.fail("permission", 502)
    repo.fail("permission", 403)
    run = reviewer(repo, model)
    asked = request(Mode.COMMAND, requested_by="mallory", verify_permission=True)
    with pytest.raises(PermissionUnread) as transient:
        run.run(asked, job_key="j", ledger=MemoryLedger())
    assert transient.value.status == 502 and "could not be read" in str(transient.value)
    with pytest.raises(PermissionUnread):
        run.run(asked, job_key="j", ledger=MemoryLedger())
    assert repo.notes == [] and repo.reactions == [] and model.prompts == []


# -- what the PR reads ----------------------------------------------------------------------------


def test_the_failure_note_says_what_was_spent_and_nothing_when_nothing_was() -> None:
    spent = failure_note(reason="R.", head_sha=HEAD, attempts=3, spent=Spend(1, 0.3, 1234))
    assert "after 3 attempts, having spent 1 model request, 0.3 s of model time, 1,234 tokens." in (
        spent
    )
    assert "having spent" not in failure_note(reason="R.", head_sha=HEAD, attempts=1)
    assert "having spent" not in failure_note(reason="R.", head_sha="", attempts=1, spent=Spend())


def test_the_limit_note_and_the_repository_key() -> None:
    body = limit_note(posted=12, limit=12, head_sha=HEAD)
    assert f"`{HEAD[:12]}`" in body and "12 reviews" in body and "<!-- beadle:note -->" in body
    assert parse_config(None).config.max_reviews_per_hour == 12
    assert parse_config("max_reviews_per_hour: 3").config.max_reviews_per_hour == 3
    bad = parse_config("max_reviews_per_hour: 0")
    assert bad.problem is not None and "max_reviews_per_hour" in bad.problem
