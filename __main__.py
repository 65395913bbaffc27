"""The eksguard reference stack: one Baseline built from the stack configuration (stacks/Pulumi.<stack>.yaml)."""

import pulumi

from components.baseline import Baseline
from components.stack_config import load_settings

settings = load_settings()
baseline = Baseline(settings.name, settings.args)

pulumi.export("clusterName", baseline.cluster_name)
pulumi.export("responsibilities", baseline.responsibilities)
