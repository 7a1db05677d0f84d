"""Real mail: 400 messages of the SpamAssassin public corpus (fixtures/README.md), read whole."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from server.backtest import Options, run

FIXTURE = Path(__file__).parent / "fixtures" / "spamassassin.mbox.gz"


def test_every_public_message_is_read_and_linted(tmp_path):
    source = tmp_path / "spamassassin.mbox"
    with gzip.open(FIXTURE) as packed, open(source, "wb") as out:
        shutil.copyfileobj(packed, out)
    result = run(Options(sources=[str(source)], jobs=1))
    tally = result.tally
    assert not result.info.interrupted
    assert tally.read == tally.linted == 400
    assert not tally.problems, tally.problem_positions
    # 250 easy ham (mostly list replies), 50 hard ham and 100 spam, from 2002
    assert 100 <= tally.compose["reply"] + tally.compose["reply_all"] <= 250
    assert tally.compose["new"] >= 150
    assert sum(tally.audience.values()) == 400
    dated = [month for month in tally.month if month != "undated"]
    assert all(month.startswith(("2001", "2002")) for month in dated)
    assert tally.month["undated"] <= 5  # spam with a date no parser reads
    # plausible findings: few, and none of a rule that needs a content-free reply's wording
    assert 0 < tally.main.flagged <= 40
    assert tally.charsets["us-ascii"] > 50 and tally.charsets["iso-8859-1"] > 20
    assert not tally.unknown_charsets
