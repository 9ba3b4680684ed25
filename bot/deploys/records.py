"""What opsbot writes on the deploy records it asks a forge for: what a team's CD reads.

A GitHub Deployment carries ``payload.opsbot`` (the workflow in deploy/cd/ acts
only on deployments that have it, and reads the service from it); a GitLab
pipeline carries the ``OPSBOT_*`` variables (the job in deploy/cd/ runs only when
they are set). Teams' pipelines match these names, so they are wire names: never
renamed.
"""

from __future__ import annotations

from typing import Any

from bot.deploys.model import NewDeployment
from bot.model import public_place

PAYLOAD_KEY = "opsbot"  # GitHub: payload.opsbot marks a deployment as opsbot's
SERVICE_VARIABLE = "OPSBOT_SERVICE"  # GitLab: set on every pipeline opsbot starts
ENVIRONMENT_VARIABLE = "OPSBOT_ENVIRONMENT"
REQUESTED_BY_VARIABLE = "OPSBOT_REQUESTED_BY"


def deployment_payload(new: NewDeployment) -> dict[str, Any]:
    """The payload of a GitHub Deployment: which service, ref and requester it is for, and where to report."""
    return {
        PAYLOAD_KEY: {
            "service": new.service,
            "ref": new.ref,
            "requested_by": new.requester.handle,
            "report_to": public_place(new.report_to),
        }
    }


def pipeline_variables(new: NewDeployment) -> dict[str, str]:
    """The variables of a GitLab pipeline, by name."""
    return {
        SERVICE_VARIABLE: new.service,
        ENVIRONMENT_VARIABLE: new.environment,
        REQUESTED_BY_VARIABLE: new.requester.handle,
    }
