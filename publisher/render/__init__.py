"""The render stage: pure functions from entries and settings to the bytes of each output.

``feeds`` (Atom, RSS, JSON Feed, and the digests' Atom feed), ``archive`` (the HTML pages),
``digest`` (an issue's HTML, text and subject), ``message`` (the issue as an e-mail
message), ``markup`` (sanitized article HTML) and ``templating`` (the Jinja2 environment of
the built-in and the user's templates). Nothing here reads the store or the network.
"""
