"""`aiki finetune train` without torch (issue 26): a real Ctrl-C reaches the step loop and stops it at the next step
with a checkpoint; only a checkpoint of the same data and settings is resumed; a base model that is not there is one
line before anything is exported; the serve command it prints is complete.

The whole command on a real terminal, with a real model, is in tests/test_training_train.py (needs the `train`
extra)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli.common import EXIT_FAILED
from bot.cli.main import main
from bot.training import gguf, runs
from bot.training.recipe import Recipe
from tests.training_fixtures import OWNER


def test_a_real_ctrl_c_stops_the_step_loop_at_the_next_step_and_checkpoints_the_last_finished_one() -> None:
    ran: list[int] = []
    saved: list[int] = []
    told: list[str] = []

    def work(stop: threading.Event) -> None:
        def step(number: int) -> bool:
            ran.append(number)
            if number == 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while step 3 of 100 runs
                assert stop.wait(timeout=60), "the Ctrl-C never reached the training thread"
            return True

        runs.run_steps(0, 100, 50, step, saved.append, stop)

    with pytest.raises(runs.Stopped) as stopped:
        asyncio.run(runs.until_stopped(work, lambda: told.append("stopping")))
    assert ran == [0, 1, 2]  # step 3 finished, no step after it began
    assert saved == [3] and (stopped.value.step, stopped.value.total, stopped.value.saved) == (3, 100, True)
    assert told == ["stopping"]


def test_a_ctrl_c_after_the_last_step_lets_the_work_finish_and_says_it_came() -> None:
    def work(stop: threading.Event) -> str:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the models are being saved
        assert stop.wait(timeout=60), "the Ctrl-C never reached the worker"
        return "saved"

    assert asyncio.run(runs.until_stopped(work, lambda: None)) == ("saved", True)
    assert asyncio.run(runs.until_stopped(lambda stop: "saved", lambda: None)) == ("saved", False)


def test_a_stop_inside_a_step_keeps_the_checkpoint_of_the_step_before_and_none_is_written_twice() -> None:
    stop = threading.Event()
    saved: list[int] = []

    def step(number: int) -> bool:
        if number == 4:  # Ctrl-C between two examples of step 5: that step is dropped
            stop.set()
            return False
        return True

    with pytest.raises(runs.Stopped) as stopped:
        runs.run_steps(2, 10, 2, step, saved.append, stop)  # resumed at step 2, a checkpoint every 2
    assert saved == [4] and stopped.value.step == 4  # written at step 4 on schedule; not again for the stop

    stop.clear()
    with pytest.raises(runs.Stopped) as before_any:
        runs.run_steps(0, 10, 2, lambda n: False, saved.append, stop)
    assert not before_any.value.saved and saved == [4]


def test_a_checkpoint_is_resumed_only_for_the_same_data_and_settings(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": []}\n')
    recipe = Recipe("HuggingFaceTB/SmolLM2-135M-Instruct", tmp_path / "out")
    run = runs.Fingerprint.of(recipe, [data, None])
    folder = recipe.checkpoint_dir
    assert runs.check_checkpoint(folder, run) == runs.ResumeCheck(False, None)  # none there: nothing to say

    folder.mkdir(parents=True)
    runs.RunRecord(run, 3, 10).write(folder)
    assert runs.check_checkpoint(folder, run).resume
    trial = replace(recipe, max_steps=5, save_every=1, gradient_checkpointing=False)  # when it stops, not what
    assert runs.check_checkpoint(folder, runs.Fingerprint.of(trial, [data, None])).resume

    data.write_text('{"messages": []}\n{"messages": []}\n')  # weeks later, a grown history
    grown = runs.check_checkpoint(folder, runs.Fingerprint.of(recipe, [data, None]))
    assert not grown.resume and "the training data changed" in str(grown.note) and str(folder) in str(grown.note)
    other = runs.check_checkpoint(folder, runs.Fingerprint.of(replace(recipe, rank=8, epochs=3), [data, None]))
    assert "rank 16 -> 8" in str(other.note) and "epochs 2 -> 3" in str(other.note)

    (folder / runs.RUN_FILE).unlink()  # a checkpoint from before fingerprints
    assert "no record of its data and settings" in str(runs.check_checkpoint(folder, run).note)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIKI_OWNER_IDS", OWNER)
    return tmp_path / "data"


@pytest.mark.parametrize(
    ("base", "said"),
    [
        ("models/SmolLM2-135M.Q4_1.gguf", "No such file: models/SmolLM2-135M.Q4_1.gguf (the base model;"),
        ("./models/smollm2", "No such folder: ./models/smollm2 (the base model;"),
        ("~/no/such/models/smollm2", "No such folder: ~/no/such/models/smollm2"),
        ("data", "data is a folder without config.json, so not a model folder"),
    ],
)
def test_a_base_model_that_is_not_there_is_one_line_before_anything_is_exported(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], base: str, said: str
) -> None:
    env.mkdir()
    out = tmp_path / "out"
    assert main(["-q", "finetune", "train", base, "--out", str(out)]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert said in err and "a Hugging Face id" in err
    assert len(err.strip().splitlines()) == 1 and "please report" not in err
    assert not out.exists()  # no OUT/data left behind


def test_the_serve_commands_it_prints_name_the_threads_to_use(tmp_path: Path) -> None:
    merged, lora, base = tmp_path / "aiki-Q4_K_M.gguf", tmp_path / "aiki-lora.gguf", tmp_path / "base.gguf"
    for path in (merged, lora, base):
        path.write_bytes(b"GGUF")
    text = gguf.next_steps(gguf.GGUFFiles(merged, lora, str(base)), "aiki")
    serving = [line for line in text.splitlines() if "--model " in line]
    assert len(serving) == 2  # the merged model, and the base with the adapter on top
    for line in serving:
        threads = re.search(r"--n_threads (\d+)", line)
        assert threads and int(threads.group(1)) >= 1, line
        assert "python -m llama_cpp.server --model" in line and "--model_alias aiki" in line
