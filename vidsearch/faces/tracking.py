"""Face tracks: the same face followed across sampled frames, so that a person on screen for a minute costs a
few embeddings instead of one per frame — without ever following one face into another.

* **Cuts end tracks.** Every shot boundary of the shots stage (``boundaries``) closes all open tracks: at a cut
  between two people framed alike the boxes overlap almost perfectly, so geometry says nothing there. A cheap
  frame-signature cut score also closes them (for frames fed without shot boundaries), and so does a gap longer
  than ``track_max_gap_s``.
* **Links are checked by embedding.** A detection joins the open track whose last box it overlaps most. A partial
  overlap (``track_iou`` ≤ IoU < ``track_iou_sure``) links only if the embeddings agree. A clear overlap links at
  once and is checked later: each track embeds its first good face and then one *checkpoint* face every
  ``track_check_s`` seconds; a checkpoint farther than ``track_split_distance`` from the previous one means the
  face changed in between (a crossfade, a cut the shots stage missed, one person walking in front of another),
  and the faces between the two checkpoints are bisected by embedding to find the sighting where it changed; the
  track is split there; a track ending more than a third of ``track_check_s`` after its last checkpoint is
  checked once more. So every link but those of a track's last moments is covered by an embedding comparison
  at most ``track_check_s`` later, and only new faces, checkpoints and uncertain ones are embedded.

A track's vector is the normalised mean of its best ``faces_per_track`` checkpoint embeddings and, where
``mirror_best_face`` is on (off by default: 25-40 % more CPU), of those faces' mirror images: dlib is not mirror-symmetric, so one
person turned left and turned right lay apart by the side more than by the face. With tracking off
every face that passes the quality gate is its own track and is embedded: the baseline the benchmark compares
against.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence

import numpy as np

from vidsearch.faces.appearance import CHANGED_LOOK, STEADY_LOOK, appearance, one_clear_step, place_appearance
from vidsearch.faces.detection import FaceFinder, iou_matrix, thumbnail_of
from vidsearch.faces.models import DetectedFace, FaceModel, Thresholds, distance_of, normalised
from vidsearch.faces.quality import FaceQuality, QualityGate
from vidsearch.faces.settings import FaceSettings
from vidsearch.faces.tracks import FaceCandidate, FaceTrack, Sighting, TrackingStats
from vidsearch.media.frames import Frame
from vidsearch.media.shots import cut_score, frame_signature

_STRAY_MIN_PX = 24  # refused faces smaller than this are not worth an embedding even to re-link a track
# The picture inside a track's last box is unchanged when its appearance correlates this well with the previous
# sample's there: a still face framed anew by the detector correlated 0.997–1.000, cuts between people framed
# alike ≤ 0.22, and a dissolve into a dim face framed anew 0.813 (at the aligned faces' 0.8 it carried a track
# through the other person's entrance: doubled-lighting crossfade F1 0.878 → 0.738).
_UNCHANGED_PLACE = 0.95


class FaceTracker:
    """Feed sampled frames in time order with ``add``; ``finish`` returns every track with its vector.

    ``boundaries`` are the shot boundaries (seconds) of the shots stage: no track crosses one."""

    def __init__(self, model: FaceModel, settings: FaceSettings, limits: Thresholds,
                 cut_threshold: float = 0.35, boundaries: Sequence[float] = ()) -> None:
        self.model = model
        self.settings = settings
        self.limits = limits
        self.gate = QualityGate.from_settings(settings, limits)
        self.cut_threshold = cut_threshold
        self.boundaries = sorted(float(b) for b in boundaries if b > 0)
        self.split_distance = (settings.track_split_distance if settings.track_split_distance is not None
                               else limits.split_distance or limits.match_distance)
        # a track ending this soon after its last checkpoint is not checked again: a face that changed within
        # the last moments of a shot without a cut is rare, and one embedding per ending track is not
        self._close_check_s = settings.track_check_s / 3
        self.stats = TrackingStats()
        self._open: list[FaceTrack] = []
        self._closed: list[FaceTrack] = []
        self._next_id = 0
        self._signature = None
        self._last_t: float | None = None
        self.finder = FaceFinder(model, settings)
        self._last_full = -(10**9)  # sampled-frame index of the last full detection pass

    # -- per frame ----------------------------------------------------------------------------------------
    def add(self, frame: Frame) -> None:
        s = self.settings
        index = self.stats.frames
        self.stats.frames += 1
        cut = False
        if s.tracking:
            if self._crosses_boundary(frame.t) or self._signature_cut(frame):
                cut = True
                self.stats.cuts += 1
                self._close(list(self._open))
            self._close([t for t in self._open if frame.t - t.last_t > s.track_max_gap_s])
        self._last_t = frame.t
        started = time.perf_counter()
        if not self.finder.staged or cut or index - self._last_full >= s.full_detect_every:
            faces = self.finder.full(frame.image)
            self._last_full = index
        else:
            faces = self.finder.between(frame.image, [t.last_box for t in self._open])
            if self.finder.lost:  # a tracked face vanished: the picture changed, search all of it now
                faces = self.finder.full(frame.image)
                self._last_full = index
        self.stats.detect_s += time.perf_counter() - started
        self.stats.faces_detected += len(faces)
        if not faces:
            return
        started = time.perf_counter()
        chips = [self.model.align(frame.image, face) for face in faces]
        judged = [self.gate.judge(face, chip) for face, chip in zip(faces, chips, strict=True)]
        self.stats.align_s += time.perf_counter() - started
        for quality in judged:
            if quality.passed:
                self.stats.faces_passed += 1
            else:
                kind = quality.rejected.split(" ")[0] if quality.rejected else "other"
                self.stats.rejected[kind] = self.stats.rejected.get(kind, 0) + 1
        if not s.tracking:
            for face, chip, quality in zip(faces, chips, judged, strict=True):
                if quality.passed:
                    track = self._new_track()
                    self._extend(track, frame, index, face, chip, quality)
                    self._close([track])
            return
        self._associate(frame, index, faces, chips, judged)

    def _crosses_boundary(self, t: float) -> bool:
        """Whether a shot boundary lies after the previous frame and at or before this one."""
        if self._last_t is None or not self.boundaries:
            return False
        k = bisect.bisect_right(self.boundaries, self._last_t)
        return k < len(self.boundaries) and self.boundaries[k] <= t + 1e-6

    def _signature_cut(self, frame: Frame) -> bool:
        signature = frame_signature(frame.image)
        cut = self._signature is not None and cut_score(self._signature, signature) >= self.cut_threshold
        self._signature = signature
        return cut

    def _associate(self, frame: Frame, index: int, faces: list[DetectedFace], chips: list[np.ndarray],
                   judged: list[FaceQuality]) -> None:
        s = self.settings
        tracks = list(self._open)
        overlaps = iou_matrix(np.array([t.last_box for t in tracks]).reshape(-1, 4),
                              np.array([f.box for f in faces]).reshape(-1, 4))
        taken_tracks: set[int] = set()
        taken_faces: set[int] = set()
        pending: dict[int, np.ndarray] = {}  # face index → embedding computed for a check
        looks = [appearance(chip) if face.side >= _STRAY_MIN_PX else None
                 for face, chip in zip(faces, chips, strict=True)]
        changed: set[int] = set()  # tracks whose place now shows another face
        pairs = np.argwhere(overlaps >= s.track_iou).tolist()
        for ti, fi in sorted(pairs, key=lambda p: -overlaps[p[0], p[1]]):
            if ti in taken_tracks or fi in taken_faces:
                continue
            previous = tracks[ti].recent_look
            if (previous is not None and looks[fi] is not None and float(previous @ looks[fi]) < CHANGED_LOOK
                    and not self._same_place(tracks[ti], frame)):
                changed.add(ti)
                continue
            if overlaps[ti, fi] < s.track_iou_sure and not self._same_face(
                tracks[ti], ti, fi, chips, judged, overlaps, pending
            ):
                continue
            taken_tracks.add(ti)
            taken_faces.add(fi)
            self._extend(tracks[ti], frame, index, faces[fi], chips[fi], judged[fi], pending.get(fi), looks[fi])
        gone = [tracks[ti] for ti in sorted(changed - taken_tracks)]
        if gone:
            self.stats.splits += len(gone)
            self._close(gone)
        for fi, face in enumerate(faces):
            if fi not in taken_faces:
                self._extend(self._new_track(), frame, index, face, chips[fi], judged[fi], pending.get(fi),
                             looks[fi])

    def _same_face(
        self,
        track: FaceTrack,
        ti: int,
        fi: int,
        chips: list[np.ndarray],
        judged: list[FaceQuality],
        overlaps: np.ndarray,
        pending: dict[int, np.ndarray],
    ) -> bool:
        """A partial overlap links only when embeddings agree; a face too poor to embed links only when it is
        the sole candidate on both sides."""
        reference = track.last_checkpoint
        if not judged[fi].passed or reference is None:
            unique_face = int((overlaps[:, fi] >= self.settings.track_iou).sum()) == 1
            unique_track = int((overlaps[ti, :] >= self.settings.track_iou).sum()) == 1
            return unique_face and unique_track
        if fi not in pending:
            pending[fi] = self._embed([chips[fi]])[0]
        return self._distance(reference.embedding, pending[fi]) <= self.limits.match_distance

    @staticmethod
    def _same_place(track: FaceTrack, frame: Frame) -> bool:
        """Whether the picture inside the track's last box is what it was: then a face that looks changed was
        only framed differently by the detector. A dim, turned face is found 53 px wide by the full pass and
        74 px by the coarse one; its two aligned faces correlated 0.70, and the track broke at every full pass
        into pieces too short to form a person (or into one-sample tracks, dropped)."""
        if track.recent_place is None:
            return False
        now = place_appearance(frame.image, track.last_box)
        return now is not None and float(track.recent_place @ now) >= _UNCHANGED_PLACE

    @staticmethod
    def _distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(distance_of(float(a @ b)))

    # -- tracks -------------------------------------------------------------------------------------------
    def _new_track(self) -> FaceTrack:
        track = FaceTrack(self._next_id)
        self._next_id += 1
        self._open.append(track)
        return track

    def _extend(
        self,
        track: FaceTrack,
        frame: Frame,
        index: int,
        face: DetectedFace,
        chip: np.ndarray,
        quality: FaceQuality,
        embedding: np.ndarray | None = None,
        look: np.ndarray | None = None,
    ) -> None:
        sighting = Sighting(frame.t, index, face.box, quality)
        track.sightings.append(sighting)
        if look is None and face.side >= _STRAY_MIN_PX:
            look = appearance(chip)
        track.recent_look = look
        track.recent_place = place_appearance(frame.image, face.box) if face.side >= _STRAY_MIN_PX else None
        if not quality.passed:
            if not track.candidates and face.side >= _STRAY_MIN_PX and (
                    track.fallback is None or quality.rank > track.fallback[0]):
                if track.fallback is not None:
                    track.fallback[2].thumbnail = b""
                sighting.thumbnail = thumbnail_of(frame.image, face.box, self.settings.thumbnail_size)
                track.fallback = (quality.rank, chip, sighting)
            return
        track.fallback = None
        sighting.chip = chip
        sighting.look = look if look is not None else appearance(chip)
        sighting.thumbnail = thumbnail_of(frame.image, face.box, self.settings.thumbnail_size)
        last = track.last_checkpoint
        if last is None:  # a new face: embed it at once, it is every later check's reference
            self._checkpoint(track, sighting, embedding)
        elif (embedding is not None or frame.t - last.t >= self.settings.track_check_s - 1e-6
              or (last.look is not None and float(last.look @ sighting.look) < STEADY_LOOK)):
            # due, or the face drifted from the last checkpoint (a dissolve): check it by embedding now
            self._check(track, sighting, embedding)

    def _checkpoint(self, track: FaceTrack, sighting: Sighting, embedding: np.ndarray | None = None) -> None:
        if embedding is None:
            embedding = self._embed([sighting.chip])[0]
        track.candidates.append(FaceCandidate(sighting.t, sighting.quality.rank, sighting.chip,
                                              sighting.thumbnail, embedding, sighting.look, sighting.quality.side))
        # only the faces the track's vector is made of keep their chips: mirrored when it closes, the best one
        # re-checked
        kept = self._vector_faces(track) if self.settings.mirror_best_face else track.candidates[:0]
        best = max(track.candidates, key=lambda c: c.rank)
        for candidate in track.candidates:
            candidate.chip = candidate.chip if candidate is best or candidate in kept else None
        for earlier in track.sightings:  # chips before a checkpoint are never needed again
            if earlier.t <= sighting.t:
                earlier.chip = earlier.look = None
                if earlier is not sighting:
                    earlier.thumbnail = b""

    def _check(self, track: FaceTrack, sighting: Sighting,
               embedding: np.ndarray | None = None) -> FaceTrack | None:
        """Embed ``sighting`` and compare it with the track's last checkpoint; where they differ, bisect the
        faces between them and split the track at the change. Returns the new (open) tail of a split."""
        if embedding is None:
            embedding = self._embed([sighting.chip])[0]
        reference = track.last_checkpoint
        assert reference is not None
        if self._distance(reference.embedding, embedding) <= self.split_distance:
            self._checkpoint(track, sighting, embedding)
            return None
        between = [s for s in track.sightings if reference.t < s.t < sighting.t and s.chip is not None]
        lo, hi = -1, len(between)  # between[:lo+1] look like the reference, between[hi:] like the new face
        known: dict[int, np.ndarray] = {}
        step = one_clear_step([reference.look, *(b.look for b in between), sighting.look])
        if step is not None:  # the appearance changed at one place only: split there, no bisection
            lo, hi = step - 1, step
        while hi - lo > 1:
            mid = (lo + hi) // 2
            known[mid] = self._embed([between[mid].chip])[0]
            near_old = self._distance(reference.embedding, known[mid])
            near_new = self._distance(embedding, known[mid])
            if near_old <= near_new:
                lo = mid
            else:
                hi = mid
        split_t = between[hi].t if hi < len(between) else sighting.t
        tail = self._split(track, split_t)
        if hi < len(between) and hi in known:  # bisected: the first new face is embedded already
            self._checkpoint(tail, between[hi], known[hi])
        self._checkpoint(tail, sighting, embedding)
        return tail

    def _split(self, track: FaceTrack, split_t: float) -> FaceTrack:
        """Close ``track`` before ``split_t``; its sightings from then on continue as a new open track."""
        self.stats.splits += 1
        tail = self._new_track()
        tail.sightings = [s for s in track.sightings if s.t >= split_t]
        track.sightings = [s for s in track.sightings if s.t < split_t]
        track.candidates = [c for c in track.candidates if c.t < split_t]
        self._close([track])
        return tail

    def _close(self, tracks: list[FaceTrack]) -> None:
        for track in tracks:
            last = track.last_checkpoint
            latest = next((s for s in reversed(track.sightings) if s.chip is not None), None)
            if last is not None and latest is not None and latest.t - last.t >= self._close_check_s - 1e-6:
                tail = self._check(track, latest)  # the faces since the last checkpoint are checked too
                if tail is not None:  # split: ``track`` is closed; its tail ends here as well
                    self._close([tail])
                    continue
            self._open.remove(track)
            track.recent_look = track.recent_place = None
            if not track.candidates and track.fallback is not None and len(track.sightings) >= 2:
                rank, chip, best = track.fallback
                track.stray_vector = self._embed([chip])[0]
                track.stray_face = FaceCandidate(best.t, rank, None, best.thumbnail, track.stray_vector)
            for sighting in track.sightings:
                sighting.chip, sighting.look, sighting.thumbnail = None, None, b""
            track.fallback = None
            if track.candidates:
                best = self._vector_faces(track)
                vectors = [c.embedding for c in best]
                if self.settings.mirror_best_face:
                    vectors += list(self._mirrored([c.chip for c in best if c.chip is not None]))
                track.vector = normalised(np.mean(vectors, axis=0))[0]
                for candidate in best[1:]:  # the best face's chip stays for the re-check
                    candidate.chip = None
            self._closed.append(track)

    def _vector_faces(self, track: FaceTrack) -> list:
        """The checkpoints a track's vector is the mean of: its best ``faces_per_track``, best first."""
        return sorted(track.candidates, key=lambda c: -c.rank)[: self.settings.faces_per_track]

    def _mirrored(self, chips: list[np.ndarray]) -> np.ndarray:
        """The embeddings of the faces' mirror images (counted apart from the checkpoint embeddings)."""
        started = time.perf_counter()
        vectors = self.model.embed([np.ascontiguousarray(chip[:, ::-1]) for chip in chips])
        self.stats.embed_s += time.perf_counter() - started
        self.stats.mirrored += len(chips)
        return vectors

    def _embed(self, chips: list[np.ndarray]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.model.embed(chips)
        self.stats.embed_s += time.perf_counter() - started
        self.stats.embeddings += len(chips)
        return vectors

    def finish(self) -> list[FaceTrack]:
        """Close every open track; all tracks in order of first sighting."""
        self._close(list(self._open))
        finder = self.finder
        self.stats.passes = {"full": finder.full_passes, "coarse": finder.coarse_passes,
                             "region": finder.region_passes}
        return sorted(self._closed, key=lambda t: (t.first_t, t.id))
