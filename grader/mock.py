"""Mock interviews: pick the drills, run the timed session, score it, keep it in the store.

A session is a small state machine. Events ("save", "key", "tick": grader.watch's
WatchEvent) come from an injectable source, time from an injectable clock, grading from
an injectable grader, and what happens is reported to a `SessionUI`; so the engine is
tested without a terminal, without torch and without real minutes. The CLI
(grader/cli_practice.py) feeds it watchfiles saves and key presses.

Rules (documented for users in docs/mock.md):
- Selection: unsolved drills first, then drills of weak topics (smoothed share of failed
  grading runs), ties broken by the seed; one drill per topic until every topic has one.
  The chosen drills are presented easiest first. Same seed + same progress = same drills.
- Time: ONE budget shared by the whole session, as in a real interview. Each drill gets a
  suggested pace (the budget split in proportion to the catalogue's minutes), shown but not
  enforced; a drill ends when it passes or is skipped, the session when the budget is spent
  (every file still open is then submitted as it stands: graded once, default profile).
- Each drill is copied from its pristine stub to `<workspace>/mock-<id>/<slug>.py`: the
  user's normal workspace copy is never touched.
- Score (0-100): coding 70% (each drill's credit weighted by difficulty: easy 1, medium 2,
  hard 3; a pass is worth 1, a failing submission FAIL_CREDIT x the share of properties
  that held, anything else 0), follow-ups 20%, cards 10% (self-graded 0/1/2 each, an
  unanswered question counts 0). A part with nothing in it gives its weight to the others.
- Storage: the scorecard is rewritten into `mock_sessions` after every event; an
  interrupted session is stored as abandoned with what was done; a session left running
  past its planned end by a process that no longer exists is marked abandoned by the
  next `drill mock` or `drill history` (`abandon_stale`).

Left out: the self-graded card answers do not feed the FSRS schedule of `drill cards`.
"""
from __future__ import annotations

import os
import random
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from grader.catalog import Drill
from grader.errors import DrillError
from grader.watch import WatchEvent

SCHEMA_VERSION = 1
DIFFICULTY_WEIGHT = {"easy": 1, "medium": 2, "hard": 3}
PART_WEIGHTS = {"coding": 0.7, "followups": 0.2, "cards": 0.1}
FAIL_CREDIT = 0.25            # a failing submission: at most a quarter of a pass
FOLLOWUPS_PER_DRILL = 2
CARDS_PER_SESSION = 3
WARN_AT = (300, 60)           # seconds left at which the user is warned
STALE_GRACE_S = 60            # a running session is stale this long after its planned end...
STALE_ALWAYS_S = 6 * 3600     # ...when its process is gone; after this, whatever the process
POLL_EVERY = 10              # ticks (~0.5 s with watch.merged_events) between checks for a save the watcher missed
REVEAL_KEYS = ("\n", "\r", " ")
SCORE_KEYS = {"y": 2, "Y": 2, "2": 2, "1": 1, "n": 0, "N": 0, "0": 0}
QUIT_KEYS = ("q", "Q")

Grader = Callable[[Drill, Path, bool], dict]   # (drill, file, quick) -> Result.to_dict()


# -- selection --------------------------------------------------------------------------------
def topic_weakness(drills: Sequence[Drill], summaries: dict[str, dict]) -> dict[str, float]:
    """Per topic, the smoothed share of failed grading runs: (failed + 1) / (runs + 2).

    An untried topic is 0.5; a topic failed twice and never passed is 0.75.
    """
    runs: dict[str, int] = {}
    fails: dict[str, int] = {}
    for d in drills:
        s = summaries.get(d.slug, {})
        n, passes = int(s.get("attempts") or 0), int(s.get("passes") or 0)
        runs[d.topic] = runs.get(d.topic, 0) + n
        fails[d.topic] = fails.get(d.topic, 0) + n - passes
    return {t: (fails[t] + 1) / (runs[t] + 2) for t in runs}


