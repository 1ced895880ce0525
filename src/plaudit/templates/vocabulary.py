"""Fixed vocabularies and limits of templates (Open Badges 3.0 where it has one)."""

from __future__ import annotations

import re

# OB 3.0 AchievementType; extensions are "ext:Name".
ACHIEVEMENT_TYPES = (
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification",
    "CommunityService", "Competency", "Course", "CoCurricular", "Degree", "Diploma",
    "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment", "JourneymanCertificate",
    "LearningProgram", "License", "Membership", "ProfessionalDoctorate",
    "QualityAssuranceCredential", "MasterCertificate", "MasterDegree", "MicroCredential",
    "ResearchDoctorate", "SecondarySchoolDiploma",
)  # fmt: skip
EXTENSION_TYPE = re.compile(r"^ext:[A-Za-z0-9._-]+$")

MAX_LANGUAGES = 10
MAX_NAME = 200
MAX_DESCRIPTION = 5_000
MAX_CRITERIA = 10_000
MAX_ALIGNMENTS = 20
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_FIELDS = 30
MAX_METADATA_BYTES = 16_384
MAX_METADATA_KEYS = 50
MAX_WALLET_REMINDER_DAYS = 365
