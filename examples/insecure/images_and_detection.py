"""Insecure images, detection, exposure and storage: the shortcuts taken to get a first deployment out.

Breaks every control of policies/eksguard_policies/controls/{images,detection,exposure,storage}.toml and the
CloudTrail management-events control.
"""

import json

import pulumi_aws as aws

# A registry "like Docker Hub": mutable tags, no scanning, AWS-owned keys, anyone can pull, images kept forever.
repo = aws.ecr.Repository("api-images", name="shop/api", image_scanning_configuration={"scan_on_push": False})
aws.ecr.RepositoryPolicy(
    "api-images-public",
    repository=repo.name,
    policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}
    ),
)

# GuardDuty switched on, but with the EKS features turned off to save money.
detector = aws.guardduty.Detector("detector", enable=True)
aws.guardduty.DetectorFeature("eks-audit-off", detector_id=detector.id, name="EKS_AUDIT_LOGS", status="DISABLED")
aws.guardduty.DetectorFeature("runtime-no-agent", detector_id=detector.id, name="RUNTIME_MONITORING", status="ENABLED")

# A data-events trail that records no management events at all.
aws.cloudtrail.Trail(
    "s3-data-trail",
    s3_bucket_name="data-trail-bucket",
    is_multi_region_trail=True,
    enable_log_file_validation=True,
    kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abcd",
    cloud_watch_logs_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
    cloud_watch_logs_role_arn="arn:aws:iam::123456789012:role/trail",
    event_selectors=[{"read_write_type": "All", "include_management_events": False}],
)

# A plain-HTTP load balancer and an unencrypted shared file system.
aws.lb.Listener(
    "web-http",
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1",
    port=80,
    protocol="HTTP",
    default_actions=[
        {"type": "forward", "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/w/1"}
    ],
)
aws.efs.FileSystem("uploads")
