"""The request classifier: chatter is not a request, requests get a category, bad input is safe,
the team's labels move the model, and a process trains once for the same data."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.triage import classifier as classifier_module
from bot.triage import training
from bot.triage.classifier import (
    Category,
    LabelledMessage,
    ModelCache,
    RequestClassifier,
    builtin_examples,
    load_classifier,
    train_classifier,
)
from bot.triage.model import Head, LinearTextModel
from bot.triage.text import (
    CHAR_NGRAMS,
    PREFIX_CHARS,
    TOKEN_PATTERN,
    WORD_NGRAMS,
    char_terms,
    plain,
    word_terms,
)


@pytest.fixture(scope="module")
def classifier() -> RequestClassifier:
    return train_classifier()


@pytest.mark.parametrize(
    "text",
    [
        "Sure thing, will check tomorrow",
        "Congratulations on the new office!",
        "Good morning all ☀️",
        "Out until Thursday, back then",
        "thanks for the update",
    ],
)
def test_the_chatter_quoted_in_the_issue_is_not_a_request(classifier, text):
    decision = classifier.decide(text)
    assert not decision.is_request, decision
    assert decision.confidence < 0.5


def test_a_question_under_an_incident_notice_is_an_outage_request(classifier):
    decision = classifier.decide("Still failing for our EU users, can you confirm an ETA?")
    assert decision.is_request
    assert decision.category is Category.OUTAGE
    assert decision.confidence > 0.5


@pytest.mark.parametrize("text", ["", " ", "\n\t  \n", "   \u00a0 "])
def test_an_empty_message_is_not_a_request(classifier, text):
    decision = classifier.decide(text)
    assert (decision.is_request, decision.confidence) == (False, 0.0)


@pytest.mark.parametrize(
    "text",
    [
        "🎉",
        "👍🙏",
        ":tada:",
        ":raised_hands: :raised_hands:",
        "<@U0123ABCD>",
        "<@U07QW> :wave:",
        "<!here> 🎉",
        "<#C0123|general> :+1:",
        "?!",
        "...",
    ],
)
def test_emoji_and_markup_alone_are_not_requests(classifier, text):
    decision = classifier.decide(text)
    assert (decision.is_request, decision.confidence) == (False, 0.0)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_gets_a_decision(classifier, text):
    decision = classifier.decide(text)
    assert 0.0 <= decision.confidence <= 1.0
    assert decision.category in Category
    assert decision.is_request == (decision.confidence >= 0.5)
    if not text.strip():
        assert not decision.is_request


def test_a_40000_character_message_is_read_on_its_opening_only(classifier):
    opening = "Hi team, our nightly export fails with a timeout, log below\n"
    long_text = opening + "ERROR upstream timeout req=4f2a " * 1_300
    assert len(long_text) > 40_000
    assert len(plain(long_text)) <= PREFIX_CHARS + 20  # markup may widen it a little
    decision = classifier.decide(long_text)
    assert decision == classifier.decide(long_text[:PREFIX_CHARS])
    assert decision.is_request


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Hi team! our SSO login is failing since this morning", Category.ACCESS),
        ("Good morning all ☀️ could you resend the invoice for October?", Category.BILLING),
        ("hey <@U0SUPPORT1> need the invoice for march", Category.BILLING),
        ("The export button produces an empty file since the update", Category.BUG),
        ("is the whole platform down? nobody here can load anything", Category.OUTAGE),
        ("please add Ravi to our workspace as an admin", Category.ACCESS),
        ("Would be great if reports could be exported to Google Slides", Category.FEATURE_REQUEST),
        ("how do I change the language of the portal", Category.QUESTION),
        ("Could you send us your latest SOC 2 report?", Category.OTHER),
    ],
)
def test_requests_get_their_category(classifier, text, category):
    decision = classifier.decide(text)
    assert decision.is_request, decision
    assert decision.category is category


def test_the_teams_labels_move_near_duplicates(tmp_path: Path):
    """A `/desk noise` example turns its near-duplicate into chatter, and only near it."""
    noise = "The Q3 numbers are in the shared folder for anyone interested"
    near = "the Q4 numbers are in the shared folder for anyone interested 📈"
    request = "Can you put the Q4 numbers in the shared folder? they're missing"
    before = train_classifier(cache_dir=tmp_path)
    assert before.decide(near).is_request, "pick an example the builtin model gets wrong"
    after = train_classifier([LabelledMessage(noise, False, None)], cache_dir=tmp_path)
    assert not after.decide(near).is_request
    assert after.decide(near).confidence < before.decide(near).confidence
    assert after.decide(request).is_request


@pytest.fixture
def fewer_examples(monkeypatch):
    """A quarter of the labelled set, so the tests that train several times stay quick."""
    subset = builtin_examples()[::4]
    monkeypatch.setattr(classifier_module, "builtin_examples", lambda split=None: subset)


def test_a_process_trains_once_for_the_same_data(tmp_path: Path, monkeypatch, fewer_examples):
    trained = []
    real = training.train_model

    def counting(examples, extra=()):
        trained.append(len(extra))
        return real(examples, extra)

    monkeypatch.setattr(training, "train_model", counting)
    extra = [LabelledMessage("Our standup moved to 9:30, FYI", False, None)]
    cache = ModelCache(tmp_path)

    async def many_starts():
        return await asyncio.gather(*(load_classifier(extra, cache=cache) for _ in range(4)))

    first = train_classifier(extra, cache=cache)
    others = asyncio.run(many_starts())
    again = train_classifier(list(extra), cache=cache)
    assert trained == [1]
    text = "Can you check why the dashboard is slow?"
    assert {c.decide(text) for c in [first, *others, again]} == {first.decide(text)}

    # A new process (a new cache, its memory empty) reads the model from disk, not training it.
    from_disk = train_classifier(extra, cache=ModelCache(tmp_path))
    assert trained == [1]
    assert from_disk.decide(text) == first.decide(text)

    # Other extras are another model.
    train_classifier([*extra, LabelledMessage("lunch is on us today", False, None)], cache=cache)
    assert trained == [1, 2]


def test_a_damaged_disk_cache_is_trained_again(tmp_path: Path, fewer_examples):
    extra = [LabelledMessage("Fire drill at 11, back after", False, None)]
    train_classifier(extra, cache_dir=tmp_path)
    (saved,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    (saved / "model.npz").write_bytes(b"not a numpy archive")
    classifier = train_classifier(extra, cache_dir=tmp_path)
    assert classifier.decide("Can you reset my password?").is_request
    assert LinearTextModel.load(saved).heads  # saved again, whole


def test_a_saved_model_predicts_what_the_trained_one_does(tmp_path: Path):
    examples = builtin_examples("train")[::5]
    model = training.train_model(examples)
    model.save(tmp_path)
    loaded = LinearTextModel.load(tmp_path)
    for message in builtin_examples("test")[:50]:
        text = plain(message.text)
        for head, probabilities in model.predict(text).items():
            assert loaded.predict(text)[head] == pytest.approx(probabilities)


def test_the_features_are_scikit_learns_tf_idf():
    """The vector `decide` scores equals the fitted vectorizers' own transform, term for term."""
    texts = [plain(m.text) for m in builtin_examples("train")[::3]]
    words = TfidfVectorizer(ngram_range=WORD_NGRAMS, token_pattern=TOKEN_PATTERN, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True)
    words.fit(texts)
    chars.fit(texts)
    width = len(words.vocabulary_) + len(chars.vocabulary_)
    model = LinearTextModel(
        vocabularies=(dict(words.vocabulary_), dict(chars.vocabulary_)),
        idf=(words.idf_, chars.idf_),
        heads={"h": Head(("a", "b"), np.zeros((width, 1)), np.zeros(1))},
    )
    for message in builtin_examples("test")[:60] + [LabelledMessage("zzz qqq", False, None)]:
        text = plain(message.text)
        expected = hstack([words.transform([text]), chars.transform([text])]).toarray()[0]
        columns, values = model.features(text)
        got = np.zeros(width)
        got[columns] = values
        assert got == pytest.approx(expected)


