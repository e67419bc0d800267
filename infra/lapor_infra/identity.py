"""Cognito user pool for officials: admin-created accounts only, strong passwords, TOTP MFA.

With ``-c mfa=required`` (the default) the pool offers TOTP and the API refuses admins, supervisors
and the national admin until they have enrolled it; once enrolled, Cognito asks for the code at
every sign-in. Liaisons may enrol too. Invitations (``ops sync-officials``) link to the workspace.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from lapor_infra.config import LaporConfig
from lapor_infra.nag import acknowledge

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
            # Optional at the pool: liaisons need no second factor; the API requires it of the other roles.
            mfa=cognito.Mfa.OPTIONAL if config.mfa_required else cognito.Mfa.OFF,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False) if config.mfa_required else None,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Akun petugas Lapor / Your Lapor official account",
                email_body=_invitation(config.public_url),
            ),
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
            # The officials' page signs in with Cognito's own API: password (over TLS), then refresh.
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
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
        if config.mfa_required:
            acknowledge(
                self.user_pool,
                "AwsSolutions-COG2",
                "MFA is optional at the pool so that liaisons can sign in with a password; the API refuses "
                "admins, supervisors and the national admin until they have enrolled TOTP, after which "
                "Cognito requires the code at every sign-in (docs/decisions.md).",
            )


def _invitation(public_url: str) -> str:
    """The invitation email: the official id, the temporary password and the link to the workspace."""
    link = f"{public_url.rstrip('/')}/officials.html"
    return (
        "Yth. Bapak/Ibu,<br><br>Akun petugas Lapor Anda telah dibuat. ID petugas: <b>{username}</b><br>"
        "Kata sandi sementara: <b>{####}</b><br>"
        f'Masuk di <a href="{link}">{link}</a>; Anda akan diminta membuat kata sandi baru. '
        "Kata sandi sementara berlaku 3 hari.<br><br>"
        "Dear Sir or Madam,<br><br>Your Lapor official account is ready. Official id: <b>{username}</b><br>"
        "Temporary password: <b>{####}</b><br>"
        f'Sign in at <a href="{link}">{link}</a>; you will be asked to choose a new password. '
        "The temporary password is valid for 3 days."
    )
