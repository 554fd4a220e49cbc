"""How long a text is, in words, whatever its script: the measure of the minimum body length.

Counting characters would ask several times more of a Latin-script story than of a Chinese one.
Words separated by spaces (Latin, Cyrillic, Greek, Arabic, Hebrew, Indic scripts, Korean Hangul)
count as words. Scripts written without spaces between words count characters, divided by the
characters a word takes in them. Extraction drops a shorter body and the learned site chrome
never cuts one below the minimum, so the measure sits beside ``crawler.urls``, below both. It
runs on every page: regular expressions over the text, no loop over its characters.
"""

from __future__ import annotations

import re

# Characters per English word, measured on the gettext catalogues of a Debian system (translated
# messages of six English words or more: about 17,000 in Chinese and 14,000 in Japanese, 1,500 in
# Thai, 1,000 in Myanmar, 450 in Khmer), beside the conversion rates of translation practice.
# Korean, written with spaces, has 0.86 words per English word there: counted as they stand.
_UNSPACED_SCRIPTS = (
    # Han (unified ideographs, extensions A to H in planes 2 and 3, compatibility ideographs,
    # 々, 〆 and the ideographic zero): 1.52 characters per English word in Chinese; translators
    # count 1.5 to 1.8. 1.6, the stricter side, keeps a caption of 55 Chinese characters short of
    # the 35 words of the minimum.
    ("\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff", 1.6),
    # Kana (hiragana, katakana but its middle dot ・, phonetic extensions, half-width katakana):
    # with kanji at 1.6, the Japanese messages leave 4.5 kana per English word, for particles,
    # verb endings and loanwords (4.8 in the 2,300 with hardly any katakana, 41 % kanji).
    ("\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f", 4.5),
    # Thai, and Lao written the same way (no catalogue): 5.0 characters per English word, vowel
    # signs and tone marks being characters of their own.
    ("\u0e01-\u0eff", 5.0),
    # Khmer and Myanmar, with their extensions: 5.55 and 5.61 characters per English word,
    # stacked consonants adding more.
    ("\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\ua9e0-\ua9ff\uaa60-\uaa7f", 5.5),
)
_RUNS = tuple((re.compile(f"[{chars}]+"), per_word) for chars, per_word in _UNSPACED_SCRIPTS)
_UNSPACED = re.compile("[" + "".join(chars for chars, _ in _UNSPACED_SCRIPTS) + "]+")
# A word: what stands between spaces, holding a letter or a digit ("U.S.", "3.5%", "e-mail" are
# one each; a dash or a bullet none). Whole tokens, so that an Indic vowel sign, which is no
# letter to ``\w``, does not split a word in two.
_WORD = re.compile(r"[^\s\w]*[^\W_]\S*")


def is_unspaced(text: str) -> bool:
    """Whether ``text`` holds a script written without spaces between words."""
    return _UNSPACED.search(text) is not None


def word_count(text: str) -> int:
    """The length of ``text`` in English-word equivalents, each run of characters counted by
    its script: "東京で iPhone を買った" is its kanji and kana over their factors, plus one word."""
    spaced, unspaced_runs = _UNSPACED.subn(" ", text)
    words: float = len(_WORD.findall(spaced))
    if unspaced_runs:
        for run, per_word in _RUNS:
            words += sum(map(len, run.findall(text))) / per_word
    return round(words)
