// Parse an iCalendar document from stdin with ical.js and print what a client would see.
import ICAL from "ical.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;

const root = new ICAL.Component(ICAL.parse(input));
for (const tz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(tz);
}
const iso = (t) => (t ? t.toJSDate().toISOString() : null);
const events = root.getAllSubcomponents("vevent").map((c) => {
  const e = new ICAL.Event(c);
  return {
    uid: e.uid,
    summary: e.summary,
    start: iso(e.startDate),
    end: iso(e.endDate),
    tzid: e.startDate && e.startDate.zone ? e.startDate.zone.tzid : null,
    status: c.getFirstPropertyValue("status"),
    sequence: e.sequence,
    description: e.description,
    location: e.location,
    url: c.getFirstPropertyValue("url"),
    recurrenceId: e.recurrenceId ? iso(e.recurrenceId) : null,
  };
});
process.stdout.write(
  JSON.stringify({
    method: root.getFirstPropertyValue("method"),
    name: root.getFirstPropertyValue("name") || root.getFirstPropertyValue("x-wr-calname"),
    refresh: root.getFirstProperty("refresh-interval")?.toJSON(),
    timezones: root.getAllSubcomponents("vtimezone").map((t) => t.getFirstPropertyValue("tzid")),
    events,
  }),
);
