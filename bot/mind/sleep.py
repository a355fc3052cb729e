"""Sleep: a consolidation pass over one person's memories between conversations (issue 22, item 1).

A pass, under the person's turn lock (`PersonQueue.exclusive`: never while a turn of theirs is prepared or answered):
1. merge near-duplicate episodes said in the same place: the newest wording stands, it keeps the highest
   importance and the latest recall, and names the ids it absorbed (`meta.absorbed`, bot/mind/derived.py);
2. distil the episodes since the last pass into facts through the fact step's own add/update/same/none decision
   (bot/mind/facts.py), a few episodes of one place per model call; after each batch the watermark is committed
   (bot/state/store.py `set_sleep_watermark`), so a timeout loses one batch and a crash resumes after the last one;
3. rebuild the profile when the current facts changed (bot/mind/profile.py);
4. write a few reflections from the most important recent memories, one model call, each linked to the memories it
   cites and at their strictest place (bot/mind/reflection.py); none when nothing came since the last ones.

When it finishes, the pass is recorded (`set_sleep_passed`): the scheduler (bot/checkins/bedtime.py) reads it to run
a pass once a person has been quiet for a while, and once a night.

Every model answer is validated where it is read; an unusable one stores nothing. The report is counts, never words.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.memory.meaning import passage_of
from bot.memory.models import Memory, MemoryKind, SearchFilter
from bot.memory.port import every_memory
from bot.mind.derived import rests_on, stands_for
from bot.mind.facts import grounded, learn_fact, read_facts
from bot.mind.faculties import Faculties
from bot.mind.ordering import PersonQueue
from bot.mind.profile import compose, current_facts, store_profile
from bot.mind.reflection import beyond_kept, reflect, store_reflections, worth_reflecting_on
from bot.mind.retrieval import DUPLICATE_OVERLAP, _words, by_aiki
from bot.places import Audience, guild_of, is_private

log = logging.getLogger(__name__)

# Cosine of two episodes' texts this close: the same thing said again (the offline model gives 0.95+ to a
# repetition with other punctuation or a word changed, under 0.9 to another sentence on the same topic).
MERGE_SIMILARITY = 0.95
MERGE_CANDIDATES = 4
# Episodes per extraction call: small, so a timeout loses little, and a weak model reads them all.
DISTIL_BATCH = 4

Progress = Callable[[int, int], None]  # (batches done, batches in the pass)


@dataclass
class SleepReport:
    scope: str
    dry_run: bool = False
    new_episodes: int = 0
    merged: int = 0
    distilled: int = 0  # episodes read for facts
    batches: int = 0
    failed_batches: int = 0  # the model gave no usable answer: nothing stored for them
    facts: Counter[str] = field(default_factory=Counter)  # learn_fact outcomes: added, merged, superseded, ignored
    profile: str = "none"  # rebuilt (by the model), listed (the plain facts), kept, removed, none
    reflections: int = 0  # written in this pass
    reflection: str = "none"  # written, none valid, unusable (no usable answer), would be written (dry run), none
    memories_before: int = 0
    memories_after: int = 0

    def summary(self) -> str:
        """One line of counts (never words) for the log and the command line."""
        verb = "would merge" if self.dry_run else "merged"
        facts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.facts.items())) or "none"
        return (
            f"{self.scope}: {self.new_episodes} new episodes, {verb} {self.merged}, distilled {self.distilled} in "
            f"{self.batches} batches ({self.failed_batches} without a usable answer), facts: {facts}, "
            f"profile: {self.profile}, reflections: {self.reflections} ({self.reflection}), "
            f"memories {self.memories_before} -> {self.memories_after}"
        )


def _place(memory: Memory) -> tuple[bool, int | None]:
    return is_private(memory.origin), guild_of(memory.origin)


def words_of(memory: Memory) -> str:
    """An episode's words without its "Name: " (or "(about topic) Name: ") label."""
    return memory.text.split(": ", 1)[1].strip() if ": " in memory.text[:80] else memory.text.strip()


def batches_of(episodes: list[Memory], size: int = DISTIL_BATCH) -> list[list[Memory]]:
    """Consecutive episodes of one place, at most `size` each, in time order: a fact is learned from one place's
    words only, and the watermark after each batch only ever moves forward."""
    batches: list[list[Memory]] = []
    for episode in episodes:
        if batches and len(batches[-1]) < size and _place(batches[-1][0]) == _place(episode):
            batches[-1].append(episode)
        else:
            batches.append([episode])
    return batches


