"""ORM models: the one layer every feature shares."""

from plaudit.models.apikey import ApiKey, Scope
from plaudit.models.award import Award, AwardGuard, AwardLog, Credential, CredentialStatus
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.models.claim import Claim, ClaimNonce, ClaimStatus, WalletNotice
from plaudit.models.connector import Connector, ConnectorPayload, PayloadStatus
from plaudit.models.delivery import (
    Channel,
    DeliveryAttempt,
    EmailSettings,
    MessageStatus,
    OutboxMessage,
    WebhookEndpoint,
)
from plaudit.models.engagement import Engagement, EngagementCount
from plaudit.models.event import Event, EventOutcome
from plaudit.models.idempotency import IdempotencyRecord
from plaudit.models.image import Image
from plaudit.models.learner import Learner
from plaudit.models.lease import Lease
from plaudit.models.oauth import ObApiClient, ObApiCode, ObApiProfile, ObApiToken
from plaudit.models.obapi_host import HostStatus, ObApiHost, ObApiPush, PushStatus
from plaudit.models.organization import Organization
from plaudit.models.rule import Backfill, BackfillStatus, Rule, RuleMode, RuleStatus
from plaudit.models.signing_key import SigningKey
from plaudit.models.status_list import StatusList, StatusPurpose
from plaudit.models.template import (
    Template,
    TemplateKind,
    TemplateOrigin,
    TemplateStatus,
    TemplateTag,
    TemplateVersion,
)
from plaudit.models.user import AdminSession, Invitation, Membership, Role, User
from plaudit.models.vendor import VendorEvent, VendorNumber

__all__ = [
    "AdminSession",
    "ApiKey",
    "Award",
    "AwardGuard",
    "AwardLog",
    "Backfill",
    "BackfillStatus",
    "BulkIssuance",
    "BulkStatus",
    "Channel",
    "Claim",
    "ClaimNonce",
    "ClaimStatus",
    "Connector",
    "ConnectorPayload",
    "Credential",
    "CredentialStatus",
    "DeliveryAttempt",
    "EmailSettings",
    "Engagement",
    "EngagementCount",
    "Event",
    "EventOutcome",
    "HostStatus",
    "IdempotencyRecord",
    "Image",
    "Invitation",
    "Learner",
    "Lease",
    "Membership",
    "MessageStatus",
    "ObApiClient",
    "ObApiCode",
    "ObApiHost",
    "ObApiProfile",
    "ObApiPush",
    "ObApiToken",
    "Organization",
    "OutboxMessage",
    "PayloadStatus",
    "PushStatus",
    "Role",
    "Rule",
    "RuleMode",
    "RuleStatus",
    "Scope",
    "SigningKey",
    "StatusList",
    "StatusPurpose",
    "Template",
    "TemplateKind",
    "TemplateOrigin",
    "TemplateStatus",
    "TemplateTag",
    "TemplateVersion",
    "User",
    "VendorEvent",
    "VendorNumber",
    "WalletNotice",
    "WebhookEndpoint",
]
