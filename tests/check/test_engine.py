"""The embedded engine records what the real engine would send an analyzer, exactly in wire form."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksguard.engine import InvokeFixtures, ProgramError, UsageError, default_variables, load_project, run_program
from eksguard.protocol.wire import SECRET_SIG, SIG_KEY, UNKNOWN_SENTINEL
from tests.check.conftest import make_program, write_files

SG_URN = "urn:pulumi:dev::tinyprog::aws:ec2/securityGroup:SecurityGroup::ssh"
VPC_URN = "urn:pulumi:dev::tinyprog::aws:ec2/vpc:Vpc::vpc"


def _by_name(run):
    return {r.resource.name: r for r in run.resources}


def test_records_wire_form_inputs_and_graph(tiny_program: Path) -> None:
    run = run_program(load_project(tiny_program, "dev"))
    records = _by_name(run)
    assert set(records) == {"vpc", "ssh", "logs"}
    sg = records["ssh"].resource
    assert sg.type == "aws:ec2/securityGroup:SecurityGroup"
    assert sg.urn == SG_URN
    # camelCase names, numbers as floats, the unknown sentinel for an output not known in a preview
    assert sg.properties["ingress"] == [
        {"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}
    ]
    assert sg.properties["vpcId"] == UNKNOWN_SENTINEL
    assert sg.parent == "urn:pulumi:dev::tinyprog::pulumi:pulumi:Stack::tinyprog-dev"
    assert sg.dependencies == [VPC_URN]
    assert sg.property_dependencies["vpcId"] == [VPC_URN]
    assert sg.provider is not None
    assert sg.provider["type"] == "pulumi:providers:aws"
    assert sg.provider["properties"] == {"region": "eu-west-1"}
    assert records["vpc"].resource.properties == {"cidrBlock": "10.0.0.0/16"}
    assert run.preview is True


def test_locations_name_the_declaring_file_and_line(tiny_program: Path) -> None:
    run = run_program(load_project(tiny_program, "dev"))
    where = {name: (r.location.file, r.location.line) for name, r in _by_name(run).items()}
    assert where == {"vpc": ("__main__.py", 7), "ssh": ("network.py", 5), "logs": ("__main__.py", 9)}


def test_locations_are_relative_to_the_source_root(tmp_path: Path) -> None:
    program = make_program(tmp_path / "repo" / "stacks" / "prog")
    (tmp_path / "repo" / ".git").mkdir()
    run = run_program(load_project(program, "dev"))
    assert _by_name(run)["ssh"].location.file == "stacks/prog/network.py"


def test_assume_apply_gives_placeholders_instead_of_unknowns(tiny_program: Path) -> None:
    run = run_program(load_project(tiny_program, "dev"), assume_apply=True)
    assert _by_name(run)["ssh"].resource.properties["vpcId"] == "vpc-id"
    assert run.preview is False


def test_assume_apply_fills_id_arn_and_the_eks_cluster_outputs_only(tmp_path: Path) -> None:
    """What dependents of a resource see under --assume-apply (docs/fixtures.md lists the same)."""
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        cluster = aws.eks.Cluster("prod", role_arn="arn:aws:iam::123456789012:role/eks",
                                  vpc_config={"subnet_ids": ["s-1"]})
        role = aws.iam.Role("nodes", assume_role_policy="{}")
        seen = {
            "id": role.id,
            "arn": role.arn,
            "endpoint": cluster.endpoint,
            "issuer": cluster.identities[0].oidcs[0].issuer,
            "status": cluster.status,
            "unique-id": role.unique_id,
            "cluster-sg": cluster.vpc_config.cluster_security_group_id,
        }
        for key, value in seen.items():
            aws.ec2.Tag(key, resource_id="i-1", key=key, value=value)
    """,
    )
    records = _by_name(run_program(load_project(program, "dev"), assume_apply=True))
    seen = {
        name: records[name].resource.properties.get("value")
        for name in records
        if records[name].resource.type == "aws:ec2/tag:Tag"
    }
    assert seen == {
        "id": "nodes-id",
        # IAM is global: no region; the role's name is the one pulumi-aws assigned in Check
        "arn": f"arn:aws:iam::123456789012:role/{records['nodes'].resource.properties['name']}",
        "endpoint": "https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
        "issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF",
        "status": "ACTIVE",
        # every other computed output stays unknown: it never vanishes from the inputs built from it
        "unique-id": UNKNOWN_SENTINEL,
        # a computed field nested in an input object is the input as given (the provider schema would know more)
        "cluster-sg": None,
    }


