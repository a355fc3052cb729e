"""bench/retrieval.py on tiny made-up conversations in both layouts (REALTALK and LoCoMo); no benchmark data is read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import retrieval

REALTALK_LIKE = {
    "name": {"speaker_1": "Kari", "speaker_2": "Ola"},
    "session_1": [
        {"clean_text": "Hi! How was your weekend?", "speaker": "Kari", "date_time": "29.12.2023, 10:00:00",
         "dia_id": "D1:1", "img_file": [], "img_url": []},
        {"clean_text": "Great, I baked cinnamon buns with my sister", "speaker": "Ola",
         "date_time": "29.12.2023, 10:01:00", "dia_id": "D1:2", "img_file": [], "img_url": []},
        {"clean_text": "Look at this", "speaker": "Ola", "date_time": "29.12.2023, 10:02:00", "dia_id": "D1:3",
         "img_file": ["x.jpg"], "img_url": [], "blip_caption": "a plate of cinnamon buns on a table"},
    ],
    "session_2": [
        {"clean_text": "I went skiing in Hemsedal", "speaker": "Kari", "date_time": "03.01.2024, 18:00:00",
         "dia_id": "D2:1", "img_file": [], "img_url": []},
        {"clean_text": "Nice, how was the snow?", "speaker": "Ola", "date_time": "03.01.2024, 18:05:00",
         "dia_id": "D2:2", "img_file": [], "img_url": []},
    ],
    "qa": [
        {"question": "What did Ola bake on 29 Dec 2023?", "answer": "buns", "evidence": ["D1:2-D1:3"], "category": 2},
        {"question": "Where did Kari go skiing?", "answer": "Hemsedal", "evidence": ["D2:1; D9:9"], "category": 1},
        {"question": "What is Ola's dog called?", "answer": "?", "evidence": ["D7:1"], "category": 3},
    ],
}  # fmt: skip

LOCOMO_LIKE = [
    {
        "sample_id": "conv-1",
        "conversation": {
            "speaker_a": "Kari",
            "speaker_b": "Ola",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Kari", "dia_id": "D1:1", "text": "I adopted a puppy called Bamse"},
                {"speaker": "Ola", "dia_id": "D1:2", "text": "Congratulations! What breed?"},
            ],
            "session_2_date_time": "7:00 pm on 9 May, 2023",
            "session_2": [{"speaker": "Kari", "dia_id": "D2:1", "text": "A golden retriever"}],
        },
        "qa": [{"question": "What is Kari's puppy called?", "answer": "Bamse", "evidence": ["D1:1"], "category": 4}],
    }
]


@pytest.fixture
def realtalk_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "realtalk"
    folder.mkdir()
    (folder / "Chat_1_Kari_Ola.json").write_text(json.dumps(REALTALK_LIKE), encoding="utf-8")
    return folder


def test_realtalk_layout_turns_questions_and_evidence(realtalk_dir: Path) -> None:
    [conversation] = retrieval.load(realtalk_dir)
    assert [t.dia_id for t in conversation.turns] == ["D1:1", "D1:2", "D1:3", "D2:1", "D2:2"]
    assert conversation.turns[2].caption == "a plate of cinnamon buns on a table"
    assert conversation.turns[0].when == datetime(2023, 12, 29, 10, 0, tzinfo=UTC)
    assert [(q.text, q.evidence, q.category) for q in conversation.questions] == [
        ("What did Ola bake on 29 Dec 2023?", [1, 2], "2"),
        ("Where did Kari go skiing?", [3], "1"),
    ]
    assert conversation.skipped_ids == 2 and conversation.unanswerable == 1


def test_locomo_layout_uses_session_times_and_text(tmp_path: Path) -> None:
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps(LOCOMO_LIKE), encoding="utf-8")
    [conversation] = retrieval.load(path)
    assert conversation.name == "conv-1"
    assert [t.text for t in conversation.turns][0] == "I adopted a puppy called Bamse"
    assert conversation.turns[0].when == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert conversation.turns[1].when > conversation.turns[0].when  # kept in order within the session
    assert conversation.turns[2].when == datetime(2023, 5, 9, 19, 0, tzinfo=UTC)
    assert conversation.questions[0].evidence == [0]


def test_evidence_ids_are_expanded() -> None:
    assert retrieval.expand_evidence("D12:3-D12:5") == ["D12:3", "D12:4", "D12:5"]
    assert retrieval.expand_evidence("D5:12;D5:16") == ["D5:12", "D5:16"]
    assert retrieval.expand_evidence("D13:4. D14:4") == ["D13:4", "D14:4"]
    assert retrieval.expand_evidence("D20:17.") == ["D20:17"]


def test_the_split_halves_the_conversations_in_file_order() -> None:
    conversations = [retrieval.Conversation(f"Chat_{n}", []) for n in range(5)]
    dev, test = retrieval.split(conversations, "dev"), retrieval.split(conversations, "test")
    assert [c.name for c in dev] == ["Chat_0", "Chat_1", "Chat_2"]
    assert [c.name for c in test] == ["Chat_3", "Chat_4"]
    assert retrieval.split(conversations, "all") == conversations


def test_metrics_of_one_question() -> None:
    r1, r5, r10, r20, any10, all10, mrr = retrieval.question_metrics([[7], [3], [9], [1]], [3, 1, 42])
    assert (r1, r5, r10, r20) == (0.0, pytest.approx(2 / 3), pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert (any10, all10, mrr) == (1.0, 0.0, 0.5)
    # A memory that holds several turns (AIKI's joined reply in the live layout) counts once, at its rank.
    assert retrieval.question_metrics([[7], [3, 1]], [3, 1])[:2] == [0.0, 1.0]


def test_the_live_layout_stores_the_persons_words_and_aikis_apart(realtalk_dir: Path) -> None:
    [conversation] = retrieval.load(realtalk_dir)
    placed = retrieval.live_memories(conversation, "p")
    texts = [(memory.text, held) for memory, held in placed]
    # Kari speaks first, so Kari is the person; Ola's turns are AIKI's words (the photo caption kept with them).
    assert texts[0] == ("Kari: Hi! How was your weekend?", [0])
    assert texts[1][0].startswith("AIKI: Great, I baked cinnamon buns") and texts[1][1] == [1, 2]
    assert "cinnamon buns on a table" in texts[1][0]
    assert placed[1][0].meta["by"] == "aiki" and placed[0][0].speaker == "Kari"


def test_the_benchmark_runs_end_to_end_and_prints_every_method(
    realtalk_dir: Path, model_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    retrieval.main([str(realtalk_dir), "--naive-sample", "5", "--cache-dir", str(model_cache), "--ablations"])
    out = capsys.readouterr().out
    for method in ("BM25 (lexical)", "dense", "AIKI hybrid", "hybrid -context"):
        assert out.count(f"| {method} | 2 |") == 2  # both layouts
    assert "Layout: live" in out and "Layout: import" in out
    assert "Category 2" in out and "turns/s" in out and "p50" in out
    hybrid = next(line for line in out.splitlines() if line.startswith("| AIKI hybrid | 2 |"))
    assert float(hybrid.split("|")[5]) == 1.0  # recall@10: both questions find their evidence
    shown = next(line for line in out.splitlines() if line.startswith("| AIKI hybrid, all: 2 |"))
    assert float(shown.split("|")[2]) == 1.0 and int(shown.split("|")[3]) > 0  # the prompt shows it, at a cost
