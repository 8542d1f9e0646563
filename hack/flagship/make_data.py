#!/usr/bin/env python3
"""Generates the flagship example's data, deterministically (Python stdlib only, fixed seeds).

Writes, under the output directory (default: examples/data):
  support-corpus.jsonl         {"text": ...}  plain English support text: help-center articles, FAQ answers and
                               closed-ticket logs about the products below. The base model is pretrained on it.
  support-tickets-train.jsonl  {"prompt": "Customer: ...\\nAgent:", "completion": " Hi NAME, ..."}
  support-tickets-val.jsonl    the same, other tickets
  support-tickets-heldout.jsonl a few tickets no job trains or evaluates on (the demo asks the model these)

The tickets follow one house style a small model can learn: greet the customer by name, echo the ticket number,
give the product-specific fix for the problem, close politely. The corpus holds the same facts (which fix fits which
product and problem) in other formats, and ticket logs that repeat names and numbers, but never the house style:
that is what the LoRA fine-tune teaches.

Run from the repository root:  python3 hack/flagship/make_data.py [OUT_DIR]
Output is byte-identical on every run (and checked by the trainer's tests against the committed files).
"""
import json
import os
import random
import sys

# name, what it is, the power key, the companion app, the battery feature, current firmware
PRODUCTS = [
    ("Nimbus router", "router", "the reset pin on the back", "the Nimbus Home app", "guest network", "4.2"),
    ("Quill printer", "printer", "the round power key", "the Quill Print app", "auto wake", "2.7"),
    ("Vega laptop", "laptop", "the power key above the keyboard", "the Vega Center app", "turbo mode", "11.3"),
    ("Atlas tablet", "tablet", "the top button", "the Atlas Settings app", "always on display", "8.1"),
    ("Pulse watch", "watch", "the side crown", "the Pulse Fit app", "heart tracking", "3.9"),
    ("Juno speaker", "speaker", "the play button", "the Juno Sound app", "voice wake", "5.4"),
    ("Terra thermostat", "thermostat", "the dial", "the Terra Climate app", "motion sensing", "6.0"),
    ("Lynx camera", "camera", "the shutter button", "the Lynx Vision app", "live preview", "9.6"),
]

# problem id -> ways a customer says it (product name goes in {p})
PROBLEMS = {
    "power": ["my {p} will not turn on", "my {p} is dead and shows no lights", "my {p} does not power up anymore",
              "the {p} stays black when I press the button"],
    "wifi": ["my {p} cannot connect to the wifi", "my {p} keeps dropping the wifi", "the {p} does not find my network",
             "my {p} lost its internet connection"],
    "battery": ["the battery of my {p} drains very fast", "my {p} runs out of power in a few hours",
                "the {p} battery is empty by noon", "my {p} uses far too much power"],
    "error": ["my {p} shows error code {c}", "the {p} displays error {c}", "I get error {c} on my {p}",
              "my {p} is stuck on error {c}"],
    "update": ["the update of my {p} failed", "my {p} will not finish the update", "the {p} update stops halfway",
               "my {p} says the update could not be installed"],
    "password": ["I forgot the password of my {p}", "I cannot log in to my {p}", "my {p} rejects my password",
                 "I am locked out of my {p}"],
}

# error code families: first digit -> what it means, what to do
ERRORS = {
    "1": ("the device is too hot", "let it cool down for one hour away from the sun"),
    "2": ("the storage is full", "delete old files in {app}"),
    "3": ("the firmware is damaged", "reinstall firmware {fw} from {app}"),
}

NAMES = ["Dana", "Omar", "Lena", "Ravi", "Mia", "Jonas", "Aiko", "Carlos", "Nora", "Felix", "Sara", "Tom", "Ines",
         "Hugo", "Priya", "Ben", "Clara", "Leo", "Maya", "Sam", "Eva", "Noah", "Zoe", "Ivan", "Lucy", "Paul", "Anna",
         "Karl", "Rosa", "Emil", "Yara", "Theo"]

GREETINGS = ["Hello", "Hi", "Good morning", "Hey support", "Dear support team", "Good evening", "Hello there"]
ASKS = ["What should I do?", "Can you help me?", "Please help.", "Any idea how to fix it?", "What can I try?",
        "I need this fixed soon.", "Thanks in advance."]
TICKET_WAYS = ["Ticket #{t}.", "My ticket number is {t}.", "This is about ticket #{t}.", "(ticket #{t})"]
SIGNS = ["{n}", "Thanks, {n}", "Best, {n}", "Regards, {n}", "- {n}"]


