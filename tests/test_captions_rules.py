"""What a video says and when (captions.py), on runs made by the test: the story's order and words, each caption's
reading time, the cues' times, WebVTT and the transcript (docs/pages/mutation.md: the mutants they kill)."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import synthetic

from tp1viz import captions
from tp1viz.captions import Cue, Line
from tp1viz.trajectory import Event, Held

LOSS = [2.0, 1.0, 0.5, 0.25, 0.125]


def run_of(label=None, loss=LOSS, events=(), test=None, batch_size=0):
    run = synthetic(loss, np.zeros((len(loss), 4)), batch_size=batch_size)
    meta = {"run": {**run.meta["run"], **({"label": label} if label else {})}}
    return dataclasses.replace(run, meta=meta, events=tuple(events), test=test)


def spike(step=2, run=0, said="The loss jumps.", detail="Step 2: spike; the loss jumps."):
    return Event("spike", step, f"spike · step {step}", detail, run, said)


def note(text, anchor, at=None, panel="fit"):
    """An author's note as story() reads it: told at `anchor` ((step, run) or None: left out)."""
    return SimpleNamespace(text=text, at=at, panel=panel, anchored=lambda runs: anchor)


def test_a_caption_is_given_two_and_a_half_seconds_or_fifteen_characters_a_second():
    assert captions.reading("") == 2.5
    assert captions.reading("x" * 37) == 2.5  # 2.47 s of reading: the floor
    assert captions.reading("x" * 38) == pytest.approx(38 / 15)
    assert captions.reading("x" * 60) == 4.0


def test_the_loss_is_said_for_the_run_or_each_run_by_its_name_or_with_its_test_loss():
    held = Held(np.zeros(3), np.zeros(3), np.array([3.0, 2.5, 2.25, 2.125, 2.0625]), np.zeros((5, 3)))
    assert captions.loss_words([run_of()], 4) == "loss 0.125"
    assert captions.loss_words([run_of()], 4, 2) == "loss 0.12"
    assert captions.loss_words([run_of(test=held)], 4) == "training loss 0.125, test loss 2.06"
    assert captions.loss_words([run_of(test=held)], 0, 4) == "training loss 2, test loss 3"
    two = [run_of("gd"), run_of(loss=[4.0, 3.0, 2.0, 1.5, 1.0], test=held)]
    assert captions.run_names(two) == ["gd", "run 2"]
    assert captions.run_names([dataclasses.replace(run_of(), meta={})]) == ["run 1"]  # a student's run: no settings
    assert captions.loss_words(two, 2) == "gd 0.5, run 2 2"  # several runs: no test loss, each run's own


def test_a_scored_run_says_how_many_test_points_fall_within_the_tolerance():
    pred = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 2.5, 3.1, 9.0]])  # the last snapshot: 2 of 4 within 0.5
    held = Held(np.zeros(4), np.array([1.2, 2.0, 4.0, 9.5]), np.ones(2), pred)
    run = run_of(loss=[1.0, 0.5], test=held)
    assert captions.score_words(run, 0.5) == "; 3 of 4 test points within ±0.5"  # |9.0 - 9.5| = 0.5 counts
    assert captions.score_words(run, 0.5, short=True) == "; 3 of 4 within ±0.5"
    assert captions.score_words(run, 0.25) == "; 1 of 4 test points within ±0.25"
    assert captions.score_words(run, None) == "" and captions.score_words(run_of(), 0.5) == ""
    three = Held(held.x, held.y, np.ones(3), np.concatenate([pred, [[9.0, 9.0, 9.0, 9.0]]]))  # the end: 1 of 4
    assert captions.score_words(run_of(loss=[1.0, 0.5, 0.4], test=three), 0.5) == "; 1 of 4 test points within ±0.5"


def test_the_first_caption_that_fits_two_lines_is_chosen_else_the_last():
    long = "word " * 20
    assert captions.first_fitting("short", "other") == "short"
    assert captions.first_fitting(long, "second", "third") == "second"
    assert captions.first_fitting(long, long + "!") == long + "!"
    assert captions.first_fitting(long, long + "?", long + "!") == long + "!"  # the last of them, not the second


