"""Readers who choose their topics, sources and schedule: the topics, the preferences, and
the issues each reader gets through real builds and sends to a local SMTP peer (aiosmtpd).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from reader_helpers import Recorder, settings_for, write_articles
from smtp_helpers import smtp_server

from publisher.build import build
from publisher.config import Settings
from publisher.mailing import sending
from publisher.mailing.issues import topics
from publisher.mailing.preferences import Preferences, PreferencesError, checked, from_form
from publisher.mailing.subscribers import add_subscribers
from publisher.store import Store
from publisher.summarize import choose_topics, topic_of

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # a Monday
UTC_ZONE = ZoneInfo("UTC")


def test_topics_are_the_keywords_most_carried_and_each_article_has_one() -> None:
    counts = {"harbour": 5, "orchestra": 5, "council": 2, "pier": 1, "budget": 9}
    assert choose_topics(counts, at_least=2, most=3) == ("budget", "harbour", "orchestra")
    assert choose_topics(counts, at_least=6, most=3) == ("budget",)
    assert choose_topics(counts, at_least=2, most=0) == ()
    # An article's one topic is its best keyword that is a topic.
    assert topic_of(("pier", "harbour", "budget"), {"budget", "harbour"}) == "harbour"
    assert topic_of(("pier",), {"budget"}) is None


def test_preferences_round_trip_and_refuse_what_is_out_of_range() -> None:
    assert Preferences().encode() is None  # the defaults take no room
    chosen = checked(
        topics=["orchestra", "harbour"],
        sites=[],
        cadence="weekly",
        day=2,
        hour="9",
        zone="Europe/Berlin",
    )
    assert chosen.topics == ("harbour", "orchestra") and chosen.hour == 9
    assert Preferences.decode(chosen.encode()) == chosen
    assert Preferences.decode("{not json") == Preferences()  # a damaged row: the defaults
    for bad in ({"hour": ["24"]}, {"day": ["7"]}, {"cadence": ["hourly"]}, {"zone": ["Mars/Base"]}):
        with pytest.raises(PreferencesError):
            from_form(bad)


def test_when_a_reader_is_due() -> None:
    default = Preferences()
    assert default.due(None, NOW, UTC_ZONE, hourly=False)  # at every send, as always
    assert not default.due(None, NOW, UTC_ZONE, hourly=True)  # not at the hourly one
    morning = Preferences(hour=7, zone="Europe/Berlin")
    seven = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin (UTC+1)
    assert not morning.due(
        seven - timedelta(days=1), seven - timedelta(minutes=1), UTC_ZONE, hourly=True
    )
    assert morning.due(seven - timedelta(days=1), seven, UTC_ZONE, hourly=True)
    assert not morning.due(seven, seven + timedelta(hours=5), UTC_ZONE, hourly=True)
    # Summer time: still 07:00 in Berlin, now 05:00 UTC.
    summer = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
    assert morning.latest_slot(summer, UTC_ZONE) == summer
    weekly = Preferences(cadence="weekly", day=2, hour=9, zone="Asia/Tokyo")
    slot = weekly.latest_slot(NOW, UTC_ZONE)  # Monday: the last slot was last Wednesday
    assert slot.weekday() == 2 and slot.hour == 9 and (NOW - slot) < timedelta(days=7)
    assert slot.utcoffset() == timedelta(hours=9)


@pytest.fixture
def peer() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


def _site(tmp_path: Path, port: int) -> Settings:
    inputs = tmp_path / "in"
    write_articles(inputs / "harbour-times", "harbour", 4)
    write_articles(inputs / "music-weekly", "orchestra", 4)
    return settings_for(tmp_path, inputs, port)


def _stories(message: object) -> set[str]:
    """The titles of the stories an issue's text part lists."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    return set(re.findall(r"^((?:Harbour|Orchestra) [^\r\n]+)", text, flags=re.M))


def _prefer(settings: Settings, address: str, preferences: Preferences) -> None:
    with Store.open(settings.paths.state) as store:
        store.set_preferences(address, preferences.encode(), NOW)


def test_readers_with_disjoint_topics_get_disjoint_stories(
    tmp_path: Path, peer: tuple[Recorder, int]
) -> None:
    recorder, port = peer
    settings = _site(tmp_path, port)
    build(settings, now=NOW)
    with Store.open(settings.paths.state) as store:
        assert {"harbour", "orchestra"} <= set(topics(store, settings))
        add_subscribers(store, ["ann@example.com", "bob@example.net", "cy@example.org"], NOW)
    _prefer(settings, "ann@example.com", Preferences(topics=("harbour",)))
    _prefer(settings, "bob@example.net", Preferences(topics=("orchestra",)))

    run = sending.send(settings, now=lambda: NOW, sleep=lambda _: None)

    assert len(run.reports) == 3  # one issue per preference set
    [ann], [bob], [cy] = (
        recorder.to(a) for a in ("ann@example.com", "bob@example.net", "cy@example.org")
    )
    ann_stories, bob_stories = _stories(ann), _stories(bob)
    assert len(ann_stories) == 4 and all(s.startswith("Harbour") for s in ann_stories)
    assert len(bob_stories) == 4 and all(s.startswith("Orchestra") for s in bob_stories)
    assert not ann_stories & bob_stories
    assert _stories(cy) == ann_stories | bob_stories  # the defaults: everything, as before
    # Each copy carries its reader's own signed preferences link.
    for address, message in (("ann@example.com", ann), ("cy@example.org", cy)):
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"/preferences?address={address}&token=" in text
    # Nothing new: the next run sends nothing to anyone.
    assert sending.send(settings, now=lambda: NOW, sleep=lambda _: None).reports == ()
    assert len(recorder.received) == 3


