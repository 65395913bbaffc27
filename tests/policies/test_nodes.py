"""Worker node controls (launch templates, instances, managed node groups) over the real protocol.

Each resource type has a fully compliant baseline; every case changes one thing and states the exact set of
violations over the whole pack.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eksguard.protocol.analyzer import Resource
from eksguard.protocol.wire import UNKNOWN, Secret

from .cases import Case, StackCase, case, run_case, run_stack_case, stack_case
from .pack_driver import resource, urn_for

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0d9b5b2c-1111-2222-3333-444455556666"

IMDS = "node-imdsv2-required"
EBS = "node-ebs-encrypted"
PUBLIC = "node-public-ip"
SSH = "nodegroup-ssh-remote-access"
AMI = "nodegroup-ami-family"
AS_OF = {"nodegroup-ami-age": {"asOf": "2026-11-28"}}
BY_DEFAULT = {EBS: {"accountEncryptionByDefault": True}}

METADATA = {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
LT_BASE: dict[str, Any] = {
    "namePrefix": "nodes-",
    "metadataOptions": {**METADATA, "instanceMetadataTags": "disabled"},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN, "volumeSize": 50}}
    ],
    "networkInterfaces": [{"deviceIndex": 0, "associatePublicIpAddress": "false", "securityGroups": ["sg-nodes"]}],
}
INSTANCE_BASE: dict[str, Any] = {
    "ami": "ami-0123456789abcdef0",
    "instanceType": "m7i.large",
    "subnetId": "subnet-private-a",
    "metadataOptions": dict(METADATA),
    "rootBlockDevice": {"encrypted": True, "volumeSize": 50},
    "ebsBlockDevices": [{"deviceName": "/dev/xvdb", "encrypted": True, "volumeSize": 100}],
    "associatePublicIpAddress": False,
}
LC_BASE: dict[str, Any] = {
    "imageId": "ami-0123456789abcdef0",
    "instanceType": "m7i.large",
    "metadataOptions": dict(METADATA),
    "rootBlockDevice": {"encrypted": True, "volumeSize": 50},
    "associatePublicIpAddress": False,
}
NODE_GROUP_BASE: dict[str, Any] = {
    "clusterName": "prod",
    "nodeRoleArn": "arn:aws:iam::111122223333:role/prod-nodes",
    "subnetIds": ["subnet-private-a", "subnet-private-b"],
    "scalingConfig": {"minSize": 2, "maxSize": 4, "desiredSize": 2},
    "amiType": "AL2023_x86_64_STANDARD",
    "version": "1.35",
    "releaseVersion": "1.35.2-20261120",
    "launchTemplate": {"id": "lt-0123", "version": "1"},
}

DROP: Any = object()


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``base`` with fields replaced; a key may be a dotted path (``metadataOptions__httpTokens``); DROP removes."""
    props = copy.deepcopy(base)
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        node = props
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DROP:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return props


def lt(**changes: Any) -> dict[str, Any]:
    return variant(LT_BASE, **changes)


def instance(**changes: Any) -> dict[str, Any]:
    return variant(INSTANCE_BASE, **changes)


def node_group(**changes: Any) -> dict[str, Any]:
    return variant(NODE_GROUP_BASE, **changes)


def eks_template(**changes: Any) -> dict[str, Any]:
    """A managed node group without a launch template: EKS creates one."""
    return variant(NODE_GROUP_BASE, launchTemplate=DROP, **changes)


def launch_configuration(**changes: Any) -> dict[str, Any]:
    return variant(LC_BASE, **changes)


def ng(id: str, props: dict[str, Any], violations: set[str] = frozenset(), **kw: Any) -> Case:
    kw.setdefault("config", AS_OF)
    return case(id, NODE_GROUP, props, violations, **kw)


