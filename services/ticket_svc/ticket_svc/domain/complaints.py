"""Suspected complaints, detected from the customer's own messages (TKT-4, seed 001 section 7).

Signals: the customer asks for a phone call; abusive words (a maintained list, Chinese and
English, that the operator extends); the same question three or more times, judged by text
similarity rather than equality; many messages in a short time. Pure Python.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PHONE_CALL = "phone_call"
ABUSIVE = "abusive_words"
REPEATED = "repeated_question"
BURST = "message_burst"
REASONS = (PHONE_CALL, ABUSIVE, REPEATED, BURST)

_PHONE_PATTERNS = (
    r"(打|来|回|致)(个)?电话", r"电话(联系|沟通|回复|告知)", r"(给|请).{0,4}电话",
    r"电话是?多少", r"留(个|下)?(联系)?电话",
    r"\b(call|phone|ring) me\b", r"\bgive me a (call|ring)\b", r"\bphone call\b", r"\bcall me back\b",
    r"\bcall back\b",
)
_PHONE = re.compile("|".join(_PHONE_PATTERNS), re.IGNORECASE)

# The default list; the operator adds words (stored by ticket_svc) and they are passed in.
# Single Chinese characters such as 滚 are left out on purpose: 滚动条 is not an insult.
DEFAULT_ABUSIVE_WORDS = (
    "垃圾", "骗子", "傻逼", "傻b", "煞笔", "妈的", "他妈", "滚蛋", "滚开", "废物", "去死", "坑人", "狗屎",
    "脑残", "白痴", "混蛋", "王八蛋", "无耻", "骗钱", "黑心",
    "fuck", "fucking", "shit", "idiot", "stupid", "scam", "scammer", "bastard", "bullshit", "moron",
    "useless", "rubbish", "crap",
)

SIMILAR = 0.6            # Dice coefficient of character bigrams above which two texts ask the same
REPEAT_COUNT = 3         # the same question this many times (seed: 三次以上)
MIN_QUESTION_CHARS = 6   # "好的" / "thanks" three times is politeness, not a repeated question
BURST_COUNT = 5          # this many customer messages ...
BURST_WINDOW = timedelta(minutes=10)   # ... within this time


@dataclass(frozen=True)
class CustomerMessage:
    body: str
    at: datetime


def normalise(text: str) -> str:
    """Lower case, full-width folded, punctuation and whitespace removed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams of the normalised texts, 0..1.

    Character bigrams work for Chinese (no word spaces) and tolerate a changed word or two,
    which is how a customer repeats a question.
    """
    x, y = _bigrams(normalise(a)), _bigrams(normalise(b))
    if not x or not y:
        return 0.0
    pool = list(y)
    common = 0
    for gram in x:
        if gram in pool:
            pool.remove(gram)
            common += 1
    return 2 * common / (len(x) + len(y))


def _abusive(text: str, words: Iterable[str]) -> bool:
    lowered = unicodedata.normalize("NFKC", text).lower()
    for word in words:
        word = word.strip().lower()
        if not word:
            continue
        if word.isascii():
            if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", lowered):
                return True
        elif word in lowered:
            return True
    return False


def detect(message: CustomerMessage, earlier: Sequence[CustomerMessage],
           words: Iterable[str] = DEFAULT_ABUSIVE_WORDS) -> list[str]:
    """The reasons the newest customer message makes the ticket a suspected complaint.

    ``earlier``: the customer's previous messages on the ticket (the ticket's description first).
    """
    reasons = []
    if _PHONE.search(unicodedata.normalize("NFKC", message.body)):
        reasons.append(PHONE_CALL)
    if _abusive(message.body, words):
        reasons.append(ABUSIVE)
    if len(normalise(message.body)) >= MIN_QUESTION_CHARS:
        alike = sum(1 for m in earlier if similarity(m.body, message.body) >= SIMILAR)
        if alike + 1 >= REPEAT_COUNT:
            reasons.append(REPEATED)
    recent = [m for m in earlier if message.at - BURST_WINDOW <= m.at <= message.at]
    if len(recent) + 1 >= BURST_COUNT:
        reasons.append(BURST)
    return reasons
