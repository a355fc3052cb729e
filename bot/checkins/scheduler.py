"""The check-in scheduler: APScheduler wakes at due times; SQLite is the truth, so jobs are rebuilt at start.

Jobs live in APScheduler's memory store only, one per topic with the id `checkin:<topic id>` (replaced,
never added twice), and one more, `sleep:watch`, that runs sleep passes when people are due one
(bot/checkins/bedtime.py). A restart rebuilds them from the topics table, so nothing is lost or duplicated, and a
job never names a function APScheduler could fail to import later (its SQL store silently drops those).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.checkins.bedtime import LOOK_EVERY, SleepWatch
from bot.checkins.planner import CATCH_UP_GRACE, RETRY_AFTER_FAILURE, CheckinPlanner
from bot.state.checkins import Topic

log = logging.getLogger(__name__)

SLEEP_JOB = "sleep:watch"


def job_id(topic_id: int) -> str:
    return f"checkin:{topic_id}"


def catch_up_time(topic: Topic, now: datetime) -> datetime:
    """When to look at a topic after a start: once now if it fell due within the grace window, else the next slot.

    Missed slots are never replayed one by one: a topic has one due time, not a backlog.
    """
    if topic.wake_at >= now:
        return topic.next_due_at
    if now - topic.next_due_at <= CATCH_UP_GRACE or topic.once:  # a follow-up late is better than none
        return now
    slot = timedelta(hours=topic.cadence_hours)
    missed = (now - topic.next_due_at) // slot + 1
    return topic.next_due_at + missed * slot


class CheckinScheduler:
    """Built before the core and the planner (both hand it topics to schedule); `start` names who fires them."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._planner: CheckinPlanner | None = None

    @property
    def planner(self) -> CheckinPlanner:
        if self._planner is None:
            raise RuntimeError("the check-in scheduler has not been started")
        return self._planner

    async def start(self, planner: CheckinPlanner) -> int:
        """Rebuild every job from SQLite and start waking up; returns how many topics are scheduled."""
        count = await self.rebuild(planner)
        if not self.scheduler.running:
            self.scheduler.start()
        return count

    async def rebuild(self, planner: CheckinPlanner) -> int:
        """Jobs from the topics table, each firing through `planner`; run again, it replaces and never adds."""
        self._planner = planner
        now = self.clock()
        topics = await self.planner.store.topics(statuses=("active",))
        for topic in topics:
            run_at = catch_up_time(topic, now)
            if run_at != topic.next_due_at:
                await self.planner.store.set_next_due(topic.id, run_at)
                if run_at > now:
                    log.info("check-in topic %s missed its slot while AIKI was down; next at %s", topic.id, run_at)
                topic = await self.planner.store.topic(topic.id) or topic
            await self.schedule(topic)
        log.info("check-in scheduler: %d topics scheduled", len(topics))
        return len(topics)

    async def schedule(self, topic: Topic) -> None:
        # Remove, then add: APScheduler only honours replace_existing once started, and a topic has one job.
        self.unschedule(topic.id)
        if topic.status != "active":
            return
        self.scheduler.add_job(
            self.run,
            "date",
            run_date=max(topic.wake_at, self.clock()),
            args=[topic.id],
            id=job_id(topic.id),
            replace_existing=True,
            misfire_grace_time=int(CATCH_UP_GRACE.total_seconds()),
            coalesce=True,
        )

    def unschedule(self, topic_id: int) -> None:
        if self.scheduler.get_job(job_id(topic_id)) is not None:
            self.scheduler.remove_job(job_id(topic_id))

    async def run(self, topic_id: int) -> None:
        """The job: fire, then schedule the topic's next look (if it has one)."""
        try:
            await self.planner.fire(topic_id)
        except Exception:
            log.exception("check-in job for topic %s failed", topic_id)
            await self.planner.store.set_retry(topic_id, self.clock() + RETRY_AFTER_FAILURE)
        topic = await self.planner.store.topic(topic_id)
        if topic is None or topic.status != "active":
            return
        if topic.wake_at > self.clock():
            await self.schedule(topic)
        # else: waiting until the person writes; `person_active` reschedules it then.

    def watch_sleep(self, watch: SleepWatch) -> None:
        """The sleep job: every LOOK_EVERY, passes for whoever is due. Bound once the core exists (`aiki run`);
        added again, it replaces the one job. Never two at once: a long pass makes the next look wait, not overlap."""
        if self.scheduler.get_job(SLEEP_JOB) is not None:
            self.scheduler.remove_job(SLEEP_JOB)
        self.scheduler.add_job(
            watch.look,
            "interval",
            seconds=int(LOOK_EVERY.total_seconds()),
            id=SLEEP_JOB,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
