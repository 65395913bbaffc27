"""Every fact is stated once, in policies/eksguard_policies/facts.py (the EKS versions in their data file).

The scan looks for each fact, derived from facts.py itself, in every file of the repository: as text (a date, a
parameter path, a label prefix, the release) or, in Python, as code (a port number, an internet CIDR, a control
id bound to a name). A file may state a fact only when ALLOWED says so and why; an entry that no longer allows
anything fails too, so the list stays the list of real exceptions.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from eksguard_policies import facts
from eksguard_policies.catalogue import CatalogueError, default_catalogue, load_catalogue

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Fact:
    name: str
    text: re.Pattern[str] | None = None
    """Found anywhere in a file's text."""
    code: Callable[[ast.Constant], bool] | None = None
    """Found as a constant in Python code (docstrings excluded)."""
    bound: Callable[[ast.Constant], bool] | None = None
    """Found as a constant given a name in Python code (``X = ...``, or an item of what is assigned)."""
    all_of: tuple[str, ...] = ()
    """Found when a file names every one of these words."""
    listed: frozenset[str] = frozenset()
    """Found when one Python collection literal (a tuple, list, set or dict's keys) holds all of these strings."""
    given: frozenset[str] = frozenset()
    """Found when a keyword argument or a dict key of one of these names is given a literal in Python code."""


def _number(port: int) -> str:
    return rf"(?<![\w.-]){port}(?![\w.])"


# Ports below 1024 (ssh 22, telnet 23) are too common a number to search for.
_DISTINCT_PORTS = frozenset(p for p in facts.admin_port_numbers() if p >= 1024)
_CONTROL_IDS = frozenset(default_catalogue())
_AL2 = facts.AL2_END_OF_SUPPORT
_SHARED_TYPES = frozenset(
    {
        facts.AWS_EKS_CLUSTER,
        facts.EKS_CLUSTER,
        facts.EKS_MANAGED_NODE_GROUP,
        facts.EKS_NODE_GROUP,
        facts.EKS_NODE_GROUP_V2,
        facts.AWSX_VPC,
        facts.AWSX_TRAIL,
    }
)

_ADDONS = frozenset(
    {
        facts.VPC_CNI_ADDON,
        facts.KUBE_PROXY_ADDON,
        facts.COREDNS_ADDON,
        facts.EBS_CSI_ADDON,
        facts.EFS_CSI_ADDON,
        facts.POD_IDENTITY_AGENT_ADDON,
    }
)
_SERVICE_ACCOUNTS = frozenset(identity.service_account for identity in facts.ADDON_IDENTITIES.values())
_MANAGED_POLICIES = frozenset(
    {identity.policy_name for identity in facts.ADDON_IDENTITIES.values()}
    | {*facts.ECR_PULL_POLICIES, facts.FARGATE_POD_EXECUTION_POLICY}
)
_LOG_GROUP_PREFIX = facts.control_plane_log_group("{}").split("{}")[0]
_ECR_SETTINGS = frozenset({*facts.ECR_IMMUTABLE_TAGS, *facts.ECR_SCAN_FREQUENCIES, *facts.ECR_CUSTOMER_KEY_TYPES})
_GUARDDUTY_FEATURES = frozenset(
    {facts.GUARDDUTY_EKS_AUDIT_LOGS, *facts.GUARDDUTY_RUNTIME_MONITORING, facts.GUARDDUTY_AGENT_MANAGEMENT}
)


def _managed_policy(c: ast.Constant) -> bool:
    """A managed policy by name, by its path under arn:<partition>:iam::aws:policy/, or by its ARN."""
    return isinstance(c.value, str) and c.value.rsplit("/", 1)[-1] in _MANAGED_POLICIES