def test_secrets_travel_wrapped(tmp_path: Path) -> None:
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi
        import pulumi_aws as aws
        aws.ec2.LaunchTemplate("lt", user_data=pulumi.Output.secret("c2VjcmV0"))
    """,
    )
    run = run_program(load_project(program, "dev"))
    assert _by_name(run)["lt"].resource.properties["userData"] == {SIG_KEY: SECRET_SIG, "value": "c2VjcmV0"}


def test_components_parent_their_children_and_explicit_providers_are_kept(tmp_path: Path) -> None:
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi
        import pulumi_aws as aws

        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("eksguard:index:Box", name, None, opts)
                aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))

        east = aws.Provider("east", region="us-east-1")
        Box("box", opts=pulumi.ResourceOptions(providers=[east]))
    """,
    )
    records = _by_name(run_program(load_project(program, "dev")))
    bucket = records["box-bucket"].resource
    assert bucket.urn == "urn:pulumi:dev::tinyprog::eksguard:index:Box$aws:s3/bucket:Bucket::box-bucket"
    assert bucket.parent == records["box"].resource.urn
    assert records["box"].custom is False
    assert bucket.provider["urn"] == "urn:pulumi:dev::tinyprog::pulumi:providers:aws::east"
    assert bucket.provider["properties"]["region"] == "us-east-1"
    assert records["box-bucket"].location.line == 7


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [
        (
            "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/recommended/image_id",
            "ami-0a2023eksarm640001",
        ),
        ("/aws/service/bottlerocket/aws-k8s-1.34/x86_64/latest/image_id", "ami-0b0ttl3r0ckx86_6401"),
    ],
)
def test_embedded_fixtures_answer_ami_parameters(parameter: str, expected: str) -> None:
    answer = InvokeFixtures(variables=default_variables("eu-west-1")).answer(
        "aws:ssm/getParameter:getParameter", {"name": parameter}
    )
    assert answer["value"] == expected


def test_embedded_fixtures_answer_identity_region_and_cluster_lookups() -> None:
    fixtures = InvokeFixtures(variables=default_variables("eu-west-1"))
    assert fixtures.answer("aws:index/getCallerIdentity:getCallerIdentity", {})["accountId"] == "123456789012"
    assert fixtures.answer("aws:index/getRegion:getRegion", {})["name"] == "eu-west-1"
    assert fixtures.answer("aws:index/getPartition:getPartition", {})["partition"] == "aws"
    cluster = fixtures.answer("aws:eks/getCluster:getCluster", {"name": "prod"})
    assert cluster["arn"] == "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False


