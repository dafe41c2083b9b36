"""AWS's limits as the sandbox enforces them, stated here on their own.

The sandbox must not take these from the kit it rehearses (orgnb.aws.capacity): a wrong figure there would move the
kit and its rehearsal together, and the rehearsal would pass where AWS refuses. `tests/test_fidelity.py` compares
the two, so a change to either side fails until both agree with AWS.

Sources: "Quotas for AWS Organizations" (Number of AWS accounts in an organization: default 10, Service Quotas
code L-E619E033; invitations: 20 a day, accepted ones not counted, "Managing account invitations"), and botocore's
ConstraintViolationException documentation for CreateAccount ("the number of accounts that can be in progress at
a time", 5 in older editions of the quotas page).
"""

from __future__ import annotations

from datetime import timedelta

ACCOUNTS_QUOTA_CODE = "L-E619E033"
ACCOUNTS_QUOTA_NAME = "Default maximum number of accounts"
DEFAULT_ACCOUNT_QUOTA = 10
DAILY_INVITATIONS = 20
INVITATION_WINDOW = timedelta(days=1)
CREATE_ACCOUNT_IN_FLIGHT = 5
