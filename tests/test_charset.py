"""A page's text from its bytes when the declared encoding is missing, wrong or nearly right."""

import pytest

from crawler.extraction.charset import page_text

STORY = "Der Bürgermeister eröffnete am Dienstag die neue Fußgängerbrücke über die Äußere Ringstraße."


def page(text: str, meta: str = "") -> str:
    return f"<html lang=\"de\"><head>{meta}<title>Brücke</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("meta", "header"),
    [('<meta charset="utf-8">', None), ("", "text/html; charset=utf-8"), ("", None)],
)
def test_utf8_with_a_stray_byte_stays_utf8(meta, header):
    # A Windows-1252 dash pasted into a UTF-8 page: one byte that is no UTF-8.
    body = page(STORY, meta).encode("utf-8").replace(b"Dienstag", b"Dienstag \x96")
    text, problem = page_text(body, header)
    assert STORY.replace("Dienstag", "Dienstag \ufffd") in text
    assert text.count("\ufffd") == 1
    assert problem is None


def test_legacy_text_declared_as_utf8_reads_as_legacy():
    text, problem = page_text(page(STORY, '<meta charset="utf-8">').encode("cp1252"))
    assert STORY in text and "\ufffd" not in text
    assert problem == "charset_mismatch"


def test_undeclared_legacy_text_gets_its_language_s_default():
    text, problem = page_text(page(STORY).encode("cp1252"))
    assert STORY in text
    assert problem is None