CASES: list[Case] = [
    # launch template: IMDS
    case("lt-baseline", LAUNCH_TEMPLATE, lt()),
    case("lt-minimal", LAUNCH_TEMPLATE, {}, {IMDS, EBS}),
    case("lt-no-metadata-options", LAUNCH_TEMPLATE, lt(metadataOptions=DROP), {IMDS}),
    case("lt-metadata-options-garbage", LAUNCH_TEMPLATE, lt(metadataOptions="required"), {IMDS}),
    case("lt-tokens-optional", LAUNCH_TEMPLATE, lt(metadataOptions__httpTokens="optional"), {IMDS}),
    case("lt-tokens-missing", LAUNCH_TEMPLATE, lt(metadataOptions__httpTokens=DROP), {IMDS}),
    case("lt-tokens-number", LAUNCH_TEMPLATE, lt(metadataOptions__httpTokens=2), {IMDS}),
    case("lt-tokens-secret-required", LAUNCH_TEMPLATE, lt(metadataOptions__httpTokens=Secret("required"))),
    case("lt-hop-limit-2", LAUNCH_TEMPLATE, lt(metadataOptions__httpPutResponseHopLimit=2), {IMDS}),
    case("lt-hop-limit-missing", LAUNCH_TEMPLATE, lt(metadataOptions__httpPutResponseHopLimit=DROP), {IMDS}),
    case("lt-hop-limit-zero", LAUNCH_TEMPLATE, lt(metadataOptions__httpPutResponseHopLimit=0), {IMDS}),
    case("lt-hop-limit-garbage", LAUNCH_TEMPLATE, lt(metadataOptions__httpPutResponseHopLimit="one"), {IMDS}),
    case("lt-hop-limit-string-1", LAUNCH_TEMPLATE, lt(metadataOptions__httpPutResponseHopLimit="1")),
    case(
        "lt-endpoint-disabled",
        LAUNCH_TEMPLATE,
        lt(metadataOptions={"httpEndpoint": "disabled", "httpTokens": "optional"}),
    ),
    case(
        "lt-tokens-unknown",
        LAUNCH_TEMPLATE,
        lt(metadataOptions__httpTokens=UNKNOWN),
        not_checkable={IMDS},
    ),
    case(
        "lt-tokens-unknown-hop-limit-3",
        LAUNCH_TEMPLATE,
        lt(metadataOptions__httpTokens=UNKNOWN, metadataOptions__httpPutResponseHopLimit=3),
        {IMDS},
    ),
    case(
        "lt-endpoint-unknown-tokens-optional",
        LAUNCH_TEMPLATE,
        lt(metadataOptions__httpEndpoint=UNKNOWN, metadataOptions__httpTokens="optional"),
        not_checkable={IMDS},
    ),
    case("lt-endpoint-unknown-compliant", LAUNCH_TEMPLATE, lt(metadataOptions__httpEndpoint=UNKNOWN)),
    case(
        "lt-endpoint-disabled-tokens-unknown",
        LAUNCH_TEMPLATE,
        lt(metadataOptions={"httpEndpoint": "disabled", "httpTokens": UNKNOWN}),
    ),
    # launch template: EBS (pulumi-aws types encrypted as the string "true"/"false")
    case("lt-ebs-false", LAUNCH_TEMPLATE, lt(blockDeviceMappings__0__ebs__encrypted="false"), {EBS}),
    case("lt-ebs-bool-false", LAUNCH_TEMPLATE, lt(blockDeviceMappings__0__ebs__encrypted=False), {EBS}),
    case("lt-ebs-bool-true", LAUNCH_TEMPLATE, lt(blockDeviceMappings__0__ebs__encrypted=True)),
    case("lt-ebs-not-set", LAUNCH_TEMPLATE, lt(blockDeviceMappings__0__ebs__encrypted=DROP), {EBS}),
    case("lt-ebs-garbage", LAUNCH_TEMPLATE, lt(blockDeviceMappings__0__ebs__encrypted="yes"), {EBS}),
    case(
        "lt-ebs-unknown",
        LAUNCH_TEMPLATE,
        lt(blockDeviceMappings__0__ebs__encrypted=UNKNOWN),
        not_checkable={EBS},
    ),
    case("lt-no-block-devices", LAUNCH_TEMPLATE, lt(blockDeviceMappings=DROP), {EBS}),
    case("lt-empty-block-devices", LAUNCH_TEMPLATE, lt(blockDeviceMappings=[]), {EBS}),
    case("lt-no-block-devices-default-on", LAUNCH_TEMPLATE, lt(blockDeviceMappings=DROP), config=BY_DEFAULT),
    case(
        "lt-ebs-not-set-default-on",
        LAUNCH_TEMPLATE,
        lt(blockDeviceMappings__0__ebs__encrypted=DROP),
        config=BY_DEFAULT,
    ),
    case(
        "lt-ebs-false-default-on",
        LAUNCH_TEMPLATE,
        lt(blockDeviceMappings__0__ebs__encrypted="false"),
        {EBS},
        config=BY_DEFAULT,
    ),
    case(
        "lt-second-volume-unencrypted",
        LAUNCH_TEMPLATE,
        lt(blockDeviceMappings=[*LT_BASE["blockDeviceMappings"], {"deviceName": "/dev/xvdb", "ebs": {}}]),
        {EBS},
    ),
    case(
        "lt-instance-store-mapping",
        LAUNCH_TEMPLATE,
        lt(
            blockDeviceMappings=[
                *LT_BASE["blockDeviceMappings"],
                {"deviceName": "/dev/sdb", "virtualName": "ephemeral0"},
            ]
        ),
    ),
    case(
        "lt-everything-wrong",
        LAUNCH_TEMPLATE,
        lt(
            metadataOptions=DROP,
            blockDeviceMappings__0__ebs__encrypted="false",
            networkInterfaces__0__associatePublicIpAddress="true",
        ),
        {IMDS, EBS},
    ),
    # instances (real booleans)
    case("instance-baseline", INSTANCE, instance()),
    case("instance-no-metadata-options", INSTANCE, instance(metadataOptions=DROP), {IMDS}),
    case("instance-tokens-optional", INSTANCE, instance(metadataOptions__httpTokens="optional"), {IMDS}),
    case("instance-hop-limit-64", INSTANCE, instance(metadataOptions__httpPutResponseHopLimit=64), {IMDS}),
    case(
        "instance-from-launch-template",
        INSTANCE,
        instance(metadataOptions=DROP, rootBlockDevice=DROP, ami=DROP, launchTemplate={"id": "lt-0123"}),
    ),
    case("instance-root-unencrypted", INSTANCE, instance(rootBlockDevice__encrypted=False), {EBS}),
    case("instance-root-not-set", INSTANCE, instance(rootBlockDevice=DROP), {EBS}),
    case("instance-root-not-set-default-on", INSTANCE, instance(rootBlockDevice=DROP), config=BY_DEFAULT),
    case("instance-data-volume-unencrypted", INSTANCE, instance(ebsBlockDevices__0__encrypted=DROP), {EBS}),
    # launch configurations (self-managed node groups of pulumi-eks NodeGroup): instance-shaped fields
    case("lc-baseline", LAUNCH_CONFIGURATION, launch_configuration()),
    case("lc-no-metadata-options", LAUNCH_CONFIGURATION, launch_configuration(metadataOptions=DROP), {IMDS}),
    case("lc-root-unencrypted", LAUNCH_CONFIGURATION, launch_configuration(rootBlockDevice__encrypted=False), {EBS}),
    case("lc-root-encryption-not-set", LAUNCH_CONFIGURATION, launch_configuration(rootBlockDevice={}), {EBS}),
    case(
        "lc-root-encryption-not-set-default-on",
        LAUNCH_CONFIGURATION,
        launch_configuration(rootBlockDevice={}),
        config=BY_DEFAULT,
    ),
    # managed node groups: SSH
    ng("nodegroup-baseline", node_group()),
    ng("nodegroup-ssh-open", node_group(remoteAccess={"ec2SshKey": "ops"}), {SSH}),
    ng("nodegroup-ssh-empty-sgs", node_group(remoteAccess={"ec2SshKey": "ops", "sourceSecurityGroupIds": []}), {SSH}),
    ng(
        "nodegroup-ssh-from-sg",
        node_group(remoteAccess={"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-bastion"]}),
        {SSH},
    ),
    ng("nodegroup-ssh-key-unknown", node_group(remoteAccess={"ec2SshKey": UNKNOWN}), {SSH}),
    ng("nodegroup-remote-access-no-key", node_group(remoteAccess={"sourceSecurityGroupIds": ["sg-bastion"]})),
    ng("nodegroup-ssh-key-empty", node_group(remoteAccess={"ec2SshKey": ""})),
    ng("nodegroup-remote-access-garbage", node_group(remoteAccess="ops")),
    ng("nodegroup-remote-access-unknown", node_group(remoteAccess=UNKNOWN), not_checkable={SSH}),
    # managed node groups on the launch template EKS creates: AL2023 requires IMDSv2 with hop limit 1; volumes
    # are encrypted only by the account's EBS encryption by default
    ng("nodegroup-eks-template-al2023", eks_template(), {EBS}),
    ng("nodegroup-eks-template-default-family", eks_template(amiType=DROP), {EBS}),
    ng("nodegroup-eks-template-encrypted-by-account", eks_template(), config={**AS_OF, **BY_DEFAULT}),
    ng("nodegroup-eks-template-al2", eks_template(amiType="AL2_x86_64"), {EBS, "nodegroup-ami-family"}),
    ng("nodegroup-eks-template-bottlerocket", eks_template(amiType="BOTTLEROCKET_x86_64"), {EBS}),
    ng("nodegroup-eks-template-ami-type-unknown", eks_template(amiType=UNKNOWN), {EBS}, not_checkable={IMDS, AMI}),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_node_case(pack, c: Case) -> None:
    run_case(pack, c)


