"""Cluster-agnostic Kubernetes: everything that runs on a cluster, whatever cloud it is in."""