def test_an_event_is_told_as_itself_for_one_run_and_with_its_runs_name_among_several():
    event = spike()
    assert captions.event_line(event, [run_of()]) == Line(
        2, "The loss jumps.", "Step 2: spike; the loss jumps.", "spike"
    )
    runs = [run_of("gd"), run_of("sgd")]
    assert captions.event_line(spike(run=1), runs) == Line(
        2, "Sgd: the loss jumps.", "Step 2, sgd: spike; the loss jumps.", "spike", 1
    )  # the name starts the sentence; the event's words go on after its colon
    named = [run_of("near the limit"), run_of("GD")]
    assert captions.event_line(spike(run=0, said="SGD jumps."), named).said == "Near the limit: SGD jumps."
    colons = spike(run=1, detail="Step 2: spike; the loss jumps: from 1 to 3.")
    assert captions.event_line(colons, runs).told == "Step 2, sgd: spike; the loss jumps: from 1 to 3."  # its head
    wordy = spike(run=1, said="x" * 80)  # no room for the name: the event's own caption
    assert captions.event_line(wordy, runs).said == "x" * 80


def test_a_story_is_the_start_each_event_and_note_at_its_step_a_note_first_then_the_end():
    events = [spike(3, said="Jump.", detail="Step 3: spike; up."),
              Event("converged", 1, "converged · step 1", "Step 1: converged; still.", 0, "Still.")]  # fmt: skip
    notes = [note("Watch the slope.", (3, None)), note("Never told.", None), note("Early on.", (1, None))]
    story = captions.story("A fit", [run_of(events=events)], notes)
    assert [(line.step, line.kind, line.said) for line in story] == [
        (0, "start", "Step 0: loss 2."), (1, "note", "Early on."), (1, "converged", "Still."),
        (3, "note", "Watch the slope."), (3, "spike", "Jump."), (4, "end", "The end, step 4: loss 0.125.")]  # fmt: skip
    assert story[0].told == "A fit. Step 0: the model starts from its initial weights; loss 2."
    assert story[1].told == "Note at step 1: Early on." and story[1].panel == "fit" and story[1].run is None
    assert story[-1].told == "Step 4, the end: loss 0.125."
    precise = captions.story("A fit", [run_of(loss=[2.34567, 1.0, 0.5, 0.25, 0.123456])])
    assert precise[0].told == "A fit. Step 0: the model starts from its initial weights; loss 2.346."  # 4 digits
    assert precise[-1].told == "Step 4, the end: loss 0.1235."  # the last step's, to 4 digits


def test_a_note_anchored_to_an_event_tells_it_in_its_place_and_one_at_step_zero_speaks_over_the_start():
    events = [spike(2, said="Jump.", detail="Step 2: spike; up.")]
    notes = [note("It overshoots.", (2, None), at="spike", panel="loss"), note("From the start.", (0, None))]
    story = captions.story("A fit", [run_of(events=events)], notes)
    assert [(line.step, line.kind, line.said) for line in story] == [
        (0, "note", "From the start."),
        (2, "note", "It overshoots."),
        (4, "end", "The end, step 4: loss 0.125."),
    ]
    assert story[0].told == ("A fit. Step 0: the model starts from its initial weights; loss 2. "
                             "Note at step 0: From the start.")  # fmt: skip
    assert story[1].told == "Step 2: spike; up. Note at step 2: It overshoots." and story[1].panel == "loss"
    elsewhere = captions.story("A fit", [run_of(events=events)], [note("Not this one.", (3, None), at="spike")])
    assert [line.kind for line in elsewhere] == ["start", "spike", "note", "end"]  # another step: told apart


