"""Routes of sharing with public-security programs (contract: "Sharing with public-security programs"):
agreements, their deliveries, hotlist pushes, monthly reports, and inter-city grants."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.routing import Api, Request, page
from gtvision.audit import service as audit
from gtvision.core.models import Page
from gtvision.sharing import agreements, grants, hotlist, report
from gtvision.sharing.api_schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPatch,
    AgreementSecrets,
    AgreementsQuery,
    DeliveriesOut,
    GrantIn,
    GrantOut,
    GrantPatch,
    GrantsQuery,
    HotlistIn,
    HotlistResult,
    ReportOut,
    ReportQuery,
)
from gtvision.sharing.schemas import Agreement, Grant
from gtvision.tenancy.auth import bearer
from gtvision.tenancy.authz import at_least
from gtvision.tenancy.users import ensure_active

api = Api(__name__)

# ------------------------------------------------------------------------------------------ agreements


@api.route(
    "POST",
    "/v1/agreements",
    role="manager",
    status=201,
    body=AgreementIn,
    response=AgreementSecrets,
    audit="agreement.create",
)
def create_agreement(req: Request[AgreementIn, None]) -> AgreementSecrets:
    """Create an agreement; `feed_secret` and `hotlist_key` are in this answer only."""
    out = agreements.create(req.user, req.body)
    req.audit_city_id = out.city_id
    req.audit_detail = {"agreement_id": out.id, "partner_name": out.partner_name, "legal_basis": out.legal_basis}
    return out


@api.route(
    "GET", "/v1/agreements", role="manager", query=AgreementsQuery, response=Page[AgreementOut], audit="agreement.list"
)
def list_agreements(req: Request[None, AgreementsQuery]) -> Page[AgreementOut]:
    """The city's agreements (admins: every city's, or `city_id`'s)."""
    return page(*agreements.list_(req.user, req.query))


@api.route("GET", "/v1/agreements/{agreement_id}", role="manager", response=AgreementOut, audit="agreement.read")
def get_agreement(req: Request[None, None], agreement: Agreement) -> AgreementOut:
    """One agreement (never its secrets)."""
    return agreements.public(agreement)


@api.route(
    "PATCH",
    "/v1/agreements/{agreement_id}",
    role="manager",
    body=AgreementPatch,
    response=AgreementSecrets,
    audit="agreement.update",
)
def update_agreement(req: Request[AgreementPatch, None], agreement: Agreement) -> AgreementSecrets:
    """Change, suspend (`status: suspended`) or resume (`active`) an agreement, or rotate its secrets
    (`rotate: ["feed_secret", "hotlist_key"]`: the new ones are in this answer only)."""
    req.audit_detail = {k: v for k, v in req.body.model_dump(mode="json", exclude_unset=True).items()}
    return agreements.change(req.user, agreement, req.body)


@api.route("DELETE", "/v1/agreements/{agreement_id}", role="manager", status=204, audit="agreement.delete")
def delete_agreement(req: Request[None, None], agreement: Agreement) -> None:
    """Delete an agreement: its feed stops and its hotlist entries leave the watchlist."""
    req.audit_detail = {"partner_name": agreement.partner_name}
    agreements.delete(agreement)


@api.route("GET", "/v1/agreements/{agreement_id}/deliveries", role="manager", response=DeliveriesOut)
def agreement_deliveries(req: Request[None, None], agreement: Agreement) -> DeliveriesOut:
    """Reads pending, delivered and failed, the lag of the oldest pending one and the last error."""
    return agreements.deliveries_of(agreement)


