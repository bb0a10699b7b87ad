"""Self-contained HTML reports (audit, batch, tender): one file a manager or councillor can open
with no network. Charts are inline SVG; nothing is fetched at view time."""
