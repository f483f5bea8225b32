#!/usr/bin/env python3
"""Fluxo block "Batch inference": answers every prompt of a file with a language model, using vLLM.

The prompts are read and checked first, in plain Python; only then is vLLM loaded, which spreads the
model over the step's GPUs (tensor parallelism) and generates all answers in one offline batch. Each
output record is the input record with a "generated" field added, in input order, so references and
ids travel along to Evaluate answers.
"""
import argparse
import json
import os
import re
import sys

from fluxo_block import check_field, fail, field_text, parse_integer, parse_number, read_records, write_atomically

# The containers block.yaml declares, named in the message when a module is missing. The tests check
# that this matches block.yaml.
CONTAINERS = {
    "nvidia": "docker://vllm/vllm-openai:v0.8.4",
    "amd": "docker://rocm/vllm:rocm6.3.1_instinct_vllm0.7.3_20250311",
}
PROMPT_FORMATS = ("question_answer", "plain", "chat")
PROMPT_FILE = "fluxo-prompt.json"  # written by Fine-tune language model beside the model
OUTPUT_FIELD = "generated"


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


def resolve_model(model_input, model_param):
    """The connected fine-tuned model wins over the "Model" setting; returns (source, is_folder)."""
    if model_input:
        use_model_folder(model_input, "the connected model")
        return model_input, True
    return model_from_setting(model_param, "Model")


def saved_prompt_format(model_folder):
    """The prompt format the model was fine-tuned with, when Fine-tune language model saved it."""
    if not model_folder:
        return None
    try:
        with open(os.path.join(model_folder, PROMPT_FILE), "r", encoding="utf-8") as handle:
            saved = json.load(handle).get("prompt_format")
    except (OSError, ValueError, AttributeError):
        return None
    return saved if saved in PROMPT_FORMATS else None


def choose_prompt_format(requested, saved, has_chat_template):
    """"auto": the format of fine-tuning when known, else the chat template when the model has one."""
    if requested != "auto":
        return requested
    if saved:
        return saved
    return "chat" if has_chat_template else "plain"


def read_prompts(path, field):
    records = read_records(path, "prompt file")
    check_field(records, field, "prompt file", "Prompt field")
    if any(OUTPUT_FIELD in r for r in records):
        fail('the prompt file already has a "%s" field; remove it (this step writes its answers there).' % OUTPUT_FIELD)
    prompts = []
    for number, record in enumerate(records, 1):
        prompt = field_text(record, field, number, "prompt file")
        if not prompt.strip():
            fail('record %d of the prompt file has an empty "%s"; fill it in or remove the record.' % (number, field))
        prompts.append(prompt)
    return records, prompts


def write_generations(path, records, answers):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as handle:
            for record, answer in zip(records, answers):
                handle.write(json.dumps(dict(record, **{OUTPUT_FIELD: answer}), ensure_ascii=False) + "\n")

    write_atomically(path, write)


def generate(args, settings, prompts, model_source):
    try:
        import torch
    except ImportError:
        missing_module("torch")
    try:
        import vllm
    except ImportError:
        missing_module("vllm")
    gpus = torch.cuda.device_count()
    if gpus < 1:
        fail("no GPU is visible to this step; give the step at least 1 GPU in its resources.")
    llm = vllm.LLM(model=model_source, tensor_parallel_size=gpus, seed=settings["seed"],
                   max_model_len=settings["max_model_len"] or None)
    tokenizer = llm.get_tokenizer()
    saved = saved_prompt_format(model_source if os.path.isdir(model_source) else "")
    style = choose_prompt_format(args.prompt_format, saved, bool(getattr(tokenizer, "chat_template", None)))
    if style == "chat" and not getattr(tokenizer, "chat_template", None):
        fail('the model "%s" has no chat template; choose the prompt format "Question and answer" or "The prompt as written".' % model_source)
    print("Prompt format: %s" % style)
    # Tokenised here as during fine-tuning, so the model sees exactly the text it learned from.
    token_prompts = []
    for prompt in prompts:
        if style == "chat":
            text = chat_prompt(tokenizer, prompt)
        else:
            text = format_prompt(prompt, style)
        token_prompts.append({"prompt_token_ids": tokenizer(text, add_special_tokens=style != "chat")["input_ids"]})
    sampling = vllm.SamplingParams(temperature=settings["temperature"], max_tokens=settings["max_new_tokens"],
                                   seed=settings["seed"])
    outputs = llm.generate(token_prompts, sampling)
    return [o.outputs[0].text for o in outputs]


def settings_of(args):
    settings = {
        "max_new_tokens": parse_integer(args.max_new_tokens, "Maximum answer length", 256),
        "temperature": parse_number(args.temperature, "Temperature", 0.0),
        "seed": parse_integer(args.seed, "Random seed", 42),
        "max_model_len": parse_integer(args.max_model_len, "Context length", 0),
    }
    if settings["max_new_tokens"] < 1:
        fail('"Maximum answer length" must be at least 1 token (it is %d).' % settings["max_new_tokens"])
    if not 0 <= settings["temperature"] <= 2:
        fail('"Temperature" must be between 0 and 2 (it is %s); 0 gives the same answers on every run.' % args.temperature)
    if settings["max_model_len"] < 0:
        fail('"Context length" must be 0 (the model\'s own) or more (it is %d).' % settings["max_model_len"])
    return settings


def main():
    parser = argparse.ArgumentParser(description="Answer every prompt of a file with a language model (vLLM).")
    parser.add_argument("--prompts", default="")
    parser.add_argument("--model-input", default="")
    parser.add_argument("--model", default="")
    parser.add_argument("--prompt-field", default="prompt")
    parser.add_argument("--prompt-format", default="auto")
    parser.add_argument("--max-new-tokens", default="256")
    parser.add_argument("--temperature", default="0")
    parser.add_argument("--max-model-len", default="0")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    if args.prompt_format not in PROMPT_FORMATS + ("auto",):
        fail('unknown prompt format "%s"; choose one of: auto, %s.' % (args.prompt_format, ", ".join(PROMPT_FORMATS)))
    settings = settings_of(args)
    model_source, _ = resolve_model(args.model_input, args.model)
    records, prompts = read_prompts(args.prompts, args.prompt_field.strip())
    print("Read %d prompts; model %s" % (len(prompts), model_source))
    sys.stdout.flush()
    answers = generate(args, settings, prompts, model_source)
    write_generations(args.output, records, answers)
    print("Wrote %d answers to %s" % (len(answers), args.output))


if __name__ == "__main__":
    main()
