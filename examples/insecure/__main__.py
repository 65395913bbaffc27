"""A deliberately insecure EKS stack: raw provider resources with the settings people copy from old blog posts.

Each module declares the resources of one domain; together they break every resource control of the
eksguard policy pack at least once (tests/policies prove it).
"""

import addons_and_identities  # noqa: F401
import cluster_and_audit  # noqa: F401
import images_and_detection  # noqa: F401
import nodes_and_network  # noqa: F401
import workloads  # noqa: F401
