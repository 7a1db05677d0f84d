"""`draftlint backtest`: what the rules would have said about mail already sent.

The sources are streamed (`sources`, `outlook`), linted in worker processes (`worker`), added up
as counts (`tally`) and drawn as one self-contained HTML file (`report`); `runner` ties them
together with a bounded queue, a progress bar and Ctrl-C. The lint core is `linters`; the draft
each message was is made by `server.eml`, as for `draftlint lint x.eml`.
"""

from .report import render_report, report_context
from .runner import Options, Result, RunInfo, run
from .sources import MAX_MESSAGE_BYTES
from .tally import Tally

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Options",
    "Result",
    "RunInfo",
    "Tally",
    "render_report",
    "report_context",
    "run",
]