def repeats(newer: Memory, older: Memory) -> bool:
    """The newer wording says every content word the older did (names and numbers included), and little more: the
    embedding alone puts "I live in Town2" and "I live in Town3" above 0.95, and a merge must lose nothing."""
    new_words, old_words = _words(words_of(newer)), _words(words_of(older))
    content = {word for word in old_words if len(word) >= 3 or word.isdigit()}
    overlap = len(new_words & old_words) / max(1, len(new_words | old_words))
    return content <= new_words and overlap >= DUPLICATE_OVERLAP


def absorbed_into(survivor: Memory, other: Memory) -> Memory:
    """`survivor` (the newer wording) carrying what `other` had: importance, recall, links, what it absorbed."""
    recalled = [at for at in (survivor.last_recalled_at, other.last_recalled_at) if at is not None]
    keys = sorted({*(survivor.meta.get("keys") or ()), *(other.meta.get("keys") or ())})
    meta = {
        **survivor.meta,
        "absorbed": sorted((stands_for(survivor) | stands_for(other)) - {survivor.id}),
        "repeated": int(survivor.meta.get("repeated", 1)) + int(other.meta.get("repeated", 1)),
    }
    if keys:
        meta["keys"] = keys
    return survivor.with_changes(
        importance=max(survivor.importance, other.importance),
        last_recalled_at=max(recalled) if recalled else None,
        meta=meta,
    )


