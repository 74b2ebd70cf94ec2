"""Routes of cases (contract: Cases and evidence): cases, items, custody, multi-camera exports and share links —
the links' own pages are served without login (`GET /v1/share`, `/v1/share.json`, `/v1/share/exports/{id}`)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.routing import Api, Request, page
from gtvision.cases import custody, sharepage, shares
from gtvision.cases import service as cases
from gtvision.cases.api_schemas import (
    CaseIn,
    CaseOut,
    CasePatch,
    CasesQuery,
    CustodyOut,
    ItemIn,
    ItemOut,
    ShareCreated,
    SharedCase,
    ShareIn,
    ShareOut,
    ShareQuery,
)
from gtvision.cases.schemas import Case
from gtvision.core.errors import DomainError, not_found
from gtvision.core.models import Out, Page, PageQuery
from gtvision.core.settings import get_settings
from gtvision.exports import service as exports
from gtvision.exports import status as export_status
from gtvision.exports.api_schemas import ExportIn, ExportOut, ExportQueued
from gtvision.exports.schemas import Export
from gtvision.tenancy import quotas

api = Api(__name__)


class ShareList(Out):
    items: list[ShareOut]


def actor(req: Request[Any, Any]) -> cases.Actor:
    return cases.Actor(req.user, req.source_ip, req.headers.get("user-agent"))


def visitor(req: Request[Any, Any]) -> shares.Visitor:
    return shares.Visitor(req.source_ip, req.headers.get("user-agent"))


def base_url(req: Request[Any, Any], concrete_path: str) -> str:
    """The API's public base URL: `GTV_PUBLIC_BASE_URL`, else this request's scheme, host and stage prefix."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    cr = api.bp.current_request
    context = (cr.context or {}) if cr else {}
    full = str(context.get("path") or concrete_path)
    prefix = full[: -len(concrete_path)] if full.endswith(concrete_path) else ""
    host = req.headers.get("host") or str(context.get("domainName") or "localhost")
    scheme = req.headers.get("x-forwarded-proto") or ("https" if "amazonaws.com" in host else "http")
    return f"{scheme}://{host}{prefix.rstrip('/')}"


# ---------------------------------------------------------------------------------------------- cases


@api.route("POST", "/v1/cases", role="operator", status=201, body=CaseIn, response=CaseOut, audit="case.create")
def create_case(req: Request[CaseIn, None]) -> CaseOut:
    """Open a case (operators: their own; the city's managers see it too)."""
    out = cases.create(actor(req), req.body)
    req.audit_city_id = out.city_id
    req.audit_detail = {"case_id": out.id, "category": out.category}
    return out


@api.route("GET", "/v1/cases", role="operator", query=CasesQuery, response=Page[CaseOut], audit="case.list")
def list_cases(req: Request[None, CasesQuery]) -> Page[CaseOut]:
    """Cases the caller may see, newest first (`status`, `q` searches title and reference)."""
    return page(*cases.list_(req.user, req.query))


@api.route("GET", "/v1/cases/{case_id}", role="operator", response=CaseOut, audit="case.read")
def get_case(req: Request[None, None], case: Case) -> CaseOut:
    """One case."""
    return cases.public(case)


@api.route("PATCH", "/v1/cases/{case_id}", role="operator", body=CasePatch, response=CaseOut, audit="case.update")
def update_case(req: Request[CasePatch, None], case: Case) -> CaseOut:
    """Change a case; `status: closed` closes it (holds kept GTV_CASE_KEEP_DAYS), `open` reopens it."""
    req.audit_detail = req.body.model_dump(exclude_unset=True)
    return cases.update(actor(req), case, req.body)


# ---------------------------------------------------------------------------------------------- items


@api.route(
    "POST",
    "/v1/cases/{case_id}/items",
    role="operator",
    status=201,
    body=ItemIn,
    response=ItemOut,
    audit="case.item.add",
)
def add_item(req: Request[ItemIn, None], case: Case) -> ItemOut:
    """Add a clip, plate read, sighting, bookmark or note; the recordings it comes from are held for the case."""
    req.audit_detail = {"kind": req.body.kind, "ref_id": req.body.ref_id}
    return cases.add_item(actor(req), case, req.body)


@api.route(
    "GET", "/v1/cases/{case_id}/items", role="operator", query=PageQuery, response=Page[ItemOut], audit="case.item.list"
)
def list_items(req: Request[None, PageQuery], case: Case) -> Page[ItemOut]:
    """The case's items, oldest first."""
    return page(*cases.items(case, req.query.limit, req.query.cursor))


@api.route(
    "GET",
    "/v1/cases/{case_id}/custody",
    role="operator",
    query=PageQuery,
    response=Page[CustodyOut],
    audit="case.custody",
)
def case_custody(req: Request[None, PageQuery], case: Case) -> Page[CustodyOut]:
    """Every event of the case in order: created, items, exports, holds, shares and each external access."""
    return page(*custody.page(str(case.id), req.query.limit, req.query.cursor))


