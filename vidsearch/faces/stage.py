"""The ``faces`` ingest stage: decode frames at ``faces.sample_fps``, track and cluster faces into persons,
write person documents (centroid ``face_vec``, appearances, thumbnails) and each segment's ``person_ids``.
No track crosses a shot boundary of the shots stage. Re-indexed persons keep the identity they had; linking into
archive identities runs once after the ingest's commits (``vidsearch.faces.linking``), so identities never
depend on which worker finished first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from vidsearch.documents import Segment
from vidsearch.faces.analysis import VideoFaces, analyse_frames
from vidsearch.faces.identities import IdentityBook
from vidsearch.faces.models import FaceModel, describe_face_model, load_face_model, thresholds
from vidsearch.faces.persons import link_segments, person_documents
from vidsearch.media.frames import Cv2FrameSource
from vidsearch.models.refs import ModelRef, face_ref
from vidsearch.schema import IndexName
from vidsearch.stages.base import Stage, StageResources, VideoWork

log = logging.getLogger(__name__)


def shot_boundaries(segments: Sequence[Segment]) -> list[float]:
    """Where one segment ends and the next begins (seconds)."""
    return [s.start_s for s in sorted(segments, key=lambda s: s.start_s)[1:]]


class FaceStage(Stage):
    name = "faces"
    version = "9"  # 2: tracks end at shot boundaries and split where the embedding jumps; 3: appearance
    # changes end tracks (refused faces too), soft-only persons, dev-chosen thresholds and sharpness floor;
    # 4: hard cannot-links, jittered re-check of uncertain track pairs, one-frame persons dropped;
    # 5: one-sample tracks join a person only within the split distance (no clustering); 6: the re-check keeps
    # two tracks apart only beyond the face-level split distance (dlib 0.37, was 0.36); 7: re-checked pairs link
    # at their jittered distance, tracks of refused faces only join within the split distance; 8: a face whose
    # aligned look changed keeps its track where the picture at its place did not (a detector reframing it);
    # 9: person documents carry their tracks' vectors (archive linking compares persons track by track)
    requires = ("shots",)  # segments must exist to receive person_ids
    owns = frozenset({IndexName.PERSONS})
    writes = frozenset({"persons", "person_ids"})
    affects = ("faces",)

    def model_refs(self) -> list[ModelRef]:
        return [face_ref(self.settings)]

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._model: FaceModel | None = None
        self._store = None

    def resources(self) -> StageResources:
        gpu = self.settings.faces.backend == "insightface" and self.settings.faces.gpu
        return StageResources(num_cpus=1.0, num_gpus=1.0 if gpu else 0.0, memory_mb=1500)

    def load(self) -> None:
        if self._model is None:
            self._model = load_face_model(self.settings.faces, self.settings.models.local_files_only)

    @property
    def model(self) -> FaceModel:
        self.load()
        assert self._model is not None
        return self._model

    def _describe(self) -> tuple[str, int]:
        if self._model is not None:
            return self._model.identity, self._model.dims
        return describe_face_model(self.settings.faces, self.settings.models.local_files_only)

    def models(self) -> dict[str, str]:
        return {"face": self._describe()[0]}

    def dims(self) -> dict[str, int]:
        return {"face": self._describe()[1]}

    def analyse(self, work: VideoWork) -> VideoFaces:
        """Tracks and persons of one video whose segments the shots stage made (benchmarks score these)."""
        fs = self.settings.faces
        model = self.model
        source = Cv2FrameSource(work.path, threads=self.settings.media.decode_threads)
        return analyse_frames(source.sample(fs.sample_fps), model, fs, thresholds(fs, model),
                              work.probe.duration_s, self.settings.media.shot_threshold,
                              shot_boundaries(work.segments))

    def process(self, work: VideoWork) -> None:
        fs = self.settings.faces
        model = self.model
        limits = thresholds(fs, model)
        found = self.analyse(work)
        persons = person_documents(work.video_id, found.persons, work.media_dir)
        if fs.link_identities and persons:
            IdentityBook(self._open_store(), model.identity, limits.identity_distance).carry_over(persons)
        work.persons = persons
        link_segments(work.segments, persons)
        stats = found.stats
        log.info("faces video=%s frames=%d faces=%d embedded=%d tracks=%d persons=%d in %.1f s",
                 work.video_id, stats.frames, stats.faces_detected, stats.embeddings, len(found.tracks),
                 len(persons), found.wall_s)

    def _open_store(self):
        if self._store is None:
            from vidsearch.store import open_store

            self._store = open_store(self.settings)
        return self._store
