#!/usr/bin/env python3
"""Fluxo block "Fine-tune language model": LoRA fine-tuning of a causal language model.

Reads prompt/response records (JSON Lines, JSON, CSV or TSV), checks them before any GPU library is
loaded, then trains a LoRA adapter with the Hugging Face Trainer and PEFT, and saves both the adapter
and the base model with the adapter merged in (which vLLM and transformers load directly).

Runs in a container on a cluster (see block.yaml); under torchrun or accelerate, one process per GPU
(the Trainer then uses distributed data parallel). Everything above ``train`` is plain Python so the
data preparation can be checked anywhere, without transformers.
"""
import argparse
import json
import os
import re
import shutil
import sys

from fluxo_block import check_field, fail, field_text, parse_integer, parse_number, read_records, write_text

# The containers block.yaml declares, named in the message when a module is missing. The tests check
# that this matches block.yaml.
CONTAINERS = {
    "nvidia": "docker://huggingface/transformers-pytorch-gpu:4.41.3",
    "amd": "docker://rocm/pytorch-training:v25.5",
}
PROMPT_FORMATS = ("question_answer", "plain", "chat")
# Written beside the merged model, so batch inference formats prompts exactly as training did.
PROMPT_FILE = "fluxo-prompt.json"
IGNORE = -100  # label value the loss skips (PyTorch's CrossEntropyLoss ignore_index)


# --- Models: shared by Fine-tune language model and Batch inference (keep the copies identical; a test checks) ---
def model_from_setting(text, setting):
    """A model id ("Qwen/Qwen2.5-0.5B-Instruct") or a folder on this machine; returns (source, is_folder).

    A folder is used offline: HF_HUB_OFFLINE keeps the Hugging Face libraries from trying the network,
    which compute nodes on many clusters cannot reach.
    """
    text = text.strip()
    if not text:
        fail('"%s" is empty; give a model folder on the cluster or a model id such as Qwen/Qwen2.5-0.5B-Instruct.' % setting)
    expanded = os.path.expanduser(os.path.expandvars(text))
    unset = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", expanded)
    if unset:
        fail('"%s" uses $%s, which is not set here; write the folder out in full.' % (setting, unset[0]))
    if expanded.startswith(("/", ".", "~")) or os.path.isdir(expanded):
        use_model_folder(expanded, 'given in "%s"' % setting)
        return expanded, True
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$", expanded):
        fail('"%s" is "%s": neither a model id (organisation/name) nor a folder path starting with /.' % (setting, text))
    return expanded, False


def use_model_folder(folder, what):
    """Checks a model folder and switches the Hugging Face libraries to offline mode for it."""
    if not os.path.isfile(os.path.join(folder, "config.json")):
        fail('the model folder "%s" (%s) does not exist or holds no config.json; download the model to the cluster '
             "first (on a login node: huggingface-cli download MODEL_ID --local-dir FOLDER) and give that folder."
             % (folder, what))
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def format_prompt(prompt, style):
    """The text the model sees before its answer; "chat" uses the tokenizer's template instead."""
    if style == "question_answer":
        return "### Question:\n%s\n\n### Answer:\n" % prompt.strip()
    if style == "plain":
        return prompt
    raise ValueError("format_prompt does not handle %r" % style)


def chat_prompt(tokenizer, prompt):
    """The prompt in the model's own chat template, ending where the assistant's answer starts."""
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)


def missing_module(name):
    fail('the Python module "%s" is not installed here; this block runs in its container on a cluster (%s on NVIDIA GPUs, '
         "%s on AMD GPUs): choose a cluster as the target." % (name, CONTAINERS["nvidia"], CONTAINERS["amd"]))
# --- end of the shared models code ---


def build_examples(records, prompt_field, response_field, what="training data"):
    """(prompt, response) pairs; with no response field, the whole prompt text is learned (response None)."""
    check_field(records, prompt_field, what, "Prompt field")
    if response_field:
        check_field(records, response_field, what, "Response field")
    examples = []
    for number, record in enumerate(records, 1):
        prompt = field_text(record, prompt_field, number, what)
        response = field_text(record, response_field, number, what) if response_field else None
        if not prompt.strip():
            fail('record %d of the %s has an empty "%s"; fill it in or remove the record.' % (number, what, prompt_field))
        if response is not None and not response.strip():
            fail('record %d of the %s has an empty "%s"; fill it in or remove the record.' % (number, what, response_field))
        examples.append((prompt, response))
    return examples


