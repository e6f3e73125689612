"""Outbound webhooks for companies (see docs/labeling-review.md).

- events.py     the event types and what their payloads carry
- signing.py    the `Plumbline-Signature` scheme (sign and verify)
- transport.py  the only module that makes outbound HTTP requests (httpx), with the SSRF guard
- services.py   endpoints, emitting events, delivery attempts, replays, the sweeper
- selectors.py  reads for the pages and the API
"""
