"""The mailing use case: digest issues frozen and delivered over SMTP, the subscriber list
and its unsubscribe links.

``issues`` (the next issue, ``send``), ``delivery`` (one issue to its recipients, once
each), ``smtp`` (the session and its failures), ``message`` (each recipient's copy),
``subscribers`` (the list) and ``unsubscribe`` (signed links and what answers them).
"""
