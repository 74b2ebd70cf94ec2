"""The plain pt-BR HTML page of a share link (no script, no external resource: it works in any browser a
police station or a court has, and the page's CSP allows nothing else)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from gtvision.cases.api_schemas import SharedCase

ZONE = ZoneInfo("America/Sao_Paulo")
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccd;padding:.4rem;text-align:left}"
    "code{font-size:.8rem;word-break:break-all}.muted{color:#555}a.btn{font-weight:bold}"
)


def _when(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%d/%m/%Y %H:%M")


def _size(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f} MB".replace(".", ",")


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="pt-BR"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def render(shared: SharedCase) -> str:
    """The page listing the case's packages, each with its download link and SHA-256."""
    rows = "".join(
        f"<tr><td>{_when(e.start)} a {_when(e.end)}</td><td>{e.cameras}</td><td>{_size(e.size_bytes)}</td>"
        f'<td><a class="btn" href="{escape(e.download_url)}">Baixar pacote</a><br>'
        f"<code>SHA-256 {escape(e.sha256 or '-')}</code></td></tr>"
        for e in shared.exports
    )
    table = (
        "<table><thead><tr><th>Período (horário de Brasília)</th><th>Câmeras</th><th>Tamanho</th>"
        f"<th>Arquivo</th></tr></thead><tbody>{rows}</tbody></table>"
        if shared.exports
        else "<p>Nenhum pacote disponível ainda. Tente novamente mais tarde.</p>"
    )
    left = "" if shared.downloads_left is None else f"<p>Downloads restantes neste link: {shared.downloads_left}.</p>"
    reference = f" — {escape(shared.case_reference)}" if shared.case_reference else ""
    body = (
        f"<h1>Evidências em vídeo: {escape(shared.case_title)}{reference}</h1>"
        f'<p class="muted">{escape(shared.city_name or "")} · GT-Vision</p>'
        f"<p>Destinatário: <strong>{escape(shared.recipient_name)}</strong> ({escape(shared.organisation)})<br>"
        f"Base legal: {escape(shared.legal_basis)}<br>Válido até {_when(shared.expires_at)}.</p>{left}{table}"
        "<h2>Como verificar</h2><p>Cada pacote é um ZIP com os vídeos, o <code>manifest.json</code> assinado "
        "(Ed25519) e o <code>custodia.pdf</code> com a cadeia de custódia e as instruções. Confira o SHA-256 do "
        "ZIP com o valor acima e, dentro dele, o de cada arquivo com o manifesto.</p>"
        '<p class="muted">Cada acesso e cada download deste link são registrados (data, endereço, navegador).</p>'
    )
    return _page(f"Evidências: {shared.case_title}", body)


def error(status: int, message: str) -> str:
    """The page of a dead or unknown link."""
    title = "Link indisponível" if status == 410 else "Link não encontrado"
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}.</p><p>Peça um novo link a quem o enviou.</p>")
