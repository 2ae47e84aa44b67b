"""Build bot/triage/data/messages.csv from the hand-written corpus and a few templates.

`uv run python -m bench.triage_corpus.build` rewrites the file deterministically (fixed seed).
The hand-written messages (one file per category, *.txt beside this file) are split
stratified by category: the same share of each (ordered by a hash of the text, so a message
keeps its split when others are added) goes to the held-out `test` split. The generated
rows (greetings, sign-offs, mentions and typos around train messages, and chatter made from
templates) go to `train` only, so no test message is a template of a train one.
"""

from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

from bench.triage_corpus.requests import generate, generate_chatter

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "bot" / "triage" / "data" / "messages.csv"
CATEGORIES = ("question", "bug", "access", "billing", "outage", "feature_request", "other")
TEST_SHARE = 0.45
SEED = 20261202

GREETINGS = [
    "Hi team!",
    "hi all,",
    "Hello 👋",
    "Good morning,",
    "Hey folks -",
    "Morning team :sunny:",
    "hey <@U0SUPPORT1>",
    "Hi <@U02HELPDSK>,",
    "Hello there!",
    "Afternoon all,",
    "Hi, hope you're well.",
    "Hey everyone, quick one:",
]
SIGN_OFFS = ["thanks!", "thx", "🙏", "Thanks in advance", "cheers", ":pray:", "ty", "thank you!"]
MENTIONS = ["<@U01AB2CD3>", "<@U07ZZTOP>", "<!here>", "<@U0SUPPORT1>"]

CHATTER_TEMPLATES = {
    "{thanks} {name}{mark}": {
        "thanks": ["Thanks", "thank you", "Many thanks", "Cheers", "Big thanks", "thx"],
        "name": ["Sam", "Priya", "team", "all", "<@U05ABCDE>", "both", "Kenji", "Olga"],
        "mark": ["!", " 🙏", " :raised_hands:", "", " 🎉", "!!"],
    },
    "{who} out {when}, back {back}": {
        "who": ["I'm", "I'll be", "Jo is", "Our whole team is", "Marco's"],
        "when": [
            "today",
            "tomorrow",
            "all next week",
            "Mon-Wed",
            "until the 9th",
            "this afternoon",
        ],
        "back": ["Thursday", "on Monday", "after the holidays", "next week", "on the 10th"],
    },
    "Congrats on {event}{mark}": {
        "event": [
            "the launch",
            "the new hire",
            "the IPO",
            "the award",
            "your 10th anniversary",
            "closing the round",
            "the rebrand",
            "the new website",
        ],
        "mark": ["!", " 🎉", " :tada:", " 👏", "!! well deserved"],
    },
    "{greet} {whom}{mark}": {
        "greet": ["Good morning", "Morning", "Happy Monday", "Happy Friday", "Hello", "Hi"],
        "whom": ["all", "everyone", "team", "folks", "friends", "people"],
        "mark": [" ☀️", "!", " 👋", " :wave:", " :coffee:", ""],
    },
    "{ack}, {later}": {
        "ack": ["Sure thing", "Will do", "OK", "Noted", "Got it", "Sounds good", "Perfect"],
        "later": [
            "will check tomorrow",
            "I'll look at it after lunch",
            "we'll test it this week",
            "I'll share with the team",
            "will confirm on Monday",
            "talk soon",
        ],
    },
    "{fyi} {news}": {
        "fyi": ["FYI", "Heads up:", "Just so you know,", "For visibility:"],
        "news": [
            "we're onboarding 10 more people next month",
            "our office moves to Berlin in March",
            "I'm taking over from Kate as your contact",
            "we finished the rollout yesterday",
            "our team is at the offsite Thursday",
            "we switched our billing contact to Ruth",
        ],
    },
}

TYPOS = {"the": "teh", "you": "yuo", "invoice": "invocie", "please": "pls", "can": "cna"}


