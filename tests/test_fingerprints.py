from crawler.dedupe.fingerprints import block_hash, body_fingerprint, body_keys, normalise_text


def test_copies_with_other_punctuation_case_and_spacing_match():
    a = "The council voted 21-19.\n\nConstruction starts in spring!"
    b = "the council  voted 21 19\nCONSTRUCTION starts in spring"
    assert normalise_text(a) == "the council voted 21 19 construction starts in spring"
    assert body_fingerprint(a) == body_fingerprint(b)


def test_different_words_differ():
    assert body_fingerprint("The council voted 21-19.") != body_fingerprint("The council voted 19-21.")
    assert len(body_fingerprint("x")) == 64


def test_body_keys_are_the_fingerprint_and_each_paragraphs_block_hash():
    body = "Ｆｕｌｌ-width and ﬁ ligatures, Straße.\n\n— \n\nÉté 2026: the café re-opens!\n\n\n\nLast_line"
    fingerprint, blocks = body_keys(body)
    assert fingerprint == body_fingerprint(body)
    assert blocks == [block_hash(p) for p in body.split("\n\n")]
    assert blocks[1] == blocks[3] == ""  # no words: no block
    assert block_hash("ÉTÉ 2026 -- the Café re-opens") == blocks[2]
