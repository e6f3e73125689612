"""Marketplace: projects posted by organizations, their requirements, and how experts get in."""

from marketplace.models.engagement import ContentOptIn, ProjectApplication, ProjectInvitation
from marketplace.models.projects import (
    ContentWarning,
    Currency,
    Project,
    ProjectCountry,
    ProjectDomainRequirement,
    ProjectLanguage,
    ProjectStatus,
    TaskType,
    Visibility,
)
from marketplace.models.stats import DomainPayFloor, OrganizationStats

__all__ = [
    "ContentOptIn",
    "ContentWarning",
    "Currency",
    "DomainPayFloor",
    "OrganizationStats",
    "Project",
    "ProjectApplication",
    "ProjectCountry",
    "ProjectDomainRequirement",
    "ProjectInvitation",
    "ProjectLanguage",
    "ProjectStatus",
    "TaskType",
    "Visibility",
]
