// The review page: one scrubber per scene moves its video (or its old and new videos) to an exact step.
// Frame k of a video lasts from k / fps to (k + 1) / fps; seeking to the middle of it, (k + 0.5) / fps, shows
// frame k in every browser (a seek to the boundary can land on frame k - 1). Data come from data.js.
"use strict";

const DATA = window.TP1VIZ_REVIEW;
let current = null; // the scene the arrow keys move

function readoutText(info, step) {
  const parts = [`step ${step} / ${info.steps}`];
  const sides = info.videos.map((video) => video.runs);
  const longest = sides.reduce((a, b) => (b.length > a.length ? b : a));
  for (const [index, run] of longest.entries()) {
    const losses = sides.map((runs) => (runs[index] ? runs[index].loss[Math.min(step, runs[index].loss.length - 1)] : "—"));
    parts.push(`${run.label || "loss"} ${losses.join(" → ")}`);
  }
  return parts.join(" · ");
}

function setUp(section) {
  const name = section.dataset.scene;
  const info = DATA[name];
  const videos = [...section.querySelectorAll("video")];
  const scrubber = section.querySelector("input[type=range]");
  const readout = section.querySelector("output");
  const play = section.querySelector("button.play");
  const cursor = section.querySelector(".strip .cursor");
  let step = info.steps; // the posters show the last step: so do the scrubber and the readout, from the start

  const show = (k, seek = true) => {
    step = Math.max(0, Math.min(info.steps, k));
    scrubber.value = step;
    readout.textContent = readoutText(info, step);
    if (cursor) cursor.setAttribute("x", step);
    if (!seek) return;
    videos.forEach((video, index) => {
      const { fps, frames } = info.videos[index];  // the frame that shows each step, worked out by tp1viz
      video.currentTime = (frames[Math.min(step, frames.length - 1)] + 0.5) / fps;
    });
  };
  section.show = (k) => {
    current = section;
    videos.forEach((video) => video.pause());
    play.textContent = "▶ play";
    show(k);
    history.replaceState(null, "", `#${name}@${step}`);
  };
  scrubber.addEventListener("input", () => section.show(Number(scrubber.value)));
  // A click or a focus anywhere in the section (its video, its strip, its button) picks it for the keys.
  section.addEventListener("pointerdown", () => (current = section));
  section.addEventListener("focusin", () => (current = section));
  play.addEventListener("click", () => {
    current = section;
    if (!videos[0].paused) return section.show(step);
    if (step >= info.steps) show(0);
    videos.forEach((video) => video.play());
    play.textContent = "❚❚ pause";
  });
  videos[0].addEventListener("timeupdate", () => {
    const { fps, shown } = info.videos[0];
    if (!videos[0].paused) show(shown[Math.min(shown.length - 1, Math.floor(videos[0].currentTime * fps))], false);
  });
  videos[0].addEventListener("ended", () => section.show(info.steps));
  for (const video of videos) {
    if (video.readyState >= 1) show(step); // metadata came before this script ran
    else video.addEventListener("loadedmetadata", () => show(step));
  }
  show(step, false);
}

function fromHash() {
  const match = location.hash.match(/^#([a-z0-9_]+)@(\d+)$/);
  const section = match && document.getElementById(match[1]);
  if (section && section.show) {
    section.show(Number(match[2]));
    section.scrollIntoView();
  }
}

document.addEventListener("keydown", (event) => {
  if (!current || event.target.matches("input[type=range]")) return; // a focused scrubber moves by itself
  const moves = { ArrowLeft: (k) => k - 1, ArrowRight: (k) => k + 1, Home: () => 0, End: () => Infinity };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const scrubber = current.querySelector("input[type=range]");
  current.show(moves[event.key](Number(scrubber.value)));
});

document.querySelectorAll("section[data-scene]").forEach(setUp);
window.addEventListener("hashchange", fromHash);
fromHash();