# --- node-public-ip: nodes and the subnets they are placed in (a stack rule over the resource graph) --------
SUBNET = "aws:ec2/subnet:Subnet"


def on_eks_template(**changes: Any) -> dict[str, Any]:
    """A node group of these stack cases: on EKS's launch template, at its cluster's version (the cluster is not in
    these stacks, so a version of its own would leave nodegroup-version-skew not checkable offline)."""
    return eks_template(version=DROP, **changes)


def joining(**changes: Any) -> dict[str, Any]:
    return node_group(version=DROP, **changes)


def subnet(name: str, public: Any) -> Resource:
    props = {"vpcId": UNKNOWN, "cidrBlock": "10.0.0.0/24"}
    if public is not DROP:
        props["mapPublicIpOnLaunch"] = public
    return resource(SUBNET, props, name)


def placed(resource_type: str, props: dict[str, Any], name: str, prop: str, subnets: list[Resource]) -> Resource:
    """A node resource whose ``prop`` holds the ids of ``subnets`` (unknown at preview: a dependency each)."""
    value = UNKNOWN if prop == "subnetId" else [UNKNOWN] * len(subnets)
    return resource(
        resource_type,
        {**props, prop: value},
        name,
        property_dependencies={prop: [s.urn for s in subnets]},
        dependencies=[s.urn for s in subnets],
    )