def test_a_request_labelled_without_a_category_still_trains():
    extra = [LabelledMessage("pls look at our webhook thing again", True, None)]
    model = training.train_model(builtin_examples("train")[::4], extra)
    assert set(model.heads["kind"].classes) == {training.CHATTER, *Category}
    assert model.heads["request"].classes == ("no", "yes")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab cé?!\n\t🎉:_-'.1"), max_size=40))
def test_the_terms_are_scikit_learns(text):
    """Scoring makes the same terms the vectorizers were fitted on (model.py scores alone)."""
    text = text.lower()
    words = TfidfVectorizer(ngram_range=WORD_NGRAMS, token_pattern=TOKEN_PATTERN)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS)
    assert word_terms(text) == words.build_analyzer()(text)
    assert char_terms(text) == chars.build_analyzer()(text)


def test_the_labelled_set_is_big_varied_and_split():
    every = builtin_examples()
    train, test = builtin_examples("train"), builtin_examples("test")
    assert len(every) >= 1_200 and len(train) + len(test) == len(every)
    assert 0.2 <= len(test) / len(every) <= 0.3
    assert 0.4 <= sum(not m.is_request for m in every) / len(every) <= 0.55
    assert all((m.category is None) == (not m.is_request) for m in every)
    for category in Category:
        assert sum(m.category is category for m in test) >= 25
    assert not {m.text for m in train} & {m.text for m in test}
    with pytest.raises(ValueError):
        builtin_examples("validation")


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "Thank you so much!!",
        "ok 👍",
        "ok",
        "👍",
        "🙏🙏",
        "cheers",
        "Got it, thanks",
        "thx :pray:",
        "great, thank you",
        "<@U0ALICE> thanks!",
    ],
)
def test_pleasantries_are_chatter(classifier: RequestClassifier, text: str) -> None:
    assert not classifier.decide(text).is_request


@pytest.mark.parametrize(
    "text",
    [
        "thanks, but it is still broken",
        "ok so how do I reset my password?",
        "help",
        "Our API is down",
        "thanks for the fix; one more question about billing",
    ],
)
def test_requests_after_thanks_are_requests(classifier: RequestClassifier, text: str) -> None:
    assert classifier.decide(text).is_request