def build_features(prompt_ids, response_ids, max_length):
    """Token ids and labels for one example: the loss counts only the response tokens.

    When the example is longer than ``max_length``, the prompt loses tokens from its start (the end,
    next to the answer, matters most) and the response keeps at least half the budget. Returns
    (features, truncated).
    """
    budget_response = min(len(response_ids), max(max_length - len(prompt_ids), max_length // 2))
    budget_prompt = min(len(prompt_ids), max_length - budget_response)
    truncated = budget_prompt < len(prompt_ids) or budget_response < len(response_ids)
    prompt_part = prompt_ids[len(prompt_ids) - budget_prompt:] if budget_prompt else []
    response_part = response_ids[:budget_response]
    input_ids = list(prompt_part) + list(response_part)
    labels = [IGNORE] * len(prompt_part) + list(response_part)
    return {"input_ids": input_ids, "labels": labels, "attention_mask": [1] * len(input_ids)}, truncated


def pad_batch(features, pad_id):
    """Pads a batch to its longest example on the right: pad tokens are masked and not learned."""
    width = max(len(f["input_ids"]) for f in features)
    batch = {"input_ids": [], "labels": [], "attention_mask": []}
    for f in features:
        gap = width - len(f["input_ids"])
        batch["input_ids"].append(f["input_ids"] + [pad_id] * gap)
        batch["labels"].append(f["labels"] + [IGNORE] * gap)
        batch["attention_mask"].append(f["attention_mask"] + [0] * gap)
    return batch


def import_training_libraries():
    """torch, transformers and peft, or one line naming the missing module and where it is installed."""
    try:
        import torch
    except ImportError:
        missing_module("torch")
    try:
        import transformers
    except ImportError:
        missing_module("transformers")
    try:
        import peft
    except ImportError:
        missing_module("peft")
    return torch, transformers, peft


def lora_targets(peft_version):
    """Every linear layer ("all-linear", PEFT 0.8 and later); older PEFT picks its defaults per model type."""
    numbers = [int(n) for n in re.findall(r"\d+", peft_version)[:2]] + [0, 0]
    return "all-linear" if tuple(numbers[:2]) >= (0, 8) else None


def settings_of(args):
    settings = {
        "epochs": parse_number(args.epochs, "Epochs", 3.0),
        "learning_rate": parse_number(args.learning_rate, "Learning rate", 2e-4),
        "lora_rank": parse_integer(args.lora_rank, "LoRA rank", 16),
        "max_length": parse_integer(args.max_length, "Maximum length", 1024),
        "batch_size": parse_integer(args.batch_size, "Batch size per GPU", 4),
        "seed": parse_integer(args.seed, "Random seed", 42),
    }
    if not settings["epochs"] > 0:
        fail('"Epochs" must be above 0 (it is %s).' % args.epochs)
    if not 0 < settings["learning_rate"] < 1:
        fail('"Learning rate" must be between 0 and 1 (it is %s); 0.0002 is a good start for LoRA.' % args.learning_rate)
    for key, title in (("lora_rank", "LoRA rank"), ("max_length", "Maximum length"), ("batch_size", "Batch size per GPU")):
        if settings[key] < 1:
            fail('"%s" must be at least 1 (it is %d).' % (title, settings[key]))
    if settings["max_length"] < 16:
        fail('"Maximum length" must be at least 16 tokens (it is %d).' % settings["max_length"])
    return settings


def save_folder(final, save):
    """Saves into a temporary folder beside ``final`` and renames it, so a crash leaves no half model."""
    tmp = final + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    save(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def train(args, settings, examples, model_source):
    torch, transformers, peft = import_training_libraries()
    transformers.set_seed(settings["seed"])
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_source)
    except OSError as exc:
        fail('could not load the model "%s" (%s). Compute nodes often have no internet: download the model on a login '
             "node first (huggingface-cli download MODEL_ID --local-dir FOLDER) and give that folder."
             % (model_source, str(exc).splitlines()[0]))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if args.prompt_format == "chat" and not getattr(tokenizer, "chat_template", None):
        fail('the model "%s" has no chat template; choose the prompt format "Question and answer" or "The prompt as written".' % model_source)

    features, truncated = [], 0
    for prompt, response in examples:
        if response is None:
            # Whole-text learning: every token is a label.
            ids = tokenizer(prompt, add_special_tokens=True)["input_ids"] + [tokenizer.eos_token_id]
            feature, cut = build_features([], ids, settings["max_length"])
        else:
            chat = args.prompt_format == "chat"
            text = chat_prompt(tokenizer, prompt) if chat else format_prompt(prompt, args.prompt_format)
            prompt_ids = tokenizer(text, add_special_tokens=not chat)["input_ids"]
            response_ids = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            feature, cut = build_features(prompt_ids, response_ids, settings["max_length"])
        truncated += cut
        features.append(feature)
    if truncated:
        print("%d of %d examples were longer than %d tokens and were shortened" % (truncated, len(features), settings["max_length"]))

    def collate(batch):
        padded = pad_batch(batch, tokenizer.pad_token_id)
        return {key: torch.tensor(value) for key, value in padded.items()}

    bf16 = bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    model = transformers.AutoModelForCausalLM.from_pretrained(
        model_source, torch_dtype=torch.bfloat16 if bf16 else torch.float32)
    lora = peft.LoraConfig(r=settings["lora_rank"], lora_alpha=2 * settings["lora_rank"], lora_dropout=0.05,
                           target_modules=lora_targets(getattr(peft, "__version__", "0")), task_type="CAUSAL_LM")
    model = peft.get_peft_model(model, lora)
    model.print_trainable_parameters()

    training_args = transformers.TrainingArguments(
        output_dir=os.path.join(args.workdir, "checkpoints"),
        num_train_epochs=settings["epochs"],
        learning_rate=settings["learning_rate"],
        per_device_train_batch_size=settings["batch_size"],
        lr_scheduler_type="cosine",
        warmup_ratio=0.03,
        logging_steps=10,
        save_strategy="no",
        report_to=[],
        seed=settings["seed"],
        bf16=bf16,
        remove_unused_columns=False,
        ddp_find_unused_parameters=False,
    )
    trainer = transformers.Trainer(model=model, args=training_args, train_dataset=features, data_collator=collate)
    result = trainer.train()
    if not trainer.is_world_process_zero():
        return  # one process saves; the others are done
    save_folder(args.adapter, model.save_pretrained)
    merged = model.merge_and_unload()

    def save_merged(folder):
        merged.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        write_text(os.path.join(folder, PROMPT_FILE), json.dumps(
            {"prompt_format": args.prompt_format, "prompt_field": args.prompt_field}, indent=2) + "\n")

    save_folder(args.model_output, save_merged)
    metrics = {
        "train_loss": round(float(result.training_loss), 4),
        "train_examples": len(features),
        "truncated_examples": truncated,
        "epochs": settings["epochs"],
        "steps": int(result.global_step),
        "train_runtime_seconds": round(float(result.metrics.get("train_runtime", 0.0)), 1),
        "base_model": args.model.strip(),
        "lora_rank": settings["lora_rank"],
        "learning_rate": settings["learning_rate"],
        "prompt_format": args.prompt_format,
    }
    write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    print("Saved the fine-tuned model to %s (training loss %.4f)" % (args.model_output, metrics["train_loss"]))


def main():
    parser = argparse.ArgumentParser(description="LoRA fine-tuning of a causal language model.")
    parser.add_argument("--dataset", default="")
    parser.add_argument("--model", default="")
    parser.add_argument("--prompt-field", default="prompt")
    parser.add_argument("--response-field", default="response")
    parser.add_argument("--prompt-format", default="question_answer")
    parser.add_argument("--epochs", default="3")
    parser.add_argument("--learning-rate", default="0.0002")
    parser.add_argument("--lora-rank", default="16")
    parser.add_argument("--max-length", default="1024")
    parser.add_argument("--batch-size", default="4")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--model-output", required=True)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args()
    args.workdir = os.path.dirname(os.path.abspath(args.metrics))

    if args.prompt_format not in PROMPT_FORMATS:
        fail('unknown prompt format "%s"; choose one of: %s.' % (args.prompt_format, ", ".join(PROMPT_FORMATS)))
    settings = settings_of(args)
    model_source, is_folder = model_from_setting(args.model, "Base model")
    # The data is checked before the GPU libraries load: a typo in a field name costs seconds, not a queue wait.
    records = read_records(args.dataset, "training data")
    examples = build_examples(records, args.prompt_field.strip(), args.response_field.strip())
    print("Read %d training examples; base model %s%s" % (len(examples), model_source, " (offline, from a folder)" if is_folder else ""))
    sys.stdout.flush()
    train(args, settings, examples, model_source)


if __name__ == "__main__":
    main()