PUBLIC_A, PRIVATE_A = subnet("public-a", True), subnet("private-a", False)
NG_PUBLIC = placed(NODE_GROUP, on_eks_template(), "ng", "subnetIds", [PUBLIC_A, PRIVATE_A])
TEMPLATE_NO_FLAG = resource(LAUNCH_TEMPLATE, lt(networkInterfaces__0__associatePublicIpAddress=DROP), "nodes-lt")
TEMPLATE_PRIVATE = resource(LAUNCH_TEMPLATE, lt(), "nodes-lt")


def with_template(template: Resource, name: str = "ng") -> Resource:
    props = joining(launchTemplate={"id": UNKNOWN, "version": UNKNOWN}, subnetIds=[UNKNOWN])
    return resource(
        NODE_GROUP,
        props,
        name,
        property_dependencies={"launchTemplate": [template.urn], "subnetIds": [PUBLIC_A.urn]},
    )


def u(resource_type: str, name: str) -> str:
    return urn_for(resource_type, name)


STACK_CASES: list[StackCase] = [
    stack_case("public-ip-no-nodes", [PUBLIC_A]),
    stack_case(
        "public-ip-lt-string",
        [resource(LAUNCH_TEMPLATE, lt(networkInterfaces__0__associatePublicIpAddress="true"))],
        {(PUBLIC, u(LAUNCH_TEMPLATE, "r"))},
    ),
    stack_case(
        "public-ip-lt-bool",
        [resource(LAUNCH_TEMPLATE, lt(networkInterfaces__0__associatePublicIpAddress=True))],
        {(PUBLIC, u(LAUNCH_TEMPLATE, "r"))},
    ),
    stack_case("public-ip-lt-private", [resource(LAUNCH_TEMPLATE, lt())]),
    stack_case("public-ip-lt-not-set", [TEMPLATE_NO_FLAG]),
    stack_case(
        "public-ip-lt-garbage",
        [resource(LAUNCH_TEMPLATE, lt(networkInterfaces__0__associatePublicIpAddress=["true"]))],
    ),
    stack_case(
        "public-ip-lt-unknown",
        [resource(LAUNCH_TEMPLATE, lt(networkInterfaces__0__associatePublicIpAddress=UNKNOWN))],
        not_checkable={PUBLIC},
    ),
    stack_case(
        "public-ip-lt-interfaces-unknown",
        [resource(LAUNCH_TEMPLATE, lt(networkInterfaces=UNKNOWN))],
        not_checkable={PUBLIC},
    ),
    stack_case(
        "public-ip-lc",
        [resource(LAUNCH_CONFIGURATION, launch_configuration(associatePublicIpAddress=True))],
        {(PUBLIC, u(LAUNCH_CONFIGURATION, "r"))},
    ),
    stack_case("public-ip-lc-private", [resource(LAUNCH_CONFIGURATION, launch_configuration())]),
    stack_case(
        "public-ip-instance",
        [resource(INSTANCE, instance(associatePublicIpAddress=True))],
        {(PUBLIC, u(INSTANCE, "r"))},
    ),
    stack_case(
        "public-ip-instance-string",
        [resource(INSTANCE, instance(associatePublicIpAddress="true"))],
        {(PUBLIC, u(INSTANCE, "r"))},
    ),
    stack_case(
        "public-ip-instance-secret",
        [resource(INSTANCE, instance(associatePublicIpAddress=Secret(True)))],
        {(PUBLIC, u(INSTANCE, "r"))},
    ),
    stack_case(
        "public-ip-instance-unknown",
        [resource(INSTANCE, instance(associatePublicIpAddress=UNKNOWN))],
        not_checkable={PUBLIC},
    ),
    # the subnet decides when the node's own settings do not
    stack_case(
        "public-ip-instance-public-subnet",
        [PUBLIC_A, placed(INSTANCE, instance(associatePublicIpAddress=DROP), "vm", "subnetId", [PUBLIC_A])],
        {(PUBLIC, u(INSTANCE, "vm"))},
    ),
    stack_case(
        "public-ip-instance-private-subnet",
        [PRIVATE_A, placed(INSTANCE, instance(associatePublicIpAddress=DROP), "vm", "subnetId", [PRIVATE_A])],
    ),
    stack_case("public-ip-node-group-public-subnet", [PUBLIC_A, PRIVATE_A, NG_PUBLIC], {(PUBLIC, u(NODE_GROUP, "ng"))}),
    stack_case(
        "public-ip-node-group-private-subnets",
        [PRIVATE_A, subnet("private-b", DROP), placed(NODE_GROUP, on_eks_template(), "ng", "subnetIds", [PRIVATE_A])],
    ),
    stack_case(
        "public-ip-node-group-subnet-flag-unknown",
        [
            subnet("maybe", UNKNOWN),
            placed(NODE_GROUP, on_eks_template(), "ng", "subnetIds", [subnet("maybe", UNKNOWN)]),
        ],
        not_checkable={PUBLIC},
    ),
    stack_case(
        "public-ip-node-group-default-subnet",
        [
            resource("aws:ec2/defaultSubnet:DefaultSubnet", {"availabilityZone": "eu-west-1a"}, "default-a"),
            resource(
                NODE_GROUP,
                on_eks_template(subnetIds=[UNKNOWN]),
                "ng",
                property_dependencies={"subnetIds": [u("aws:ec2/defaultSubnet:DefaultSubnet", "default-a")]},
            ),
        ],
        {(PUBLIC, u(NODE_GROUP, "ng"))},
    ),
    # a launch template that says decides; one that does not leaves it to the subnets
    stack_case("public-ip-template-says-private", [PUBLIC_A, TEMPLATE_PRIVATE, with_template(TEMPLATE_PRIVATE)]),
    stack_case(
        "public-ip-template-silent-public-subnet",
        [PUBLIC_A, TEMPLATE_NO_FLAG, with_template(TEMPLATE_NO_FLAG)],
        {(PUBLIC, u(NODE_GROUP, "ng"))},
    ),
    # references outside the stack: not checkable offline, never passed
    stack_case(
        "public-ip-node-group-subnets-outside",
        [resource(NODE_GROUP, on_eks_template(subnetIds=["subnet-0abc", "subnet-0def"]), "ng")],
        offline={PUBLIC},
    ),
    stack_case(
        "public-ip-node-group-template-outside",
        [resource(NODE_GROUP, joining(), "ng")],
        offline={PUBLIC},
    ),
    stack_case(
        "public-ip-outside-and-public",
        [PUBLIC_A, NG_PUBLIC, resource(NODE_GROUP, on_eks_template(subnetIds=["subnet-0abc"]), "other")],
        {(PUBLIC, u(NODE_GROUP, "ng"))},
    ),
]