def select_drills(drills: Sequence[Drill], summaries: dict[str, dict], n: int, seed: int,
                  topic: str | None = None, only: Sequence[str] | None = None) -> list[Drill]:
    """The drills of a session, easiest first (a pure function of its arguments).

    `summaries` is Store.drill_summaries(): {slug: {"attempts", "passes", ...}}.
    Priority: unsolved before solved, weak topics before strong, then a seeded draw;
    at most one drill per topic until every topic of the pool has one. `only` (a test
    hook) names the drills and their order outright.
    """
    by_slug = {d.slug: d for d in drills}
    if only:
        unknown = [s for s in only if s not in by_slug]
        if unknown:
            raise DrillError(f"no drill named {', '.join(map(repr, unknown))}", hint="run `drill list` to see the drills")
        return [by_slug[s] for s in dict.fromkeys(only)]
    pool = [d for d in drills if topic is None or d.topic == topic]
    if not pool:
        topics = sorted({d.topic for d in drills})
        raise DrillError(f"no drill has the topic {topic!r}", hint="topics: " + ", ".join(topics))
    if n < 1:
        raise DrillError("a mock interview needs at least one drill", hint="use --drills 1 or more")
    rng = random.Random(seed)
    weak = topic_weakness(drills, summaries)
    # the draw is made in catalogue order, so the same seed gives the same tie-breaks
    keyed = [((summaries.get(d.slug, {}).get("passes") or 0) > 0, -round(weak[d.topic], 9), rng.random(), d.order, d)
             for d in pool]
    ranked = [k[-1] for k in sorted(keyed, key=lambda k: k[:4])]
    chosen: list[Drill] = []
    for d in ranked:                          # first pass: one per topic
        if len(chosen) < n and d.topic not in {c.topic for c in chosen}:
            chosen.append(d)
    for d in ranked:                          # then fill up in priority order
        if len(chosen) < n and d not in chosen:
            chosen.append(d)
    rank = {name: i for i, name in enumerate(DIFFICULTY_WEIGHT)}
    return sorted(chosen, key=lambda d: (rank.get(d.difficulty, 9), d.order))


def pace_plan(minutes: Sequence[int], budget_s: float) -> list[float]:
    """Suggested seconds per drill: the budget split in proportion to catalogue minutes.

    >>> pace_plan([15, 30], 900)
    [300.0, 600.0]
    """
    total = sum(minutes)
    if total <= 0:
        return [budget_s / len(minutes)] * len(minutes) if minutes else []
    return [budget_s * m / total for m in minutes]


@dataclass
class Question:
    """A follow-up question of a drill, or a concept card; self-graded 0, 1 or 2."""
    kind: str                      # "followup" | "card"
    ref: str                       # the drill's slug, or the card's id
    topic: str
    front: str
    back: str
    score: int | None = None       # None: not answered (counts 0)
    card: Any = field(default=None, repr=False, compare=False)   # the Card, for rendering

    def as_dict(self) -> dict:
        return {"kind": self.kind, "ref": self.ref, "topic": self.topic, "question": self.front, "score": self.score}


def pick_followups(drills: Sequence[Drill], seed: int, per_drill: int = FOLLOWUPS_PER_DRILL) -> list[Question]:
    """`per_drill` follow-ups of each drill (seeded choice, in the catalogue's order)."""
    rng = random.Random(f"{seed}:followups")
    out = []
    for d in drills:
        picked = sorted(rng.sample(range(len(d.followups)), min(per_drill, len(d.followups))))
        out += [Question("followup", d.slug, d.topic, d.followups[i].question, d.followups[i].answer) for i in picked]
    return out


def pick_cards(cards: Sequence[Any], topics: Sequence[str], seed: int, n: int = CARDS_PER_SESSION,
               lang: str = "en") -> list[Question]:
    """`n` cards whose tags include one of `topics`, taken from the topics in turn (seeded)."""
    from grader.cards.text import card_back, card_front

    rng = random.Random(f"{seed}:cards")
    order = list(dict.fromkeys(topics))
    pools = {}
    for t in order:
        pool = sorted((c for c in cards if t.lower() in (x.lower() for x in c.tags)), key=lambda c: c.id)
        rng.shuffle(pool)
        pools[t] = pool
    chosen: list[Question] = []
    seen: set[str] = set()
    while len(chosen) < n and any(pools.values()):
        for t in order:
            while pools[t] and len(chosen) < n:
                c = pools[t].pop(0)
                if c.id not in seen:
                    seen.add(c.id)
                    chosen.append(Question("card", c.id, t, card_front(c, lang), card_back(c, lang), card=c))
                    break
    return chosen


