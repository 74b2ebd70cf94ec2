"""Routes of Sentinela (contract: Sentinela — vehicle search): search jobs, their state and results."""

from __future__ import annotations

from chalicelib.routing import Api, Request, page
from gtvision.core.models import Page, PageQuery
from gtvision.sentinela import service as sentinela
from gtvision.sentinela.schemas import Search, SearchAccepted, SearchIn, SearchOut, SightingOut
from gtvision.tenancy import quotas

api = Api(__name__)


@api.route(
    "POST", "/v1/sentinela/searches", status=202, body=SearchIn, response=SearchAccepted, audit="sentinela.search"
)
def create_search(req: Request[SearchIn, None]) -> SearchAccepted:
    """Plate/colour/type in a time range: LPR reads at once; recordings analysed when `analyse_video`. Each
    search, and each video analysis, counts against the caller's and the city's quota (429 + Retry-After)."""
    quotas.check(req.user, "sentinela_search")
    if req.body.analyse_video:
        quotas.check(req.user, "sentinela_video")
    accepted = sentinela.create(req.user, req.body)
    req.audit_city_id = str(accepted.city_id)
    req.audit_detail = {"search_id": str(accepted.id), "criteria": accepted.criteria}
    return SearchAccepted(id=str(accepted.id), status="pending")


@api.route("GET", "/v1/sentinela/searches", query=PageQuery, response=Page[SearchOut])
def list_searches(req: Request[None, PageQuery]) -> Page[SearchOut]:
    """The city's searches, newest first."""
    return page(*sentinela.list_(req.user, req.query.limit, req.query.cursor))


@api.route("GET", "/v1/sentinela/searches/{search_id}", response=SearchOut)
def get_search(req: Request[None, None], search: Search) -> SearchOut:
    """A search's state and progress."""
    return sentinela.public(search)


@api.route("DELETE", "/v1/sentinela/searches/{search_id}", response=SearchOut, audit="sentinela.cancel")
def cancel_search(req: Request[None, None], search: Search) -> SearchOut:
    """Cancel a search (its owner, or a manager of the city): segments not yet analysed are skipped."""
    return sentinela.cancel(req.user, search)


@api.route(
    "GET",
    "/v1/sentinela/searches/{search_id}/results",
    query=PageQuery,
    response=Page[SightingOut],
    audit="sentinela.results",
)
def search_results(req: Request[None, PageQuery], search: Search) -> Page[SightingOut]:
    """Sightings by time (LPR reads and video frames), image_url presigned."""
    items, nxt = sentinela.results(search, req.query.limit, req.query.cursor)
    req.audit_detail = {"results": len(items)}
    return page(items, nxt)