@api.route(
    "GET",
    "/v1/agreements/{agreement_id}/report",
    role="manager",
    query=ReportQuery,
    response=ReportOut,
    audit="agreement.report",
    also=((200, "text/csv ou application/pdf com format=csv|pdf"),),
)
def agreement_report(req: Request[None, ReportQuery], agreement: Agreement) -> Any:
    """The monthly record: JSON, `format=csv` (`;`, decimal comma) or `format=pdf` (pt-BR)."""
    agreements.record_access(agreement, req.user.username, f"relatório {req.query.month}")
    out = report.build(agreement, req.query.month)
    name = f"convenio-{str(agreement.id)[:8]}-{req.query.month}"
    if req.query.format == "csv":
        return Response(
            body=report.to_csv(agreement, out),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}.csv"',
            },
        )
    if req.query.format == "pdf":
        return Response(
            body=report.to_pdf(agreement, out),
            status_code=200,
            headers={"Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return out


@api.route(
    "POST",
    "/v1/agreements/{agreement_id}/hotlist",
    role=None,
    body=HotlistIn,
    response=HotlistResult,
    content_types=("text/csv",),
)
def push_hotlist(req: Request[None, None], agreement_id: str) -> HotlistResult:
    """A hotlist push, JSON or `text/csv`: by the partner (`Authorization: Bearer {hotlist_key}`) or by a
    manager of the city (`?mode=replace` for CSV, `?dry_run=true` to only check it)."""
    header = req.headers.get("authorization") or ""
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    if agreements.is_hotlist_key(token):
        agreement = agreements.partner(agreement_id, str(token))
        actor = f"parceiro: {agreement.partner_name}"[:120]
    else:
        principal = bearer(header or None)
        ensure_active(principal)
        req.principal = principal  # audited as the manager's request
        agreement = agreements.visible(principal, agreement_id)
        at_least(principal, "manager")
        actor = principal.username
    req.audit_city_id = str(agreement.city_id)
    dry_run = (req.params.get("dry_run") or "").lower() in ("1", "true")
    result = hotlist.push(
        agreement, req.raw_body, req.headers.get("content-type"), req.params.get("mode"), actor, dry_run
    )
    req.audit_detail = {
        "mode": result.mode,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "applied": result.applied,
    }
    if req.principal is None:
        audit.record(
            None,
            "hotlist.push",
            f"/v1/agreements/{agreement.id}/hotlist",
            status=200,
            city_id=str(agreement.city_id),
            detail=req.audit_detail,
            actor=actor,
            source_ip=req.source_ip,
            request_id=req.request_id,
        )
    return result


# ------------------------------------------------------------------------------------------ grants


@api.route("POST", "/v1/grants", role="manager", status=201, body=GrantIn, response=GrantOut, audit="grant.create")
def create_grant(req: Request[GrantIn, None]) -> GrantOut:
    """Ask another city for its reads of some plates in a window, for a case (201 `pending`)."""
    out = grants.create(req.user, req.body)
    req.audit_city_id = out.requesting_city_id
    req.audit_detail = {"grant_id": out.id, "holding_city_id": out.holding_city_id, "plates": out.plates}
    audit.record(
        req.user,
        "grant.requested",
        f"/v1/grants/{out.id}",
        status=201,
        city_id=out.holding_city_id,
        detail=req.audit_detail,
        source_ip=req.source_ip,
        request_id=req.request_id,
    )
    return out


@api.route("GET", "/v1/grants", role="manager", query=GrantsQuery, response=Page[GrantOut], audit="grant.list")
def list_grants(req: Request[None, GrantsQuery]) -> Page[GrantOut]:
    """Grants the city asked for or holds, newest first (`status` filter): the managers' inbox."""
    return page(*grants.list_(req.user, req.query))


@api.route("GET", "/v1/grants/{grant_id}", role="manager", response=GrantOut, audit="grant.read")
def get_grant(req: Request[None, None], grant: Grant) -> GrantOut:
    """One grant, seen by either city."""
    return grants.public(grant)


@api.route("PATCH", "/v1/grants/{grant_id}", role="manager", body=GrantPatch, response=GrantOut, audit="grant.answer")
def answer_grant(req: Request[GrantPatch, None], grant: Grant) -> GrantOut:
    """The holding city approves or denies; either city revokes an approved grant (at once)."""
    out = grants.answer(req.user, grant, req.body)
    req.audit_detail = {"status": out.status}
    req.audit_city_id = req.user.city_id or out.holding_city_id  # audited in both cities
    other = out.requesting_city_id if req.audit_city_id == out.holding_city_id else out.holding_city_id
    audit.record(
        req.user,
        "grant.answer",
        f"/v1/grants/{out.id}",
        status=200,
        city_id=other,
        detail=req.audit_detail,
        source_ip=req.source_ip,
        request_id=req.request_id,
    )
    return out
