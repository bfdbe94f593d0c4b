"""Suspected complaints, detected from the customer's own messages (TKT-4, seed 001 section 7).

Signals: the customer asks for a phone call; abusive words (a maintained list, Chinese and
English, that the operator extends, matched as words: jieba segments the Chinese); the same
question three or more times, judged by text
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

# seed 001 section 7: "工单中明确要求电话沟通回复". Asked in many words: 请致电我, 麻烦回电, 请打我手机
# 13800138000, call me back; and not asked by a field or feature named after the phone (来电显示,
# 电话号码字段, call stack, API call).
_PHONE_PATTERNS = (
    r"(打|来|回|致|拨)(个|一个|一下)?电话", r"电话(联系|沟通|回复|告知|跟进|回访)", r"给我.{0,3}电话",
    r"电话是?多少", r"留(个|下)?(联系)?电话", r"打我(的)?(手机|电话|座机)", r"(打|拨|call|ring|联系).{0,10}1[3-9]\d{9}",
    r"1[3-9]\d{9}.{0,8}(联系我|打给我|回电|致电|找我)", r"致电(我|给我|本人)", r"(请|要求|希望|需要|让).{0,6}致电",
    r"回电",
    r"电联", r"(请|麻烦|烦请|尽快).{0,4}(打给我|联系我.{0,2}电话)", r"(手机|电话)联系我", r"语音沟通",
    r"\b(call|phone|ring) (me|us)\b", r"\bgive (me|us) a (call|ring)\b", r"\bphone call\b", r"\bcall (me )?back\b",
    r"\breach me (at|on)\b", r"\b(talk|speak) (to|with) (me|us) (by|on|over the) phone\b", r"\bcontact me by phone\b",
    r"\bmy (phone|mobile|cell)( number)? is\b",
)
_PHONE = re.compile("|".join(_PHONE_PATTERNS), re.IGNORECASE)
# words that contain a phone phrase without asking for a call
_PHONE_NEAR_MISSES = re.compile(r"来电显示|回电话功能|\bcall ?back (url|function|handler|api)\b|回电提醒功能",
                                re.IGNORECASE)

# The default list; the operator adds words (stored by ticket_svc) and they are passed in.
# Single Chinese characters such as 滚 are left out on purpose: 滚动条 is not an insult.
DEFAULT_ABUSIVE_WORDS = (
    "垃圾", "骗子", "傻逼", "傻b", "煞笔", "妈的", "他妈", "滚蛋", "滚开", "废物", "去死", "坑人", "狗屎",
    "脑残", "白痴", "混蛋", "王八蛋", "无耻", "骗钱", "黑心",
    "fuck", "fucking", "shit", "idiot", "stupid", "scam", "scammer", "bastard", "bullshit", "moron",
    "useless", "rubbish", "crap",
)

# A listed word is an insult only as a word of its own (a tokenizer made for Chinese decides where
# words are: 垃圾回收 is one word and no insult), and not where its neighbours make it a technical
# term: 清理 垃圾, 垃圾 邮件, rubbish bin, garbage collection.
_TECHNICAL_WORDS = (
    "垃圾回收", "垃圾回收器", "垃圾收集", "垃圾收集器", "垃圾桶", "垃圾箱", "垃圾文件", "垃圾清理", "垃圾邮件",
    "垃圾短信", "垃圾数据", "垃圾分类", "垃圾信息", "垃圾评论", "垃圾广告", "垃圾代码", "垃圾对象", "垃圾站",
    "废物回收", "废物处理", "滚动条", "滚动", "他妈妈", "骗子网站识别",
)
_BENIGN_NEIGHBOURS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # word: (benign before, benign after)
    "垃圾": (frozenset({"清理", "清除", "清空", "删除", "过滤", "拦截", "扫描", "产生", "堆积", "生成", "大量", "标记",
                      "标记为", "回收", "识别", "一键"}),
             frozenset({"回收", "收集", "文件", "邮件", "短信", "数据", "清理", "桶", "箱", "分类", "缓存", "日志",
                        "代码", "对象", "评论", "广告", "信息", "进程", "内存", "站"})),
    "rubbish": (frozenset(), frozenset({"bin", "bins", "collection", "collector", "dump", "can"})),
    "garbage": (frozenset(), frozenset({"collection", "collector", "collected", "collect", "bin", "can"})),
    "scam": (frozenset({"anti"}), frozenset({"detection", "filter", "protection", "alert", "alerts", "warning",
                                             "report", "reports"})),
    "crap": (frozenset(), frozenset({"table", "tables"})),
}

_TOKENIZER = None


def _tokenizer():
    """jieba, loaded once per process (about a second), with the technical words added."""
    global _TOKENIZER
    if _TOKENIZER is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in _TECHNICAL_WORDS:
            tokenizer.add_word(word, freq=100000)
        _TOKENIZER = tokenizer
    return _TOKENIZER


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of the text, NFKC-folded and lower-cased, without whitespace tokens."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return [t for t in _tokenizer().tokenize(folded) if t[0].strip()]


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


def abusive(text: str, words: Iterable[str] = DEFAULT_ABUSIVE_WORDS) -> bool:
    """Whether the text uses one of the words as a word of its own (not inside 垃圾回收, rubbish bin)."""
    parts = tokens(text)
    starts = {start: i for i, (_, start, _) in enumerate(parts)}
    ends = {end: i for i, (_, _, end) in enumerate(parts)}
    folded = unicodedata.normalize("NFKC", text).lower()
    for word in words:
        word = word.strip().lower()
        if not word:
            continue
        # an English word in the plural (idiots, scammers) is the same word
        pattern = re.escape(word) + ("(?:e?s)?" if word.isascii() else "")
        for found in re.finditer(pattern, folded):
            first, last = starts.get(found.start()), ends.get(found.end())
            if first is None or last is None:
                continue               # inside a longer word (垃圾回收, assignment, 滚动条)
            if _in_identifier(folded, found.start(), found.end()):
                continue               # useless-var, stupid_flag: a name in code
            before, after = _BENIGN_NEIGHBOURS.get(word, (frozenset(), frozenset()))
            prev_word = parts[first - 1][0] if first > 0 else ""
            next_word = parts[last + 1][0] if last + 1 < len(parts) else ""
            if prev_word in before or next_word in after or (prev_word + word) in _TECHNICAL_WORDS:
                continue
            return True
    return False


def _in_identifier(text: str, start: int, end: int) -> bool:
    joined = ("-", "_", ".")
    before = start >= 2 and text[start - 1] in joined and text[start - 2].isalnum()
    after = end + 1 < len(text) and text[end] in joined and text[end + 1].isalnum()
    return before or after


def asks_for_a_call(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text)
    return bool(_PHONE.search(_PHONE_NEAR_MISSES.sub(" ", folded)))


def detect(message: CustomerMessage, earlier: Sequence[CustomerMessage],
           words: Iterable[str] = DEFAULT_ABUSIVE_WORDS) -> list[str]:
    """The reasons the newest customer message makes the ticket a suspected complaint.

    ``earlier``: the customer's previous messages on the ticket (the ticket's description first).
    """
    reasons = []
    if asks_for_a_call(message.body):
        reasons.append(PHONE_CALL)
    if abusive(message.body, words):
        reasons.append(ABUSIVE)
    if len(normalise(message.body)) >= MIN_QUESTION_CHARS:
        alike = sum(1 for m in earlier if similarity(m.body, message.body) >= SIMILAR)
        if alike + 1 >= REPEAT_COUNT:
            reasons.append(REPEATED)
    recent = [m for m in earlier if message.at - BURST_WINDOW <= m.at <= message.at]
    if len(recent) + 1 >= BURST_COUNT:
        reasons.append(BURST)
    return reasons
