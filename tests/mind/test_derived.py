"""The rules of what a derived memory shows where, and what goes with a forgotten memory (issue 22, item 3)."""

from __future__ import annotations

import pytest

from bot.memory.models import Memory, MemoryKind
from bot.mind.derived import derived_closure
from bot.places import Audience, Origin, OriginSource, strictest_place

DM = Origin(OriginSource.DM, channel_id=5)
CLI = Origin(OriginSource.CLI)
IN_A = Origin(OriginSource.CHANNEL, guild_id=1, channel_id=11)
IN_A2 = Origin(OriginSource.CHANNEL, guild_id=1, channel_id=12)
IN_B = Origin(OriginSource.CHANNEL, guild_id=2, channel_id=21)
SYSTEM = Origin(OriginSource.SYSTEM)


@pytest.mark.parametrize(
    ("sources", "shown_in"),
    [
        ([DM, CLI], {"dm", "a+share"}),
        ([IN_A, IN_A2], {"dm", "a", "a+share"}),
        ([DM, IN_A], {"dm"}),  # a server without sharing must not see DM words; one with sharing is not safe either
        ([IN_A, IN_B], {"dm"}),
        ([IN_A, SYSTEM], {"dm", "a", "a+share"}),
    ],
)
def test_a_derived_place_is_shown_only_where_every_source_may_be(sources: list[Origin], shown_in: set[str]) -> None:
    place = strictest_place(sources)
    audiences = {
        "dm": Audience.at(DM, False), "a": Audience.at(IN_A, False), "a+share": Audience.at(IN_A, True),
        "b": Audience.at(IN_B, False),
    }  # fmt: skip
    assert {name for name, audience in audiences.items() if audience.sees(place)} == shown_in
    for name in shown_in:  # never more than every source allows
        assert all(audiences[name].sees(source) for source in sources)


def _m(memory_id: str, kind: MemoryKind = MemoryKind.EPISODE, **meta: object) -> Memory:
    return Memory(memory_id, "1", kind, memory_id, meta=dict(meta))


def test_a_forget_takes_facts_profiles_and_what_was_learned_from_absorbed_repeats() -> None:
    memories = [
        _m("ep", absorbed=["old"]),
        _m("fact1", MemoryKind.FACT, said_in="old"),  # learned from a repeat the episode absorbed
        _m("fact2", MemoryKind.FACT, said_in="ep"),
        _m("fact3", MemoryKind.FACT, said_in="other"),
        _m("profile", MemoryKind.PROFILE, rests_on=["fact2", "fact3"]),
        _m("other"),
    ]
    gone = derived_closure(memories, "ep")
    assert set(gone) == {"fact1", "fact2", "profile"}
    assert gone.index("profile") < gone.index("fact2")  # derived last, deleted first: a rerun finds the links
