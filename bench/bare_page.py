"""A bare Flask app serving the jam page from memory: the baseline of bench/page_bench.py.

    BARE_PAGE_DATA=/tmp/folder-of-pages gunicorn --config gunicorn.conf.py \
        --pythonpath bench bare_page:app

One page per viewer, ``<name>.json`` in the folder (page_bench.py writes "member" and
"anonymous"). ``/jinja/<name>`` renders the page's HTML through Jinja from in-memory data: the
pitches, their counts and the comment threads as plain dicts (times as datetimes, shown with
the app's own filters), the page's fixed parts (head, navigation, event details, forms) as
literal strings. The template is compiled once, at import. It mirrors the markup of
templates/jams/_board_item.html and _comment_item.html (and what they include), so the output is
the app's page byte for byte; page_bench.py checks that. ``/bytes/<name>`` serves the app's page
as fetched, with no rendering at all. No database, no session, no sign-in.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from flask import Flask, Response

from mlc_events.timeutil import format_local, iso_z

# One board item: _board_item.html with _pitch_card.html and _vote.html inlined (the tally,
# owned by _tally.html, comes pre-rendered in the data, as the live broker holds it).
PITCH = """{# board item #}
<li class="board-item" id="board-item-{{ p.id }}">
  {# pitch card #}
<article id="pitch-{{ p.id }}" class="pitch-card" data-pitch-id="{{ p.id }}" \
data-author-id="{{ p.author_id }}">
  <h3><a href="/pitches/{{ p.id }}">{{ p.title }}</a></h3>
  <p class="byline">by {{ p.author_name }}</p>
  <div class="summary clamp" hx-ignore>{{ p.summary_html|safe }}</div>
  {% if p.skills %}
  <p class="looking-for"><span class="label">Looking for:</span>
    {% for label in p.skills %}<span class="skill">{{ label }}</span>{% endfor %}</p>
  {% endif %}
  {% if p.tags %}
  <ul class="tags" aria-label="Tags">
    {% for name in p.tags %}<li><a class="tag" href="/events/{{ event_id }}?\
{{ {'tag': name}|urlencode }}#jam">{{ name }}</a></li>{% endfor %}
  </ul>
  {% endif %}
  <p class="pitch-stats">
    {{ p.tally|safe }}
    <span><a href="/pitches/{{ p.id }}#comments-pitch-{{ p.id }}">{{ p.comments }} \
comment{{ "" if p.comments == 1 else "s" }}</a></span>
    {% if p.team %}<span>{{ p.team + 1 }} on the team</span>{% endif %}
    {% if p.offers %}<span>{{ p.offers }} offer{{ "" if p.offers == 1 else "s" }} \
to help</span>{% endif %}
  </p>
</article>
  {# vote #}
{% set voted = p.voted %}
{% set url = "/pitches/" ~ p.id ~ "/vote" %}
<div id="vote-{{ p.id }}" class="vote">
  {% if not viewer_id %}
    <a class="button small secondary" href="{{ login_url }}">Sign in to vote</a>
  {% elif p.author_id == viewer_id %}
    <p class="hint">Your pitch</p>
  {% elif p.withdrawn %}
    <p class="hint">Withdrawn</p>
  {% elif voting_closed %}
    <p class="hint">{% if voted %}You voted · {% endif %}Voting closed</p>
  {% elif not voted and votes_left == 0 %}
    <p class="hint">No votes left</p>
  {% else %}
    <form method="post" action="{{ url }}" hx-post="{{ url }}" hx-target="#vote-{{ p.id }}" \
hx-swap="outerHTML">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ back }}">
      <input type="hidden" name="vote" value="{{ 'off' if voted else 'on' }}">
      {% if voted %}
      <button type="submit" class="vote-button voted">Voted ✓<span class="visually-hidden">: \
take back your vote for “{{ p.title }}”</span></button>
      {% else %}
      <button type="submit" class="vote-button">Vote<span class="visually-hidden"> \
for “{{ p.title }}”</span></button>
      {% endif %}
    </form>
  {% endif %}
  {% if vote_error %}<p class="field-error" role="alert">{{ vote_error }}</p>{% endif %}
</div>
</li>"""

# One comment with its controls and, at the top level, its replies and reply form:
# _comment_item.html with _comment.html, _comment_controls.html and _reply_form.html inlined.
COMMENT = """{# comment item #}
<li class="comment-item" id="comment-item-{{ c.id }}">
  {# comment #}
<article id="comment-{{ c.id }}" class="comment comment-{{ c.status }}" \
data-comment-id="{{ c.id }}" data-author-id="{{ c.author_id }}"\
{% if c.parent_id %} data-parent-id="{{ c.parent_id }}"{% endif %}>
  {% if c.status == "deleted" %}
  <p class="comment-gone">Comment deleted</p>
  {% elif c.status == "hidden" %}
  <p class="comment-gone">Hidden by a host</p>
  {% else %}
  <p class="comment-head"><strong class="comment-author">{{ c.author_name }}</strong>
    · <a class="permalink" href="#comment-{{ c.id }}"><time data-local \
datetime="{{ c.created_at|iso_z }}">{{ c.created_at|local(tz) }}</time></a>
    {%- if c.edited_at %} · <span class="edited">edited</span>{% endif %}</p>
  <div class="comment-body" hx-ignore>{{ c.body_html|safe }}</div>
  {% endif %}
</article>
  {# controls #}
<div class="comment-controls" id="comment-controls-{{ c.id }}">
{%- if viewer_id -%}
  {%- set own = c.author_id == viewer_id -%}
  {%- set visible = c.status == "visible" -%}
  {%- if own and visible and not edits_closed -%}
    {% set url = "/comments/" ~ c.id ~ "/edit" %}
    <a href="{{ url }}" hx-get="{{ url }}" hx-target="#comment-{{ c.id }}" \
hx-swap="outerHTML">Edit<span class="visually-hidden"> your comment</span></a>
  {%- endif -%}
  {%- if own and visible -%}
    {% set url = "/comments/" ~ c.id ~ "/delete" %}
    <form method="post" action="{{ url }}" hx-post="{{ url }}" hx-target="#comments-{{ key }}" \
hx-swap="outerHTML" class="inline" data-confirm="Delete your comment?">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <button type="submit" class="link">Delete<span class="visually-hidden"> your comment\
</span></button>
    </form>
  {%- endif -%}
  {%- if can_moderate and visible -%}
    {% set url = "/comments/" ~ c.id ~ "/hide" %}
    <form method="post" action="{{ url }}" hx-post="{{ url }}" hx-target="#comments-{{ key }}" \
hx-swap="outerHTML" class="inline" data-confirm="Hide this comment? Its author is told.">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <button type="submit" class="link">Hide<span class="visually-hidden"> comment by \
{{ c.author_name }}</span></button>
    </form>
  {%- endif -%}
{%- endif -%}
</div>
  {% if replies is not none %}
  <ol class="replies" id="replies-{{ c.id }}">
    {% for reply in replies %}
    {{ comment_item(reply, none) }}
    {% endfor %}
  </ol>
  {# reply form #}
{% if viewer_id and c.status == "visible" and not closed %}
{% set form_key = "reply-" ~ c.id %}
{% set error = none %}
{% set field_id = "reply-body-" ~ c.id %}
<details class="reply-box">
  <summary>Reply</summary>
  <form method="post" action="{{ post_url }}" hx-post="{{ post_url }}" hx-sync="this:drop" \
hx-target="#comments-{{ key }}" hx-swap="outerHTML" class="stacked" novalidate>
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    <input type="hidden" name="parent_id" value="{{ c.id }}">
    <div class="field{% if error %} has-error{% endif %}">
      <label for="{{ field_id }}">Your reply to {{ c.author_name }}</label>
      <textarea id="{{ field_id }}" name="body" rows="3"{% if error %} aria-invalid="true" \
aria-describedby="{{ field_id }}-error"{% endif %}></textarea>
      {% if error %}<p class="field-error" id="{{ field_id }}-error">{{ error }}</p>{% endif %}
    </div>
    <p><button type="submit" class="small">Post reply</button></p>
  </form>
</details>
{% endif %}
  {% endif %}
</li>"""

# The page: its fixed parts, the board's loop (_board.html) and the threads' (_comments.html).
PAGE = (
    "{% macro comment_item(c, replies) %}" + COMMENT + "{% endmacro %}"
    "{{ prefix|safe }}\n"
    "    {% for p in pitches %}\n"
    "    {% set stats = p %}\n"
    "    " + PITCH + "\n"
    "    {% endfor %}"
    "{{ middle|safe }}\n"
    "    {% for thread in threads %}\n"
    "    {% set c = thread.comment %}\n"
    "    {% set replies = thread.replies %}\n"
    "    {{ comment_item(c, replies) }}\n"
    "    {% endfor %}"
    "{{ suffix|safe }}"
)


def load(path: Path) -> dict:
    data = json.loads(path.read_text())
    for thread in data["threads"]:
        for comment in [thread["comment"], *thread["replies"]]:
            for key in ("created_at", "edited_at"):
                if comment[key]:
                    comment[key] = datetime.fromisoformat(comment[key])
    return data


app = Flask(__name__)
app.jinja_env.filters.update(iso_z=iso_z, local=format_local)
TEMPLATE = app.jinja_env.from_string(PAGE)
# One page per viewer: <name>.json in the folder BARE_PAGE_DATA.
DATA = {path.stem: load(path) for path in Path(os.environ["BARE_PAGE_DATA"]).glob("*.json")}
PAGE_BYTES = {name: data.pop("page").encode() for name, data in DATA.items()}


@app.get("/jinja/<name>")
def jinja(name: str):
    return Response(TEMPLATE.render(DATA[name]), mimetype="text/html")


@app.get("/bytes/<name>")
def page_bytes(name: str):
    return Response(PAGE_BYTES[name], mimetype="text/html")