def read_corpus() -> dict[str, list[str]]:
    """Each category's hand-written messages (chatter under ''), deduplicated, in file order."""
    corpus: dict[str, list[str]] = {}
    seen: set[str] = set()
    for category in ("chatter", *CATEGORIES):
        rows = []
        for line in (HERE / f"{category}.txt").read_text(encoding="utf-8").splitlines():
            text = line.replace("\\n", "\n").strip()
            if not text or line.startswith("# ") or text.casefold() in seen:
                continue
            seen.add(text.casefold())
            rows.append(text)
        corpus["" if category == "chatter" else category] = rows
    return corpus


def variants(text: str, rng: random.Random) -> list[str]:
    """Two changed copies of a train message: a greeting or mention before, a typo, a sign-off."""
    first = f"{rng.choice(GREETINGS)} {text[0].lower()}{text[1:]}"
    words = text.split()
    second = " ".join(TYPOS.get(w.lower(), w) for w in words)
    if second == text:
        second = text.lower().rstrip("?.!")
    second = f"{rng.choice(MENTIONS)} {second} {rng.choice(SIGN_OFFS)}"
    return [first, second]


def chatter_from_templates(rng: random.Random, count: int) -> list[str]:
    """`count` distinct chatter messages made from the templates."""
    made: set[str] = set()
    patterns = list(CHATTER_TEMPLATES.items())
    while len(made) < count:
        pattern, slots = rng.choice(patterns)
        made.add(pattern.format(**{k: rng.choice(v) for k, v in slots.items()}))
    return sorted(made)


def build() -> list[tuple[str, int, str, str]]:
    """The rows: (text, is_request, category, split)."""
    rng = random.Random(SEED)
    rows: list[tuple[str, int, str, str]] = []
    seen: set[str] = set()

    def add(text: str, category: str, split: str) -> None:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            rows.append((text, 1 if category else 0, category, split))

    train: dict[str, list[str]] = {}
    for category, texts in read_corpus().items():
        # Ordered by a hash of the text: the split of a message stays put when others are added.
        shuffled = sorted(texts, key=lambda t: hashlib.sha256(t.encode()).hexdigest())
        cut = round(len(shuffled) * TEST_SHARE)
        for text in shuffled[:cut]:
            add(text, category, "test")
        train[category] = shuffled[cut:]
        for text in train[category]:
            add(text, category, "train")
    for category in CATEGORIES:  # greeted, mentioned and misspelt requests
        for text in rng.sample(train[category], k=min(22, len(train[category]))):
            for variant in variants(text, rng):
                add(variant, category, "train")
    for category in CATEGORIES:  # requests from templates
        for text in generate(category, rng, 45):
            add(text, category, "train")
    for text in generate_chatter(rng, 160):
        add(text, "", "train")
    for text in chatter_from_templates(rng, 150):
        add(text, "", "train")
    for text in rng.sample(train[""], k=40):  # chatter with a mention in front
        add(f"{rng.choice(MENTIONS[:2])} {text}", "", "train")
    # Greetings say nothing by themselves: as many greeted chatter rows as greeted requests.
    for greeting in GREETINGS:
        add(greeting.rstrip(",:-").strip(), "", "train")
    for text in rng.sample(train[""], k=120):
        add(f"{rng.choice(GREETINGS)} {text[0].lower()}{text[1:]}", "", "train")
    rows.sort(key=lambda r: (r[3] != "train", r[2], r[0].casefold()))
    return rows


def main() -> None:
    """Write the CSV and say what it holds."""
    rows = build()
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "is_request", "category", "split"])
        writer.writerows(rows)
    chatter = sum(1 for r in rows if not r[1])
    test = sum(1 for r in rows if r[3] == "test")
    print(
        f"{OUT}: {len(rows)} rows, {chatter / len(rows):.0%} chatter, {test / len(rows):.0%} test"
    )


if __name__ == "__main__":
    main()
