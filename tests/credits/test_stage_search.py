"""The credits stage fills the credits index and segments' credits_text; name and role queries find the programme
and the moment; a person's credits list every programme with roles — through the library and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from testkit.credits.render import CreditEntry, CreditRollSpec
from vidsearch.credits.search import person_credits, search_credits
from vidsearch.credits.stage import CreditStage, credit_pairs
from vidsearch.documents import Credit, Segment, Video, credit_id, segment_id
from vidsearch.errors import ConfigurationError, InvalidQuery
from vidsearch.media.probe import probe_video
from vidsearch.schema import IndexName
from vidsearch.stages import STAGES, build_stages
from vidsearch.stages.base import VideoWork
from vidsearch.store.base import VideoBundle
from vidsearch.store.embedded.store import EmbeddedStore

ROLL = [CreditEntry(role="연출", names=("김민수",)), CreditEntry(role="촬영감독", names=("이영희", "박지성")),
        CreditEntry(role="Director of Photography", names=("최민호",)), CreditEntry(role="편집", names=("김민수",))]


def _work(path: Path, media: Path, segment_s: float = 5.0, **video_fields) -> VideoWork:
    probe = probe_video(path)
    video = Video(id=probe.video_id, path=str(path), content_hash=probe.content_hash, file_name=path.name,
                  duration_s=probe.duration_s, fps=probe.fps, width=probe.width, height=probe.height,
                  size_bytes=probe.size_bytes, **video_fields)
    segments, start, index = [], 0.0, 0
    while start < probe.duration_s:
        end = min(probe.duration_s, start + segment_s)
        segments.append(Segment(id=segment_id(video.id, index), video_id=video.id, index=index, start_s=start,
                                end_s=end))
        start, index = end, index + 1
    return VideoWork(video=video, probe=probe, media_dir=media, segments=segments)


@pytest.fixture(scope="module")
def staged(roll_factory, stage_role_settings, extractor, tmp_path_factory):
    """The stage run over a rendered roll; the extractor (models) is shared with the pipeline tests, the role
    mapper is the real one the stage loads (on a taxonomy slice, see conftest)."""
    spec = CreditRollSpec(entries=ROLL, width=1280, height=720, fps=10, scroll_speed=0.15, lead_in_s=4.0)
    path, truth = roll_factory("stage-roll", spec)
    stage = CreditStage(stage_role_settings)
    stage.extractor = extractor
    work = _work(path, tmp_path_factory.mktemp("media"), segment_s=2.0, title="여행의 발견 5회", programme_title="여행의 발견",
                 channel="KBS2", air_date=dt.date(2024, 5, 1))
    stage.run(work)
    return work, truth


def test_stage_is_registered_and_ordered_after_shots(credit_settings):
    assert STAGES["credits"] == "vidsearch.credits.stage:CreditStage"
    assert [s.name for s in build_stages(credit_settings, ["shots", "credits"])] == ["shots", "credits"]
    with pytest.raises(ConfigurationError, match="needs \\['shots'\\]"):
        build_stages(credit_settings, ["credits"])
    assert CreditStage.owns == {IndexName.CREDITS}


def test_stage_emits_one_credit_per_role_and_name(staged):
    work, truth = staged
    got = {(c.role_text, c.name) for c in work.credits}
    assert got == truth.pairs()
    assert len(work.credits) == len(got)  # no duplicates
    for credit in work.credits:
        assert credit.video_id == work.video_id and credit.programme_title == "여행의 발견"
        assert credit.channel == "KBS2" and credit.air_date == dt.date(2024, 5, 1)
        # every name its own moment: the credit's time is inside the span its own row is entirely on screen
        [line] = [line for line in truth.lines if credit.name in line.names
                  and truth.entries[line.entry][0] == credit.role_text]
        assert credit.start_s <= credit.time_s <= credit.end_s
        assert line.first_s - 0.3 <= credit.time_s <= line.last_s + 0.3
        assert credit.kind == "person" and credit.role_status == "mapped"
        segment = next(s for s in work.segments if s.id == credit.segment_id)
        assert segment.start_s <= credit.time_s < segment.end_s
    assert work.ran["credits"] == CreditStage.version


def test_credits_carry_the_ebu_role_their_printed_title_maps_to(staged):
    work, _ = staged
    coded = {(c.role_text, c.role_code, c.role_label, c.department) for c in work.credits}
    assert coded == {
        ("연출", "20.16", "Director", "PRODUCTION"),
        ("촬영감독", "6.1", "Director of Photography", "CAMERA DEPARTMENT"),
        ("Director of Photography", "6.1", "Director of Photography", "CAMERA DEPARTMENT"),
        ("편집", "11.1", "Editor / Visual Editor / Film Editor / Video Editor", "EDITING / MONTAGE"),
    }


def test_a_line_the_mapper_calls_unknown_keeps_its_text_and_gets_no_code(staged, stage_role_settings):
    from vidsearch.credits.layout import CreditLine
    from vidsearch.credits.pipeline import CreditReading

    work, _ = staged
    stage = CreditStage(stage_role_settings)
    stage.extractor = object()  # not used: credits_for maps an already-read section
    stage.load()
    thanks = "시청해 주셔서 감사합니다"
    lines = [CreditLine(thanks, ["김민수"], 1.0, 0.9), CreditLine("조 명", ["이영희"], 2.0, 0.9)]
    reading = CreditReading(path=work.video.path, duration_s=10.0, sections=[], lines=lines)
    credits = {c.role_text: c for c in stage.credits_for(work, reading)}
    assert credits["조 명"].role_code == "15.1"  # a letter-spaced Korean title
    assert credits[thanks].role_code is None and credits[thanks].role_label is None
    assert credits[thanks].role_codes == [] and credits[thanks].role_status == "unmapped"
    assert credits[thanks].role_confidence is not None and credits[thanks].role_confidence < 0.81
    assert credits[thanks].name == "김민수"  # the credit itself is kept, its raw title searchable


def test_composite_titles_companies_and_names_without_roles(staged, stage_role_settings):
    from vidsearch.credits.layout import CreditLine
    from vidsearch.credits.pipeline import CreditReading

    work, _ = staged
    stage = CreditStage(stage_role_settings)
    stage.extractor = object()
    stage.load()
    lines = [CreditLine("조연출·편집", ["쥬세페 토르나토레"], 1.0, 0.9, 2.0, start_time=0.5),
             CreditLine("제작", ["초록뱀미디어", "CJ ENM"], 3.0, 0.9, 4.0, start_time=2.5),
             CreditLine("", ["Michael Beugg"], 5.0, 0.9, 6.0, start_time=4.5)]
    reading = CreditReading(path=work.video.path, duration_s=10.0, sections=[], lines=lines)
    credits = {c.name: c for c in stage.credits_for(work, reading)}
    composite = credits["쥬세페 토르나토레"]
    assert composite.role_codes == ["20.17", "11.1"] and composite.role_status == "mapped"
    assert (composite.start_s, composite.time_s, composite.end_s) == (0.5, 1.0, 2.0)
    assert credits["초록뱀미디어"].kind == "company" and credits["CJ ENM"].kind == "company"
    assert credits["초록뱀미디어"].role_code is None  # 제작: producer or production company — no guess
    assert credits["Michael Beugg"].role_status == "none" and credits["Michael Beugg"].kind == "person"


def test_segments_showing_credits_get_credits_text(staged):
    work, _ = staged
    annotated = [s for s in work.segments if s.credits_text]
    assert annotated and "촬영감독 이영희" in "\n".join(s.credits_text for s in annotated)
    assert work.segments[0].credits_text is None  # black lead-in before the roll
    for segment in annotated:  # a segment lists the credits on screen during it, no others
        for line in segment.credits_text.splitlines():
            credit = next(c for c in work.credits if f"{c.role_text} {c.name}" == line)
            assert credit.time_s < segment.end_s and credit.end_s >= segment.start_s


def test_credit_pairs_keep_the_first_appearance_only():
    from vidsearch.credits.layout import CreditLine

    lines = [CreditLine("편집", ["김민수"], 9.0, 0.9), CreditLine("연출", ["김민수", "김 민수"], 2.0, 0.9)]
    assert [(line.role_text, name) for line, name in credit_pairs(lines)] == [("연출", "김민수"), ("편집", "김민수")]


@pytest.fixture(scope="module")
def store(staged, tmp_path_factory):
    """The staged video plus a second programme crediting 김민수 as 촬영감독, committed to an embedded store."""
    work, _ = staged
    store = EmbeddedStore(tmp_path_factory.mktemp("credit-data") / "store")  # <data dir>/store, as the CLI opens it
    store.ensure_indices({})
    store.commit_video(VideoBundle(work.video_id, work.video.to_doc(),
                                   {IndexName.CREDITS: [(c.id, c.to_doc()) for c in work.credits],
                                    IndexName.SEGMENTS: [(s.id, s.to_doc()) for s in work.segments]},
                                   frozenset({IndexName.CREDITS, IndexName.SEGMENTS})))
    other = Video(id="other0000000000000000", path="/archive/sunset.mp4", content_hash="f" * 64,
                  file_name="sunset.mp4", title="노을 3회", programme_title="노을", channel="MBC",
                  air_date=dt.date(2023, 2, 3), duration_s=3000, fps=25, width=1920, height=1080, size_bytes=1)
    credits = [Credit(id=credit_id(other.id, 0), video_id=other.id, time_s=2950.0, role_text="촬영감독", name="김민수",
                      line_text="촬영감독 김민수", programme_title="노을", channel="MBC"),
               Credit(id=credit_id(other.id, 1), video_id=other.id, time_s=2952.0, role_text="조명", name="이영희",
                      line_text="조명 이영희", programme_title="노을", channel="MBC")]
    store.commit_video(VideoBundle(other.id, other.to_doc(), {IndexName.CREDITS: [(c.id, c.to_doc()) for c in credits]},
                                   frozenset({IndexName.CREDITS})))
    store.refresh()
    yield store
    store.close()


def test_role_and_name_query_finds_the_programme_and_moment(store, staged):
    work, _ = staged
    top = search_credits(store, "촬영감독 김민수").hits[0]
    assert (top.video_id, top.role_text, top.name) == ("other0000000000000000", "촬영감독", "김민수")
    hits = search_credits(store, "Director of Photography", k=3).hits
    assert (hits[0].video_id, hits[0].name) == (work.video_id, "최민호")
    assert hits[0].time_s > 0 and hits[0].segment_id is not None
    hits = search_credits(store, "이영희").hits
    assert [h.name for h in hits[:2]] == ["이영희", "이영희"]  # both programmes; a name sharing her line after
    assert {h.programme_title for h in hits[:2]} == {"여행의 발견", "노을"}


def test_a_name_lists_every_credited_programme_with_roles(store, staged):
    work, _ = staged
    result = person_credits(store, "김민수")
    by_programme = {v.programme_title: v for v in result.videos}
    assert set(by_programme) == {"여행의 발견", "노을"}
    assert by_programme["여행의 발견"].roles == ["연출", "편집"]  # both credits on one programme
    assert by_programme["노을"].roles == ["촬영감독"] and by_programme["노을"].times_s == [2950.0]
    assert result.videos[0].programme_title == "노을"  # oldest air date first
    assert person_credits(store, "김 민수").videos == result.videos  # spacing does not matter


def test_an_unknown_name_lists_nothing_and_suggests(store):
    result = person_credits(store, "김민")
    assert result.videos == []
    with pytest.raises(InvalidQuery):
        search_credits(store, " ?! ")


def test_cli_person_and_search(store):
    env = {"VIDSEARCH_DATA_DIR": str(Path(store.directory).parent)}
    result = run_cli("credits", "person", "김민수", env=env)
    assert result.returncode == 0, result.stderr
    assert "노을" in result.stdout and "여행의 발견" in result.stdout and "촬영감독" in result.stdout
    missing = run_cli("credits", "person", "홍길동", env=env)
    assert missing.returncode == 0 and "no credits for '홍길동'" in missing.stdout
    bad = run_cli("credits", "search", "  ", env=env)
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_index_then_find_a_person_through_the_cli(roll_factory, stage_role_settings, tmp_path):
    """The whole path a user takes: ``vidsearch index`` with the credits stage, then credit and segment search.
    Role codes come from the real role mapper (on the taxonomy slice, to load in seconds)."""
    from testkit.credits.filler import FillerSpec

    spec = CreditRollSpec(entries=ROLL, width=1280, height=720, fps=10, scroll_speed=0.15)
    path, truth = roll_factory("indexed-roll", spec, FillerSpec(seconds=6.0))
    video = tmp_path / "videos" / "여행의발견_05.mp4"
    video.parent.mkdir()
    video.write_bytes(path.read_bytes())
    roles = stage_role_settings.credits
    env = {"VIDSEARCH_DATA_DIR": str(tmp_path / "data"),
           "VIDSEARCH_INGEST__STAGES": '["shots", "metadata", "credits", "text_vectors"]',
           "VIDSEARCH_CREDITS__ROLE_TAXONOMY_PATH": str(roles.role_taxonomy_path),
           "VIDSEARCH_CREDITS__ROLE_TITLE_FILES": json.dumps([str(p) for p in roles.role_title_files])}
    indexed = run_cli("index", str(video.parent), env=env)
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    assert f"{len(truth.pairs())} credits" in indexed.stdout
    person = run_cli("credits", "person", "김민수", "--json", env=env)
    assert person.returncode == 0, person.stderr
    [credited] = json.loads(person.stdout)["videos"]
    assert credited["roles"] == ["연출", "편집"] and credited["title"] == "여행의발견 05"
    assert credited["role_codes"] == ["20.16", "11.1"]
    found = run_cli("credits", "search", "director of photography", "--json", env=env)
    assert found.returncode == 0, found.stderr
    dop = {(h["role_text"], h["name"]) for h in json.loads(found.stdout)["hits"] if h["role_code"] == "6.1"}
    assert {("촬영감독", "이영희"), ("Director of Photography", "최민호")} <= dop  # the Korean title by its EBU label
    top = json.loads(run_cli("search", "촬영감독 이영희", "--json", env=env).stdout)["hits"][0]
    first, _ = truth.entry_span(1)  # 촬영감독 이영희, 박지성: the segment search finds the moment it shows
    assert top["start_s"] <= first <= top["end_s"] and "촬영감독 이영희" in top["text"]


def test_a_query_naming_a_credited_person_leans_on_the_credit_lines(store, stage_role_settings):
    """Segment search: the default profile's credited-name rule brings in the bm25_credits list (no weight
    otherwise), so the segment showing the person's credit comes first."""
    from vidsearch.search import Searcher, SearchRequest

    searcher = Searcher(stage_role_settings, store=store)
    text_lists = ["bm25_ko", "bm25_en", "bm25_credits"]
    named = searcher.search(SearchRequest(query="이영희", retrievers=text_lists, explain=True))
    assert "bm25_credits" in named.retrievers and any("credited-name" in n for n in named.notices)
    assert named.hits and "이영희" in named.hits[0].text and "bm25_credits" in named.hits[0].matched_by
    plain = searcher.search(SearchRequest(query="여행", retrievers=text_lists))
    assert "bm25_credits" not in plain.retrievers  # no credited name: the list has no weight and does not run


