"""Network: custom-mode VPC, node subnet with pod/service ranges, Private Google Access, flow logs, NAT."""

from __future__ import annotations

from tests.gcp.conftest import GcpView


def test_vpc_is_custom_mode(prod_gcp: GcpView) -> None:
    vpc = prod_gcp.one("gcp:compute/network:Network")
    assert vpc.props["autoCreateSubnetworks"] is False


def test_subnet_ranges_come_from_the_config(prod_gcp: GcpView) -> None:
    subnet = prod_gcp.one("gcp:compute/subnetwork:Subnetwork")
    vpc = prod_gcp.one("gcp:compute/network:Network")
    assert subnet.props["ipCidrRange"] == prod_gcp.config["networkCidr"]
    assert subnet.props["network"].endswith(f"/networks/{vpc.props['name']}")
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet.props["secondaryIpRanges"]} == {
        "pods": prod_gcp.config["podsCidr"],
        "services": prod_gcp.config["servicesCidr"],
    }


def test_subnet_has_private_google_access_and_flow_logs(prod_gcp: GcpView) -> None:
    subnet = prod_gcp.one("gcp:compute/subnetwork:Subnetwork")
    assert subnet.props["privateIpGoogleAccess"] is True
    logs = subnet.props["logConfig"]
    assert logs["metadata"] == "INCLUDE_ALL_METADATA"
    assert 0 < logs["flowSampling"] <= 1


def test_nat_serves_the_node_subnet_and_logs_errors(prod_gcp: GcpView) -> None:
    router = prod_gcp.one("gcp:compute/router:Router")
    nat = prod_gcp.one("gcp:compute/routerNat:RouterNat")
    subnet = prod_gcp.one("gcp:compute/subnetwork:Subnetwork")
    assert nat.props["router"] == router.props["name"]
    assert nat.props["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    [entry] = nat.props["subnetworks"]
    assert entry["name"].endswith(f"/subnetworks/{subnet.props['name']}")
    assert entry["sourceIpRangesToNats"] == ["ALL_IP_RANGES"]
    assert nat.props["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}
