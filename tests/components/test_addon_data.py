"""The add-on version data (policies/eksguard_policies/data/eks_addons.json) and its reader, addons.py."""

from __future__ import annotations

import json

import pytest
from eksguard_policies import addons, facts, versions

PINNED = ("vpc-cni", "kube-proxy", "coredns")
"""The add-ons whose figures AWS documents per Kubernetes version (the others have none: EKS picks its default)."""


def test_every_kubernetes_version_of_the_version_data_has_a_figure_for_the_documented_addons():
    for addon in PINNED:
        assert set(addons.load_addons()[addon].versions) == set(versions.load_versions()), addon


def test_figures_are_only_for_kubernetes_versions_eks_has():
    for addon in addons.load_addons().values():
        assert set(addon.versions) <= set(versions.load_versions()), addon.name


def test_every_addon_with_an_identity_is_in_the_data_and_cites_a_source():
    loaded = addons.load_addons()
    assert set(facts.ADDON_IDENTITIES) | {facts.POD_IDENTITY_AGENT_ADDON} <= set(loaded)
    for addon in loaded.values():
        assert addon.source.strip(), addon.name


@pytest.mark.parametrize(
    ("addon", "kubernetes_version", "expected"),
    [
        ("vpc-cni", "1.35", "v1.21.1-eksbuild.7"),
        ("kube-proxy", "1.34", "v1.34.6-eksbuild.13"),
        ("coredns", "1.35", "v1.14.3-eksbuild.3"),
        ("coredns", "1.99", None),
        ("aws-ebs-csi-driver", "1.35", None),
    ],
)
def test_expected_version(addon, kubernetes_version, expected):
    assert addons.expected_version(addon, kubernetes_version) == expected


def test_kube_proxy_follows_the_kubernetes_minor_version():
    for kubernetes_version, addon_version in addons.load_addons()["kube-proxy"].versions.items():
        assert addon_version.startswith(f"v{kubernetes_version}."), addon_version


@pytest.mark.parametrize(
    ("version", "than", "behind"),
    [
        ("v1.13.2-eksbuild.11", "v1.14.3-eksbuild.3", True),
        ("v1.21.1-eksbuild.5", "v1.21.1-eksbuild.7", True),
        ("v1.21.1-eksbuild.10", "v1.21.1-eksbuild.7", False),
        ("v1.21.1-eksbuild.7", "v1.21.1-eksbuild.7", False),
        ("v1.9.0-eksbuild.1", "v1.10.0-eksbuild.1", True),
    ],
)
def test_versions_compare_numerically(version, than, behind):
    assert addons.is_behind(version, than) is behind


@pytest.mark.parametrize("bad", ["1.21.1-eksbuild.7", "v1.21.1", "v1.21-eksbuild.1", "latest", None, 1.21])
def test_anything_but_an_addon_version_is_refused(bad):
    with pytest.raises(ValueError, match="not an EKS add-on version"):
        addons.version_key(bad)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"basis": "latest-documented", "source": "s", "versions": {}}, "basis 'latest-documented' for 0 figures"),
        ({"basis": None, "source": "s", "versions": {"1.35": "v1.0.0-eksbuild.1"}}, "basis None for 1 figures"),
        ({"basis": "guessed", "source": "s", "versions": {"1.35": "v1.0.0-eksbuild.1"}}, "basis 'guessed'"),
        ({"basis": "default", "source": "s", "versions": {"1.35": "1.0.0"}}, "not an EKS add-on version"),
    ],
)
def test_a_data_file_that_contradicts_itself_is_refused(tmp_path, entry, problem):
    path = tmp_path / "eks_addons.json"
    path.write_text(json.dumps({"addons": {"x": entry}}))
    with pytest.raises(ValueError, match=problem):
        addons.load_addons(path)
