"""Cognito user pool for officials: admin-created accounts only, strong passwords, TOTP MFA."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from lapor_infra.config import LaporConfig

OFFICIAL_ID_ATTRIBUTE = "official_id"  # ID token claim custom:official_id = directory official id
AGENCY_ATTRIBUTE = "agency"  # informational; the directory file stays authoritative for routing


class Identity(Construct):
    """Officials sign in here; the API's authorizer accepts this pool's ID tokens."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: LaporConfig, configuration_set_name: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Officials",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            custom_attributes={
                OFFICIAL_ID_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
                AGENCY_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=32, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Invitations and password resets through the stack's SES identity (DEVELOPER), from its
            # sender: Cognito's own sender allows a few dozen mails a day from a foreign address,
            # which `ops sync-officials` over a real directory exhausts.
            email=cognito.UserPoolEmail.with_ses(
                from_email=config.sender_email,
                from_name="LAPOR!",
                ses_region=config.region,
                ses_verified_domain=config.sender_domain,
                configuration_set_name=configuration_set_name,
            ),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.client = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
            # Officials read their own official id and agency but only an administrator sets them.
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, fullname=True, email_verified=True)
            .with_custom_attributes(OFFICIAL_ID_ATTRIBUTE, AGENCY_ATTRIBUTE),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
