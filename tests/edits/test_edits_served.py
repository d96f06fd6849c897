"""Edits through the real Serve app and the web page in headless Chromium (Debian's, driven by Playwright), as an
archivist and a relevance engineer would use them: a caption edited on a result is found at once and gone after a
revert; two persons merged in the person panel are one identity to photo search, and two again after undo;
judgments clicked on the results go through `relevance export` into a `relevance sweep` report."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import run_cli
from tests.edits.conftest import EDITOR_KEYS

pytestmark = pytest.mark.slow  # indexes three videos with the faces stage, starts Serve and a browser

WORD = "zebrafinch"


def photo_identities(served_archive, api: httpx.Client) -> set[str]:
    photo = served_archive.photos / "lin-manuel-miranda.png"
    response = api.post("/v1/search/face", files={"photo": (photo.name, photo.read_bytes(), "image/png")})
    assert response.status_code == 200, response.text
    return {p["identity_id"] for v in response.json()["videos"] for p in v["persons"]}


def two_identities(served_archive, api: httpx.Client) -> set[str]:
    """The photo's person as two identities (split one video's person off if linking joined them)."""
    identities = photo_identities(served_archive, api)
    if len(identities) == 1:
        (identity,) = identities
        members = next(i for i in api.get("/v1/identities").json() if i["identity_id"] == identity)["persons"]
        other = next(p for p in members if p.startswith(served_archive.faces_video_ids[1]))
        split = api.post(f"/v1/identities/{identity}/not-this-person", json={"person_id": other})
        assert split.status_code == 200, split.text
        identities = photo_identities(served_archive, api)
    assert len(identities) == 2, identities
    return identities


def test_identity_merge_and_undo_through_the_api(api, served_archive):
    identities = two_identities(served_archive, api)
    keep, other = sorted(identities)
    merged = api.post(f"/v1/identities/{keep}/merge", json={"others": [other], "reason": "same person"})
    assert merged.status_code == 200, merged.text
    assert photo_identities(served_archive, api) == {keep}
    undone = api.post("/v1/identities/undo", json={"event_id": merged.json()["event_id"]})
    assert undone.status_code == 200, undone.text
    assert photo_identities(served_archive, api) == identities
    log = api.get("/v1/edits", params={"target": "identity"}).json()
    assert [r["kind"] for r in log[:2]] == ["identity_undo", "identity_merge"] and log[1]["who"] == "alice"
    again = api.post("/v1/identities/undo", json={"event_id": merged.json()["event_id"]})
    assert again.status_code == 400 and "already undone" in again.json()["detail"]


@pytest.fixture
def page(browser, served_archive):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: errors.append(f"a dialog opened: {dialog.message}"))
    page.goto(served_archive.url + "/")
    page.wait_for_selector("#people-toggle")
    page.evaluate("key => { document.getElementById('api-key').value = key; }", EDITOR_KEYS["alice"])
    yield page
    context.close()
    assert not errors, errors


def search(page, query: str) -> list[str]:
    page.fill("#query", query)
    with page.expect_response(lambda r: r.url.endswith("/v1/search")):
        page.press("#query", "Enter")
    page.wait_for_selector("#results[aria-busy='false']", state="attached")  # busy from the submit to the render
    return page.eval_on_selector_all("#results .card", "cards => cards.map(c => c.dataset.segment)")


def text_matches(page, query: str) -> list[str]:
    """The hits a text (BM25) retriever found, best first: the dense retriever returns something for any word."""
    search(page, query)
    return page.eval_on_selector_all(
        "#results .card", "cards => cards.filter(c => /Korean text|English text/.test("
        "c.querySelector('.why').innerText)).map(c => c.dataset.segment)")


def test_caption_edited_on_a_result_is_found_at_once_and_revert_takes_it_back(page):
    hits = search(page, "한라산")
    target = hits[0]
    assert text_matches(page, WORD) == []
    search(page, "한라산")
    page.locator(f"#results .card[data-segment='{target}'] .edit-segment").click()
    page.wait_for_selector("#edit-panel:not([hidden]) textarea[name=caption]")
    xss = f'{WORD} <img src=x onerror="window.__pwned = 1">'
    page.fill("#edit-panel textarea[name=caption]", xss)
    page.fill("#edit-panel input[name=reason]", "the machine missed it")
    page.click("#edit-panel .edit-form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#edit-message').innerText.includes('Saved version 1')")
    assert page.locator("#edit-panel li.version[data-version='1']").inner_text().count("alice") == 1
    page.click("#edit-panel .close")

    assert text_matches(page, WORD) == [target]  # found immediately
    assert search(page, WORD)[0] == target
    snippet = page.locator(f"#results .card[data-segment='{target}'] .snippet").inner_text()
    assert "<img" in snippet  # shown as text, never parsed as HTML
    assert page.evaluate("() => window.__pwned") is None

    page.locator(f"#results .card[data-segment='{target}'] .edit-segment").click()
    page.wait_for_selector("#edit-panel:not([hidden]) button.revert[data-version='0']")
    page.click("#edit-panel button.revert[data-version='0']")
    page.wait_for_function("() => document.querySelector('#edit-message').innerText.includes('Reverted to version 0')")
    page.click("#edit-panel .close")
    assert text_matches(page, WORD) == []

    search(page, "한라산")
    page.locator("#results .card").first.click()
    page.wait_for_selector("#video-view:not([hidden])")
    assert page.locator("#strip figure .edit-segment").count() >= 6  # inline editing on the video view too
    page.keyboard.press("Escape")


def test_merge_and_undo_in_the_person_panel_as_photo_search_sees_them(page, api, served_archive):
    identities = two_identities(served_archive, api)
    page.click("#people-toggle")
    page.wait_for_selector("#edit-panel .identity")
    for identity in sorted(identities):
        page.check(f"#edit-panel .identity[data-identity='{identity}'] input.pick")
    page.click("#edit-panel button.merge")
    page.wait_for_function("() => document.querySelector('#edit-message').innerText.startsWith('Merged')")
    assert photo_identities(served_archive, api) == {sorted(identities)[0]}

    page.locator("#edit-panel .identity-event button.undo-identity").first.click()
    page.wait_for_function("() => document.querySelector('#edit-message').innerText.startsWith('Undone')")
    assert photo_identities(served_archive, api) == identities

    page.click("#roles-toggle")  # the role-title queue opens in the same panel
    page.wait_for_function("() => document.querySelector('#edit-panel-title').innerText.startsWith('Role titles')")
    page.wait_for_selector("#edit-body .role-queue, #edit-body p.hint")


def judged_marks(page) -> dict[str, str]:
    return page.eval_on_selector_all("#results .card[data-judged]",
                                     "cards => Object.fromEntries(cards.map(c => [c.dataset.segment, c.dataset.judged]))")


def test_judgments_clicked_on_the_results_feed_a_sweep_report(page, served_archive, tmp_path):
    for query in ("한라산", "palace at night"):
        hits = search(page, query)
        assert len(hits) >= 2
        if page.locator("#show-weaker").count():  # the second hit may sit behind the relevance floor
            page.click("#show-weaker")
            page.wait_for_function("() => !document.querySelector('#weaker').hidden")
        for rank, relevance in ((0, "1"), (1, "0")):
            with page.expect_response(lambda r: r.url.endswith("/v1/judgments")):
                page.locator("#results .card").nth(rank).locator(f".judge[data-relevance='{relevance}']").click()
            # the mark is set once the page has read the answer (after the response this test saw)
            expect(page.locator(f"#results .card[data-segment='{hits[rank]}']")).to_have_attribute(
                "data-judged", relevance)
        marks = {hits[0]: "1", hits[1]: "0"}
        assert judged_marks(page) == marks
        # the same search again re-renders every card: the marks (and the edit controls) come back with them
        before = page.get_attribute("#results", "data-renders")
        search(page, query)
        page.wait_for_function("n => document.querySelector('#results').dataset.renders !== n", arg=before)
        assert judged_marks(page) == marks
        assert page.locator("#results .card .edit-tools").count() == page.locator("#results .card").count()
    data = ["--data-dir", str(served_archive.settings.data_dir)]
    judged = tmp_path / "judged.jsonl"
    done = run_cli("relevance", "export", "--out", str(judged), *data)
    assert done.returncode == 0 and "4 judgment(s) of 2" in done.stdout, done.stderr + done.stdout
    report = tmp_path / "sweep"
    swept = run_cli("relevance", "sweep", "-j", str(judged), "--out", str(report), "--step", "0.5", *data,
                    env={"VIDSEARCH_LOG_LEVEL": "WARNING"})
    assert swept.returncode == 0, swept.stderr[-2000:]
    assert (report / "report.md").is_file() and "best on" in swept.stdout
