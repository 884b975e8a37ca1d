"""The mailing use case: digest issues frozen and delivered over SMTP, the subscriber list
and its unsubscribe links.

``issues`` (the next issue, and freezing it), ``sending`` (``send``: locks, free space,
freezing, delivering), ``delivery`` (one issue to its recipients, at most once each: the
delivery states), ``smtp`` (the session and each outcome of a message), ``message`` (each
recipient's copy), ``subscribers`` (the list) and ``unsubscribe`` (signed links and what
answers them).
"""