def test_a_multi_word_name_is_one_person_and_hits_point_into_its_on_screen_span(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    store.ensure_indices({})
    video = Video(id="film00000000000000000", path="/archive/film.mp4", content_hash="e" * 64, file_name="film.mp4",
                  title="시네마 천국", duration_s=600, fps=25, width=1280, height=720, size_bytes=1)
    credits = [Credit(id=credit_id(video.id, 0), video_id=video.id, time_s=560.5, start_s=558.0, end_s=563.0,
                      role_text="감독", name="쥬세페 토르나토레", role_code="20.16", role_codes=["20.16"],
                      role_status="mapped", line_text="감독 쥬세페 토르나토레"),
               Credit(id=credit_id(video.id, 1), video_id=video.id, time_s=561.2, start_s=558.7, end_s=563.7,
                      role_text="배역", name="Michael Beugg", role_status="unmapped", role_confidence=0.79,
                      line_text="배역 Michael Beugg"),
               Credit(id=credit_id(video.id, 2), video_id=video.id, time_s=562.0, start_s=559.5, end_s=564.5,
                      role_text="제작", name="CJ ENM", kind="company", role_status="unmapped",
                      line_text="제작 CJ ENM")]
    store.commit_video(VideoBundle(video.id, video.to_doc(), {IndexName.CREDITS: [(c.id, c.to_doc()) for c in credits]},
                                   frozenset({IndexName.CREDITS})))
    store.refresh()
    try:
        for spelling in ("쥬세페 토르나토레", "쥬세페·토르나토레", "쥬세페토르나토레"):
            [film] = person_credits(store, spelling).videos
            assert film.roles == ["감독"] and film.times_s == [560.5]
        assert person_credits(store, "토르나토레").videos == []  # a part of a name is not the person
        [film] = person_credits(store, "michaelbeugg").videos  # typed without its space, in lower case
        assert film.roles == ["배역"]
        hit = search_credits(store, "Michael Beugg").hits[0]
        assert (hit.name, hit.role_text, hit.role_status) == ("Michael Beugg", "배역", "unmapped")
        assert hit.start_s <= hit.time_s <= hit.end_s
        company = search_credits(store, "CJ ENM").hits[0]
        assert company.kind == "company" and company.role_code is None  # the raw title stays searchable
        assert search_credits(store, "제작").hits[0].name == "CJ ENM"
    finally:
        store.close()