# -- scoring ------------------------------------------------------------------------------------
def property_counts(result: dict | None) -> tuple[list[str], int, int]:
    """(names of failing properties, properties that held, properties run) of a result."""
    if not result:
        return [], 0, 0
    verdicts: dict[str, list[str]] = {}
    for p in result.get("properties", []):
        if p["status"] != "skipped":
            verdicts.setdefault(p["name"], []).append(p["status"])
    failed = [name for name, v in verdicts.items() if any(s in ("fail", "error") for s in v)]
    held = sum(1 for v in verdicts.values() if all(s == "pass" for s in v))
    return failed, held, len(verdicts)


def drill_credit(d: dict) -> float:
    """1 for a pass; FAIL_CREDIT x the share of properties that held for a failing submission."""
    if d["status"] == "pass":
        return 1.0
    if d["status"] == "fail" and d.get("properties_total"):
        return FAIL_CREDIT * d["properties_passed"] / d["properties_total"]
    return 0.0


def score(drills: Sequence[dict], questions: Sequence[dict]) -> dict:
    """The overall score (0-100), its parts and a one-line rationale.

    >>> score([{"status": "pass", "difficulty": "easy"}], [])["overall"]
    100
    """
    parts: dict[str, float] = {}
    notes: dict[str, str] = {}
    if drills:
        weights = [DIFFICULTY_WEIGHT.get(d["difficulty"], 1) for d in drills]
        parts["coding"] = sum(w * drill_credit(d) for w, d in zip(weights, drills)) / sum(weights)
        passed = sum(d["status"] == "pass" for d in drills)
        notes["coding"] = f"{passed}/{len(drills)} drills passed, weighted by difficulty"
    for kind, part in (("followup", "followups"), ("card", "cards")):
        mine = [q for q in questions if q["kind"] == kind]
        if mine:
            points = sum(q["score"] or 0 for q in mine)
            parts[part] = points / (2 * len(mine))
            notes[part] = f"{points}/{2 * len(mine)} points"
    total_w = sum(PART_WEIGHTS[p] for p in parts)
    weights = {p: PART_WEIGHTS[p] / total_w for p in parts} if total_w else {}
    overall = round(100 * sum(parts[p] * weights[p] for p in parts)) if parts else 0
    names = {"coding": "coding", "followups": "follow-ups", "cards": "cards"}
    rationale = " + ".join(f"{names[p]} {parts[p]:.0%} ({notes[p]}) x {weights[p]:.0%}" for p in parts)
    return {"overall": overall, "parts": {p: round(v, 4) for p, v in parts.items()},
            "weights": {p: round(w, 4) for p, w in weights.items()},
            "rationale": (rationale + f" = {overall}/100") if parts else "nothing was done"}


# -- the session --------------------------------------------------------------------------------
class SessionUI:
    """What a session reports as it goes. The CLI renders it; tests record it."""

    def drill_started(self, session: "MockSession", run: "DrillRun") -> None: ...
    def grading(self, session: "MockSession", run: "DrillRun", quick: bool) -> None: ...
    def done_grading(self, session: "MockSession", run: "DrillRun") -> None: ...
    def graded(self, session: "MockSession", run: "DrillRun", result: dict, confirming: bool) -> None: ...
    def warning(self, session: "MockSession", seconds_left: int) -> None: ...
    def submitting(self, session: "MockSession", run: "DrillRun") -> None: ...
    def coding_over(self, session: "MockSession", reason: str) -> None: ...
    def question(self, session: "MockSession", index: int, q: Question) -> None: ...
    def revealed(self, session: "MockSession", index: int, q: Question) -> None: ...
    def tick(self, session: "MockSession") -> None: ...