FACTS = [
    Fact("release", text=re.compile(rf"(?<![\d.]){re.escape(facts.VERSION)}(?![\d.])")),
    Fact("al2_end_of_support", text=re.compile(rf"{_AL2.isoformat()}|{_AL2.year},\s*{_AL2.month},\s*{_AL2.day}\b")),
    Fact(
        "ami_parameters",
        text=re.compile("|".join(re.escape(p.path.split("{")[0]) for p in facts.PATCHED_AMI_PARAMETERS.values())),
    ),
    Fact("pod_security_labels", text=re.compile(re.escape(facts.POD_SECURITY_LABEL_PREFIX))),
    Fact("type_tokens", text=re.compile(re.escape(facts.TYPE_TOKEN_PREFIX))),
    Fact("log_types", all_of=facts.CONTROL_PLANE_LOG_TYPES),
    Fact("components", listed=frozenset(facts.COMPONENTS)),
    Fact(
        "admin_ports",
        text=re.compile("|".join(_number(p) for p in sorted(_DISTINCT_PORTS))),
        code=lambda c: type(c.value) is int and c.value in _DISTINCT_PORTS,
    ),
    Fact("internet_cidrs", code=lambda c: c.value in facts.INTERNET_CIDRS),
    Fact("resource_types", code=lambda c: c.value in _SHARED_TYPES),
    Fact("control_ids", bound=lambda c: c.value in _CONTROL_IDS),
    Fact("log_group", code=lambda c: isinstance(c.value, str) and c.value.startswith(_LOG_GROUP_PREFIX)),
    Fact("log_retention", code=lambda c: type(c.value) is int and c.value == facts.LOG_RETENTION_DAYS),
    Fact("addon_names", code=lambda c: c.value in _ADDONS),
    Fact("addon_service_accounts", code=lambda c: c.value in _SERVICE_ACCOUNTS),
    Fact("managed_policies", code=_managed_policy),
    Fact("irsa_audience", code=lambda c: c.value == facts.IRSA_AUDIENCE),
    Fact("pod_identity_principal", code=lambda c: c.value == facts.POD_IDENTITY_PRINCIPAL),
    Fact("imds_hop_limit", given=frozenset({"http_put_response_hop_limit", "httpPutResponseHopLimit"})),
    Fact("ecr_settings", code=lambda c: c.value in _ECR_SETTINGS),
    Fact("guardduty_features", code=lambda c: c.value in _GUARDDUTY_FEATURES),
    Fact("inspector_scans", listed=frozenset(facts.INSPECTOR_EKS_SCANS)),
    Fact("config_maps", code=lambda c: c.value in {facts.AWS_AUTH_CONFIG_MAP[1], facts.VPC_CNI_CONFIG_MAP[1]}),
]
ALL = frozenset(f.name for f in FACTS)


@dataclass(frozen=True)
class Allowed:
    pattern: str
    facts: frozenset[str]
    reason: str


USERS_PROGRAMS = frozenset(
    {
        "admin_ports",
        "config_maps",
        "internet_cidrs",
        "log_types",
        "log_group",
        "log_retention",
        "addon_names",
        "addon_service_accounts",
        "managed_policies",
        "irsa_audience",
        "pod_identity_principal",
        "imds_hop_limit",
        "ecr_settings",
        "guardduty_features",
        "inspector_scans",
    }
)
ALLOWED = [
    Allowed("policies/eksguard_policies/facts.py", ALL, "the one place the facts are stated"),
    Allowed(
        "tests/*",
        ALL,
        "test data and expected values are stated on their own: a test that imported the fact it checks could "
        "not catch a wrong one",
    ),
    Allowed(
        "policies/PulumiPolicy.yaml",
        frozenset({"release"}),
        "the Pulumi CLI reads the pack's version here; tests/provider/test_release.py compares it with facts.VERSION",
    ),
    Allowed(
        "policies/README.md",
        ALL,
        "its tables are generated from the catalogue, whose texts name facts as ${name} (eksguard_policies.readme)",
    ),
    Allowed(
        "policies/eksguard_policies/data/eks_versions.json",
        frozenset({"al2_end_of_support"}),
        "Kubernetes 1.31's standard support ended on the same day: another fact",
    ),
    Allowed(
        "eksguard/data/invoke_fixtures.json",
        frozenset({"log_types"}),
        "the example cluster the embedded getCluster answer describes has every log type enabled",
    ),
    Allowed("examples/*", USERS_PROGRAMS, "programs written as users write them (examples/insecure on purpose)"),
    Allowed("bench/*", USERS_PROGRAMS, "synthetic programs written as users write them"),
    Allowed(
        "docs/usage.md",
        frozenset({"release", "type_tokens"}),
        "instructions for people; test_instructions_name_the_current_release compares the release they install",
    ),
    Allowed(
        "components/PulumiPlugin.yaml",
        frozenset({"release"}),
        "an install command in a comment; test_instructions_name_the_current_release compares it",
    ),
    Allowed("README.md", frozenset({"type_tokens"}), "the overview names the type token scheme for people"),
    Allowed(
        "eksguard/engine/sandbox/monitor.py",
        frozenset({"resource_types"}),
        "runs inside the program's own interpreter, which may import only the standard library, the program's "
        "Pulumi SDK and the sandbox modules (not eksguard_policies); eksguard/engine/invokes.py reads its "
        "placeholders by facts.AWS_EKS_CLUSTER, so the two cannot drift apart without a KeyError at import",
    ),
    Allowed(
        "eksguard/reporters/common.py",
        frozenset({"release"}),
        "tool_version()'s fallback; issue 9 owns the reporters: read facts.VERSION there, then delete this entry",
    ),
]


