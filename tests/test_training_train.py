"""`aiki finetune train` on CPU: loss masks through the model's own chat template, then a few-layer randomly
initialised Llama trained for two steps with LoRA, resumed from its checkpoint, saved, reloaded and merged.

Needs the `train` extra (torch, transformers, peft); without it these tests skip. Run them with:
    .venv/bin/pip install torch==2.13.0 -e '.[train]' && .venv/bin/python -m pytest tests/test_training_train.py
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("peft")

from bot.cli.common import EXIT_DISK, EXIT_INTERRUPTED  # noqa: E402
from bot.cli.main import main  # noqa: E402
from bot.state.store import StateStore  # noqa: E402
from bot.training import masking  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# SmolLM2-135M-Instruct's own chat template (ChatML, with a default system message).
CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# A template that drops earlier replies' reasoning once another message follows (as some "thinking" models do).
REWRITES_HISTORY = (
    "{% for message in messages %}{% set content = message['content'] %}"
    "{% if message['role'] == 'assistant' and not loop.last %}{% set content = content.split('</think>')[-1] %}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + content + '<|im_end|>\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
CORPUS = [
    "Hvordan går det med AIKI-HOME? Det går fint, proxyen virker nå.",
    "You are AIKI. system user assistant Er du der? Ja, jeg er her.",
    "<think>hmm</think> Vi tar det rolig i dag og ser på proxyen sammen.",
]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`finetune train` remembers the model it made in AIKI's database: a throwaway one here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def tiny_tokenizer(template: str = CHATML) -> Any:
    """A real byte-level BPE tokenizer, trained in a few milliseconds on a few sentences."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    core.train_from_iterator(CORPUS, trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = template
    return tokenizer


def example(weight_first: int = 1) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are AIKI."},
        {"role": "user", "content": "Er du der?"},
        {"role": "assistant", "content": "Ja, jeg er her.", "weight": weight_first},
        {"role": "user", "content": "Hvordan går det med AIKI-HOME?"},
        {"role": "assistant", "content": "Det går fint, proxyen virker nå.", "weight": 1},
    ]


def learned_text(tokenizer: Any, encoded: masking.Encoded) -> str:
    return str(tokenizer.decode([t for t in encoded.labels if t != masking.IGNORE]))


def test_the_mask_learns_only_replies_with_weight_and_the_ids_are_the_templates_own() -> None:
    tokenizer = tiny_tokenizer()
    encoded = masking.encode(tokenizer, example(weight_first=0))
    own = tokenizer.apply_chat_template(masking.chat_messages(example()), tokenize=True)
    assert encoded.input_ids == list(own["input_ids"] if hasattr(own, "keys") else own)
    assert learned_text(tokenizer, encoded) == "Det går fint, proxyen virker nå.<|im_end|>\n"

    both = masking.encode(tokenizer, example(weight_first=1))
    assert learned_text(tokenizer, both) == "Ja, jeg er her.<|im_end|>\nDet går fint, proxyen virker nå.<|im_end|>\n"
    # Neither the system prompt, the user's words nor the assistant header the server writes is learned.
    full, spans = masking.spans(tokenizer, example())
    assert [s.role for s in spans] == ["system", "user", "header", "assistant", "user", "header", "assistant"]
    assert "".join(full[s.start : s.end] for s in spans) == full
    assert full[spans[2].start : spans[2].end] == "<|im_start|>assistant\n"


def test_a_template_that_rewrites_earlier_messages_is_refused_with_the_reason() -> None:
    tokenizer = tiny_tokenizer(REWRITES_HISTORY)
    messages = example()
    messages[2]["content"] = "<think>hmm</think>Ja, jeg er her."
    with pytest.raises(masking.TemplateError, match="renders message 3 .assistant. differently"):
        masking.encode(tokenizer, messages)


def test_an_example_longer_than_max_length_loses_its_oldest_exchange_not_its_last_reply() -> None:
    from bot.training.train import tokenise

    tokenizer = tiny_tokenizer()
    whole = masking.encode(tokenizer, example())
    done = tokenise(tokenizer, [example()], max_length=len(whole.input_ids) - 1)
    assert (done.shortened, done.lost_replies) == (1, 1)
    [kept] = done.items
    assert learned_text(tokenizer, kept) == "Det går fint, proxyen virker nå.<|im_end|>\n"  # the last reply, whole
    assert tokenizer.decode(kept.input_ids).startswith("<|im_start|>system\nYou are AIKI.")  # the system message too
    assert "Er du der?" not in tokenizer.decode(kept.input_ids)


def tiny_model(folder: Path) -> Path:
    """A real architecture (Llama), randomly initialised with two small layers, saved with its tokenizer."""
    tokenizer = tiny_tokenizer()
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
    )
    transformers.set_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def data_file(path: Path, count: int = 12) -> Path:
    rows = []
    for i in range(count):
        messages = example(weight_first=i % 2)
        messages[3]["content"] += f" ({i})"
        rows.append({"messages": messages})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_train_two_steps_resume_and_the_adapter_and_merged_model_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tiny_model(tmp_path / "base")
    data = data_file(tmp_path / "train.jsonl")
    out = tmp_path / "out"
    common = ["-q", "finetune", "train", str(base), "--data", str(data), "--out", str(out), "--no-gguf"]
    small = ["--batch", "2", "--rank", "4", "--alpha", "8", "--save-every", "1"]
    assert main([*common, *small, "--max-steps", "1"]) == 0
    first = capsys.readouterr().out
    assert "step 1/1: loss" in first and (out / "checkpoint" / "trainer_state.pt").exists()

    assert main([*common, *small, "--max-steps", "2"]) == 0  # the same command, further: resumes
    second = capsys.readouterr().out
    assert "resumed at step 1" in second and "step 2/2: loss" in second and "step 1/" not in second
    assert "trained 2 steps" in second

    from peft import PeftModel

    reloaded = PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(base), out / "adapter")
    assert any("lora_A" in name for name, _ in reloaded.named_parameters())
    merged = transformers.AutoModelForCausalLM.from_pretrained(out / "merged")
    tokenizer = transformers.AutoTokenizer.from_pretrained(out / "merged")
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Er du der?"}], add_generation_prompt=True, return_tensors="pt"
    )
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    assert merged.generate(ids, max_new_tokens=3, do_sample=False).shape[-1] == ids.shape[-1] + 3


