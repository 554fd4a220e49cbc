from lxml.html import fromstring

from crawler.extraction.splitbody import whole_story

PARTS = [
    f"Part {n} of the story carries its own sentence about the harbour, the boats moored there and the tides, "
    f"number {n}."
    for n in range(6)
]
SIGN_UP = (
    "<p>Already a subscriber? Sign in</p><p>Read this article now!</p><p>Exclusive benefits:</p>"
    "<ul><li>Every article on the site</li><li>The morning newsletter</li><li>Cancel at any time</li></ul>"
)
FORM_FIELD = (
    "<ul><li>E-mail: <input type='email'><script>if (typeof check == 'undefined') { function check(el) "
    "{ return el.value.indexOf('@') > 0 && el.value.length > 5 && el.value.length < 255; } }</script></li></ul>"
)


def page(chunk_class, *, ad="<div class='ad'>Advertisement</div>", teaser_links=False, rest=None):
    chunks = []
    for start in (0, 3):
        paras = "".join(f"<p>{p}</p>" for p in PARTS[start:start + 3])
        if start and rest is not None:
            paras = rest
        chunks.append(f"<div class='grid'><div class='{chunk_class}'>{paras}</div></div>")
    teaser = ""
    if teaser_links:
        teaser = (f"<div class='grid'><div class='{chunk_class}'><p><a href='/a'>Read this other story about"
                  " something else</a></p></div></div>")
    return fromstring(f"<html><body><main>{chunks[0]}{ad}{chunks[1]}{teaser}</main></body></html>")


def test_a_story_split_around_an_ad_is_read_whole():
    tree = page("body body__container")
    assert whole_story(tree, PARTS[:3]) == PARTS


def test_teaser_chunks_with_the_same_class_are_left_out():
    tree = page("body body__container", teaser_links=True)
    assert whole_story(tree, PARTS[:3]) == PARTS


def test_nothing_to_add_when_the_story_is_in_one_container():
    tree = fromstring("<html><body><div class='story'>" + "".join(f"<p>{p}</p>" for p in PARTS) + "</div></body></html>")
    assert whole_story(tree, PARTS) is None


def test_layout_classes_that_nest_are_not_chunks():
    html = "<html><body><div class='row'><div class='row'>" + "".join(f"<p>{p}</p>" for p in PARTS[:3])
    html += "</div><div class='row'><p>Another article entirely, from an endless scroll of them.</p>" * 3
    html += "</div></div></body></html>"
    assert whole_story(fromstring(html), PARTS[:3]) is None


def test_a_sign_up_box_in_the_story_s_class_is_not_its_rest():
    tree = page("body body__container", rest=SIGN_UP + FORM_FIELD)
    assert whole_story(tree, PARTS[:3]) is None


def test_code_in_a_form_field_is_not_read_as_text():
    tree = page("body body__container", rest="".join(f"<p>{p}</p>" for p in PARTS[3:]) + FORM_FIELD)
    assert whole_story(tree, PARTS[:3]) == PARTS
