from crawler.fingerprints import body_fingerprint, normalise_text


def test_copies_with_other_punctuation_case_and_spacing_match():
    a = "The council voted 21-19.\n\nConstruction starts in spring!"
    b = "the council  voted 21 19\nCONSTRUCTION starts in spring"
    assert normalise_text(a) == "the council voted 21 19 construction starts in spring"
    assert body_fingerprint(a) == body_fingerprint(b)


def test_different_words_differ():
    assert body_fingerprint("The council voted 21-19.") != body_fingerprint("The council voted 19-21.")
    assert len(body_fingerprint("x")) == 64
