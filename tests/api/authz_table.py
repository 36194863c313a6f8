"""The authorization matrix: who may call each route, on whose object, written down once.

One row per route (and per kind of object where the answer differs), one column per caller;
each cell is the status the caller must get. ``test_authorization_matrix`` builds the cast and
the objects, sends a valid request as every caller and compares. The rule behind the cells:

* 401 — no key, or an unknown or revoked one (checked before anything else);
* 403 — a role that may never do this (agencies never touch members or communities;
  members and agencies never manage; only admins create communities, coordinators, agencies);
* 404 — another tenant's object (ids cannot be probed), or an object the caller may not see;
* 2xx — everyone else.

Callers (columns):

    adm  an admin key
    crd  a coordinator of the object's community ("home")
    ocd  a coordinator of another community
    mem  the member the object is about (the member themself, or the signed-up one)
    nbr  a neighbour: another member of the same community
    out  an outsider: a member of another community
    agy  the agency that owns the object (for agency requests)
    oag  another agency
    nok  no Authorization header
    rev  a revoked key of the home coordinator (would otherwise be allowed)

Objects (the "obj" column), built fresh for every write so callers do not interfere:

    -     nothing in the path (or a new object is created)
    home  community "home": its coordinator is crd, its member mem
    self  the member themself
    need  a need of the home community (private location)
    areq  a request of the owning agency, open to the whole network
    sign  the member's confirmed sign-up on a need of home
    invt  the member's pending invitation (from crd) to a need of home
    mkey  a spare API key of the member (their own, issued through /v1/keys)
    ckey  a spare API key of the home coordinator
    hous  a household of home: the member and another member of home (not the neighbour)

Cells worth a second look: an agency posting with a community_id (and anyone else posting
without one) gets 422 naming ``community_id``: the body, not the caller, is wrong. Listing a
need's sign-ups answers 200 with only what the caller may see (possibly nothing) for any id.
Members may list their community's households (they see only their own) and read their own,
never change one. Candidates are for admins and coordinators only: members and agencies get
403 (even for the agency's own request), as for suggestions, which agencies never ask for.
Teams follow candidates: any coordinator proposes from their own members for a request open to
the network. A batch names its community (404 for another's); only an admin may omit it (422).
Home is too small to multiply: those who may multiply it get 409 (not ready), not 2xx. The
lineage reads like the community itself (names and sizes of its family, no places).
Feedback on a suggestion follows the suggestions (the member, their coordinators, admins) and
then the need as the member sees it: an agency request open to the network is theirs to hide.
The ranking model's figures hold no one's data: any coordinator may read them.
"""

CALLERS = ("adm", "crd", "ocd", "mem", "nbr", "out", "agy", "oag", "nok", "rev")

