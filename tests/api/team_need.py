"""A need for cooks, its coordinator and members, as the team, standby and keep-asking tests
drive it over HTTP."""

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Network, auth


def role_places(client: TestClient, need_id: str, key: str) -> tuple[int, int, int]:
    """A one-role need's (filled, invited, count): never more held than there are places."""
    (role,) = client.get(f"/v1/needs/{need_id}", headers=auth(key)).json()["roles"]
    assert role["filled"] + role["invited"] <= role["count"]
    return role["filled"], role["invited"], role["count"]


class Need:
    """A coordinator, members of a community and a need for ``count`` cooks."""

    def __init__(
        self, client: TestClient, network: Network, *, count: int = 1, **need: Any
    ) -> None:
        self.client, self.network = client, network
        self.community = network.community()
        self.key = network.coordinator(self.community["id"])["api_key"]
        self.members: dict[str, dict[str, Any]] = {}
        self.need = network.need(
            self.key,
            community_id=self.community["id"],
            roles=[{"name": "cook", "skill": "cooking", "count": count}],
            **need,
        )

    def member(self, *, cooking: int, stage: str = "mature") -> dict[str, Any]:
        member = self.network.member(self.community["id"], skills={"cooking": cooking}, stage=stage)
        self.members[member["id"]] = member
        return member

    def send(self, **body: Any) -> dict[str, Any]:
        """Commit the need's team (``body`` added to ``{"commit": true}``)."""
        sent = self.client.post(
            f"/v1/needs/{self.need['id']}/team",
            json={"commit": True, **body},
            headers=auth(self.key),
        )
        assert sent.status_code == 201, sent.text
        self.places()
        return dict(sent.json())

    def send_with_standby(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Commit with standby on a one-cook need: (the holder's invitation, the standby's)."""
        body = self.send(standby=True)
        (holder,) = body["invitations"]
        (standby,) = body["standby_invitations"]
        return holder, standby

    def answer(self, invitation: dict[str, Any], verb: str, **body: Any) -> Any:
        key = self.members[invitation["member_id"]]["api_key"]
        return self.client.post(
            f"/v1/needs/{self.need['id']}/signups/{invitation['id']}/{verb}",
            json=body or None,
            headers=auth(key),
        )

    def places(self) -> tuple[int, int, int]:
        return role_places(self.client, self.need["id"], self.key)

    def status(self, invitation: dict[str, Any]) -> str:
        """The invitation's status as its member's coordinator reads it."""
        items = self.client.get(
            f"/v1/members/{invitation['member_id']}/signups", headers=auth(self.key)
        ).json()["items"]
        (found,) = [item for item in items if item["id"] == invitation["id"]]
        return str(found["status"])