def test_train_stops_with_the_message_for_a_template_it_cannot_handle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tiny_model(tmp_path / "base")
    tokenizer = tiny_tokenizer(REWRITES_HISTORY)
    tokenizer.save_pretrained(base)
    rows = [{"messages": example()} for _ in range(10)]
    for row in rows:
        row["messages"][2]["content"] = "<think>x</think>Ja."
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code = main(["-q", "finetune", "train", str(base), "--data", str(data), "--out", str(tmp_path / "o"), "--no-gguf"])
    assert code != 0
    assert "differently once more messages follow it" in capsys.readouterr().err


SMALL = ["--no-gguf", "--batch", "2", "--rank", "4", "--alpha", "8"]


def train_command(base: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return ["-q", "finetune", "train", str(base), "--data", str(data), "--out", str(out), *SMALL, *extra]


def test_ctrl_c_on_a_real_terminal_stops_at_the_next_step_keeps_a_checkpoint_and_says_how_to_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tiny_model(tmp_path / "base")
    data = data_file(tmp_path / "train.jsonl")
    out = tmp_path / "out"
    # 6,000 steps, no checkpoint of its own before them: only the stop writes one.
    command = train_command(base, data, out, "--epochs", "1000", "--save-every", "100000")
    env = {**os.environ, "AIKI_DATA_DIR": str(tmp_path / "data")}
    child = pexpect.spawn(sys.executable, ["-m", "bot", *command], cwd=str(ROOT), env=env, encoding="utf-8")
    child.logfile_read = io.StringIO()
    try:
        child.expect(r"step 2/6000: loss", timeout=120)
        child.sendintr()  # the person presses Ctrl-C
        child.expect_exact("stopping after this step", timeout=60)
        child.expect(r"training stopped after step (\d+) of 6000; the checkpoint is in (\S+)\. To go on", timeout=60)
        step = int(child.match.group(1))
        child.expect_exact("run the same command again: aiki -q finetune train")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)  # a training that did not stop must not outlive the test
    assert child.exitstatus == EXIT_INTERRUPTED
    assert "Traceback" not in child.logfile_read.getvalue()
    record = json.loads((out / "checkpoint" / "run.json").read_text())
    assert 2 <= step < 6000 and record["step"] == step

    # The same command goes on from there (a larger --max-steps only, to keep the test short).
    assert main([*command, "--max-steps", str(step + 1)]) == 0
    again = capsys.readouterr().out
    assert f"resumed at step {step}" in again and f"step {step + 1}/{step + 1}: loss" in again
    assert "step 1/" not in again


def test_a_full_disk_while_writing_the_checkpoint_is_the_disk_message_and_leaves_nothing_half_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    base = tiny_model(tmp_path / "base")
    data = data_file(tmp_path / "train.jsonl")
    out = tmp_path / "out"
    partial = out / "checkpoint.partial"
    partial.mkdir(parents=True)
    (partial / "trainer_state.pt").symlink_to("/dev/full")  # every write there fails with ENOSPC: a full disk
    assert main(train_command(base, data, out, "--max-steps", "1", "--save-every", "1")) == EXIT_DISK
    err = capsys.readouterr().err
    assert f"cannot write to {partial / 'trainer_state.pt'}: the disk is full" in err
    assert "please report" not in err and len(err.strip().splitlines()) == 1
    assert not partial.exists() and not (out / "checkpoint").exists()


def fine_tuned_models(data: Path) -> list[str]:
    async def read() -> list[str]:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            return await state.training.fine_tuned_models()
        finally:
            await state.close()

    return asyncio.run(read())


def test_only_a_checkpoint_of_the_same_data_and_settings_is_resumed_and_a_finished_run_leaves_none(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tiny_model(tmp_path / "base")
    data = data_file(tmp_path / "train.jsonl")
    out = tmp_path / "out"
    assert main(train_command(base, data, out, "--max-steps", "1", "--save-every", "1", "--name", "mine")) == 0
    trial = capsys.readouterr().out
    assert "x 2 epochs = " in trial and "'auto'" not in trial  # the validation report counts the epochs trained
    assert "a larger --max-steps goes on from the checkpoint" in trial and (out / "checkpoint").is_dir()
    assert fine_tuned_models(data_dir) == ["mine"]  # its replies will not be learned as AIKI's voice

    data_file(data, count=13)  # weeks later: more history
    assert main(train_command(base, data, out, "--max-steps", "2", "--save-every", "1")) == 0
    fresh = capsys.readouterr().out
    assert "not resuming" in fresh and "the training data changed" in fresh
    assert "resumed" not in fresh and "step 1/2: loss" in fresh

    assert main(train_command(base, data, out, "--max-steps", "2", "--save-every", "1", "--rank", "8")) == 0
    other = capsys.readouterr().out
    assert "rank 4 -> 8" in other and "step 1/2: loss" in other

    assert main(train_command(base, data, out, "--epochs", "1", "--batch", "7")) == 0  # 13 examples: 2 steps, all
    finished = capsys.readouterr().out
    assert "trained 2 steps" in finished and not (out / "checkpoint").exists()
    assert "x 1 epochs = " in finished