@dataclass
class DrillRun:
    drill: Drill
    path: Path
    pace_s: float
    state: str = "pending"            # pending | active | done
    ended_by: str | None = None       # pass | skip | time | quit | done | interrupt
    started_s: float | None = None    # session clock when it was shown
    started_at: str | None = None     # UTC, when it was shown
    used_s: float = 0.0
    runs: int = 0
    last: dict | None = None          # the latest final verdict (a quick pass awaiting its confirmation is not one)
    last_sha: str | None = None
    last_profile: str | None = None
    seen_sha: str | None = None       # the content last graded (or shown): a save of the same content is no change
    polled: tuple | None = None       # (mtime_ns, size) at the last poll
    poll_dirty: bool = False
    ticks: int = 0

    @property
    def status(self) -> str:
        return self.last["status"] if self.last else ("pending" if self.state != "done" else "not_started")

    def as_dict(self) -> dict:
        failed, held, total = property_counts(self.last)
        d = self.drill
        return {"slug": d.slug, "title": d.title, "topic": d.topic, "difficulty": d.difficulty, "minutes": d.minutes,
                "file": str(self.path), "pace_s": round(self.pace_s, 1), "state": self.state, "status": self.status,
                "ended_by": self.ended_by, "reached": self.started_s is not None, "time_used_s": round(self.used_s, 1),
                "runs": self.runs, "failed_properties": failed, "properties_passed": held, "properties_total": total,
                "diagnosis": [x["title"] for x in (self.last or {}).get("diagnosis", [])],
                "message": (self.last or {}).get("message", "")}


def scaled_clock(scale: float = 1.0, base: Callable[[], float] = time.monotonic) -> Callable[[], float]:
    """A clock running `scale` times faster than `base` (DRILL_CLOCK_SCALE, a test hook)."""
    start = base()
    return lambda: start + (base() - start) * scale


def error_result(drill: Drill, path: Path, message: str) -> dict:
    return {"drill": drill.slug, "file": str(path), "status": "error", "message": message, "next_step": None,
            "detail": None, "properties": [], "diagnosis": [], "devices": {}, "output": "", "profile": "default",
            "seed": None, "duration_s": 0.0, "schema_version": 1}


def file_sha(path: Path) -> str | None:
    from grader.workspace import file_sha as sha

    try:
        return sha(path)
    except OSError:
        return None


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _default_grader(drill: Drill, path: Path, quick: bool) -> dict:
    from grader.watch import grade_once

    return grade_once(drill, path, quick=quick)


