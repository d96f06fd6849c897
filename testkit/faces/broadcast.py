"""Composed videos that look like broadcast editing, one editing condition per set, to break the faces
pipeline where real programmes do.

The plain ``plan_videos`` gives every shot a new background, so a cut always changes the picture — exactly the
assumption a tracker that links by box overlap makes. These conditions drop it:

* ``same_background`` — a newsreader set: one studio backdrop for the whole programme, hard cuts between people
  framed alike (same place, same size), so face boxes overlap across the cut;
* ``two_faces`` — an interview: two people per shot on one backdrop, swapping sides between shots;
* ``profile`` — heads turned (a perspective warp of the photo, yaw 0.35–0.6) on one backdrop;
* ``small`` — a panel show: wide shots of three or four small faces (42–48 px) between close-ups;
* ``crossfade`` — dissolves of 0.8 s between people framed alike on one backdrop (no hard cut at all);
* ``lookalike_apart`` — the newsreader set again, but the two people of a look-alike pair are never cast in the
  same video: each video holds one of some pairs, whose doubles are in other videos (or in none). Every other
  condition casts both of a pair together, so a search rule that keeps one person per video hides the
  look-alike; here the look-alike is alone in its programme, as it will be in real archives.

Each person's first photo never appears (it is the search query), and every entrance picks a photo at random
from the rest, so one person's tracks come from different pictures (pose, lighting, age). With
``capture_strength`` > 0 each entrance is also lit and recorded differently (``Capture``: brightness, gamma,
colour cast, side light, lost resolution, JPEG): the dev photos alone vary one person far less than real
footage does. ``lookalikes`` casts, in every video, one pair of different people the face model finds closest
among the dev photos (``LOOKALIKES``), so a threshold that merges look-alikes shows up. With ``pose`` > 0 each
entrance is also posed (mirrored, tilted, turned; ``Capture.posed``): most dev people have one to four portraits
facing the camera, so without it one person's entrances are nearly the same picture.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from testkit.faces.composer import ComposedShot, ComposedVideo, entrance_capture, plan_videos
from testkit.faces.composer import Placement as _Placement
from testkit.faces.devdata import LabelledPhoto

CONDITIONS = ("varied", "same_background", "two_faces", "profile", "small", "crossfade", "lookalike_apart")

_STUDIOS = [(70, 60, 110), (40, 70, 110), (90, 90, 90), (30, 60, 60)]
_CENTRE = (0.5, 0.45)
_TWO = [(0.3, 0.45), (0.7, 0.45)]
_PANEL = [(0.15, 0.55), (0.38, 0.55), (0.62, 0.55), (0.85, 0.55)]
# Pairs of different dev people whose photos lie closest with dlib's descriptor (0.36–0.42, as close as one
# person's own photos): Matt Damon / Leonardo DiCaprio, Marissa Mayer / Scarlett Johansson, Scarlett
# Johansson / Rose Leslie, Angelina Jolie / Marissa Mayer, and Angelina Jolie / Katy Perry (the closest pair of
# all face to face and centroid to centroid, bench/faces_calibrate.py: cast from the fifth video on).
LOOKALIKES = (("deepface-img29", "deepface-img34"), ("Marissa", "Scarlett"), ("Scarlett", "rose_leslie"),
              ("Angelina", "Marissa"), ("Angelina", "deepface-img26"))


def plan_condition(people: Mapping[str, Sequence[LabelledPhoto]], condition: str, count: int,
                   duration_s: float = 40.0, cast: int = 4, seed: int = 11,
                   roster: int | None = None, capture_strength: float = 0.0,
                   lookalikes: bool = False, capture_resolution: float | None = None,
                   pose: float = 0.0) -> list[ComposedVideo]:
    """``count`` seeded videos of ``condition`` (one of ``CONDITIONS``), each casting ``cast`` people from a
    ``roster`` of regulars (default: everyone eligible) — a small roster makes people recur across videos."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; one of {', '.join(CONDITIONS)}")
    if condition == "varied":
        if roster is not None:
            regulars = sorted(random.Random(f"varied/{seed}").sample(
                sorted(n for n, p in people.items() if len(p) >= 2), roster))
            people = {name: people[name] for name in regulars}
        videos = plan_videos(people, count, duration_s, cast=cast, seed=seed, capture_strength=capture_strength,
                             lookalikes=LOOKALIKES if lookalikes else (), capture_resolution=capture_resolution,
                             pose=pose)
        for video in videos:
            video.name = f"varied-{video.name}"
        return videos
    rng = random.Random(f"{condition}/{seed}")
    pose_rng = random.Random(f"pose/{condition}/{seed}")  # its own draws: seeds without pose are unchanged
    eligible = sorted(name for name, photos in people.items() if len(photos) >= 2)
    if roster is not None:
        eligible = sorted(rng.sample(eligible, min(roster, len(eligible))))
    pools = {name: list(people[name][1:]) for name in eligible}
    videos = []
    pairs = [p for p in LOOKALIKES if all(n in pools for n in p)] if lookalikes else []
    for v in range(count):
        if condition == "lookalike_apart":
            chosen = cast_apart(rng, eligible, cast, pairs, v)
        else:
            chosen = cast_of(rng, eligible, cast, pairs[v % len(pairs)] if pairs else ())
        studio = rng.choice(_STUDIOS)
        shots: list[ComposedShot] = []
        t, previous = 0.0, ()
        while t < duration_s - 1e-6:
            length = min(rng.choice([3.0, 4.0, 5.0, 6.0]), duration_s - t)
            faces = _faces(condition, rng, chosen, pools, previous, capture_strength, capture_resolution,
                           pose_rng, pose)
            fade = 0.8 if condition == "crossfade" and shots else 0.0
            shots.append(ComposedShot(round(t, 3), round(t + length, 3), studio, faces, fade))
            previous = tuple(p.photo.identity for p in faces)
            t += length
        videos.append(ComposedVideo(f"{condition}-{v:02d}", shots))
    return videos