def test_a_story_of_several_runs_names_them_and_ties_a_note_to_its_runs_event():
    runs = [run_of("gd", events=[spike(2, run=0, said="Up.")]), run_of("sgd", events=[spike(2, run=1, said="Up.")])]
    story = captions.story("Two", runs, [note("The second jumps.", (2, 1), at="spike")])
    assert [(line.step, line.kind, line.said, line.run) for line in story] == [
        (0, "start", "Step 0: gd 2, sgd 2.", None), (2, "note", "The second jumps.", 1),
        (2, "spike", "Gd: up.", 0), (4, "end", "The end, step 4: gd 0.125, sgd 0.125.", None)]  # fmt: skip
    assert story[0].told == "Two. Step 0: every run starts from the same weights; gd 2, sgd 2."
    assert story[1].told == "Step 2, sgd: spike; the loss jumps. Note at step 2: The second jumps."
    trained = [
        dataclasses.replace(run, params=run.params + np.arange(5)[:, None] * (k + 1)) for k, run in enumerate(runs)
    ]
    assert captions.start_words(trained) == "every run starts from the same weights"  # then trained apart
    other_start = dataclasses.replace(runs[1], params=runs[1].params + 1)  # its own initial weights
    assert captions.story("Two", [runs[0], other_start])[0].told == (
        "Two. Step 0: each run starts from its own initial weights; gd 2, sgd 2."
    )


def test_the_end_says_the_score_and_falls_back_to_shorter_words_when_they_do_not_fit():
    pred = np.array([[0.0, 0.0], [1.0, 5.0]])
    held = Held(np.zeros(2), np.array([1.0, 2.0]), np.ones(5), np.repeat(pred[1:], 5, axis=0))
    (end,) = captions.story("T", [run_of(test=held)], tolerance=0.5)[-1:]
    assert end.said == "The end, step 4: training loss 0.125, test loss 1; 1 of 2 test points within ±0.5."
    assert end.told == "Step 4, the end: training loss 0.125, test loss 1; 1 of 2 test points within ±0.5."
    later = dataclasses.replace(held, loss=np.full(5, 1.23))  # three more characters: past two lines
    (end,) = captions.story("T", [run_of(test=later)], tolerance=0.25)[-1:]
    assert end.said == "The end: training loss 0.125, test loss 1.23; 1 of 2 within ±0.25."
    assert end.told == "Step 4, the end: training loss 0.125, test loss 1.23; 1 of 2 test points within ±0.25."
    many = [run_of(f"run number {k}", loss=[1.23456] * 5) for k in range(4)]
    assert captions.story("T", many)[-1].said == "The end, step 4: losses 1.2, 1.2, 1.2, 1.2."  # no names fit
    crowd = [run_of(f"run number {k}", loss=[1.23456] * 5) for k in range(14)]
    assert captions.story("T", crowd)[-1].said == "The end: step 4."  # nor the losses: only the step
    assert captions.story("T", many)[0].said == "Step 0: the start."
    seven = [run_of(f"nnn{k}", loss=[12.3456] * 5) for k in range(7)]  # fits only with two digits a loss
    assert captions.story("T", seven)[-1].said == (
        "The end, step 4: nnn0 12, nnn1 12, nnn2 12, nnn3 12, nnn4 12, nnn5 12, nnn6 12."
    )


def test_each_steps_captions_are_read_in_turn_a_note_held_and_the_end_held_at_least_hold():
    lines = [Line(0, "x" * 45, "", "start"), Line(2, "y" * 10, "", "note"), Line(2, "z" * 60, "", "spike"),
             Line(7, "w" * 10, "", "note"), Line(9, "v" * 10, "", "end")]  # fmt: skip
    # the first a second more than its reading: the viewer reads the title and the axes first
    assert captions.readings(lines, hold=3.0) == {0: [(4.0, False)], 2: [(2.5, True), (4.0, False)],
                                                  7: [(2.5, True)], 9: [(3.0, True)]}  # fmt: skip
    assert captions.readings(lines, hold=1.0)[9] == [(2.5, True)]  # never shorter than its reading
    both = [Line(0, "a", "", "start"), Line(4, "b" * 45, "", "note"), Line(4, "c", "", "end")]
    assert captions.readings(both, hold=5.0)[4] == [(3.0, True), (2.5, True)]  # the end's hold counts the note's 3 s
    assert captions.readings(both, hold=6.0)[4] == [(3.0, True), (3.0, True)]
    assert captions.phases(lines) == [(7, 9)]  # a note to the next line, when steps lie between
    assert captions.phases([Line(3, "n", "", "note"), Line(5, "e", "", "end")]) == [(3, 5)]
    assert captions.phases([Line(3, "n", "", "note"), Line(4, "e", "", "end")]) == []
    assert captions.phases([Line(0, "n", "", "note"), Line(5, "e", "", "end")]) == []  # the start's: no motion