class MockSession:
    """One mock interview: coding (timed), then questions, then the scorecard.

    Phases: "new" -> start() -> "coding" -> end_coding() -> "questions" -> finish() -> "done";
    abandon() from anywhere. Every change is written to the store at once.
    """

    def __init__(self, store, drills: Sequence[Drill], *, budget_s: float, seed: int, workspace_root: Path,
                 lang: str = "en", topic: str | None = None, cards: Sequence[Any] = (),
                 clock: Callable[[], float] = time.monotonic, clock_scale: float = 1.0,
                 grader: Grader | None = None, ui: SessionUI | None = None,
                 followups_per_drill: int = FOLLOWUPS_PER_DRILL, cards_per_session: int = CARDS_PER_SESSION):
        if not drills:
            raise DrillError("a mock interview needs at least one drill")
        self.store = store
        self.drills = list(drills)
        self.budget_s = float(budget_s)
        self.seed = seed
        self.root = Path(workspace_root)
        self.lang = lang
        self.topic = topic
        self.cards = list(cards)
        self.clock = clock
        self.clock_scale = clock_scale
        self.grader = grader or _default_grader
        self.ui = ui or SessionUI()
        self.followups_per_drill = followups_per_drill
        self.cards_per_session = cards_per_session
        self.id: int | None = None
        self.folder: Path | None = None
        self.phase = "new"
        self.status = "running"
        self.ended_reason: str | None = None
        self.abandon_reason: str | None = None
        self.started_at: str | None = None
        self.ended_at: str | None = None
        self.t0 = 0.0
        self.t_end: float | None = None           # session clock when the coding part ended
        self.warned: set[int] = set()
        self.questions: list[Question] = []
        paces = pace_plan([d.minutes for d in self.drills], self.budget_s)
        self.runs = [DrillRun(d, Path(), p) for d, p in zip(self.drills, paces)]

    # -- clock ----------------------------------------------------------------------------
    def elapsed(self) -> float:
        return (self.t_end if self.t_end is not None else self.clock()) - self.t0

    def remaining(self) -> float:
        return self.budget_s - self.elapsed()

    @property
    def active(self) -> DrillRun | None:
        return next((r for r in self.runs if r.state == "active"), None)

    def status_data(self) -> dict:
        """What the status line shows."""
        run = self.active
        out = {"id": self.id, "remaining_s": self.remaining(), "budget_s": self.budget_s, "count": len(self.runs),
               "phase": self.phase}
        if run is not None:
            out.update(index=self.runs.index(run) + 1, slug=run.drill.slug, pace_s=run.pace_s,
                       used_s=self.clock() - (run.started_s or 0.0), runs=run.runs,
                       last_status=run.last["status"] if run.last else None)
        return out

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> int:
        """Create the stored session and its folder; show the first drill. Returns the id."""
        from grader.store import utcnow

        self.started_at = utcnow()
        wall_end = datetime.fromisoformat(self.started_at) + timedelta(seconds=self.budget_s / self.clock_scale)
        config = {"minutes": round(self.budget_s / 60, 3), "budget": "shared", "drills": [d.slug for d in self.drills],
                  "topic": self.topic, "seed": self.seed, "lang": self.lang, "clock_scale": self.clock_scale,
                  "ends_at": wall_end.isoformat(timespec="seconds"), "pid": os.getpid(), "host": socket.gethostname(),
                  "workspace": str(self.root)}
        self.id = self.store.create_mock_session(config, self.seed, started_at=self.started_at)
        self.folder = self.root / f"mock-{self.id}"
        try:
            if self.folder.exists():   # left by a store that was since deleted: keep it, start clean
                stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                self.folder.rename(self.folder.with_name(f"{self.folder.name}.previous-{stamp}"))
            self.folder.mkdir(parents=True)
            for run in self.runs:
                run.path = self.folder / f"{run.drill.slug}.py"
                shutil.copyfile(run.drill.stub_path, run.path)
        except OSError as e:
            self.abandon(f"cannot write {self.folder}: {e}")
            raise DrillError(f"cannot write the session's files in {self.folder}: {e.strerror or e}",
                             hint="set DRILL_WORKSPACE to a writable folder") from None
        self.phase = "coding"
        self.t0 = self.clock()
        self._activate(self.runs[0])
        return self.id

    def _activate(self, run: DrillRun) -> None:
        from grader.store import utcnow

        run.state = "active"
        run.seen_sha, run.polled = file_sha(run.path), _stat(run.path)
        run.started_s = self.clock()
        run.started_at = utcnow()
        self.save()
        self.ui.drill_started(self, run)

    def _advance(self) -> None:
        nxt = next((r for r in self.runs if r.state == "pending"), None)
        if nxt is None:
            self.end_coding("done")
        else:
            self._activate(nxt)

    # -- coding -----------------------------------------------------------------------------
    def run_coding(self, events: Callable[[DrillRun], Iterable[WatchEvent]]) -> None:
        """Consume events until the coding part is over; `events(run)` watches one drill's file.

        A source that runs dry (end of input) ends the coding part as if 'q' was pressed.
        """
        while self.phase == "coding":
            run = self.active
            assert run is not None
            stream = iter(events(run))
            try:
                for ev in stream:
                    self.handle(ev)
                    if self.phase != "coding" or self.active is not run:
                        break
                else:
                    self.end_coding("quit")
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()

    def handle(self, ev: WatchEvent) -> None:
        """One event of the coding part: a save, a key (s skip, q end, r re-run) or a tick.

        A save grades the file when its content changed since it was last graded; ticks
        also poll the file, so a save the watcher missed (one made while it was starting,
        a network file system) is still graded.
        """
        if self.phase != "coding":
            return
        run = self.active
        if run is not None:
            if ev.kind == "save":
                if file_sha(run.path) != run.seen_sha:
                    self._regrade(run)
            elif ev.kind == "key" and ev.key == "r":
                self._regrade(run)
            elif ev.kind == "tick":
                self._poll(run)
            elif ev.kind == "key" and ev.key == "s":
                self._submit(run, "skip")
                self._advance()
            elif ev.kind == "key" and ev.key in QUIT_KEYS:
                self.end_coding("quit")
        self.check_time()
        if self.phase == "coding":
            self.ui.tick(self)

    def check_time(self) -> None:
        left = self.remaining()
        for mark in sorted(WARN_AT):         # when two marks pass at once, say only the nearer one
            if mark not in self.warned and left <= mark < self.budget_s and left > 0:
                self.warned.update(m for m in WARN_AT if m >= mark)
                self.ui.warning(self, mark)
        if left <= 0 and self.phase == "coding":
            self.end_coding("time")

    def _grade(self, run: DrillRun, quick: bool) -> dict:
        self.ui.grading(self, run, quick)
        try:
            return self.grader(run.drill, run.path, quick)
        except DrillError as e:
            return error_result(run.drill, run.path, str(e))
        except Exception as e:  # noqa: BLE001 - a grader bug must not end the interview
            return error_result(run.drill, run.path, f"the grader itself failed ({type(e).__name__}: {e}); "
                                                     "this is a bug in drill, not in your code: please report it")
        finally:
            self.ui.done_grading(self, run)

    def _record(self, run: DrillRun, result: dict, sha: str | None, profile: str) -> None:
        run.last, run.last_sha, run.last_profile = result, sha, profile
        # an untouched stub is no attempt: it would mark the drill "in progress" in `drill list`
        if run.started_at is not None and result["status"] != "not_started":
            self.store.record_mock_attempt(run.drill.slug, result, started_at=run.started_at, file_sha=sha)
        self.save()

    def _poll(self, run: DrillRun) -> None:
        run.ticks += 1
        if run.ticks % POLL_EVERY:
            return
        st = _stat(run.path)
        if st != run.polled:              # changed: grade it once it has stayed the same for a poll
            run.polled, run.poll_dirty = st, True
        elif run.poll_dirty:
            run.poll_dirty = False
            if file_sha(run.path) != run.seen_sha:
                self._regrade(run)

    def _regrade(self, run: DrillRun) -> None:
        """A quick verdict, then (for a pass or a failure) the default run; a confirmed pass ends the drill."""
        from grader.watch import follow_up

        run.runs += 1
        sha = run.seen_sha = file_sha(run.path)
        result = self._grade(run, quick=True)
        profile = "quick"
        if follow_up(result):
            if result["status"] == "fail":
                # a failure on screen is the drill's state even if the refining run is cut short
                # (Ctrl-C, time up); the store gets one attempt per save: the refined one
                run.last, run.last_sha, run.last_profile = result, sha, "quick"
                self.save()
            self.ui.graded(self, run, result, True)
            result = self._grade(run, quick=False)
            profile = "default"
        self._record(run, result, sha, profile)
        self.ui.graded(self, run, result, False)
        if result["status"] == "pass":
            self._close(run, "pass")
            self._advance()

    def _submit(self, run: DrillRun, ended_by: str) -> None:
        """Hand the file in as it stands: graded once (default profile) unless already graded so."""
        if run.state == "done":
            return
        sha = file_sha(run.path)
        fresh = run.last is not None and run.last_sha == sha and run.last_profile == "default"
        if not fresh:
            from grader.workspace import is_pristine

            if is_pristine(run.drill, run.path):
                run.last = None          # untouched: not started, nothing to grade
            else:
                self.ui.submitting(self, run)
                run.runs += 1
                self._record(run, self._grade(run, quick=False), sha, "default")
        self._close(run, ended_by)

    def _close(self, run: DrillRun, ended_by: str) -> None:
        if run.started_s is not None and run.state == "active":
            run.used_s = self.clock() - run.started_s
        run.state = "done"
        run.ended_by = ended_by
        self.save()

    def end_coding(self, reason: str) -> None:
        """The coding part is over (all done, time, quit): submit what is open, pick the questions."""
        if self.phase != "coding":
            return
        self.t_end = self.clock()
        self.ended_reason = reason
        self.ui.coding_over(self, reason)
        for run in self.runs:
            if run.state != "done":
                self._submit(run, reason)
        reached = [r.drill for r in self.runs if r.started_s is not None]
        self.questions = pick_followups(reached, self.seed, self.followups_per_drill)
        self.questions += pick_cards(self.cards, [d.topic for d in reached], self.seed, self.cards_per_session,
                                     self.lang)
        self.phase = "questions"
        self.save()

    # -- questions --------------------------------------------------------------------------
    def run_questions(self, read_key: Callable[[float], str | None]) -> None:
        """Ask each question: Enter reveals the answer, then y/n or 0/1/2; q stops asking."""
        for i, q in enumerate(self.questions):
            if q.score is not None:
                continue
            self.ui.question(self, i, q)
            if _wait_key(read_key, REVEAL_KEYS + QUIT_KEYS) in QUIT_KEYS:
                return
            self.ui.revealed(self, i, q)
            key = _wait_key(read_key, tuple(SCORE_KEYS) + QUIT_KEYS)
            if key in QUIT_KEYS:
                return
            self.answer(i, SCORE_KEYS[key])

    def answer(self, index: int, points: int) -> None:
        if points not in (0, 1, 2):
            raise ValueError("a self-grade is 0, 1 or 2")
        self.questions[index].score = points
        self.save()

    # -- the end ----------------------------------------------------------------------------
    def finish(self) -> dict:
        from grader.store import utcnow

        self.phase = "done"
        self.status = "finished"
        self.ended_at = utcnow()
        self.save()
        return self.scorecard()

    def abandon(self, reason: str) -> dict:
        """Store the session as abandoned with what was done (no grading: this must be quick)."""
        from grader.store import utcnow

        if self.status != "running" or self.id is None:
            return self.scorecard()
        if self.t_end is None:
            self.t_end = self.clock()
        for run in self.runs:
            if run.state == "active":
                run.used_s = self.t_end - (run.started_s or self.t_end)
                run.state = "done"
                run.ended_by = "interrupt"
        self.ended_reason = self.ended_reason or reason
        self.abandon_reason = reason
        self.phase = "done"
        self.status = "abandoned"
        self.ended_at = utcnow()
        self.save()
        return self.scorecard()

    def scorecard(self) -> dict:
        drills = [r.as_dict() for r in self.runs]
        questions = [q.as_dict() for q in self.questions]
        out = {"schema_version": SCHEMA_VERSION, "id": self.id, "status": self.status, "phase": self.phase,
               "started_at": self.started_at, "ended_at": self.ended_at, "seed": self.seed, "topic": self.topic,
               "lang": self.lang, "budget": "shared", "budget_s": round(self.budget_s, 1),
               "elapsed_s": round(max(self.elapsed(), 0.0), 1) if self.phase != "new" else 0.0,
               "ended_reason": self.ended_reason, "folder": str(self.folder) if self.folder else None,
               "drills": drills, "questions": questions,
               "followups": _points(questions, "followup"), "cards": _points(questions, "card"),
               "score": score(drills, questions)}
        if self.status == "abandoned":
            out["abandon_reason"] = self.abandon_reason
        return out

    def save(self) -> None:
        if self.id is None:
            return
        self.store.save_mock_session(self.id, self.scorecard(), status=self.status, ended_at=self.ended_at)


