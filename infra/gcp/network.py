"""Network: a custom-mode VPC, the node subnet with pod/service ranges, Cloud Router + NAT."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import GcpScope

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


class Network(pulumi.ComponentResource):
    vpc: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    router: gcp.compute.Router
    nat: gcp.compute.RouterNat

    def __init__(self, name: str, scope: GcpScope, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Network", name, None, opts)
        self._scope = scope
        self._create_vpc(name)
        self._create_subnet(name)
        self._create_nat(name)
        self.register_outputs({"vpc": self.vpc.id, "subnet": self.subnet.id})

    def _create_vpc(self, name: str) -> None:
        self.vpc = gcp.compute.Network(
            f"{name}-vpc",
            name=f"{name}-vpc",
            project=self._scope.project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            delete_default_routes_on_create=False,
            opts=self._scope.opts(self),
        )

    def _create_subnet(self, name: str) -> None:
        target = self._scope.target
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=f"{name}-nodes",
            project=self._scope.project,
            region=target.region,
            network=self.vpc.id,
            ip_cidr_range=target.network_cidr,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=target.pods_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=SERVICES_RANGE, ip_cidr_range=target.services_cidr
                ),
            ],
            # Nodes have no public IPs: Google APIs (GCS, Artifact Registry) stay on Google's network.
            private_ip_google_access=True,
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_MIN",
                flow_sampling=0.5,
                metadata="INCLUDE_ALL_METADATA",
            ),
            opts=self._scope.opts(self),
        )

    def _create_nat(self, name: str) -> None:
        # Egress for private nodes (Hugging Face downloads by the staging Job, public images).
        self.router = gcp.compute.Router(
            f"{name}-router",
            name=f"{name}-router",
            project=self._scope.project,
            region=self._scope.region,
            network=self.vpc.id,
            opts=self._scope.opts(self),
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat",
            name=f"{name}-nat",
            project=self._scope.project,
            region=self._scope.region,
            router=self.router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[
                gcp.compute.RouterNatSubnetworkArgs(name=self.subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])
            ],
            enable_dynamic_port_allocation=True,
            enable_endpoint_independent_mapping=False,
            min_ports_per_vm=64,
            max_ports_per_vm=4096,
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=self._scope.opts(self),
        )
