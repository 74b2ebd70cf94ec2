"""The monthly record of an agreement (what LGPD asks of shared data): reads shared, hotlist entries received,
hits, deliveries failed, accesses — as JSON, as CSV for Brazilian spreadsheets (`;`, decimal comma,
dd/mm/aaaa) and as a pt-BR PDF."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gtvision.core import db
from gtvision.sharing.api_schemas import ReportOut
from gtvision.sharing.schemas import Agreement
from gtvision.sharing.store import deliveries
from gtvision.tenancy import cities

PARTNER_KIND = {
    "policia_militar": "Polícia Militar",
    "policia_civil": "Polícia Civil",
    "prf": "Polícia Rodoviária Federal",
    "programa_estadual": "Programa estadual",
    "municipio": "Município",
    "outro": "Outro",
}


def _zone(agreement: Agreement) -> ZoneInfo:
    city = cities.find(str(agreement.city_id))
    return ZoneInfo(city.timezone if city else "America/Sao_Paulo")


def build(agreement: Agreement, month: str) -> ReportOut:
    """The month's counts, the month taken in the city's time zone."""
    zone = _zone(agreement)
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=zone)
    with db.transaction() as conn:
        counts = deliveries.month_counts(conn, agreement.id, start.astimezone(UTC), end.astimezone(UTC))
    return ReportOut(
        agreement_id=str(agreement.id),
        city_id=str(agreement.city_id),
        partner_name=agreement.partner_name,
        month=month,
        reads_shared=counts.reads_shared,
        deliveries=counts.deliveries,
        deliveries_failed=counts.deliveries_failed,
        hotlist_entries_received=counts.entries_received,
        hits=counts.hits,
        accesses=counts.accesses,
        generated_at=datetime.now(UTC),
    )


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _rows(agreement: Agreement, report: ReportOut) -> list[tuple[str, str]]:
    zone = _zone(agreement)
    total = report.deliveries + report.deliveries_failed
    failure = 100.0 * report.deliveries_failed / total if total else 0.0
    return [
        ("Convênio", agreement.partner_name),
        ("Tipo de parceiro", PARTNER_KIND.get(agreement.partner_kind, agreement.partner_kind)),
        ("Finalidade", agreement.purpose),
        ("Base legal", agreement.legal_basis),
        (
            "Vigência",
            f"{agreement.valid_from.astimezone(zone):%d/%m/%Y} a {agreement.valid_until.astimezone(zone):%d/%m/%Y}",
        ),
        ("Mês", f"{report.month[5:]}/{report.month[:4]}"),
        ("Leituras compartilhadas", str(report.reads_shared)),
        ("Entregas realizadas", str(report.deliveries)),
        ("Entregas que falharam", str(report.deliveries_failed)),
        ("Taxa de falha (%)", _decimal(failure)),
        ("Entradas de lista recebidas", str(report.hotlist_entries_received)),
        ("Ocorrências (placas da lista vistas)", str(report.hits)),
        ("Acessos registrados", str(report.accesses)),
        ("Gerado em", f"{report.generated_at.astimezone(zone):%d/%m/%Y %H:%M}"),
    ]


def to_csv(agreement: Agreement, report: ReportOut) -> str:
    """Two columns, `;`-separated, decimal commas and dates as dd/mm/aaaa (Excel/LibreOffice in pt-BR)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["item", "valor"])
    writer.writerows(_rows(agreement, report))
    return "\ufeff" + out.getvalue()  # the BOM makes Excel read UTF-8


def to_pdf(agreement: Agreement, report: ReportOut) -> bytes:
    """One page in pt-BR: what was shared under the agreement that month."""
    from fpdf import FPDF  # only this answer needs it (ADR 0020: cold starts)

    pdf = FPDF(format="A4")
    pdf.set_title(f"Relatório mensal do convênio - {agreement.partner_name}")
    pdf.set_author("GT-Vision")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, "Relatório mensal de compartilhamento de dados", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(
        0,
        5,
        "Registro do tratamento compartilhado de dados pessoais (LGPD, art. 26 e 37) sob o convênio"
        " abaixo: o que foi enviado ao parceiro, o que dele foi recebido e quem acessou.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    for label, value in _rows(agreement, report):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(70, 7, label)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0,
        4,
        f"Convênio {agreement.id} · cidade {agreement.city_id}. Documento gerado pelo GT-Vision;"
        " os números vêm do registro de entregas e do histórico do convênio.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