def _points(questions: list[dict], kind: str) -> dict:
    mine = [q for q in questions if q["kind"] == kind]
    return {"asked": len(mine), "answered": sum(q["score"] is not None for q in mine),
            "points": sum(q["score"] or 0 for q in mine), "max": 2 * len(mine)}


def _wait_key(read_key: Callable[[float], str | None], allowed: tuple[str, ...]) -> str:
    while True:
        key = read_key(0.25)
        if key is not None and key in allowed:
            return key


# -- stale sessions -----------------------------------------------------------------------------
def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def abandon_stale(store, now: datetime | None = None, alive: Callable[[int], bool] = pid_alive) -> list[int]:
    """Mark abandoned every session still 'running' past its planned end whose process is gone.

    A process killed with -9 cannot close its session; this runs at the start of
    `drill mock` and `drill history`. A session of a live process on this host is left
    alone (it may be in its questions), unless it is STALE_ALWAYS_S past its end.
    """
    now = now or datetime.now(timezone.utc)
    here = socket.gethostname()
    done = []
    for s in store.mock_sessions(status="running", limit=1000):
        cfg = s["config"] or {}
        try:
            ends = datetime.fromisoformat(cfg["ends_at"])
        except (KeyError, TypeError, ValueError):
            ends = datetime.fromisoformat(s["started_at"]) + timedelta(minutes=float(cfg.get("minutes") or 60))
        late = (now - ends).total_seconds()
        if late < STALE_GRACE_S:
            continue
        pid = cfg.get("pid")
        if late < STALE_ALWAYS_S and cfg.get("host") == here and isinstance(pid, int) and alive(pid):
            continue
        card = dict(s["scorecard"] or {})
        card.update(status="abandoned", abandon_reason="the session's process ended without closing it",
                    ended_at=card.get("ended_at") or now.isoformat(timespec="seconds"))
        for d in card.get("drills", []):
            if d.get("state") == "active":
                d.update(state="done", ended_by="interrupt")
        store.save_mock_session(s["id"], card, status="abandoned", ended_at=card["ended_at"])
        done.append(s["id"])
    return done
