"""Subscriber management: address validation, case folding, unsubscribe semantics, CSV
import and the ``publisher subscribers`` command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.mailing.subscribers import (
    AddressError,
    add_subscribers,
    import_csv,
    parse_address,
    remove_subscriber,
)
from publisher.store import Store

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "state.db") as opened:
        yield opened


def _status(store: Store) -> dict[str, str]:
    return {s.address: s.status for s in store.subscribers()}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ann@example.com", ("ann@example.com", None)),
        ("  Ann.Lee+news@Example.CO.uk ", ("ann.lee+news@example.co.uk", None)),
        ("Ann Lee <ann@example.com>", ("ann@example.com", "Ann Lee")),
    ],
)
def test_valid_addresses(raw: str, expected: tuple[str, str | None]) -> None:
    assert parse_address(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not an address",
        "ann@localhost",
        "ann@@example.com",
        "ann@example.com, bob@example.com",
        "ann@example.com\r\nBcc: victim@example.org",
        "Ann\nLee <ann@example.com>",
        '"bob@evil.example" <ann@example.com>',
        "Ann <ann@example.com> <bob@example.com>",
        "ann..lee@example.com",
        "ann@-example.com",
        "ännä@example.com",
        "x" * 250 + "@example.com",
    ],
)
def test_invalid_addresses_are_refused(raw: str) -> None:
    with pytest.raises(AddressError):
        parse_address(raw)


def test_add_folds_case_and_reports_invalid_ones(store: Store) -> None:
    report = add_subscribers(store, ["Ann@Example.com", "ann@example.COM", "nope"], NOW)
    assert report.added == ("ann@example.com",)
    assert report.invalid[0][0] == "argument 3"
    again = add_subscribers(store, ["ANN@example.com"], NOW)
    assert again.unchanged == ("ann@example.com",) and again.added == ()
    assert _status(store) == {"ann@example.com": "active"}


def test_unsubscribed_stays_unsubscribed_until_added_explicitly(
    store: Store, tmp_path: Path
) -> None:
    add_subscribers(store, ["ann@example.com", "bob@example.com"], NOW)
    assert remove_subscriber(store, "Ann@Example.com", NOW) is True
    people = tmp_path / "people.csv"
    people.write_text("ann@example.com,Ann\nbob@example.com,Bob\n", encoding="utf-8")
    report = import_csv(store, people, NOW)
    assert report.kept_unsubscribed == ("ann@example.com",)
    assert report.unchanged == ("bob@example.com",)
    assert _status(store)["ann@example.com"] == "unsubscribed"
    assert add_subscribers(store, ["ann@example.com"], NOW).added == ("ann@example.com",)
    assert _status(store)["ann@example.com"] == "active"


def test_removing_an_unknown_address_blocks_a_later_import(store: Store, tmp_path: Path) -> None:
    assert remove_subscriber(store, "cy@example.org", NOW) is False
    people = tmp_path / "people.csv"
    people.write_text("cy@example.org\n", encoding="utf-8")
    assert import_csv(store, people, NOW).kept_unsubscribed == ("cy@example.org",)
    assert _status(store) == {"cy@example.org": "unsubscribed"}


def test_import_reads_a_header_names_and_reports_bad_lines(store: Store, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "\ufeffName,Email\nAnn Lee,ANN@example.com\n\n,bad@@example.com\n"
        'Duplicate,ann@example.com\n"Lee, Bob",bob@example.com\n'
        "<eve@example.net>,eve@example.com\n",
        encoding="utf-8",
    )
    report = import_csv(store, people, NOW)
    assert report.added == ("ann@example.com", "bob@example.com")
    assert [label for label, _ in report.invalid] == [
        "people.csv:4: bad@@example.com",
        "people.csv:7: eve@example.com",  # a name posing as an address
    ]
    assert store.subscriber("ann@example.com").name == "Ann Lee"  # type: ignore[union-attr]
    assert store.subscriber("bob@example.com").name == "Lee, Bob"  # type: ignore[union-attr]


def test_subscribers_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path / "state.db")
    people = tmp_path / "people.csv"
    people.write_text("bob@example.com,Bob\ncy@example.org\n", encoding="utf-8")

    assert main(["subscribers", "add", "Ann Lee <ann@example.com>", "--state", state]) == 0
    assert main(["subscribers", "import", str(people), "--state", state]) == 0
    assert main(["subscribers", "remove", "cy@example.org", "--state", state]) == 0
    capsys.readouterr()
    assert main(["subscribers", "list", "--state", state]) == 0
    assert capsys.readouterr().out == "ann@example.com\tAnn Lee\nbob@example.com\tBob\n"
    assert main(["subscribers", "add", "x@y.org\nBcc: z@y.org", "--state", state]) == 1
    assert "control characters" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse: a usage error exits with status 2
        main(["subscribers", "import", "--state", state])
    assert usage.value.code == 2


def test_import_of_a_missing_file_says_so_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "people.csv"
    state = str(tmp_path / "state.db")
    assert main(["subscribers", "import", str(missing), "--state", state]) == 1
    err = capsys.readouterr().err
    assert f"cannot read {missing}: No such file or directory" in err
    assert "[Errno" not in err and "UTF-8" not in err  # the encoding is not the problem