def test_a_source_can_be_chosen_too(tmp_path: Path, peer: tuple[Recorder, int]) -> None:
    recorder, port = peer
    settings = _site(tmp_path, port)
    build(settings, now=NOW)
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, ["ann@example.com"], NOW)
    _prefer(settings, "ann@example.com", Preferences(sites=("music-weekly",)))
    sending.send(settings, now=lambda: NOW, sleep=lambda _: None)
    [message] = recorder.to("ann@example.com")
    assert len(_stories(message)) == 4
    assert all(s.startswith("Orchestra") for s in _stories(message))


def test_readers_with_the_defaults_share_one_issue_as_before(
    tmp_path: Path, peer: tuple[Recorder, int]
) -> None:
    _, port = peer
    settings = _site(tmp_path, port)
    build(settings, now=NOW)
    readers = ["ann@example.com", "bob@example.net", "cy@example.org"]
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, readers, NOW)
    run = sending.send(settings, now=lambda: NOW, sleep=lambda _: None)
    [report] = run.reports
    assert report.sent == tuple(readers)
    with Store.open(settings.paths.state) as store:
        [issue] = store.digests()
        assert len(issue.entry_ids) == 8 and not store.undigested_ids()


def test_a_story_a_reader_had_is_not_sent_again(tmp_path: Path, peer: tuple[Recorder, int]) -> None:
    recorder, port = peer
    inputs = tmp_path / "in"
    [first] = write_articles(inputs / "harbour-times", "harbour", 1)
    settings = settings_for(tmp_path, inputs, port)
    build(settings, now=NOW)
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, ["ann@example.com"], NOW)
    sending.send(settings, now=lambda: NOW, sleep=lambda _: None)
    assert len(_stories(recorder.to("ann@example.com")[0])) == 1

    # Another site reports the same story (a near copy), and a new story comes in.
    later = NOW + timedelta(days=1)
    copy = inputs / "coast-courier" / "same-story.txt"
    copy.parent.mkdir()
    text = first.read_text(encoding="utf-8")
    near = text.replace(" greets ", " welcomes ").replace(" again.", " once more.")
    assert near != text
    copy.write_text(near, encoding="utf-8")
    write_articles(inputs / "music-weekly", "orchestra", 1)
    build(settings, now=later)
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, ["dee@example.com"], later)
        records = store.articles()
        assert len(records) == 3
        grouped = [r for r in records if r.story]
        assert len(grouped) == 1, "the copy joins the first report's story"
    sending.send(settings, now=lambda: later, sleep=lambda _: None)

    [_, second] = recorder.to("ann@example.com")
    assert [s.split()[0] for s in _stories(second)] == ["Orchestra"]  # not the story again
    [dee] = recorder.to("dee@example.com")  # a new reader never had it: both are news
    assert {s.split()[0] for s in _stories(dee)} == {"Orchestra", "Harbour"}


def test_a_weekly_reader_gets_one_issue_a_week_at_their_hour(
    tmp_path: Path, peer: tuple[Recorder, int]
) -> None:
    recorder, port = peer
    settings = _site(tmp_path, port)
    build(settings, now=NOW)
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, ["wes@example.com", "dan@example.com"], NOW)
    weekly = Preferences(cadence="weekly", day=2, hour=9, zone="Europe/Berlin")
    _prefer(settings, "wes@example.com", weekly)
    daily = Preferences(hour=18, zone="America/New_York")
    _prefer(settings, "dan@example.com", daily)

    got: dict[str, list[datetime]] = {"wes@example.com": [], "dan@example.com": []}
    for hour in range(15 * 24):  # the daemon's hourly send, for fifteen days
        now = NOW + timedelta(hours=hour)
        if hour == 7 * 24:  # a week later, more news
            write_articles(settings.paths.input[0] / "harbour-times", "harbour", 2, start=10)
            build(settings, now=now)
        before = {address: len(recorder.to(address)) for address in got}
        sending.send(settings, now=lambda now=now: now, hourly=True, sleep=lambda _: None)
        for address, times in got.items():
            times += [now] * (len(recorder.to(address)) - before[address])

    weekly_times = got["wes@example.com"]
    assert len(weekly_times) == 2  # two Wednesdays, two issues (the second: the week's news)
    for when in weekly_times:
        local = when.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.weekday(), local.hour) == (2, 9)
    # The daily reader at 18:00 in New York: everything on the first evening, the news of
    # the second week on its first evening; no empty issues on the days between.
    daily_times = got["dan@example.com"]
    assert len(daily_times) == 2
    for when in daily_times:
        assert when.astimezone(ZoneInfo("America/New_York")).hour == 18
