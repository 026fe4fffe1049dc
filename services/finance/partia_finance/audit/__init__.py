"""The auditor's replay of the finance history (issue 11 item 7): an export made and verified with
`partia-audit export --service finance` (`partia_kit.audit`) folded into the annual statement's totals
(receipts by fund and source, Ch. 12.10) and compared with what the service publishes.

Run it as `python -m partia_finance.audit statement history.jsonl --year 2026 --as-of ...`.
"""