class Sleep:
    def __init__(self, mind: Faculties, order: PersonQueue, settle: Callable[[], Awaitable[None]]) -> None:
        self.mind = mind
        self._order = order
        # What the person's last turns are still learning, waited for once in their line: part of what the pass reads.
        self._settle = settle

    async def run(self, scope: str, dry_run: bool = False, progress: Progress | None = None) -> SleepReport:
        """One pass over the person's memories; a dry run changes nothing and calls no model."""
        async with self._order.exclusive(scope):
            await self._settle()  # in line first: a turn that ended just before hands its learning over before this
            report = SleepReport(scope, dry_run)
            memories = await every_memory(self.mind.bank, scope)
            report.memories_before = len(memories)
            mark = await self.mind.state.sleep_watermark(scope)
            fresh = sorted(
                (m for m in memories if m.kind is MemoryKind.EPISODE and (mark is None or (m.created_at, m.id) > mark)),
                key=lambda m: (m.created_at, m.id),
            )
            report.new_episodes = len(fresh)
            gone = await self._merge(scope, fresh, dry_run, report)
            said = [m for m in fresh if m.id not in gone and not by_aiki(m)]
            batches = batches_of(said)
            report.batches = len(batches)
            for done, batch in enumerate(batches, 1):
                report.distilled += len(batch)
                if not dry_run:
                    await self._distil(scope, batch, report)
                if progress is not None:
                    progress(done, len(batches))
            if fresh and not said and not dry_run:  # only AIKI's words were new: the watermark still moves on
                await self.mind.state.set_sleep_watermark(scope, fresh[-1].created_at, fresh[-1].id, self.mind.clock())
            memories = await every_memory(self.mind.bank, scope)
            await self._profile(scope, memories, dry_run, report)
            await self._reflect(scope, memories, dry_run, report)
            if not dry_run:
                await self.mind.state.set_sleep_passed(scope, self.mind.clock())
            report.memories_after = report.memories_before - len(gone) if dry_run else await self.mind.bank.count(scope)
        log.info("sleep pass: %s", report.summary())
        return report

    async def _merge(self, scope: str, fresh: list[Memory], dry_run: bool, report: SleepReport) -> set[str]:
        """Each new episode meets its nearest episodes of the same place and speaker; a repetition is merged."""
        bank = self.mind.bank
        gone: set[str] = set()
        current = {m.id: m for m in fresh}
        for episode in fresh:
            if episode.id in gone:
                continue
            mine = current[episode.id]
            where = SearchFilter(
                scopes=(scope,), kinds=(MemoryKind.EPISODE,), audience=Audience.same_place(mine.origin)
            )
            # What was said, as the stored vectors hold it (bot/memory/meaning.py): the label is no repeat.
            for hit in await bank.search(passage_of(mine), where, limit=MERGE_CANDIDATES):
                other = current.get(hit.memory.id, hit.memory)
                if (
                    other.id == mine.id
                    or other.id in gone
                    or hit.score < MERGE_SIMILARITY
                    or other.speaker != mine.speaker
                    or by_aiki(other) != by_aiki(mine)
                    or _place(other) != _place(mine)
                ):
                    continue
                newer, older = sorted((mine, other), key=lambda m: (m.created_at, m.id), reverse=True)
                if not repeats(newer, older):
                    continue
                survivor = absorbed_into(newer, older)
                if not dry_run:
                    await bank.update(scope, survivor.id, survivor)
                    await bank.delete(scope, [older.id])
                gone.add(older.id)
                current[survivor.id] = survivor
                report.merged += 1
                if older.id == mine.id:
                    break  # this episode now lives on in the newer one
                mine = survivor
        return gone

    async def _distil(self, scope: str, batch: list[Memory], report: SleepReport) -> None:
        """One extraction call for the batch; each fact is learned from (and linked to) the episode that grounds it."""
        mind = self.mind
        name = batch[0].speaker or "the person"
        facts = await read_facts(mind.llm, name, "\n".join(words_of(m) for m in batch))
        if facts is None:
            report.failed_batches += 1
        keys: dict[str, set[str]] = {}
        for fact in facts or []:
            source = next((m for m in batch if grounded(fact.text, words_of(m), name)), batch[0])
            outcome, learned = await learn_fact(
                mind.bank, mind.llm, scope, fact, source.origin, source.created_at, said_in=source.id
            )
            report.facts[outcome] += 1
            if learned is not None:
                keys.setdefault(source.id, set()).add(str(learned.meta.get("key")))
        for episode in batch:
            if episode.id in keys:  # linked to what it says about the person, as learning after a turn does
                linked = sorted(keys[episode.id] | set(episode.meta.get("keys") or ()))
                await mind.bank.update(scope, episode.id, episode.with_changes(meta={**episode.meta, "keys": linked}))
        last = batch[-1]
        await mind.state.set_sleep_watermark(scope, last.created_at, last.id, mind.clock())

    async def _profile(self, scope: str, memories: list[Memory], dry_run: bool, report: SleepReport) -> None:
        """Rebuilt when the set of current facts changed; removed when no fact is left."""
        facts = current_facts(memories)
        old = [m for m in memories if m.kind is MemoryKind.PROFILE]
        if old and facts and rests_on(old[0]) == {f.id for f in facts} and len(old) == 1:
            report.profile = "kept"
            return
        if not facts and not old:
            return
        if dry_run:
            report.profile = "would be rebuilt" if facts else "would be removed"
            return
        if facts:
            name = next((m.speaker for m in memories if m.speaker and not by_aiki(m)), None) or "the person"
            written = await compose(self.mind.llm, name, facts)
            await store_profile(self.mind.bank, scope, facts, written, self.mind.clock())
            report.profile = "rebuilt" if written.by == "model" else "listed"
        else:
            report.profile = "removed"
        if old:  # after the new one is stored: a crash in between leaves two, and the next pass keeps one
            await self.mind.bank.delete(scope, [m.id for m in old])

    async def _reflect(self, scope: str, memories: list[Memory], dry_run: bool, report: SleepReport) -> None:
        """One model call over the most important recent memories; the oldest reflections beyond a few go."""
        last_pass = (await self.mind.state.sleep_passed_at()).get(scope)
        sources = worth_reflecting_on(memories, self.mind.clock(), last_pass)
        if not sources:
            return
        if dry_run:
            report.reflection = "would be written"
            return
        name = next((m.speaker for m in memories if m.speaker and not by_aiki(m)), None) or "the person"
        found = await reflect(self.mind.llm, name, sources)
        if found is None:
            report.reflection = "unusable"
            return
        written = await store_reflections(self.mind.bank, scope, found, self.mind.clock())
        report.reflections = len(written)
        report.reflection = "written" if written else "none valid"
        old = beyond_kept([*memories, *written])
        if old:
            await self.mind.bank.delete(scope, old)

    async def profile(self, scope: str, audience: Audience) -> Memory | None:
        """The person's newest profile, if it may be shown to this audience (all the places of its facts)."""
        where = SearchFilter(scopes=(scope,), kinds=(MemoryKind.PROFILE,), audience=audience)
        found = [hit.memory for hit in await self.mind.bank.search("about me", where, limit=3)]
        return max(found, key=lambda m: m.created_at) if found else None
