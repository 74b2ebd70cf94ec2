"""`custodia.pdf`: the chain-of-custody document of an export package, in pt-BR, made with fpdf2.

It names the case, the package's files and their SHA-256, the signing key, every custody event of the case up
to the packaging, and how to verify the package. Its own SHA-256 is in the signed manifest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gtvision.cases.custody import KINDS
from gtvision.cases.schemas import Case, CustodyEvent

CATEGORIES = {
    "ocorrencia": "Ocorrência",
    "requisicao_policial": "Requisição policial",
    "requisicao_judicial": "Requisição judicial",
    "lgpd_titular": "Requisição de titular (LGPD)",
    "interno": "Interno",
}
_PLAIN = str.maketrans({"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "→": "->", "•": "-"})


def _latin(text: object) -> str:
    """Text the PDF's core fonts can draw (Latin-1: every pt-BR letter; anything else becomes '?')."""
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _when(moment: datetime | str | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    value = datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S")


def custody_pdf(manifest: dict[str, Any], case: Case, events: list[CustodyEvent], zone_name: str, key_id: str) -> bytes:
    """The PDF of an (unsigned) package manifest, the case and its events; dates in the city's time zone."""
    from fpdf import FPDF  # the packaging function ships fpdf2; nothing else imports this module

    zone = ZoneInfo(zone_name)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_latin(f"Cadeia de custódia - {case.title}"))
    pdf.set_creator("GT-Vision")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(width, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)

    def line(label: str, value: object, mono: bool = False) -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(42, 5, _latin(label))
        pdf.set_font("Courier" if mono else "Helvetica", "", 8 if mono else 9)
        pdf.multi_cell(width - 42, 5, _latin(value if value not in (None, "") else "-"), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(width, 8, _latin("Cadeia de custódia - pacote de evidências"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        width,
        5,
        _latin(f"Horários em {zone_name}. Documento gerado pelo GT-Vision ao montar o pacote."),
        new_x="LMARGIN",
        new_y="NEXT",
    )

    heading("Caso")
    city = manifest.get("city") or {}
    line("Título", case.title)
    line("Referência", case.reference)
    line("Categoria", CATEGORIES.get(case.category, case.category))
    line("Cidade", f"{city.get('name') or '-'}/{city.get('state') or '-'}")
    line("Aberto por", f"{case.created_by_name or '-'} em {_when(case.created_at, zone)}")
    line("Identificador", case.id, mono=True)

    heading("Pacote")
    rng, who = manifest["range"], manifest["requested_by"]
    redaction = manifest["redaction"]
    line("Exportação", manifest["package"]["export_id"], mono=True)
    line("Intervalo", f"{_when(rng['start'], zone)} a {_when(rng['end'], zone)}")
    line("Modo", "exato (quadro a quadro)" if manifest["mode"] == "exact" else "rápido (a partir do quadro-chave)")
    line("Solicitado por", f"{who.get('username') or '-'} em {_when(who.get('requested_at'), zone)}")
    line("Rostos borrados", "sim" if redaction.get("faces") else "não")
    line("Placas borradas", "sim" if redaction.get("plates") else "não")
    masks = manifest["privacy_masks"]
    line("Máscaras", f"retiradas: {masks.get('lift_reason')}" if masks.get("lifted") else "aplicadas (se houver)")
    line("Data e hora no vídeo", "sim" if manifest.get("timestamp_overlay") else "não")

    heading("Arquivos e SHA-256")
    for item in manifest["files"]:
        camera = item.get("camera") or {}
        line(item["name"], f"{camera.get('name') or '-'} - {item['size_bytes']} bytes")
        line("  SHA-256", item["sha256"], mono=True)
        if item.get("starts_early_s"):
            line("  Começa antes", f"{item['starts_early_s']:.3f} s antes do início pedido (modo rápido)")

    heading("Assinatura")
    line("Algoritmo", "Ed25519 sobre o manifest.json canônico (chaves ordenadas, sem espaços, sem 'signature')")
    line("Chave", key_id, mono=True)

    heading("Eventos do caso")
    for ev in events:
        who_where = ev.actor + (f" ({ev.source_ip})" if ev.source_ip else "")
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(
            width,
            4.5,
            _latin(f"{_when(ev.at, zone)}  {KINDS.get(ev.kind, ev.kind)} - {who_where}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )

    heading("Como verificar")
    steps = [
        "1. Com o GT-Vision: gtvision verify pacote.zip (confere cada arquivo e a assinatura).",
        "2. Sem ele: calcule o SHA-256 de cada arquivo (sha256sum, certutil -hashfile ARQUIVO SHA256) e compare "
        "com manifest.json e com a lista acima.",
        "3. A assinatura Ed25519 em manifest.json (campo signature) cobre todo o manifesto; a chave pública está "
        "no próprio campo e deve ser a chave publicada pela prefeitura.",
        "4. Qualquer byte alterado em um arquivo muda o seu SHA-256; um manifesto alterado invalida a assinatura.",
    ]
    for step in steps:
        pdf.multi_cell(width, 5, _latin(step), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