def test_program_invokes_are_answered_and_user_fixtures_come_first(tmp_path: Path) -> None:
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        ami = aws.ssm.get_parameter_output(
            name="/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id")
        aws.ec2.LaunchTemplate("lt", image_id=ami.value)
    """,
    )
    project = load_project(program, "dev")
    run = run_program(project)
    assert _by_name(run)["lt"].resource.properties["imageId"] == "ami-0a2023eksx86_640001"
    assert run.invokes == 1
    user = (
        write_files(
            tmp_path,
            {
                "fx.yaml": """
        invokes:
          - token: aws:ssm/getParameter:getParameter
            args: {name: "/aws/service/eks/optimized-ami/*"}
            result: {name: "${name}", value: ami-user, type: String}
    """
            },
        )
        / "fx.yaml"
    )
    fixtures = InvokeFixtures([user], variables=default_variables("eu-west-1"))
    run = run_program(project, fixtures=fixtures)
    assert _by_name(run)["lt"].resource.properties["imageId"] == "ami-user"


def test_an_unanswered_invoke_leaves_its_results_unknown_and_is_listed_once(tmp_path: Path) -> None:
    """As a value a preview cannot know: never a crash, in the output form and in the plain form."""
    program = make_program(
        tmp_path / "p",
        main="""
        import pulumi_aws as aws
        vpc = aws.ec2.get_vpc_output(default=True)
        aws.ec2.SecurityGroup("sg", vpc_id=vpc.id, description="nodes")
        ami = aws.ec2.get_ami(owners=["amazon"], most_recent=True)
        subnets = aws.ec2.get_subnets(filters=[{"name": "tag:tier", "values": ["private"]}])
        aws.ec2.LaunchTemplate("lt", image_id=ami.id, vpc_security_group_ids=subnets.ids, ebs_optimized=ami.ena_support)
        aws.ec2.get_vpc_output(default=False)
    """,
    )
    run = run_program(load_project(program, "dev"))
    records = _by_name(run)
    assert records["sg"].resource.properties["vpcId"] == UNKNOWN_SENTINEL
    lt = records["lt"].resource.properties
    assert (lt["imageId"], lt["vpcSecurityGroupIds"]) == (UNKNOWN_SENTINEL, [UNKNOWN_SENTINEL])
    assert "ebsOptimized" not in lt  # a plain invoke's unknown boolean cannot be represented: absent
    assert sorted(run.unanswered_invokes) == [
        "aws:ec2/getAmi:getAmi",
        "aws:ec2/getSubnets:getSubnets",
        "aws:ec2/getVpc:getVpc",
    ]
    assert run.invokes == 4


def test_missing_config_key_is_a_usage_error_naming_key_and_file(tmp_path: Path) -> None:
    program = make_program(tmp_path / "p", config="  aws:region: eu-west-1\n")
    with pytest.raises(UsageError, match=r"missing config key 'tinyprog:cidr': set it in .*Pulumi\.dev\.yaml"):
        run_program(load_project(program, "dev"))


def test_a_raising_program_reports_its_own_traceback(tmp_path: Path) -> None:
    program = make_program(
        tmp_path / "p",
        main="""
        import network

        def build():
            raise RuntimeError("subnet plan is empty")

        build()
    """,
    )
    with pytest.raises(ProgramError) as caught:
        run_program(load_project(program, "dev"))
    text = caught.value.program_traceback
    assert "RuntimeError: subnet plan is empty" in text
    assert f'File "{program / "__main__.py"}", line 4, in build' in text
    assert "eksguard/engine" not in text and "pulumi/runtime" not in text


def test_a_syntax_error_shows_the_program_line_not_engine_frames(tmp_path: Path) -> None:
    program = make_program(tmp_path / "p", main="import pulumi\n\nplan = (1,\n")
    with pytest.raises(ProgramError, match=r"the program raised SyntaxError") as caught:
        run_program(load_project(program, "dev"))
    assert caught.value.program_traceback.splitlines() == [
        f'  File "{program / "__main__.py"}", line 3',
        "    plan = (1,",
        "           ^",
        "SyntaxError: '(' was never closed",
    ]


def test_program_modules_are_forgotten_between_runs(tmp_path: Path) -> None:
    first = run_program(load_project(make_program(tmp_path / "a"), "dev"))
    second_dir = make_program(
        tmp_path / "b",
        extra={
            "network.py": """
        import pulumi_aws as aws


        def security_group(name, vpc):
            return aws.ec2.SecurityGroup(name + "-other", vpc_id=vpc.id)
    """
        },
    )
    second = run_program(load_project(second_dir, "dev"))
    assert "ssh" in _by_name(first)
    assert set(_by_name(second)) == {"vpc", "ssh-other", "logs"}


def test_project_config_defaults_and_secure_values(tmp_path: Path) -> None:
    program = write_files(
        tmp_path / "p",
        {
            "Pulumi.yaml": "name: proj\nruntime: {name: python}\nstackConfigDir: stacks\nconfig:\n"
            "  size: {type: integer, default: 3}\n  aws:region: us-west-2\n",
            "stacks/Pulumi.prod.yaml": "config:\n  proj:token: {secure: v1:abc}\n  proj:tags: {team: a}\n",
            "__main__.py": "",
        },
    )
    project = load_project(program, "prod")
    assert project.config == {
        "proj:size": "3",
        "aws:region": "us-west-2",
        "proj:token": "[secret]",
        "proj:tags": '{"team": "a"}',
    }
    assert project.secret_keys == ("proj:token",)


@pytest.mark.parametrize(
    ("files", "stack", "message"),
    [
        ({}, "dev", r"is not a Pulumi project: no Pulumi\.yaml"),
        ({"Pulumi.yaml": "name: x\nruntime: nodejs\n"}, "dev", r"runtime is 'nodejs'"),
        (
            {"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": ""},
            "dev",
            r"stack 'dev' has no config file: expected .*Pulumi\.dev\.yaml",
        ),
        (
            {"Pulumi.yaml": "name: x\nruntime: python\n", "Pulumi.dev.yaml": "config: {}\n"},
            "dev",
            r"program entry file .*__main__\.py does not exist",
        ),
    ],
)
def test_unusable_projects_are_usage_errors(tmp_path: Path, files: dict, stack: str, message: str) -> None:
    program = write_files(tmp_path / "p", files) if files else tmp_path
    with pytest.raises(UsageError, match=message):
        load_project(program, stack)


def test_a_missing_program_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"program directory .*nowhere does not exist"):
        load_project(tmp_path / "nowhere", "dev")


def test_config_declared_without_default_must_be_set_by_the_stack(tmp_path: Path) -> None:
    program = write_files(
        tmp_path / "p",
        {
            "Pulumi.yaml": "name: proj\nruntime: python\nconfig:\n  clusterName: {type: string}\n",
            "Pulumi.dev.yaml": "config:\n  aws:region: eu-west-1\n",
            "Pulumi.prod.yaml": "config:\n  proj:clusterName: prod\n",
            "__main__.py": "",
        },
    )
    with pytest.raises(
        UsageError,
        match=r"stack 'dev' is missing config key 'proj:clusterName' \(declared in "
        r"Pulumi\.yaml without a default\): set it in .*Pulumi\.dev\.yaml",
    ):
        load_project(program, "dev")
    assert load_project(program, "prod").config == {"proj:clusterName": "prod"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("fx.json", "{oops", r"fixtures file .*fx\.json is not valid json"),
        ("fx.yaml", "invokes: {token: x}", r"fixtures\.schema\.json at invokes: .* is not of type 'array'"),
        ("fx.yaml", "invokes:\n  - args: {}\n    result: {}\n", r"at invokes/0: 'token' is a required property"),
        # a misspelt key would otherwise match every call silently
        (
            "fx.yaml",
            "invokes:\n  - token: aws:ssm/getParameter:getParameter\n    arg: {name: x}\n    result: {}\n",
            r"at invokes/0: Additional properties are not allowed \('arg' was unexpected\)",
        ),
        (
            "fx.yaml",
            "invokes:\n  - token: getParameter\n    result: {}\n",
            r"at invokes/0/token: 'getParameter' does not",
        ),
        ("fx.yaml", "invokes:\n  - token: a:b:c\n    result: ami-1\n", r"at invokes/0/result: 'ami-1' is not of type"),
    ],
)
def test_malformed_fixtures_are_usage_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        InvokeFixtures([path])


def test_a_missing_fixtures_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot read fixtures file .*absent\.yaml"):
        InvokeFixtures([tmp_path / "absent.yaml"])


@pytest.mark.parametrize(
    ("stack_files", "expected"),
    [
        (("dev", "prod"), "dev"),  # dev wins when it exists
        (("prod",), "prod"),  # else the project's only stack
    ],
)
def test_without_a_stack_name_dev_or_the_only_stack_is_loaded(tiny_program, stack_files, expected) -> None:
    config = (tiny_program / "Pulumi.dev.yaml").read_text()
    (tiny_program / "Pulumi.dev.yaml").unlink()
    for stack in stack_files:
        (tiny_program / f"Pulumi.{stack}.yaml").write_text(config)
    project = load_project(tiny_program, None)
    assert project.stack == expected
    assert project.stack_config_file == tiny_program / f"Pulumi.{expected}.yaml"


def test_without_a_stack_name_several_stacks_need_one(tiny_program) -> None:
    config = (tiny_program / "Pulumi.dev.yaml").read_text()
    (tiny_program / "Pulumi.dev.yaml").rename(tiny_program / "Pulumi.prod.yaml")
    (tiny_program / "Pulumi.staging.yaml").write_text(config)
    with pytest.raises(UsageError, match=r"choose a stack with --stack: .* has config for prod, staging"):
        load_project(tiny_program, None)


def test_the_program_runs_as_main_with_only_its_own_folder_added(tmp_path: Path) -> None:
    """As the Python language host runs it: `__main__`, its folder first on the path, none of the engine's."""
    program = make_program(
        tmp_path / "p",
        main="""
        import os
        import sys
        import pulumi_aws as aws
        seen = {
            "first": sys.path[0],
            "engine": str(any(p.endswith(os.path.join("engine", "sandbox")) for p in sys.path)),
            "name": __name__,
            "cwd": os.getcwd(),
        }
        for key, value in seen.items():
            aws.ec2.Tag(key, resource_id="i-1", key=key, value=value)
    """,
    )
    run = run_program(load_project(program, "dev"))
    seen = {name: r.resource.properties["value"] for name, r in _by_name(run).items()}
    assert seen == {"first": str(program), "engine": "False", "name": "__main__", "cwd": str(program)}