class Plan:
    """A plan as timed() reads it: step k's first frame is frame 10 k, and frames 10 k to 10 k + 9 show it; 100
    frames."""

    def frame_of(self, step):
        return 10 * step

    def frames_of(self, step):
        return np.arange(10 * step, 10 * step + 10)

    def __len__(self):
        return 100


def test_each_cue_runs_from_its_steps_frame_after_those_before_it_there_until_the_next():
    lines = [Line(0, "a", "", "start"), Line(2, "b" * 45, "", "note"), Line(2, "c", "", "spike"),
             Line(2, "d", "", "note"), Line(5, "e", "", "end")]  # fmt: skip
    cues = captions.timed(lines, Plan(), fps=10)
    assert [(cue.start, cue.end) for cue in cues] == [(0.0, 2.0), (2.0, 5.0), (5.0, 7.5), (7.5, 5.0), (5.0, 10.0)]
    assert cues[1].text == "b" * 45 and cues[1].line is lines[1]
    (cue,) = captions.timed([Line(3, "x" * 38, "", "end")], Plan(), fps=7)
    assert (cue.start, cue.end) == (30 / 7, 100 / 7)
    first, second = captions.timed([Line(3, "x" * 38, "", "note"), Line(3, "y", "", "end")], Plan(), fps=7)
    assert second.start == pytest.approx(30 / 7 + 25 / 7)  # 2.53 s read, and the opening's 1 s: 25 frames


def test_a_note_at_step_0_ends_when_the_picture_starts_moving_and_others_when_the_next_begins():
    lines = [Line(0, "a", "", "note"), Line(4, "b", "", "note"), Line(6, "c", "", "end")]
    cues = captions.timed(lines, Plan(), fps=10)
    assert [(cue.start, cue.end) for cue in cues] == [(0.0, 1.0), (4.0, 6.0), (6.0, 10.0)]  # step 0 shows to frame 9
    start = captions.timed([Line(0, "a", "", "start"), *lines[1:]], Plan(), fps=10)
    assert (start[0].start, start[0].end) == (0.0, 4.0)  # the opening words, not a note: until the next


def test_timestamps_cue_text_webvtt_and_the_transcript_read_as_players_and_people_need():
    assert [captions.timestamp(s) for s in (0, 1.0005, 61.5, 599.9999, 3599.9996, 3600.25, 7322.001)] == [
        "00:00.000",
        "00:01.000",
        "01:01.500",
        "10:00.000",
        "01:00:00.000",
        "01:00:00.250",
        "02:02:02.001",
    ]
    assert captions.cue_text("a<b & c>d") == "a&lt;b &amp; c&gt;d"
    assert captions.cue_text("word " * 12) == "word word word word word word word word\nword word word word"
    cues = [Cue(0.0, 2.5, Line(0, "Hi.", "Hello there.", "start")),
            Cue(2.5, 65.25, Line(4, "Bye & go.", "Step 4: bye.", "end"))]  # fmt: skip
    assert captions.webvtt(cues) == ("WEBVTT\n\n1\n00:00.000 --> 00:02.500\nHi.\n\n"
                                     "2\n00:02.500 --> 01:05.250\nBye &amp; go.\n")  # fmt: skip
    assert captions.transcript("A fit", cues) == "A fit\n\n[00:00] Hello there.\n[00:02] Step 4: bye.\n"
    late = [Cue(3725.5, 3730.0, Line(0, "x", "Late.", "note"))]
    assert captions.transcript("T", late) == "T\n\n[01:02:05] Late.\n"
