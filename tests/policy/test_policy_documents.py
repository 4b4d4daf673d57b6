"""The policy-document reader and CIDR sets the identity and network rules share."""

import json

import pytest

from policy.rules._helpers import cidrs_open
from policy.rules._policy_documents import account_of, parse


def test_documents_as_json_or_objects_with_one_or_many_statements():
    one = {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}}
    many = {"Statement": [one["Statement"], {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "x"}]}
    assert [s.public_principal for s in parse(one)] == [True]
    assert parse(json.dumps(one)) == parse(one)
    deny = parse(many)[1]
    assert deny.not_action and deny.not_resource and deny.every_resource and not deny.allows
    assert parse("not json") is None and parse("{broken") is None and parse(None) is None


@pytest.mark.parametrize(
    ("condition", "narrows"),
    [
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/*"}}, True),
        ({"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": ["o-a/r-b/"]}}, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, False),
        ({"StringNotEquals": {"aws:SourceAccount": "123456789012"}}, False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}, False),
        ({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, False),
        ({"StringLike": {"aws:PrincipalOrgID": "o-*"}}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:*:*"}}, False),
        ({"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}, False),
    ],
)
def test_only_a_concrete_condition_on_the_caller_narrows_a_public_principal(condition, narrows):
    (st,) = parse({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "x:Y", "Condition": condition}]})
    assert (st.restriction() is not None) is narrows


def test_grants_follow_wildcards_and_not_action():
    (st,) = parse({"Statement": [{"Effect": "Allow", "Action": ["iam:Pass*"], "Resource": "*"}]})
    assert st.grants("iam:PassRole") and st.grants("IAM:passrole") and not st.grants("iam:CreateRole")
    (inverse,) = parse({"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]})
    assert inverse.grants("iam:PassRole") and not inverse.grants("s3:GetObject")


def test_accounts_of_principals():
    assert account_of("arn:aws:iam::123456789012:role/x") == "123456789012"
    assert account_of("999988887777") == "999988887777"
    assert account_of("arn:aws:sts::111122223333:assumed-role/r/s") == "111122223333"
    assert account_of("events.amazonaws.com") is None


@pytest.mark.parametrize(
    ("cidrs", "internet"),
    [
        (["0.0.0.0/0"], "0.0.0.0/0"),
        (["10.0.0.0/8", "::/0"], "::/0"),
        (["0.0.0.0/1", "128.0.0.0/1"], "0.0.0.0/1 + 128.0.0.0/1"),
        (["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"], "0.0.0.0/2 + 64.0.0.0/2 + 128.0.0.0/1"),
        (["0.0.0.0/1"], None),
        (["0.0.0.0/1", "192.0.0.0/2"], None),
        (["not-a-cidr", "10.0.0.0/8"], None),
        ([], None),
    ],
)
def test_cidr_lists_are_sets(cidrs, internet):
    assert (cidrs_open(cidrs) or [None])[0] == internet
