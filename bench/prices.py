"""Published on-demand prices in Asia Pacific (Jakarta, ap-southeast-3), in USD: the one table the cost
benchmark multiplies its measured request counts with.

Dated, because prices change: re-check each line on the service's AWS pricing page before relying on
a figure, and change the date with it. Free tiers are ignored (a deployment outgrows them). The SMS
line is the price of one message part to an Indonesian number; carriers' fees change it more often
than anything else, which is why `smsMaxPrice` (cdk.json) leaves headroom above it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prices:
    """One dated set of prices (USD)."""

    as_of: str
    region: str
    dynamodb_write_request_unit: float  # on-demand, per WRU
    dynamodb_read_request_unit: float  # on-demand, per RRU
    lambda_request: float
    lambda_gb_second_arm64: float
    api_gateway_rest_request: float  # first 333 million a month
    waf_request: float  # plus 5 USD a web ACL and 1 USD a rule each month (fixed, not per report)
    sqs_request: float  # standard queue, per 64 KB chunk
    kms_request: float
    ses_email: float  # outbound, per message (attachments' data extra)
    sms_indonesia_per_part_usd: float  # SNS/End User Messaging, transactional, one message part


PRICES = Prices(
    as_of="2026-12-01",
    region="ap-southeast-3",
    dynamodb_write_request_unit=0.71875 / 1e6,
    dynamodb_read_request_unit=0.14375 / 1e6,
    lambda_request=0.20 / 1e6,
    lambda_gb_second_arm64=0.0000133334,
    api_gateway_rest_request=4.25 / 1e6,
    waf_request=0.60 / 1e6,
    sqs_request=0.40 / 1e6,
    kms_request=0.03 / 1e4,
    ses_email=0.10 / 1e3,
    sms_indonesia_per_part_usd=0.40,
)