@cache
def repository_files() -> tuple[str, ...]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return tuple(sorted(p for p in listed if (REPO / p).is_file()))


@cache
def statements() -> dict[str, frozenset[str]]:
    """For every file that states a fact, the names of the facts it states."""
    found = {}
    for path in repository_files():
        try:
            text = (REPO / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        constants, bound, collections, given = _code_constants(text) if path.endswith(".py") else ([], [], [], set())
        stated = frozenset(
            fact.name
            for fact in FACTS
            if (fact.text is not None and fact.text.search(text))
            or (fact.code is not None and any(fact.code(c) for c in constants))
            or (fact.bound is not None and any(fact.bound(c) for c in bound))
            or (fact.all_of and all(re.search(rf"\b{re.escape(w)}\b", text) for w in fact.all_of))
            or (fact.listed and any(fact.listed <= strings for strings in collections))
            or bool(fact.given & given)
        )
        if stated:
            found[path] = stated
    return found


def _code_constants(source: str) -> tuple[list[ast.Constant], list[ast.Constant], list[set[str]], set[str]]:
    """The constants of a module without its docstrings, those of them given a name, the strings of each
    collection literal, and the names of the keyword arguments and dict keys given a literal."""
    tree = ast.parse(source)
    assigned = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign) and n.value is not None]
    items = [
        item
        for value in assigned
        for item in (value.elts if isinstance(value, ast.Tuple | ast.List | ast.Set) else [])
        + (value.keys + value.values if isinstance(value, ast.Dict) else [value])  # type: ignore[operator]
    ]
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    constants = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docstrings]
    collections = [
        {e.value for e in (n.keys if isinstance(n, ast.Dict) else n.elts) if isinstance(e, ast.Constant)}
        for n in ast.walk(tree)
        if isinstance(n, ast.Tuple | ast.List | ast.Set | ast.Dict)
    ]
    given = {n.arg for n in ast.walk(tree) if isinstance(n, ast.keyword) and isinstance(n.value, ast.Constant)}
    given |= {
        key.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Dict)
        for key, value in zip(n.keys, n.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(value, ast.Constant)
    }
    return constants, [n for n in items if isinstance(n, ast.Constant)], collections, given


def _allowed(path: str) -> frozenset[str]:
    return frozenset().union(*(a.facts for a in ALLOWED if fnmatch.fnmatch(path, a.pattern)))


def test_no_fact_is_stated_outside_the_facts_module():
    restated = {path: sorted(stated - _allowed(path)) for path, stated in statements().items()}
    assert {path: names for path, names in restated.items() if names} == {}


@pytest.mark.parametrize("entry", ALLOWED, ids=[a.pattern for a in ALLOWED])
def test_every_exception_is_still_needed(entry: Allowed):
    used = {name for path, stated in statements().items() if fnmatch.fnmatch(path, entry.pattern) for name in stated}
    assert entry.facts & used, f"{entry.pattern} no longer states {sorted(entry.facts)}: remove it from ALLOWED"
    assert entry.reason.strip()


