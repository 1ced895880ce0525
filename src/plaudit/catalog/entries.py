"""The catalog Plaudit ships: ready-made templates with original, generated artwork.

Raise an entry's ``version`` whenever its content or artwork changes: templates copied with
``sync_with_catalog`` then follow the update (see catalog.service.sync).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plaudit.catalog.artwork import PALETTES, Glyph, Shape
from plaudit.models.template import TemplateKind


@dataclass(frozen=True)
class Text:
    name: str
    description: str
    criteria: str


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    version: int
    kind: TemplateKind
    achievement_type: str
    glyph: Glyph
    shape: Shape
    palette: str
    texts: dict[str, Text]  # by language; "en" always present
    tags: tuple[str, ...] = ()
    expiry: dict[str, str] = field(default_factory=lambda: {"type": "none"})

    def __post_init__(self) -> None:
        assert "en" in self.texts and self.palette in PALETTES


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        key="course-completer",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="Course",
        glyph=Glyph.BOOK,
        shape=Shape.CIRCLE,
        palette="ocean",
        tags=("course", "completion"),
        texts={
            "en": Text(
                "Course Completer",
                "Awarded for completing every lesson of a course.",
                "Complete all lessons of the course.",
            ),
            "it": Text(
                "Corso Completato",
                "Assegnato al completamento di tutte le lezioni di un corso.",
                "Completa tutte le lezioni del corso.",
            ),
            "es": Text(
                "Curso Completado",
                "Otorgado al completar todas las lecciones de un curso.",
                "Completa todas las lecciones del curso.",
            ),
        },
    ),
    CatalogEntry(
        key="quiz-ace",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="Assessment",
        glyph=Glyph.STAR,
        shape=Shape.HEXAGON,
        palette="sunset",
        tags=("quiz", "excellence"),
        texts={
            "en": Text(
                "Quiz Ace",
                "Awarded for an outstanding quiz result.",
                "Score at least 90% on the quiz.",
            ),
            "it": Text(
                "Asso dei Quiz",
                "Assegnato per un risultato eccellente in un quiz.",
                "Ottieni almeno il 90% nel quiz.",
            ),
            "es": Text(
                "As del Cuestionario",
                "Otorgado por un resultado sobresaliente en un cuestionario.",
                "Obtén al menos un 90% en el cuestionario.",
            ),
        },
    ),
    CatalogEntry(
        key="learning-path-completer",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="LearningProgram",
        glyph=Glyph.PATH,
        shape=Shape.SHIELD,
        palette="forest",
        tags=("learning-path", "completion"),
        texts={
            "en": Text(
                "Learning Path Completer",
                "Awarded for completing a whole learning path.",
                "Complete every course of the learning path, in any order.",
            ),
            "it": Text(
                "Percorso Completato",
                "Assegnato al completamento di un intero percorso formativo.",
                "Completa tutti i corsi del percorso, in qualsiasi ordine.",
            ),
            "es": Text(
                "Ruta Completada",
                "Otorgado al completar una ruta de aprendizaje completa.",
                "Completa todos los cursos de la ruta, en cualquier orden.",
            ),
        },
    ),
    CatalogEntry(
        key="module-master",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="Competency",
        glyph=Glyph.LAYERS,
        shape=Shape.HEXAGON,
        palette="royal",
        tags=("module", "mastery"),
        texts={
            "en": Text(
                "Module Master",
                "Awarded for mastering every lesson of a module.",
                "Complete all lessons of the module.",
            ),
            "it": Text(
                "Maestro del Modulo",
                "Assegnato per aver padroneggiato tutte le lezioni di un modulo.",
                "Completa tutte le lezioni del modulo.",
            ),
        },
    ),
    CatalogEntry(
        key="milestone-unlocked",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="Achievement",
        glyph=Glyph.FLAG,
        shape=Shape.RIBBON,
        palette="ember",
        tags=("milestone",),
        texts={
            "en": Text(
                "Milestone Unlocked",
                "Awarded for reaching a milestone task.",
                "Complete the milestone task.",
            ),
            "it": Text(
                "Traguardo Raggiunto",
                "Assegnato al raggiungimento di un traguardo.",
                "Completa l'attività traguardo.",
            ),
        },
    ),
    CatalogEntry(
        key="lesson-complete",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="Achievement",
        glyph=Glyph.CHECK,
        shape=Shape.CIRCLE,
        palette="slate",
        tags=("lesson", "completion"),
        texts={
            "en": Text(
                "Lesson Complete", "Awarded for completing a lesson.", "Complete the lesson."
            ),
        },
    ),
    CatalogEntry(
        key="monthly-mission",
        version=1,
        kind=TemplateKind.BADGE,
        achievement_type="Achievement",
        glyph=Glyph.CALENDAR,
        shape=Shape.SHIELD,
        palette="ocean",
        tags=("mission", "recurring"),
        texts={
            "en": Text(
                "Monthly Mission",
                "Awarded each month the mission is completed; it can be earned again.",
                "Complete the monthly mission.",
            ),
            "it": Text(
                "Missione del Mese",
                "Assegnato ogni mese in cui la missione viene completata.",
                "Completa la missione del mese.",
            ),
        },
    ),
    CatalogEntry(
        key="certified-pro",
        version=1,
        kind=TemplateKind.CERTIFICATE,
        achievement_type="Certificate",
        glyph=Glyph.MEDAL,
        shape=Shape.RIBBON,
        palette="royal",
        tags=("certificate", "course"),
        expiry={"type": "duration", "duration": "P2Y"},
        texts={
            "en": Text(
                "Certified Professional",
                "Certifies that the recipient completed the programme and passed its assessment.",
                "Complete the programme and pass the final assessment.",
            ),
            "it": Text(
                "Professionista Certificato",
                "Certifica che il destinatario ha completato il programma e superato la "
                "valutazione.",
                "Completa il programma e supera la valutazione finale.",
            ),
        },
    ),
)

BY_KEY = {entry.key: entry for entry in CATALOG}
