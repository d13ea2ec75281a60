"""Wire the adapters together from Settings: store, GitHub App, model, reviewer, workers, web."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from starlette.applications import Starlette

from bot.github.app import GitHubApp
from bot.github.errors import GitHubError
from bot.github.redeliver import redeliver_missed
from bot.intake.group_commit import Intake, RecordBatch
from bot.intake.limits import Limits, MiB
from bot.intake.web import create_app
from bot.metrics import Metrics
from bot.model.client import OpenAIReviewer
from bot.queue.identity import this_process
from bot.queue.jobs import Delivery, Recorded
from bot.queue.membership import Membership
from bot.queue.pool import WorkerPool
from bot.queue.store import Store
from bot.queue.worker import RetryPolicy, Worker, utcnow
from bot.review.round import ReviewConfig, Reviewer
from bot.settings import Settings
from bot.startup import open_store

log = logging.getLogger("beadle")


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store = open_store(settings.database_url.get_secret_value())
        # This process's metrics (bot/metrics.py), counted by the adapters that do the work.
        self.metrics = Metrics(job_counts=self.store.job_counts)
        prices = settings.prices()
        self.github = GitHubApp(
            app_id=settings.app_id,
            private_key_pem=settings.private_key_pem(),
            base_url=settings.github_api_url,
            bot_login=settings.bot_login,
            pool_size=settings.workers + 2,
            on_request=self.metrics.github_request,
        )
        self.model = OpenAIReviewer(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=settings.model_timeout,
            max_retries=0,  # Beadle retries and counts every request itself (bot/model/metered.py)
            metrics=self.metrics,
            prices=prices,
        )
        self.reviewer = Reviewer(
            github=self.github,
            model=self.model,
            config=ReviewConfig(
                model=settings.model,
                context_tokens=settings.context_tokens,
                answer_tokens=settings.answer_tokens,
                cache_dir=settings.cache_folder(),
                prices=prices,
                budget=settings.model_budget(),
            ),
        )

    def pool(self) -> WorkerPool:
        policy = RetryPolicy(max_attempts=self.settings.max_attempts, base=self.settings.retry_base)
        identity = this_process(self.settings.worker_host)
        membership = Membership(self.store, identity, every=self.settings.worker_heartbeat)
        return WorkerPool(
            lambda name: Worker(
                store=self.store,
                reviewer=self.reviewer,
                github=self.github,
                name=name,
                policy=policy,
                poll=self.settings.poll_interval,
                lease=timedelta(seconds=self.settings.lease_seconds),
                process=lambda: membership.id,
                metrics=self.metrics,
            ),
            size=self.settings.workers,
            prefix=f"{identity.host}:{identity.pid}",
            membership=membership,
        )

    def web(self, *, with_workers: bool) -> Starlette:
        pool = self.pool() if with_workers else None
        limits = self.limits()
        intake = Intake(
            self._record_and_wake(pool),
            deadline=limits.commit_timeout,
            probe=self.store.check_writable,
        )

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            stop = threading.Event()
            if pool is not None:
                pool.start()
            if self.settings.redeliver_every > 0:
                threading.Thread(target=self.redeliver_loop, args=(stop,), daemon=True).start()
            try:
                yield
            finally:
                stop.set()
                if pool is not None:
                    pool.stop()

        return create_app(
            secret=self.settings.webhook_secret.get_secret_value(),
            intake=intake,
            bot_login=self.settings.bot_login,
            lifespan=lifespan,
            limits=limits,
            metrics=self.metrics,
            metrics_token=self.metrics_token,
        )

    @property
    def metrics_token(self) -> str | None:
        token = self.settings.metrics_token
        return token.get_secret_value().strip() if token is not None else None

    def limits(self) -> Limits:
        """What a webhook request may cost (bot/intake/limits.py), from the settings."""
        return Limits(body_bytes=self.settings.intake_memory_mb * MiB)

    def _record_and_wake(self, pool: WorkerPool | None) -> RecordBatch:
        def record(batch: Sequence[Delivery]) -> list[Recorded]:
            results = self.store.record_deliveries(batch)
            if pool is not None and any(r.job_id is not None for r in results):
                pool.wake()
            return results

        return record

    def redeliver_loop(self, stop: threading.Event) -> None:
        every = self.settings.redeliver_every
        while not stop.wait(every):
            try:
                redeliver_missed(
                    self.github,
                    self.store,
                    since=utcnow() - timedelta(seconds=max(every * 2, 3600)),
                )
            except GitHubError as exc:
                log.warning("periodic redelivery failed: %s", exc)
            except Exception:
                log.exception("periodic redelivery failed")
