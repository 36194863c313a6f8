import base64, json
from tests.factories import auth

def show(label, r):
    print(f"\n{label}: {r.status_code} {r.text[:300]}")

def test_probe(client, network, admin_key, backend):
    print("\n=====", backend)
    c = network.community()
    co = network.coordinator(c["id"])
    show("member blackout", client.post(f"/v1/communities/{c['id']}/members", json={"name":"A","email":"a@x.org","home":{"lat":1,"lon":1},"blackout_dates":["2030-01-02","2030-01-01"]}, headers=auth(admin_key)))
    m = network.member(c["id"])
    show("patch blackout", client.patch(f"/v1/members/{m['id']}", json={"blackout_dates":["2030-01-02"]}, headers=auth(admin_key)))
    show("patch null", client.patch(f"/v1/members/{m['id']}", json={"name":None}, headers=auth(admin_key)))
    show("nul name", client.post("/v1/communities", json={"name":"a\x00b","meeting_point":{"lat":1,"lon":1},"timezone":"UTC"}, headers=auth(admin_key)))
    show("nul path", client.get("/v1/members/a%00b", headers=auth(admin_key)))
    show("nul path need", client.get("/v1/needs/a%00b", headers=auth(admin_key)))
    cur = base64.urlsafe_b64encode(json.dumps(["2030-01-01T00:00:00","x"]).encode()).decode()
    show("naive cursor", client.get("/v1/needs", params={"cursor":cur}, headers=auth(admin_key)))
    cur = base64.urlsafe_b64encode(json.dumps(["a\x00","x"]).encode()).decode()
    show("nul cursor members", client.get(f"/v1/communities/{c['id']}/members", params={"cursor":cur}, headers=auth(admin_key)))
    big = b'{"name":"' + b"x"*(300*1024) + b'"}'
    show("big", client.post("/v1/agencies", content=big, headers={**auth(admin_key), "content-type":"application/json"}))
    def gen():
        for _ in range(300):
            yield b"x"*1024
    show("big chunked", client.post("/v1/agencies", content=gen(), headers={**auth(admin_key), "content-type":"application/json"}))
    show("deep", client.post("/v1/agencies", content=b"["*100000 + b"]"*100000, headers={**auth(admin_key), "content-type":"application/json"}))
    show("badjson", client.post("/v1/agencies", content=b"{", headers={**auth(admin_key), "content-type":"application/json"}))
    show("badutf", client.post("/v1/agencies", content=b'{"name":"\xff"}', headers={**auth(admin_key), "content-type":"application/json"}))
    show("nan", client.post("/v1/communities", content=b'{"name":"a","meeting_point":{"lat":NaN,"lon":1},"timezone":"UTC"}', headers={**auth(admin_key), "content-type":"application/json"}))
    show("agency get member", client.get(f"/v1/members/{m['id']}", headers=auth(network.agency()["api_key"])))
    show("need naive", client.post("/v1/needs", json=network.need_body(community_id=c["id"], starts_at="2030-01-01T10:00:00"), headers=auth(admin_key)))
    show("need window", client.post("/v1/needs", json=network.need_body(community_id=c["id"], ends_at=network.need_body()["starts_at"]), headers=auth(admin_key)))
    n = network.need(co["api_key"], community_id=c["id"])
    show("patch need null", client.patch(f"/v1/needs/{n['id']}", json={"title":None}, headers=auth(admin_key)))
    show("patch need start only", client.patch(f"/v1/needs/{n['id']}", json={"starts_at":"2031-01-01T10:00:00+00:00"}, headers=auth(admin_key)))
    show("list text", client.get("/v1/needs?near=1,1&radius_km=nan", headers=auth(admin_key)))
    show("text/plain", client.post("/v1/agencies", content=b'{"name":"a","email":"a@b.co"}', headers={**auth(admin_key), "content-type":"text/plain"}))
    show("list body", client.post("/v1/agencies", json=[1], headers=auth(admin_key)))
    show("timezone nul", client.post("/v1/communities", json={"name":"a","meeting_point":{"lat":1,"lon":1},"timezone":"Europe/\x00London"}, headers=auth(admin_key)))
    show("huge int", client.post("/v1/needs", content=json.dumps(network.need_body(community_id=c["id"])).replace('"count": 2', '"count": 1' + "0"*5000).encode(), headers={**auth(admin_key), "content-type":"application/json"}))
    assert False