# -------------------------------------------------------------------------------------------- exports


@api.route(
    "POST",
    "/v1/cases/{case_id}/exports",
    role="operator",
    status=202,
    body=ExportIn,
    response=ExportQueued,
    audit="case.export",
)
def create_export(req: Request[ExportIn, None], case: Case) -> ExportQueued:
    """Queue a package of 1–16 cameras over one window (one job per camera; 202)."""
    data = req.body
    quotas.check(req.user, "export")
    req.audit_detail = {
        "camera_ids": data.camera_ids,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "mode": data.mode,
        "redact": data.redact.model_dump() if data.redact else None,
        "lift_masks_reason": data.lift_masks.reason if data.lift_masks else None,
    }
    return exports.create(actor(req), case, data)


@api.route(
    "GET",
    "/v1/cases/{case_id}/exports",
    role="operator",
    query=PageQuery,
    response=Page[ExportOut],
    audit="case.export.list",
)
def list_exports(req: Request[None, PageQuery], case: Case) -> Page[ExportOut]:
    """The case's exports, newest first (read one for its download link)."""
    return page(*exports.list_(case, req.query.limit, req.query.cursor))


@api.route(
    "GET", "/v1/cases/{case_id}/exports/{export_id}", role="operator", response=ExportOut, audit="case.export.read"
)
def get_export(req: Request[None, None], case: Case, export: Export) -> ExportOut:
    """One export: progress, files with their SHA-256, the signed manifest and (ready) a presigned `package_url`."""
    exports.of_case(case, export)
    found = export_status.snapshot(str(export.id))
    if found is None:
        raise not_found("exportação")
    exports.accessed(actor(req), found[0])
    return found[1]


# --------------------------------------------------------------------------------------------- shares


@api.route(
    "POST",
    "/v1/cases/{case_id}/shares",
    role="operator",
    status=201,
    body=ShareIn,
    response=ShareCreated,
    audit="case.share",
)
def create_share(req: Request[ShareIn, None], case: Case) -> ShareCreated:
    """A link for an external requester (expiry ≤ 30 days, optional download limit); its URL is shown once."""
    out, url = shares.create(actor(req), case, req.body, base_url(req, f"/v1/cases/{case.id}/shares"))
    req.audit_detail = {"share_id": out.id, "organisation": out.organisation, "expires_at": out.expires_at.isoformat()}
    return ShareCreated(**out.model_dump(), url=url)


@api.route("GET", "/v1/cases/{case_id}/shares", role="operator", response=ShareList, audit="case.share.list")
def list_shares(req: Request[None, None], case: Case) -> ShareList:
    """The case's links (never their tokens)."""
    return ShareList(items=shares.list_(case))


@api.route(
    "DELETE", "/v1/cases/{case_id}/shares/{share_id}", role="operator", response=ShareOut, audit="case.share.revoke"
)
def revoke_share(req: Request[None, None], case: Case, share_id: str) -> ShareOut:
    """Revoke a link: from now on it answers 410."""
    return shares.revoke(actor(req), case, share_id)


@api.route("GET", "/v1/share", role=None, query=ShareQuery, response="text/html", also=((410, "link revogado"),))
def share_page(req: Request[None, ShareQuery]) -> Response:
    """The link's page (pt-BR HTML, no login): the case's packages with download links. A dead link's page is
    HTML for browsers (`Accept: text/html`), the JSON error for programs."""
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": sharepage.CSP,
    }
    try:
        shared = shares.view(req.query.token, visitor(req), base_url(req, "/v1/share"))
    except DomainError as exc:
        if "text/html" not in req.headers.get("accept", ""):
            raise  # programs get the contract's JSON error
        return Response(body=sharepage.error(exc.status, exc.message), status_code=exc.status, headers=headers)
    return Response(body=sharepage.render(shared), status_code=200, headers=headers)


@api.route("GET", "/v1/share.json", role=None, query=ShareQuery, response=SharedCase, also=((410, "link revogado"),))
def share_json(req: Request[None, ShareQuery]) -> SharedCase:
    """The link's content as JSON (no login)."""
    return shares.view(req.query.token, visitor(req), base_url(req, "/v1/share.json"))


@api.route(
    "GET",
    "/v1/share/exports/{export_id}",
    role=None,
    query=ShareQuery,
    status=302,
    also=((410, "link revogado, expirado ou sem downloads"),),
)
def share_download(req: Request[None, ShareQuery], export_id: str) -> Response:
    """One download through the link (counted; recorded): a redirect to a presigned URL of a few minutes."""
    url = shares.download(req.query.token, export_id, visitor(req))
    return Response(body="", status_code=302, headers={"Location": url})
