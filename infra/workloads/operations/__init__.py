"""Operations: metrics, dashboards, SLO alerts and autoscaling for every cluster and placement.

* :class:`ClusterOperations` (``cluster.py``): per-cluster add-ons, built by the program after
  each target.
* :class:`PlacementOperations` (``placement.py``): per-placement objects, built at the end of
  each ``ModelPlacement``.
* Pure builders: ``alerts.py`` (PrometheusRule groups from each model's SLO), ``dashboards.py``
  (Grafana JSON), ``autoscaling.py`` (KEDA ScaledObject), ``metrics.py`` (allowed metric names).
"""

from infra.workloads.operations.cluster import ClusterOperations, ClusterOperationsArgs
from infra.workloads.operations.placement import PlacementOperations, ServerRef

__all__ = ["ClusterOperations", "ClusterOperationsArgs", "PlacementOperations", "ServerRef"]
