"""The Gmail add-on adapter: its deployment descriptor and the cards it answers with.

`descriptor` builds the HTTP add-on deployment (what `draftlint manifest gmail` prints); `cards`
turns a `Report` into Google's card JSON. Both are pure functions: no request, no network.
"""