def fix(problem, prod, code=None):
    name, kind, key, app, feature, fw = prod
    if problem == "power":
        return f"Please charge the {kind} for thirty minutes, then hold {key} for ten seconds."
    if problem == "wifi":
        return f"Please open {app}, choose Forget Network and join your wifi again."
    if problem == "battery":
        return f"Please turn off {feature} in {app}; that saves most of the power."
    if problem == "error":
        meaning, todo = ERRORS[code[0]]
        return f"Error {code} means {meaning}. Please {todo.format(app=app, fw=fw)}."
    if problem == "update":
        return f"Please keep the {kind} plugged in and install firmware {fw} again from {app}."
    if problem == "password":
        return f"Please hold {key} for fifteen seconds to restore the password printed on the label."
    raise ValueError(problem)


def error_code(rnd):
    return rnd.choice("123") + "%02d" % rnd.randrange(100)


def ticket(rnd, prod, problem, number, name):
    code = error_code(rnd) if problem == "error" else None
    said = rnd.choice(PROBLEMS[problem]).format(p=prod[0], c=code)
    parts = [rnd.choice(GREETINGS) + ",", said + ".", rnd.choice(TICKET_WAYS).format(t=number), rnd.choice(ASKS),
             rnd.choice(SIGNS).format(n=name)]
    prompt = "Customer: " + " ".join(parts) + "\nAgent:"
    completion = (f" Hi {name}, sorry about your {prod[0]} (ticket #{number}). {fix(problem, prod, code)}"
                  f" Reply here if it still fails.")
    return {"prompt": prompt, "completion": completion}


def tickets(rnd, count, used_numbers):
    out = []
    for _ in range(count):
        number = rnd.randrange(1000, 10000)
        while number in used_numbers:
            number = rnd.randrange(1000, 10000)
        used_numbers.add(number)
        out.append(ticket(rnd, rnd.choice(PRODUCTS), rnd.choice(list(PROBLEMS)), number, rnd.choice(NAMES)))
    return out


ARTICLE_OPEN = ["How to help a customer whose {said}.", "Help center: {said}.", "Known issue: {said}.",
                "Article for agents: when a customer writes that {said}."]
FAQ_Q = ["Q: What if {said}?", "Q: What can I do when {said}?", "Q: {said}. What now?"]
POLITE = ["Thank you for your patience.", "We are sorry for the trouble.", "We are happy to help.",
          "Have a nice day.", "Let us know if anything else comes up.", "We appreciate your message.",
          "Our team answers every ticket within one day.", "Please keep your ticket number for later."]
LOG_OUTCOME = ["The customer confirmed the fix worked.", "The customer wrote back that it works again.",
               "The fix worked on the first try.", "No further reply was needed."]


def corpus(rnd, count):
    out = []
    for i in range(count):
        prod = rnd.choice(PRODUCTS)
        problem = rnd.choice(list(PROBLEMS))
        code = error_code(rnd) if problem == "error" else None
        said = rnd.choice(PROBLEMS[problem]).format(p="the " + prod[0], c=code).replace("my the ", "the ")
        said = said.replace("the the ", "the ")
        kind = i % 4
        if kind == 0:  # help-center article
            text = (rnd.choice(ARTICLE_OPEN).format(said=said) + " " + fix(problem, prod, code) + " "
                    + f"The {prod[0]} is our {prod[1]}; its companion app is {prod[3]}. " + rnd.choice(POLITE))
        elif kind == 1:  # FAQ entry
            q = rnd.choice(FAQ_Q).format(said=said)
            text = q[:3] + q[3].upper() + q[4:] + " A: " + fix(problem, prod, code) + " " + rnd.choice(POLITE)
        elif kind == 2:  # closed-ticket log: repeats the name and the number
            number = rnd.randrange(1000, 10000)
            name = rnd.choice(NAMES)
            text = (f"Ticket #{number} from {name}: {said}. The agent told {name}: {fix(problem, prod, code)} "
                    f"{rnd.choice(LOG_OUTCOME)} Ticket #{number} for {name} is closed.")
        else:  # product notes
            text = (f"The {prod[0]} uses firmware {prod[5]}. To restart it, hold {prod[2]}. "
                    f"Settings live in {prod[3]}, where you can turn off {prod[4]} to save power. "
                    + rnd.choice(POLITE) + " " + rnd.choice(POLITE))
        out.append({"text": text})
    return out


def write(path, records):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("examples", "data")
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "support-corpus.jsonl"), corpus(random.Random(20261130), 1600))
    used = set()
    write(os.path.join(out, "support-tickets-train.jsonl"), tickets(random.Random(1), 1200, used))
    write(os.path.join(out, "support-tickets-val.jsonl"), tickets(random.Random(2), 100, used))
    write(os.path.join(out, "support-tickets-heldout.jsonl"), tickets(random.Random(3), 5, used))


if __name__ == "__main__":
    main()
