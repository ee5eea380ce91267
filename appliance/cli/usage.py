"""``appliance usage``: questions, documents, tokens, latency and cost, as a table."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from appliance.cli.common import _Context, _emit_json
from appliance.store.usage import BY, COLUMNS


def _money(value: object, currency: str) -> str:
    return "not entered" if value is None else f"{value:,.2f} {currency}"


@click.command()
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (UTC), YYYY-MM-DD."
)
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today)."
)
@click.option("--by", type=click.Choice(BY), default="user", show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (the web page's export).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def usage(
    obj: _Context,
    since: datetime | None,
    until: datetime | None,
    by: str,
    as_csv: bool,
    as_json: bool,
) -> None:
    """What the appliance was used for and what it cost, per user, group, collection
    or day: questions, documents ingested, tokens, latency p50/p95, refusals and
    PII blocks, and the cost per 1,000 questions beside the API prices entered.
    Counts only: no question text is kept."""
    with obj.appliance() as app:
        report = app.usage_report(
            since=since.date() if since else None, until=until.date() if until else None, by=by
        )
    if as_csv:
        sys.stdout.write(report.as_csv())
        return
    if as_json:
        _emit_json(report.as_json())
        return
    headers = [by, *COLUMNS[1:]]
    table = [[str("" if v is None else v) for v in f.as_json().values()] for f in report.rows]
    table.append([str("" if v is None else v) for v in report.total.as_json().values()])
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
    click.echo(f"{report.since} .. {report.until} (UTC)")
    for row in [headers, *table]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    cost = report.cost
    click.echo(
        f"cost per 1,000 questions: {_money(cost.hardware_per_1000, cost.currency)} on this "
        f"appliance, {_money(cost.api_per_1000, cost.currency)} at the API prices entered"
    )
    if cost.missing:
        click.echo(f"not entered: {', '.join(cost.missing)} (appliance.toml)", err=True)