def cast_of(rng: random.Random, eligible: list[str], cast: int, pair: Sequence[str] = ()) -> list[str]:
    """``cast`` people drawn from ``eligible``, ``pair`` (look-alikes) among them."""
    rest = [n for n in eligible if n not in pair]
    return list(pair) + rng.sample(rest, max(0, min(cast - len(pair), len(rest))))


def cast_apart(rng: random.Random, eligible: list[str], cast: int, pairs: Sequence[Sequence[str]],
               index: int) -> list[str]:
    """One member of each look-alike pair — the first for even videos, the second for odd ones, alternating
    along the pairs — skipping anyone who is a double of someone already chosen, then others up to ``cast``.
    So a pair's two people are never in one video, and consecutive videos hold the other member."""
    members = {n for pair in pairs for n in pair}
    chosen: list[str] = []
    for i, pair in enumerate(pairs):
        name = pair[(index + i) % 2]
        if name not in chosen and not any({name, other} == set(p) for other in chosen for p in pairs):
            chosen.append(name)
    chosen = chosen[:cast]
    rest = [n for n in eligible if n not in members]
    return chosen + rng.sample(rest, max(0, min(cast - len(chosen), len(rest))))


def _faces(condition: str, rng: random.Random, chosen: list[str], pools: Mapping[str, list[LabelledPhoto]],
           previous: tuple[str, ...], capture_strength: float = 0.0,
           capture_resolution: float | None = None, pose_rng: random.Random | None = None,
           pose: float = 0.0) -> tuple[_Placement, ...]:
    """One shot's faces. Single-face shots never repeat the previous shot's person: every cut is a change of
    person at the same place, the case that must not be tracked across."""
    def photo(name: str) -> LabelledPhoto:
        return rng.choice(pools[name])

    def Placement(*args, **kwargs) -> _Placement:  # noqa: N802 — every entrance gets its own capture
        capture = entrance_capture(rng, pose_rng or rng, capture_strength, capture_resolution, pose)
        return _Placement(*args, **kwargs, capture=capture)

    others = [n for n in chosen if n not in previous] or chosen
    if condition == "lookalike_apart":  # the cast in turn, so every look-alike cast is on screen
        after = chosen.index(previous[0]) + 1 if previous else 0
        return (Placement(photo(chosen[after % len(chosen)]), *_CENTRE, 140),)
    if condition in ("same_background", "crossfade"):
        return (Placement(photo(rng.choice(others)), *_CENTRE, 140),)
    if condition == "two_faces":
        if rng.random() < 0.3:
            return (Placement(photo(rng.choice(others)), *_CENTRE, 140),)
        pair = rng.sample(chosen, 2)
        if tuple(pair) == tuple(previous):
            pair.reverse()  # the same two people, sides swapped: each box now holds the other person
        return tuple(Placement(photo(n), x, y, 130) for n, (x, y) in zip(pair, _TWO, strict=True))
    if condition == "profile":
        shown = [rng.choice(others)] if rng.random() < 0.6 else rng.sample(chosen, 2)
        slots = [_CENTRE] if len(shown) == 1 else _TWO
        return tuple(Placement(photo(n), x, y, 140, yaw=rng.choice([-1, 1]) * rng.uniform(0.35, 0.6))
                     for n, (x, y) in zip(shown, slots, strict=True))
    if condition == "small":
        if rng.random() < 0.5:
            shown = rng.sample(chosen, min(len(chosen), rng.choice([3, 4])))
            slots = rng.sample(_PANEL, len(shown))
            return tuple(Placement(photo(n), x, y, rng.choice([84, 90, 96]), (rng.uniform(-3, 3), 0.0))
                         for n, (x, y) in zip(shown, slots, strict=True))
        return (Placement(photo(rng.choice(others)), *_CENTRE, 140),)
    raise ValueError(condition)
