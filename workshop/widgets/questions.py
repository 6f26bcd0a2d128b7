"""``Predict`` and ``Quiz``: one-click questions, graded and recorded in progress.

A prediction is asked before a step's moment ("what happens when you delete this pod?"),
the quiz at the end of a lab. Clicking a choice records it (``course.answer``: the first
answer is the graded one), marks it right or wrong and explains why the right one is
right. The buttons stay usable: a learner who changes their mind clicks again and the latest
choice is kept (the grade stays the first). A restarted kernel shows the answers already
given, read from progress. Where progress cannot be saved, the answer is still shown, with a
note that it is not kept.
"""

from __future__ import annotations

import html
import string
from typing import Literal

import ipywidgets

from workshop import course
from workshop.cluster import Cluster
from workshop.course import Answer, Lab, ProgressStore, Question
from workshop.errors import WorkshopError
from workshop.widgets import markdown
from workshop.widgets.base import Message, Widget

Kind = Literal["quiz", "predict"]
RIGHT, WRONG = "#1a7f37", "#cf222e"
NEXT_CELL = "Now run the next cell and see."


def _lab(cluster: Cluster, lab: str | Lab) -> Lab:
    # placed: a class learner's questions name their own namespaces
    return course.place(cluster, course.find_lab(lab) if isinstance(lab, str) else lab)


def _given(
    cluster: Cluster, lab: Lab, store: ProgressStore
) -> tuple[dict[str, Answer], str | None]:
    """The answers already recorded for this lab on this cluster, or why they cannot be read."""
    try:
        return store.answers(cluster.context, lab.id), None
    except WorkshopError as e:
        return {}, f"Earlier answers cannot be read: {e.message}"


class QuestionCard(Widget):
    """One question: its text, a button per choice, and the verdict with its explanation."""

    def __init__(
        self,
        cluster: Cluster,
        lab: Lab,
        question: Question,
        kind: Kind,
        *,
        store: ProgressStore,
        heading: str,
        given: Answer | None = None,
        after: str = "",
    ) -> None:
        self.cluster = cluster
        self.lab = lab
        self.question = question
        self.kind = kind
        self.store = store
        self.after = after  # a line under the explanation ("Now run the next cell and see.")
        self.choice: int | None = None  # the latest choice, from 0
        self.first: int | None = None  # the first choice: the graded one
        self.first_correct: bool | None = None
        self.saved = True
        self.heading = ipywidgets.HTML(
            f'<div class="ws-question"><b>{html.escape(heading)}</b> '
            f"{markdown.block(lab.localize(question.question))}</div>"
        )
        self.buttons: list[ipywidgets.Button] = []
        rows = []
        for index, text in enumerate(question.choices):
            letter = string.ascii_uppercase[index]
            button = ipywidgets.Button(
                description=letter,
                tooltip=f"answer {letter}",
                layout=ipywidgets.Layout(width="44px"),
            )
            button.add_class("ws-choice-button")
            button.on_click(lambda _, i=index: self._clicked(i))
            self.buttons.append(button)
            label = ipywidgets.HTML(
                f'<div class="ws-choice" data-choice="{index}">'
                f"{markdown.inline(lab.localize(text))}</div>"
            )
            rows.append(ipywidgets.HBox([button, label]))
        self.feedback = ipywidgets.HTML()
        self.note = Message()
        super().__init__(self.heading, *rows, self.feedback, self.note.widget)
        self.box.add_class(f"workshop-{kind}")
        if given is not None and 0 <= given.choice < len(question.choices):
            self.first, self.first_correct = given.first, given.correct
            self._show(given.choice)

    @property
    def answered(self) -> bool:
        return self.choice is not None

    @property
    def correct(self) -> bool | None:
        """Whether the latest choice is right (``None`` before any)."""
        return None if self.choice is None else self.choice == self.question.answer

    def choose(self, index: int) -> bool:
        """What clicking choice ``index`` (from 0) does; whether it is right."""
        self.buttons[index].click()
        return bool(self.correct)

    def _clicked(self, index: int) -> None:
        try:
            # with the cluster: a class learner's answers reach the class board too
            answered = course.answer(
                self.lab, self.question.id, index, cluster=self.cluster, progress=self.store
            )
        except WorkshopError as e:  # shown all the same; only keeping it failed
            self.saved = False
            if self.first is None:
                self.first, self.first_correct = index, index == self.question.answer
            self._show(index)
            self.note.show(f"Your answer is shown but not saved: {e.message}", kind="error")
            return
        self.saved = True
        # progress knows which answer was first (perhaps given before this kernel started)
        self.first_correct = answered.graded
        if self.first is None:
            self.first = index
        self._show(index)
        self.note.show("")

    def _show(self, index: int) -> None:
        self.choice = index
        right = self.question.answer
        for i, button in enumerate(self.buttons):
            if i == right and (i == index or index != right):
                button.button_style = "success"
            elif i == index:
                button.button_style = "danger"
            else:
                button.button_style = ""
        letter = string.ascii_uppercase[right]
        if index == right:
            verdict = f'<span style="color:{RIGHT}">✔ Right.</span>'
        else:
            verdict = f'<span style="color:{WRONG}">✘ Not this one: the answer is {letter}.</span>'
        counted = ""
        if self.first is not None and self.first != index:
            mark = "right" if self.first_correct else "wrong"
            counted = (
                f" <i>Your first answer ({string.ascii_uppercase[self.first]}, {mark}) "
                "is the one that counts.</i>"
            )
        after = f"<p><b>{html.escape(self.after)}</b></p>" if self.after else ""
        self.feedback.value = (
            f'<div class="ws-answer" data-correct="{str(index == right).lower()}" '
            f'style="margin:4px 0 0 0;padding:4px 8px;border-left:3px solid '
            f'{RIGHT if index == right else WRONG}">'
            f"<p>{verdict}{counted}</p>"
            f'<div class="ws-explain">{markdown.block(self.lab.localize(self.question.explain))}'
            f"</div>{after}</div>"
        )