@pytest.mark.parametrize("c", STACK_CASES, ids=lambda c: c.id)
def test_node_stack_case(pack, c: StackCase) -> None:
    run_stack_case(pack, c)


def test_offline_reason_names_what_is_outside(pack) -> None:
    case = next(c for c in STACK_CASES if c.id == "public-ip-node-group-subnets-outside")
    reasons = run_stack_case(pack, case)
    assert reasons[PUBLIC] == (
        "not checkable offline: ng: subnetIds names 'subnet-0abc', which is not declared in this stack; "
        "ng: subnetIds names 'subnet-0def', which is not declared in this stack"
    )


def test_public_subnet_message_names_node_group_and_subnet(pack) -> None:
    result = pack.process.analyze_stack([PUBLIC_A, PRIVATE_A, NG_PUBLIC])
    assert [d.message.splitlines()[-1] for d in result.diagnostics] == [
        "node group ng is placed in subnet public-a (mapPublicIpOnLaunch true): its nodes get public IPv4 addresses"
    ]


def test_messages_name_field_and_value(pack) -> None:
    assert pack.messages(LAUNCH_TEMPLATE, lt(metadataOptions__httpPutResponseHopLimit=2)).get(IMDS, []) == [
        "metadataOptions.httpPutResponseHopLimit is 2: pods can reach the node's IMDS credentials"
    ]
    assert pack.messages(LAUNCH_TEMPLATE, lt(blockDeviceMappings__0__ebs__encrypted="false")).get(EBS, []) == [
        "blockDeviceMappings[0].ebs.encrypted is 'false'"
    ]
    ssh = pack.messages(NODE_GROUP, node_group(remoteAccess={"ec2SshKey": "ops"})).get(SSH, [])
    assert len(ssh) == 1 and "0.0.0.0/0" in ssh[0] and "'ops'" in ssh[0]