# fmt: off
MATRIX = """
method path                                        obj   adm crd ocd mem nbr out agy oag nok rev
GET    /healthz                                    -     200 200 200 200 200 200 200 200 200 200
GET    /v1/me                                      -     200 200 200 200 200 200 200 200 401 401
GET    /v1/communities                             -     200 200 200 200 200 200 403 403 401 401
POST   /v1/communities                             -     201 403 403 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}              home  200 200 404 200 200 404 403 403 401 401
GET    /v1/communities/{community_id}/health       home  200 200 404 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}/map.geojson  home  200 200 404 403 403 403 403 403 401 401
POST   /v1/communities/{community_id}/coordinators home  201 403 403 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}/load         home  200 200 404 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}/multiplication home  200 200 404 403 403 403 403 403 401 401
POST   /v1/communities/{community_id}/multiplication/evaluate home  200 200 404 403 403 403 403 403 401 401
POST   /v1/communities/{community_id}/multiplication home  409 409 404 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}/lineage      home  200 200 404 200 200 404 403 403 401 401
POST   /v1/communities/{community_id}/households   home  201 201 404 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}/households   home  200 200 404 200 200 404 403 403 401 401
GET    /v1/households/{household_id}               hous  200 200 404 200 404 404 403 403 401 401
PATCH  /v1/households/{household_id}               hous  200 200 404 403 403 403 403 403 401 401
DELETE /v1/households/{household_id}               hous  204 204 404 403 403 403 403 403 401 401
POST   /v1/agencies                                -     201 403 403 403 403 403 403 403 401 401
GET    /v1/agencies                                -     200 403 403 403 403 403 403 403 401 401
POST   /v1/communities/{community_id}/members      home  201 201 404 403 403 403 403 403 401 401
GET    /v1/communities/{community_id}/members      home  200 200 404 403 403 403 403 403 401 401
GET    /v1/members/{member_id}                     self  200 200 404 200 404 404 403 403 401 401
PATCH  /v1/members/{member_id}                     self  200 200 404 200 404 404 403 403 401 401
DELETE /v1/members/{member_id}                     self  204 204 404 204 404 404 403 403 401 401
GET    /v1/members/{member_id}/suggestions         self  200 200 404 200 404 404 403 403 401 401
POST   /v1/members/{member_id}/suggestions/{need_id}/feedback need  200 200 404 200 404 404 403 403 401 401
POST   /v1/members/{member_id}/suggestions/{need_id}/feedback areq  200 200 404 200 404 404 403 403 401 401
GET    /v1/ranking/model                           -     200 200 200 403 403 403 403 403 401 401
POST   /v1/needs                                   home  201 201 404 403 403 403 422 422 401 401
POST   /v1/needs                                   -     422 422 422 403 403 403 201 201 401 401
GET    /v1/needs                                   -     200 200 200 200 200 200 200 200 401 401
GET    /v1/needs.geojson                           -     200 200 200 200 200 200 200 200 401 401
GET    /v1/needs/{need_id}                         need  200 200 404 200 200 404 404 404 401 401
GET    /v1/needs/{need_id}                         areq  200 200 200 200 200 200 200 404 401 401
PATCH  /v1/needs/{need_id}                         need  200 200 404 403 403 403 404 404 401 401
PATCH  /v1/needs/{need_id}                         areq  200 404 404 403 403 403 200 404 401 401
POST   /v1/needs/{need_id}/cancel                  need  200 200 404 403 403 403 404 404 401 401
POST   /v1/needs/{need_id}/cancel                  areq  200 404 404 403 403 403 200 404 401 401
GET    /v1/needs/{need_id}/candidates              need  200 200 404 403 403 403 403 403 401 401
GET    /v1/needs/{need_id}/candidates              areq  200 200 200 403 403 403 403 403 401 401
POST   /v1/needs/{need_id}/signups                 need  201 201 404 201 404 404 403 403 401 401
GET    /v1/needs/{need_id}/signups                 sign  200 200 200 200 200 200 200 200 401 401
DELETE /v1/needs/{need_id}/signups/{signup_id}     sign  204 204 404 204 404 404 403 403 401 401
POST   /v1/needs/{need_id}/invitations             need  201 201 404 403 403 403 403 403 401 401
POST   /v1/needs/{need_id}/signups/{signup_id}/accept  invt  200 200 404 200 404 404 403 403 401 401
POST   /v1/needs/{need_id}/signups/{signup_id}/decline invt  200 200 404 200 404 404 403 403 401 401
GET    /v1/members/{member_id}/signups             self  200 200 404 200 404 404 403 403 401 401
POST   /v1/needs/{need_id}/team                    need  200 200 404 403 403 403 403 403 401 401
POST   /v1/needs/{need_id}/team                    areq  200 200 200 403 403 403 403 403 401 401
POST   /v1/match/batch                             home  200 200 404 403 403 403 403 403 401 401
POST   /v1/match/batch                             -     200 422 422 403 403 403 403 403 401 401
GET    /v1/audit                                   -     200 200 200 403 403 403 403 403 401 401
GET    /v1/keys                                    -     200 200 200 200 200 200 200 200 401 401
POST   /v1/keys                                    -     201 201 201 201 201 201 201 201 401 401
POST   /v1/keys/{key_id}/rotate                    mkey  201 404 404 201 404 404 404 404 401 401
POST   /v1/keys/{key_id}/rotate                    ckey  201 201 404 404 404 404 404 404 401 401
POST   /v1/keys/{key_id}/revoke                    mkey  200 404 404 200 404 404 404 404 401 401
POST   /v1/keys/{key_id}/revoke                    ckey  200 200 404 404 404 404 404 404 401 401
"""
# fmt: on


def parse(text: str) -> list[tuple[str, str, str, dict[str, int]]]:
    """The rows of ``MATRIX``: (method, path, object, {caller: expected status})."""
    lines = [line.split() for line in text.strip().splitlines()]
    header, body = lines[0], lines[1:]
    assert tuple(header[3:]) == CALLERS, f"matrix columns must be {CALLERS}"
    rows = []
    for cells in body:
        assert len(cells) == len(header), f"row has {len(cells)} cells, header {len(header)}"
        method, path, target, *statuses = cells
        rows.append((method, path, target, dict(zip(CALLERS, map(int, statuses), strict=True))))
    return rows


ROWS = parse(MATRIX)