class Predict(QuestionCard):
    """A step's prediction (``predict:`` in lab.yaml), asked before the learner runs it.

    ``choose(i)`` is what clicking choice ``i`` (from 0) does; ``answered``, ``choice`` and
    ``correct`` say where it stands."""

    def __init__(
        self,
        cluster: Cluster,
        lab: str | Lab,
        step: str | int,
        *,
        progress_store: ProgressStore | None = None,
    ) -> None:
        placed = _lab(cluster, lab)
        found = placed.step(step)
        if found.predict is None:
            raise WorkshopError(
                f"step {found.id} of lab {placed.number} asks no prediction",
                hint=f"give it `predict:` in {placed.file}, or remove this cell",
            )
        store = progress_store or ProgressStore()
        given, problem = _given(cluster, placed, store)
        super().__init__(
            cluster,
            placed,
            found.predict,
            "predict",
            store=store,
            heading="Predict:",
            given=given.get(found.predict.id),
            after=NEXT_CELL,
        )
        self.step = found
        if problem:
            self.note.show(problem, kind="error")


class Quiz(Widget):
    """Every question of a lab's ``quiz:``, each as ``Predict`` works, and the score.

    ``questions[i].choose(c)`` (or ``choose("question-id", c)``) answers; ``score`` is
    ``(right on the first try, out of)``; ``score_line`` says it in words."""

    def __init__(
        self,
        cluster: Cluster,
        lab: str | Lab,
        *,
        progress_store: ProgressStore | None = None,
    ) -> None:
        self.cluster = cluster
        self.lab = _lab(cluster, lab)
        if not self.lab.spec.quiz:
            raise WorkshopError(
                f"lab {self.lab.number} has no quiz",
                hint=f"give it `quiz:` (2 or 3 questions) in {self.lab.file}, or remove this cell",
            )
        self.store = progress_store or ProgressStore()
        given, problem = _given(cluster, self.lab, self.store)
        total = len(self.lab.spec.quiz)
        self.questions = [
            QuestionCard(
                cluster,
                self.lab,
                q,
                "quiz",
                store=self.store,
                heading=f"Question {n} of {total}:",
                given=given.get(q.id),
            )
            for n, q in enumerate(self.lab.spec.quiz, 1)
        ]
        for card in self.questions:
            for button in card.buttons:
                button.on_click(lambda _: self._update_score())
        self.title = ipywidgets.HTML(f"<h4>Quiz: lab {self.lab.number}</h4>")
        self.score_html = ipywidgets.HTML()
        self.note = Message()
        super().__init__(
            self.title, *(c.box for c in self.questions), self.score_html, self.note.widget
        )
        self.box.add_class("workshop-quiz")
        if problem:
            self.note.show(problem, kind="error")
        self._update_score()

    def choose(self, question: str | int, choice: int) -> bool:
        """Answer a question (by id, or index from 0); whether the choice is right."""
        if isinstance(question, int):
            return self.questions[question].choose(choice)
        for card in self.questions:
            if card.question.id == question:
                return card.choose(choice)
        known = ", ".join(c.question.id for c in self.questions)
        raise WorkshopError(
            f"the quiz of lab {self.lab.number} has no question {question!r}",
            hint=f"its questions: {known}",
        )

    @property
    def score(self) -> tuple[int, int]:
        """Right on the first try, out of the quiz's questions: from progress, or from what
        this kernel saw where an answer could not be saved."""
        if all(c.saved for c in self.questions):
            try:
                return course.score(self.lab, context=self.cluster.context, progress=self.store)
            except WorkshopError:
                pass
        right = sum(1 for c in self.questions if c.first_correct)
        return right, len(self.questions)

    @property
    def score_line(self) -> str:
        right, total = self.score
        left = sum(1 for c in self.questions if not c.answered)
        still = f" ({left} still to answer)" if left else ""
        return f"{right} of {total} right on the first try{still}"

    def _update_score(self) -> None:
        self.score_html.value = (
            f'<div class="ws-score" style="font-weight:bold;margin-top:6px">'
            f"{html.escape(self.score_line)}</div>"
        )
