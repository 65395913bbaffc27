"""Serve the eksguard policy pack (the Pulumi CLI runs ``python -m pulumi.policy <engine> policies``)."""

from eksguard_policies import servicer
from eksguard_policies.pack import PACK_NAME, build
from pulumi_policy import EnforcementLevel, PolicyPack

servicer.install()  # one deserialization per resource; EKSGUARD_STOCK_ANALYZER=1 serves with the stock code
PolicyPack(name=PACK_NAME, policies=build(), enforcement_level=EnforcementLevel.ADVISORY)