def test_imds_and_ebs_remediation_fix_launch_template(pack) -> None:
    broken = lt(metadataOptions=DROP, blockDeviceMappings__0__ebs__encrypted=DROP)
    with pack.configured({"all": "remediate"}):
        fixed = pack.remediate(LAUNCH_TEMPLATE, broken)
        assert pack.remediate(LAUNCH_TEMPLATE, lt()) is None
    assert fixed is not None
    assert fixed["metadataOptions"] == METADATA
    assert fixed["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    assert fixed["networkInterfaces"] == LT_BASE["networkInterfaces"]
    assert pack.violations(LAUNCH_TEMPLATE, fixed) == set()


def test_remediation_keeps_a_lower_hop_limit_and_other_options(pack) -> None:
    broken = lt(metadataOptions={"httpTokens": "optional", "instanceMetadataTags": "enabled"})
    with pack.configured({IMDS: "remediate"}):
        fixed = pack.remediate(LAUNCH_TEMPLATE, broken)
    assert fixed["metadataOptions"] == {**METADATA, "instanceMetadataTags": "enabled"}


def test_remediation_leaves_disabled_endpoint_alone(pack) -> None:
    disabled = lt(metadataOptions={"httpEndpoint": "disabled"})
    with pack.configured({IMDS: "remediate"}):
        assert pack.remediate(LAUNCH_TEMPLATE, disabled) is None


def test_instance_remediation_encrypts_every_volume(pack) -> None:
    broken = instance(rootBlockDevice=DROP, ebsBlockDevices__0__encrypted=False, metadataOptions__httpTokens="optional")
    with pack.configured({"all": "remediate"}):
        fixed = pack.remediate(INSTANCE, broken)
    assert fixed["rootBlockDevice"] == {"encrypted": True}
    assert fixed["ebsBlockDevices"][0]["encrypted"] is True
    assert fixed["metadataOptions"]["httpTokens"] == "required"
    assert pack.violations(INSTANCE, fixed) == set()


def test_remediation_keeps_secrets_secret(pack) -> None:
    broken = lt(metadataOptions=DROP, userData=Secret("IyEvYmluL2Jhc2g="))
    with pack.configured({IMDS: "remediate"}):
        fixed = pack.remediate(LAUNCH_TEMPLATE, broken)
    assert fixed["userData"] == Secret("IyEvYmluL2Jhc2g=")


def test_remediation_of_secret_options_stays_secret(pack) -> None:
    broken = lt(metadataOptions=Secret({"httpTokens": "optional", "instanceMetadataTags": "enabled"}))
    with pack.configured({IMDS: "remediate"}):
        fixed = pack.remediate(LAUNCH_TEMPLATE, broken)
    assert fixed["metadataOptions"] == Secret({**METADATA, "instanceMetadataTags": "enabled"})


def test_remediation_of_unknown_options_waits_for_apply(pack) -> None:
    with pack.configured({IMDS: "remediate"}):
        results = pack.process.remediate(_resource(LAUNCH_TEMPLATE, lt(metadataOptions=UNKNOWN)))
    assert [r.properties for r in results if r.policy == IMDS] == [None]
    assert any("during preview" in r.diagnostic for r in results if r.policy == IMDS)


def _resource(resource_type: str, props: dict[str, Any]) -> Any:
    from .pack_driver import resource

    return resource(resource_type, props)
