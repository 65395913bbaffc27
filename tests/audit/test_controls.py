"""The audit's control ids, components and snippets line up with the catalogue and the components."""

from __future__ import annotations

import pytest
from eksguard_policies.catalogue import default_catalogue

from eksguard.audit.checks import RawFinding
from eksguard.audit.controls import AUDIT_CONTROL_IDS, IMPORT_TYPES
from eksguard.audit.remediation import COMPONENT_MODULES, component_arguments, component_snippet, import_command


def test_every_audit_control_id_is_in_the_catalogue():
    catalogue = default_catalogue()
    assert sorted(cid for cid in AUDIT_CONTROL_IDS if cid not in catalogue) == []


@pytest.mark.parametrize("control_id", AUDIT_CONTROL_IDS)
def test_control_component_has_an_args_dataclass(control_id):
    control = default_catalogue()[control_id]
    class_name = control.component.rsplit(":", 1)[-1]
    assert class_name in COMPONENT_MODULES
    assert component_arguments(class_name), f"components/{COMPONENT_MODULES[class_name]}.py has no {class_name}Args"


def test_import_command_and_snippet():
    finding = RawFinding(
        "eks-secrets-encryption",
        "arn:aws:eks:eu-west-1:1:cluster/Prod_1",
        "m",
        "eu-west-1",
        "cluster",
        "Prod_1",
        "Prod_1",
        {"cluster_name": "Prod_1", "subnet_ids": ["subnet-1"], "not_an_argument": 3, "version": None},
    )
    assert import_command(finding) == "pulumi import aws:eks/cluster:Cluster prod-1 Prod_1"
    snippet = component_snippet("eksguard:index:Cluster", finding)
    assert snippet.splitlines() == [
        "from components.cluster import Cluster, ClusterArgs",
        "",
        "# observed not_an_argument=3 (ClusterArgs has no such argument)",
        "cluster = Cluster(",
        '    "prod-1",',
        "    ClusterArgs(",
        "        cluster_name='Prod_1',",
        "        subnet_ids=['subnet-1'],",
        "    ),",
        ")",
    ]
    compile(snippet, "<snippet>", "exec")


def test_account_level_findings_have_no_import_command():
    finding = RawFinding("stack-multi-region-trail", "account 1", "m", "global", "account", "", "account 1")
    assert IMPORT_TYPES["account"] == "" and import_command(finding) == ""
