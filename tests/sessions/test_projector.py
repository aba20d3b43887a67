"""The projector view: the stage in large type, a server-drawn QR code of the audience view,
and the jam's tallies as a chart that follows the votes while a session runs."""

from __future__ import annotations

import html

from mlc_events.jams import services as jams
from mlc_events.live.services import channel
from mlc_events.sessions import services
from mlc_events.sessions.qr import qr_svg


def page(client, jam) -> str:
    return html.unescape(client.get(f"/events/{jam.id}/live?view=projector").get_data(as_text=True))


def test_the_projector_shows_the_stage_a_qr_code_and_the_tallies(
    app, client, make_jam, make_pitch, make_user
):
    jam = make_jam()
    pitch = make_pitch(jam, title="Sparse probes")
    services.start(jam.hosts[0], jam.id)
    jams.cast_vote(make_user(), pitch.id, True)
    body = page(client, jam)
    assert 'class="projector"' in body and "Sparse probes" in body and "Pitch 1 of 1" in body
    audience = f"{app.config['BASE_URL']}/events/{jam.id}/live"
    # The QR code is the audience view's address (the same encoder, asked independently).
    assert qr_svg(audience, "QR code: open the live view on your phone") in body
    assert "<title>QR code: open the live view on your phone</title>" in body
    assert audience in body  # and written out for those without a camera
    assert '<meter min="0" max="1" value="1" aria-label="1 vote">' in body


def test_hidden_tallies_stay_off_the_projector(client, make_jam, make_pitch, make_user, configure):
    jam = make_jam()
    pitch = make_pitch(jam)
    configure(jam, tallies_visible=False)
    jams.cast_vote(make_user(), pitch.id, True)
    body = page(client, jam)
    assert "Tallies are hidden" in body and "<meter" not in body


def test_votes_during_a_session_update_the_chart_live(app, make_jam, make_pitch, make_user):
    jam = make_jam()
    pitch = make_pitch(jam)
    log = app.extensions["broker"].logs
    jams.cast_vote(make_user(), pitch.id, True)
    assert f"#tally-chart-{jam.id}" not in log[channel(jam.id)][-1].data  # no session: no chart
    services.start(jam.hosts[0], jam.id)
    jams.cast_vote(make_user(), pitch.id, True)
    last = log[channel(jam.id)][-1].data
    assert f'<hx-partial hx-target="#tally-chart-{jam.id}"' in last and 'value="2"' in last
