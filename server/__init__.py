"""draftlint's adapters: the HTTP API, the playground page and the command line.

Each adapter turns its input into a `Draft` and a `Policy`, calls `linters.lint` and renders the
`Report`. Nothing in here decides what a finding is; that is `linters/`.
"""
