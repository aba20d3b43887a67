"""Demo data: members and events of every kind, past and future. Safe to run again."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from .auth.models import User
from .database import utcnow
from .events.models import RSVP, Event
from .extensions import db
from .markdown import render_markdown
from .timeutil import local_to_utc, zone

DEMO_PASSWORD = "demo-password"

USERS = [
    ("admin@example.org", "Ada Admin", "admin", "Europe/London"),
    ("host@example.org", "Hugo Host", "host", "Europe/Berlin"),
    ("member@example.org", "Mia Member", "member", None),
    ("grace@example.org", "Grace Hopper", "member", "America/New_York"),
    ("alan@example.org", "Alan Turing", "member", "Europe/London"),
    ("kenji@example.org", "Kenji Sato", "member", "Asia/Tokyo"),
    ("amara@example.org", "Amara Okafor", "member", "Africa/Lagos"),
]

PAPERS = [
    ("Attention Is All You Need", "Vaswani et al., 2017"),
    ("Scaling Laws for Neural Language Models", "Kaplan et al., 2020"),
    ("Denoising Diffusion Probabilistic Models", "Ho et al., 2020"),
    ("Direct Preference Optimization", "Rafailov et al., 2023"),
    ("Mamba: Linear-Time Sequence Modeling", "Gu and Dao, 2023"),
    ("Grokking: Generalization Beyond Overfitting", "Power et al., 2022"),
    ("Toy Models of Superposition", "Elhage et al., 2022"),
]


def _weekday_on_or_after(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _at(day: date, hour: int, minute: int, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)), tz)


def _event_specs(today: date) -> list[dict]:
    specs: list[dict] = []
    thursday = _weekday_on_or_after(today + timedelta(days=1), 3)
    for week in range(-3, 4):
        day = thursday + timedelta(weeks=week)
        title, cite = PAPERS[(week + 3) % len(PAPERS)]
        specs.append(
            {
                "key": f"reading-group-{day.isoformat()}",
                "title": f"Reading group: {title}",
                "kind": "reading-group",
                "tz": "Europe/London",
                "start": _at(day, 17, 0, "Europe/London"),
                "minutes": 90,
                "location": "",
                "online_url": "https://meet.example.org/mlc-reading-group",
                "description": f"This week: **{title}** ({cite}).\n\nRead the paper before if you "
                "can; we go through it section by section and leave time for questions.",
            }
        )
    saturday = _weekday_on_or_after(today + timedelta(days=1), 5)
    specs += [
        {
            "key": "jam-upcoming",
            "title": "Research jam: small models, big ideas",
            "kind": "research-jam",
            "tz": "UTC",
            "start": _at(saturday, 15, 0, "UTC"),
            "minutes": 180,
            "location": "Community hub, room 2",
            "online_url": "https://meet.example.org/mlc-jam",
            "capacity": 40,
            "description": "Pitch a project idea in three minutes, find collaborators, vote on "
            "what the community should build next.\n\n- pitches: 3 minutes\n- questions: 2 "
            "minutes\n- voting at the end",
        },
        {
            "key": "jam-past",
            "title": "Research jam: evaluation we can trust",
            "kind": "research-jam",
            "tz": "UTC",
            "start": _at(today - timedelta(days=24), 15, 0, "UTC"),
            "minutes": 180,
            "location": "Community hub, room 2",
            "online_url": "https://meet.example.org/mlc-jam",
            "description": "Ideas for benchmarks that do not leak into training data.",
        },
        {
            "key": "lab-meeting-upcoming",
            "title": "Lab meeting: progress updates",
            "kind": "lab-meeting",
            "tz": "America/New_York",
            "start": _at(today + timedelta(days=5), 12, 0, "America/New_York"),
            "minutes": 60,
            "location": "",
            "online_url": "https://meet.example.org/mlc-lab",
            "visibility": "members",
            "description": "Each project team shows what changed in five minutes. Members only.",
        },
        {
            "key": "talk-upcoming",
            "title": "Talk: scaling laws revisited",
            "kind": "talk",
            "tz": "Asia/Tokyo",
            "start": _at(today + timedelta(days=10), 10, 0, "Asia/Tokyo"),
            "minutes": 60,
            "location": "",
            "online_url": "https://meet.example.org/mlc-talks",
            "description": "Kenji walks through what changed since Chinchilla.",
        },
        {
            "key": "talk-past",
            "title": "Talk: what interpretability can tell us",
            "kind": "talk",
            "tz": "Europe/Berlin",
            "start": _at(today - timedelta(days=17), 18, 0, "Europe/Berlin"),
            "minutes": 60,
            "location": "",
            "online_url": "https://meet.example.org/mlc-talks",
            "description": "A tour of circuits, probes and their limits.",
        },
        {
            "key": "mentoring-upcoming",
            "title": "Mentoring office hours",
            "kind": "talk",
            "tz": "Europe/London",
            "start": _at(today + timedelta(days=3), 18, 0, "Europe/London"),
            "minutes": 60,
            "location": "",
            "online_url": "https://meet.example.org/mlc-mentoring",
            "capacity": 2,
            "description": "Two places for a one-to-one with a mentor: careers, papers, code.",
        },
        {
            "key": "social-upcoming",
            "title": "End-of-year social",
            "kind": "social",
            "tz": "Europe/Berlin",
            "start": _at(today + timedelta(days=20), 19, 0, "Europe/Berlin"),
            "minutes": 180,
            "location": "Café Kollektiv, Berlin",
            "online_url": "",
            "capacity": 30,
            "description": "Food, drinks and no slides.",
        },
        {
            "key": "social-past",
            "title": "Autumn picnic",
            "kind": "social",
            "tz": "Europe/London",
            "start": _at(today - timedelta(days=40), 13, 0, "Europe/London"),
            "minutes": 180,
            "location": "Regent's Park, London",
            "online_url": "",
            "description": "Bring something to share.",
        },
    ]
    return specs


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def seed(today: date | None = None) -> str:
    """Add what is missing of the demo data; return a short report with the logins."""
    created_users = created_events = 0
    for email, name, role, tz in USERS:
        if _user(email) is None:
            user = User(email=email, display_name=name, role=role, timezone=tz, intro="")
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            created_users += 1
    db.session.flush()
    host, admin = _user("host@example.org"), _user("admin@example.org")
    today = today or utcnow().astimezone(zone("Europe/London")).date()
    for spec in _event_specs(today):
        uid = f"seed-{spec['key']}@mlc-events"
        if db.session.scalar(select(Event.id).where(Event.uid == uid)) is not None:
            continue
        event = Event(
            uid=uid,
            title=spec["title"],
            kind=spec["kind"],
            description=spec["description"],
            description_html=render_markdown(spec["description"]),
            starts_at=spec["start"],
            ends_at=spec["start"] + timedelta(minutes=spec["minutes"]),
            timezone=spec["tz"],
            location=spec["location"],
            online_url=spec["online_url"],
            capacity=spec.get("capacity"),
            visibility=spec.get("visibility", "public"),
        )
        event.hosts = [host] if spec["kind"] != "lab-meeting" else [host, admin]
        db.session.add(event)
        db.session.flush()
        _seed_rsvps(event, spec["key"])
        created_events += 1
    created_events += _seed_series(today, host)
    _seed_jam()
    db.session.commit()
    logins = "\n".join(
        f"  {email:<22} {DEMO_PASSWORD}  ({role})" for email, _, role, _ in USERS[:3]
    )
    return (
        f"Demo data: {created_users} members and {created_events} events added "
        f"(nothing is duplicated on a re-run).\nDemo logins:\n{logins}"
    )


def _seed_series(today: date, host: User) -> int:
    """The weekly reading group as a series: the seeded weeks are its first instances."""
    from .series.models import Series, StandingRSVP
    from .series.services import extend

    series = db.session.scalar(select(Series).where(Series.key == "seed-reading-group"))
    if series is None:
        thursday = _weekday_on_or_after(today + timedelta(days=1), 3)
        series = Series(
            key="seed-reading-group", title="Reading group", kind="reading-group",
            description="We read one paper a week, section by section. Bring questions.",
            timezone="Europe/London", start_time="17:00", duration_minutes=90,
            online_url="https://meet.example.org/mlc-reading-group", location="",
            frequency="weekly", interval=1, weekday=3, first_date=thursday - timedelta(weeks=3),
            horizon_weeks=6, visibility="public",
        )  # fmt: skip
        series.hosts = [host]
        db.session.add(series)
        db.session.flush()
        db.session.add(StandingRSVP(series_id=series.id, user_id=_user("alan@example.org").id))
    for event in db.session.scalars(
        select(Event).where(Event.uid.like("seed-reading-group-%"), Event.series_id.is_(None))
    ):
        event.series_id = series.id
        event.series_date = event.starts_at.astimezone(zone(series.timezone)).date()
    db.session.flush()
    return extend(series, today)


def _seed_rsvps(event: Event, key: str) -> None:
    now = utcnow()
    if key == "mentoring-upcoming":
        # Full, with one member waiting: shows the waitlist.
        plan = [
            ("grace@example.org", "going"),
            ("alan@example.org", "going"),
            ("kenji@example.org", "waitlisted"),
        ]
    elif key.startswith("reading-group") or key.startswith("jam"):
        plan = [
            (e, "going") for e in ("grace@example.org", "alan@example.org", "amara@example.org")
        ]
    else:
        plan = [("kenji@example.org", "going")]
    for offset, (email, status) in enumerate(plan):
        db.session.add(
            RSVP(
                event_id=event.id,
                user_id=_user(email).id,
                status=status,
                queued_at=now + timedelta(seconds=offset),
                updated_at=now,
            )
        )


JAM_PITCHES = [
    {
        "author": "kenji@example.org",
        "title": "Tiny recursive reasoners on a laptop",
        "summary": "Can a 7M-parameter model that refines its own answer a few times match much "
        "bigger models on Sudoku and ARC-style puzzles?\n\n- reproduce the recursive "
        "refinement trick on one puzzle set\n- measure how accuracy grows with the number of "
        "refinement steps\n- write up what breaks first",
        "looking_for": "code,compute",
        "tags": ["small models", "reasoning", "reproduction"],
    },
    {
        "author": "grace@example.org",
        "title": "A contamination detector for open benchmarks",
        "summary": "Half the leaderboard numbers we discuss may be memorised test sets. Let's "
        "build a small tool that estimates how much of a benchmark a model has seen, using "
        "n-gram overlap with open pre-training corpora and perturbed-question probes.",
        "looking_for": "data,code,writing",
        "tags": ["evaluation", "data"],
    },
    {
        "author": "amara@example.org",
        "title": "Sparse autoencoders for protein language models",
        "summary": "Train sparse autoencoders on the residual stream of a small protein language "
        "model and check whether the features line up with known binding sites and secondary "
        "structure. Needs someone who knows the biology as well as the ML.",
        "looking_for": "theory,compute,domain-expertise",
        "tags": ["interpretability", "biology"],
    },
    {
        "author": "alan@example.org",
        "title": "Distilling Whisper for low-resource languages",
        "summary": "Distil a speech model into something that runs on a phone for Yoruba and "
        "Welsh, and publish the recipe. We have a few hundred hours of community recordings "
        "to start from.",
        "looking_for": "data,compute,domain-expertise",
        "tags": ["speech", "distillation", "low-resource"],
    },
    {
        "author": "member@example.org",
        "title": "Do scaling laws hold for tabular foundation models?",
        "summary": "Tabular foundation models are the new thing; nobody has fitted a clean "
        "scaling law for them yet. A careful sweep on open datasets could settle it.",
        "looking_for": "theory,writing",
        "tags": ["scaling", "tabular"],
    },
]

# (voter, pitch index) with a budget of 3 votes each; nobody votes for their own pitch.
JAM_VOTES = [
    ("member@example.org", 0), ("member@example.org", 2), ("member@example.org", 1),
    ("grace@example.org", 0), ("grace@example.org", 3),
    ("alan@example.org", 0), ("alan@example.org", 2),
    ("kenji@example.org", 1), ("kenji@example.org", 4),
    ("amara@example.org", 0),
]  # fmt: skip

JAM_COMMENTS = [
    # (pitch index, author, body, replying to the comment at this index of JAM_COMMENTS)
    (0, "grace@example.org", "Which puzzle set first? ARC is the interesting one but Sudoku "
     "gives a clean baseline.", None),
    (0, "kenji@example.org", "Sudoku first: we can check the refinement loop in a day, then "
     "move to ARC.", 0),
    (1, "alan@example.org", "The perturbed-question probes could reuse the **GSM1k** idea: "
     "fresh questions of the same difficulty.", None),
    (2, "member@example.org", "I can help with the SAE training code; is there a model you "
     "have in mind?", None),
]  # fmt: skip


def _seed_jam() -> None:
    """Jam settings, pitches, votes, offers and comments for the upcoming seeded jam."""
    from .jams.models import Comment, JamSettings, Offer, Pitch, PitchTag, Vote

    event = db.session.scalar(select(Event).where(Event.uid == "seed-jam-upcoming@mlc-events"))
    if event is None:
        return
    if db.session.get(JamSettings, event.id) is None:
        db.session.add(
            JamSettings(
                event_id=event.id,
                submissions_open=True,
                voting_open=True,
                vote_budget=3,
                tallies_visible=True,
            )
        )
    now = utcnow()
    pitches: list[Pitch] = []
    for n, spec in enumerate(JAM_PITCHES):
        pitch = db.session.scalar(
            select(Pitch).where(Pitch.event_id == event.id, Pitch.title == spec["title"])
        )
        if pitch is None:
            created = now - timedelta(hours=len(JAM_PITCHES) - n)
            pitch = Pitch(
                event_id=event.id,
                author_id=_user(spec["author"]).id,
                title=spec["title"],
                summary=spec["summary"],
                summary_html=render_markdown(spec["summary"]),
                looking_for=spec["looking_for"],
                status="active",
                vote_count=0,
                created_at=created,
                updated_at=created,
            )
            pitch.tag_rows = [PitchTag(tag=t, position=i) for i, t in enumerate(spec["tags"])]
            db.session.add(pitch)
            db.session.flush()
        pitches.append(pitch)
    for email, index in JAM_VOTES:
        pitch, voter = pitches[index], _user(email)
        if pitch.author_id == voter.id:
            continue
        exists = db.session.scalar(
            select(Vote.id).where(Vote.pitch_id == pitch.id, Vote.user_id == voter.id)
        )
        if exists is None:
            db.session.add(Vote(pitch_id=pitch.id, user_id=voter.id))
    db.session.flush()
    for pitch in pitches:
        pitch.vote_count = db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.pitch_id == pitch.id)
        )
    offers = [
        (0, "member@example.org", "I can write the training loop in JAX and run ablations.",
         "accepted"),
        (2, "grace@example.org", "I've trained SAEs before and can share my code.", "pending"),
    ]  # fmt: skip
    for index, email, note, status in offers:
        pitch, member = pitches[index], _user(email)
        exists = db.session.scalar(
            select(Offer.id).where(Offer.pitch_id == pitch.id, Offer.user_id == member.id)
        )
        if exists is None:
            db.session.add(
                Offer(
                    pitch_id=pitch.id,
                    user_id=member.id,
                    note=note,
                    status=status,
                    accepted_at=now if status == "accepted" else None,
                )
            )
    stored: list[Comment] = []
    for n, (index, email, body, reply_to) in enumerate(JAM_COMMENTS):
        pitch, author = pitches[index], _user(email)
        comment = db.session.scalar(
            select(Comment).where(
                Comment.pitch_id == pitch.id, Comment.author_id == author.id, Comment.body == body
            )
        )
        if comment is None:
            created = now - timedelta(minutes=30 - n)
            comment = Comment(
                event_id=event.id,
                pitch_id=pitch.id,
                parent_id=stored[reply_to].id if reply_to is not None else None,
                author_id=author.id,
                body=body,
                body_html=render_markdown(body),
                status="visible",
                created_at=created,
                updated_at=created,
            )
            db.session.add(comment)
            db.session.flush()
        stored.append(comment)
