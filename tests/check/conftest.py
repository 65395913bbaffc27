"""Throwaway policy packs and Pulumi programs, written into each test's tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from eksguard.protocol.analyzer import PolicyPackProcess, config_with_defaults

PACK_MAIN = """
from pulumi_policy import (EnforcementLevel, PolicyPack, ResourceValidationPolicy,
                           StackValidationPolicy)

SG = "aws:ec2/securityGroup:SecurityGroup"


def no_world_ssh(args, report_violation):
    if args.resource_type != SG:
        args.not_applicable("not a security group")
    for rule in args.props.get("ingress") or []:
        if "0.0.0.0/0" in (rule.get("cidrBlocks") or []) and rule.get("fromPort") == 22:
            report_violation("ingress allows SSH from 0.0.0.0/0")


def sg_in_known_vpc(args, report_violation):
    if args.resource_type != SG:
        args.not_applicable("not a security group")
    if not str(args.props["vpcId"]).startswith("vpc-"):
        report_violation("security group is not in a known VPC")


def bucket_tags(args, report_violation):
    if args.resource_type != "aws:s3/bucket:Bucket":
        args.not_applicable("not a bucket")
    if "owner" not in (args.props.get("tags") or {}):
        report_violation("bucket has no owner tag")


def tag_bucket(args):
    if args.resource_type != "aws:s3/bucket:Bucket":
        return None
    props = dict(args.props)
    props["tags"] = {**(props.get("tags") or {}), "owner": "platform"}
    return props


def no_lambda(args, report_violation):
    if args.resource_type != "aws:lambda/function:Function":
        args.not_applicable("not a function")
    report_violation("functions are not allowed")


def one_vpc(args, report_violation):
    vpcs = [r for r in args.resources if r.resource_type == "aws:ec2/vpc:Vpc"]
    if len(vpcs) != 1:
        report_violation(f"stack declares {len(vpcs)} VPCs; expected 1")


PolicyPack(
    name="tiny-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(name="tiny-no-world-ssh", description="No SSH from the internet.",
                                 validate=no_world_ssh, enforcement_level=EnforcementLevel.MANDATORY),
        ResourceValidationPolicy(name="tiny-sg-in-known-vpc", description="Security groups sit in a known VPC.",
                                 validate=sg_in_known_vpc),
        ResourceValidationPolicy(name="tiny-bucket-owner", description="Buckets carry an owner tag.",
                                 validate=bucket_tags, remediate=tag_bucket,
                                 enforcement_level=EnforcementLevel.MANDATORY),
        ResourceValidationPolicy(name="tiny-no-lambda", description="No Lambda functions.", validate=no_lambda),
        StackValidationPolicy(name="tiny-one-vpc", description="Exactly one VPC.", validate=one_vpc,
                              enforcement_level=EnforcementLevel.MANDATORY,
                              config_schema=None),
    ],
)
"""

PROGRAM_MAIN = """
import pulumi
import pulumi_aws as aws

import network

cfg = pulumi.Config()
vpc = aws.ec2.Vpc("vpc", cidr_block=cfg.require("cidr"))
network.security_group("ssh", vpc)
bucket = aws.s3.Bucket("logs", tags={"team": "a"})
"""

NETWORK_MODULE = """
import pulumi_aws as aws


def security_group(name, vpc):
    return aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc.id,
        ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}],
    )
"""


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def tiny_pack(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "tiny-pack",
        {
            "PulumiPolicy.yaml": "runtime: python\ndescription: a throwaway pack\n",
            "__main__.py": PACK_MAIN,
        },
    )


def make_program(
    root: Path,
    main: str = PROGRAM_MAIN,
    config: str = "  aws:region: eu-west-1\n  cidr: 10.0.0.0/16\n",
    extra: dict[str, str] | None = None,
) -> Path:
    return write_files(
        root,
        {
            "Pulumi.yaml": "name: tinyprog\nruntime: python\n",
            "Pulumi.dev.yaml": "config:\n" + config,
            "__main__.py": main,
            "network.py": NETWORK_MODULE,
            **(extra or {}),
        },
    )


@pytest.fixture
def tiny_program(tmp_path: Path) -> Path:
    return make_program(tmp_path / "prog")


Verdict = tuple[str, str, str]
"""(policy, resource URN, message)"""


def violations_in(report) -> set[Verdict]:
    return {(r.control.id, f.resource, f.message) for r in report.results if r.status == "violated" for f in r.findings}


def violations_from_the_pack_driven_directly(pack_dir: Path, run) -> set[Verdict]:
    """The pack alone, driven by hand over the protocol on the resources ``check`` recorded, with its defaults."""
    with PolicyPackProcess(pack_dir) as pack:
        pack.configure(config_with_defaults(pack.get_analyzer_info()))
        pack.configure_stack(stack=run.project.stack, project=run.project.name, dry_run=True)
        resources = [r.resource for r in run.resources]
        # the engine attributes a resource policy's diagnostics to the resource it analyzed
        pairs = [(d, res.urn) for res in resources for d in pack.analyze(res).diagnostics]
        pairs += [(d, d.urn or run.stack_urn) for d in pack.analyze_stack(resources).diagnostics]
    return {
        (d.policy, urn, d.message.removeprefix(d.description + "\n"))
        for d, urn in pairs
        if "during preview" not in d.message
    }
