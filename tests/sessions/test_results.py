"""Results: closing a voting round freezes them, later votes do not change them; hosts reveal
them to everyone; a ranking with a server-drawn chart, and a CSV for the hosts."""

from __future__ import annotations

import csv
import html
import io

import pytest

from mlc_events.errors import Conflict, PermissionDenied
from mlc_events.extensions import db
from mlc_events.jams import services as jams
from mlc_events.sessions import services
from tests.conftest import both_backends

# The row locks and the upsert that creates a session differ between the two databases.
pytestmark = both_backends


@pytest.fixture
def voted(make_jam, make_pitch, make_user):
    """A running session on a jam whose pitches got 2, 1 and 1 votes; voting still open."""
    jam = make_jam()
    host = jam.hosts[0]
    pitches = [make_pitch(jam, title=t, author=make_user()) for t in ("Alpha", "=SUM(A1)", "Beta")]
    services.start(host, jam.id)
    voters = [make_user() for _ in range(2)]
    for voter in voters:
        jams.cast_vote(voter, pitches[0].id, True)
    jams.cast_vote(voters[0], pitches[1].id, True)
    jams.cast_vote(voters[1], pitches[2].id, True)
    return jam, host, pitches, voters


def test_closing_voting_freezes_the_results_and_later_votes_do_not_change_them(voted, make_user):
    jam, host, pitches, _ = voted
    assert services.results(host, jam.id) is None  # no round closed yet
    services.set_voting(host, jam.id, "off")
    frozen = services.results(host, jam.id)
    assert [(r.rank, r.pitch.title, r.votes) for r in frozen.rows] == [
        (1, "Alpha", 2),
        (2, "=SUM(A1)", 1),  # ties share the rank, in submission order
        (2, "Beta", 1),
    ]
    assert frozen.rows[0].share == 1 and frozen.rows[1].share == 0.5
    services.set_voting(host, jam.id, "all")  # voting opens again...
    jams.cast_vote(make_user(), pitches[2].id, True)
    db.session.expire_all()
    assert [r.votes for r in services.results(host, jam.id).rows] == [2, 1, 1]  # ...unchanged
    services.end(host, jam.id)  # ending closes the round: a new snapshot
    db.session.expire_all()
    assert [(r.rank, r.pitch.title) for r in services.results(host, jam.id).rows][:2] == [
        (1, "Alpha"),
        (1, "Beta"),
    ]


def test_members_see_results_only_once_revealed(voted, make_user):
    jam, host, _, _ = voted
    member = make_user()
    with pytest.raises(Conflict, match="Close a voting round first"):
        services.reveal(host, jam.id)
    services.set_voting(host, jam.id, "off")
    assert services.results(member, jam.id) is None
    assert services.results(None, jam.id) is None
    with pytest.raises(PermissionDenied):
        services.reveal(member, jam.id)
    services.reveal(host, jam.id)
    assert services.results(member, jam.id).revealed
    assert services.results(None, jam.id) is not None  # a public jam: anyone
    assert jams.settings_for(jam.id).tallies_visible
    with pytest.raises(Conflict, match="already revealed"):
        services.reveal(host, jam.id)


def test_the_csv_is_for_hosts_and_never_runs_as_a_formula(voted, make_user):
    jam, host, _, _ = voted
    with pytest.raises(Conflict):
        services.results_csv(host, jam.id)
    services.set_voting(host, jam.id, "off")
    with pytest.raises(PermissionDenied):
        services.results_csv(make_user(), jam.id)
    rows = list(csv.reader(io.StringIO(services.results_csv(host, jam.id))))
    assert rows[0] == ["rank", "pitch", "author", "votes", "frozen_at_utc"]
    assert rows[1][:2] == ["1", "Alpha"] and rows[1][3] == "2"
    assert rows[2][1] == "'=SUM(A1)"


def test_results_page_chart_and_csv_over_http(voted, login, make_user, client):
    jam, host, _, _ = voted
    services.set_voting(host, jam.id, "off")
    hidden = client.get(f"/events/{jam.id}/results").get_data(as_text=True)
    assert "appear here when the hosts reveal them" in hidden and "Alpha" not in hidden
    member = login(make_user())
    assert member.get(f"/events/{jam.id}/results.csv").status_code == 403
    hosting = login(host)
    answer = hosting.get(f"/events/{jam.id}/results.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    services.reveal(host, jam.id)
    page = html.unescape(member.get(f"/events/{jam.id}/results").get_data(as_text=True))
    chart = page.split('<svg class="results-chart"')[1].split("</svg>")[0]
    assert 'role="img"' in chart and "<script" not in chart and "<rect" in chart
    assert "<title" in page and "Alpha: 2" in page
    assert '<th scope="col">Rank</th>' in page
    assert "Download the results" not in page  # members get no CSV link
    live = html.unescape(member.get(f"/events/{jam.id}/live").get_data(as_text=True))
    assert 'class="results"' in live