@pytest.mark.parametrize(
    ("fact", "text"),
    [
        ("al2_end_of_support", "AL2_EOL = dt.date(2025, 11, 26)\n"),
        ("al2_end_of_support", '"""reached end of support on 2025-11-26"""\n'),
        ("ami_parameters", 'PATH = "/aws/service/bottlerocket/aws-k8s-1.35/arm64/latest/image_version"\n'),
        ("pod_security_labels", 'LABEL = "pod-security.kubernetes.io/enforce"\n'),
        ("type_tokens", 'TOKEN = "eksguard:index:Cluster"\n'),
        ("log_types", 'TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]\n'),
        ("admin_ports", "DENIED = [(22, 22), (3389, 3389)]\n"),
        ("internet_cidrs", 'OPEN = ("0.0.0.0/0", "::/0")\n'),
        ("resource_types", 'if r.resource_type == "eks:index:Cluster":\n    pass\n'),
        ("control_ids", 'LOGGING = "eks-control-plane-logging"\n'),
        (
            "components",
            'MODULES = {"Cluster": 1, "DataPlaneSecurityGroups": 2, "NetworkControls": 3, "NodeGroup": 4, '
            '"AccessControl": 5, "AuditTrail": 6, "ImageRegistry": 7, "ThreatDetection": 8, "Baseline": 9}\n',
        ),
        ("release", 'version = "0.1.0"\n'),
        ("log_group", 'NAME = f"/aws/eks/{cluster}/cluster"\n'),
        ("log_retention", "retention_in_days: int = 365\n"),
        ("addon_names", 'aws.eks.Addon("dns", addon_name="coredns")\n'),
        ("addon_service_accounts", 'SERVICE_ACCOUNT = "ebs-csi-controller-sa"\n'),
        ("managed_policies", 'ARN = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"\n'),
        ("managed_policies", 'NODE_POLICIES = {"ecr": "AmazonEC2ContainerRegistryReadOnly"}\n'),
        ("irsa_audience", 'CONDITION = {f"{issuer}:aud": "sts.amazonaws.com"}\n'),
        ("pod_identity_principal", 'PRINCIPAL = {"Service": "pods.eks.amazonaws.com"}\n'),
        (
            "imds_hop_limit",
            'aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="required", http_put_response_hop_limit=1)\n',
        ),
        ("imds_hop_limit", 'OPTIONS = {"httpTokens": "required", "httpPutResponseHopLimit": 1}\n'),
        ("ecr_settings", 'aws.ecr.Repository("api", image_tag_mutability="IMMUTABLE")\n'),
        ("guardduty_features", 'AGENT = "EKS_ADDON_MANAGEMENT"\n'),
        ("inspector_scans", 'SCANS = ["EC2", "ECR", "LAMBDA"]\n'),
        ("config_maps", 'AWS_AUTH = ("kube-system", "aws-auth")\n'),
    ],
)
def test_the_scan_finds_each_fact_written_out(fact: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """What the scan would report if this line were added to a component (and nothing for prose around it)."""
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "added.py").write_text(text)
    (tmp_path / "components" / "prose.py").write_text(
        '"""Denies 0.0.0.0/0 and eks-control-plane-logging; logs to /aws/eks/prod/cluster for 365 days."""\n'
    )
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    monkeypatch.setattr(f"{__name__}.repository_files", lambda: ("components/added.py", "components/prose.py"))
    statements.cache_clear()
    try:
        assert statements() == {"components/added.py": frozenset({fact})}
    finally:
        statements.cache_clear()


INSTRUCTIONS = ["docs/usage.md", "README.md", "components/PulumiPlugin.yaml", "docs/DESIGN.md"]
_RELEASE_MENTION = re.compile(r"eksguard\S*@v(\d+\.\d+\.\d+)|eksguard (\d+\.\d+\.\d+)|tag v(\d+\.\d+\.\d+)")


def test_instructions_name_the_current_release():
    mentioned = {
        (path, next(g for g in match.groups() if g))
        for path in INSTRUCTIONS
        for match in _RELEASE_MENTION.finditer((REPO / path).read_text())
    }
    assert mentioned, "no install instruction names a release: the pattern is stale"
    assert {release for _, release in mentioned} == {facts.VERSION}, sorted(mentioned)


CONTROL = """
[[control]]
id = "tiny-control"
title = "A control whose texts name the kubelet port, ${kubelet_port}"
area = "network-controls"
severity = "low"
description = "Port ${kubelet_port} and the log types ${control_plane_log_types}."
remediation = "Deny ${admin_ports} from the internet."
component = "{component}"
"""


@pytest.mark.parametrize("named", ["NetworkControls", "eksguard:index:NetworkControls"])
def test_a_catalogue_entry_names_its_component_and_facts_by_reference(named: str, tmp_path: Path):
    (tmp_path / "tiny.toml").write_text(CONTROL.replace("{component}", named))
    control = load_catalogue(tmp_path)["tiny-control"]
    assert control.component == facts.component_token("NetworkControls")
    assert control.title == f"A control whose texts name the kubelet port, {facts.KUBELET_PORT}"
    assert (
        control.description
        == f"Port {facts.KUBELET_PORT} and the log types {', '.join(facts.CONTROL_PLANE_LOG_TYPES)}."
    )
    assert control.remediation.startswith("Deny ssh 22, telnet 23, ")


@pytest.mark.parametrize(
    ("replace", "refused"),
    [
        (('"{component}"', '"Firewall"'), "component 'Firewall' is not one of"),
        (("${kubelet_port}", "${port}"), "no fact"),
    ],
)
def test_a_catalogue_entry_naming_no_component_or_no_fact_is_refused(replace, refused, tmp_path: Path):
    (tmp_path / "tiny.toml").write_text(CONTROL.replace(*replace).replace("{component}", "Cluster"))
    with pytest.raises(CatalogueError, match=re.escape(refused)):
        load_catalogue(tmp_path)


def test_the_command_line_reports_the_release(capsys: pytest.CaptureFixture[str]):
    from eksguard.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert (exited.value.code, capsys.readouterr().out) == (0, f"eksguard {facts.VERSION}\n")
